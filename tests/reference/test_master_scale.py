from __future__ import annotations

import numpy as np
import pytest

from workbench.models import DEFAULT_GRADE, MasterScale


def test_bands_are_geometric_with_a_default_grade_on_top():
    ms = MasterScale(10, 0.0003, 0.30)
    bands = ms.bands()
    assert list(bands["grade"]) == [str(g) for g in range(1, 11)] + [DEFAULT_GRADE]
    perf = bands.iloc[:-1]
    ratio = perf["pd_high"] / perf["pd_low"]
    assert np.allclose(ratio, ratio.iloc[0]) and ratio.iloc[0] == pytest.approx(1000 ** 0.1)
    assert np.allclose(perf["grade_pd"], np.sqrt(perf["pd_low"] * perf["pd_high"]))


def test_agency_long_run_default_rates_rank_in_order():
    # S&P 1981-2024 long-run one-year default rates (DOMAIN.md): A 0.05 %, BBB 0.14 %, BB 0.56 %, B 2.93 %, CCC/C 26 %.
    ms = MasterScale()
    grades = ms.grade_number([0.0005, 0.0014, 0.0056, 0.0293, 0.26])
    assert list(grades) == sorted(grades) and len(set(grades)) == 5
    assert grades[0] == 1 and grades[-1] == 10  # A in the best grade, CCC/C in the worst


def test_grades_clip_at_floor_and_cap_and_mark_defaults():
    ms = MasterScale(5, 0.001, 0.2)
    assert list(ms.grade([1e-9, 0.5, 0.01], defaulted=[False, False, True])) == ["1", "5", DEFAULT_GRADE]


def test_table_counts_defaults_and_observed_rates():
    ms = MasterScale(3, 0.001, 0.1)
    table = ms.table([0.001, 0.002, 0.05, 0.09], [0, 0, 1, 0]).set_index("grade")
    assert table.loc["1", "n"] == 2 and table.loc["3", "defaults"] == 1 and table.loc["3", "default_rate"] == 0.5
    assert np.isnan(table.loc["2", "default_rate"])


def test_nonsense_scales_are_rejected():
    with pytest.raises(ValueError):
        MasterScale(10, 0.3, 0.1)
