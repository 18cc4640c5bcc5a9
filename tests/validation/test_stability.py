"""Population stability: PSI from shares and from scores, its reading, CSI per feature."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.validation import csi, psi, psi_bins, psi_from_proportions, psi_status


def test_psi_from_proportions_published_value():
    # (0.2 - 0.1) ln 2 + (0.5 - 0.6) ln(5/6) + 0 = 0.0875 (Siddiqi 2006, "Credit Risk Scorecards",
    # ch. 8, PSI = sum (a - e) ln(a / e))
    value = psi_from_proportions([0.1, 0.6, 0.3], [0.2, 0.5, 0.3])
    assert round(value, 4) == 0.0875
    assert value == pytest.approx(0.1 * np.log(2) - 0.1 * np.log(5 / 6), rel=1e-12)


def test_psi_from_proportions_is_symmetric_and_zero_for_identical_shares():
    e, a = [0.1, 0.6, 0.3], [0.2, 0.5, 0.3]
    assert psi_from_proportions(e, a) == pytest.approx(psi_from_proportions(a, e))
    assert psi_from_proportions(e, e) == 0.0


def test_psi_from_proportions_clips_empty_bins_to_a_finite_value():
    value = psi_from_proportions([0.5, 0.5, 0.0], [0.4, 0.4, 0.2])
    assert np.isfinite(value)
    assert value > 0.2 * np.log(0.2 / 1e-6) * 0.99


def test_psi_from_proportions_rejects_counts_and_mismatched_bins():
    with pytest.raises(ValueError, match="shares"):
        psi_from_proportions([10, 60, 30], [20, 50, 30])
    with pytest.raises(ValueError, match="equal length"):
        psi_from_proportions([0.5, 0.5], [0.2, 0.3, 0.5])


def test_psi_of_identical_distributions_is_zero():
    x = np.random.default_rng(0).normal(size=5000)
    assert psi(x, x) == 0.0
    assert psi(x, x.copy()[::-1]) == 0.0


def test_psi_of_shifted_normal_grows_with_the_shift():
    rng = np.random.default_rng(1)
    expected = rng.normal(size=20000)
    base = rng.normal(size=20000)
    values = [psi(expected, base + shift) for shift in (0.0, 0.1, 0.25, 0.5, 1.0)]
    assert all(b > a for a, b in zip(values, values[1:]))
    assert values[0] < 0.01  # same distribution, other sample
    assert psi_status(values[-1]) == "shift"


def test_psi_bins_are_expected_deciles_with_open_outer_edges():
    rng = np.random.default_rng(2)
    expected = rng.normal(size=10000)
    table = psi_bins(expected, np.array([-100.0, 100.0, 0.0, 0.0]))
    assert len(table) == 10
    assert table["expected_share"].to_numpy() == pytest.approx(np.full(10, 0.1))
    assert table["actual_share"].iloc[0] == 0.25  # -100 lands in the first, open bin
    assert table["actual_share"].iloc[-1] == 0.25  # +100 lands in the last, open bin
    assert table["actual_share"].sum() == pytest.approx(1.0)
    assert table["contribution"].sum() == pytest.approx(psi(expected, [-100.0, 100.0, 0.0, 0.0]))


def test_psi_handles_ties_by_merging_quantiles():
    expected = np.r_[np.zeros(700), np.arange(1, 301)]  # 70 % zeros
    table = psi_bins(expected, expected)
    assert len(table) < 10
    assert table.loc[table.index[0], "expected_share"] == pytest.approx(0.7)  # all zeros in one bin
    assert psi(expected, expected) == 0.0
    assert psi(expected, np.arange(1, 1001)) > 0.25  # zeros disappeared


def test_psi_puts_missing_scores_in_their_own_bin():
    rng = np.random.default_rng(3)
    expected = rng.normal(size=1000)
    actual = expected.copy()
    actual[:200] = np.nan
    table = psi_bins(expected, actual)
    assert table.index[-1] == "missing"
    assert table.loc["missing", "expected_share"] == 0.0
    assert table.loc["missing", "actual_share"] == pytest.approx(0.2)
    assert psi(expected, actual) > 1.0  # a 20 % share where there was none
    assert "missing" not in psi_bins(expected, expected).index


def test_psi_of_categories_uses_category_shares():
    e = pd.Series(["a"] * 60 + ["b"] * 40)
    a = pd.Series(["a"] * 50 + ["b"] * 50)
    assert psi(e, a) == pytest.approx(psi_from_proportions([0.6, 0.4], [0.5, 0.5]))


@pytest.mark.parametrize("value, status", [
    (0.0, "stable"), (0.0999, "stable"), (0.10, "monitor"), (0.25, "monitor"), (0.2501, "shift"), (3.0, "shift"),
])
def test_psi_status_thresholds(value, status):
    assert psi_status(value) == status


@pytest.mark.parametrize("value", [np.nan, -0.01])
def test_psi_status_rejects_invalid_values(value):
    with pytest.raises(ValueError):
        psi_status(value)


def test_csi_ranks_features_by_psi_with_status():
    rng = np.random.default_rng(4)
    n = 5000
    dev = pd.DataFrame({"same": rng.normal(size=n), "drift": rng.normal(size=n), "jump": rng.normal(size=n),
                        "ignored": rng.normal(size=n)})
    now = pd.DataFrame({"same": rng.normal(size=n), "drift": rng.normal(0.5, 1, n), "jump": rng.normal(1.5, 1, n),
                        "ignored": rng.normal(5, 1, n)})
    table = csi(dev, now, ["same", "drift", "jump"])
    assert table.index.tolist() == ["jump", "drift", "same"]
    assert table.loc["same", "status"] == "stable"
    assert table.loc["jump", "status"] == "shift"
    assert table.loc["drift", "psi"] == pytest.approx(psi(dev["drift"], now["drift"]))


def test_csi_rejects_unknown_features():
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(KeyError, match="b"):
        csi(frame, frame, ["a", "b"])
