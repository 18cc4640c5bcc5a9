"""GeneratorSettings: the size and shape of a portfolio, checked on construction."""

from __future__ import annotations

import pytest

from workbench.synthetic import GeneratorSettings


def test_tables_option_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown tables"):
        GeneratorSettings(tables=("obligors", "obligor"))
    with pytest.raises(ValueError, match="not the string"):
        GeneratorSettings(tables="obligors")
    with pytest.raises(ValueError, match="at least one"):
        GeneratorSettings(tables=())
    assert GeneratorSettings(tables=["truth", "truth"]).tables == ("truth",)


def test_settings_reject_nonsense():
    with pytest.raises(ValueError, match="n_obligors"):
        GeneratorSettings(n_obligors=1)
    with pytest.raises(ValueError, match="years"):
        GeneratorSettings(years=1)
