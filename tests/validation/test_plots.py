"""Validation figures: returned closed, with the elements and numbers they promise."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from workbench.validation import (
    accuracy_ratio,
    grade_backtest,
    plot_calibration,
    plot_cap,
    plot_grade_backtest,
    plot_psi,
    psi,
)
from workbench.validation.plots import LIGHT_COLOURS


@pytest.fixture
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=3000)
    p = 1 / (1 + np.exp(-(-3 + x)))
    return (rng.random(3000) < p).astype(int), p


def test_plot_cap_draws_each_model_with_random_and_perfect_lines(sample):
    y, p = sample
    before = plt.get_fignums()
    fig = plot_cap(y, {"model": p, "challenger": np.round(p, 1)})
    assert plt.get_fignums() == before  # closed before returning
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0] == f"model (AR {accuracy_ratio(y, p):.3f})"
    assert labels[1].startswith("challenger (AR ")
    assert "random model" in labels and "perfect model" in labels
    perfect = ax.get_lines()[labels.index("perfect model")]
    assert perfect.get_xdata()[1] == pytest.approx(y.mean())


def test_plot_calibration_uses_log_axes_and_one_point_per_group(sample):
    y, p = sample
    fig = plot_calibration(y, p, bins=10)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    observed = next(line for line in ax.get_lines() if line.get_label() == "observed default rate")
    assert len(observed.get_xdata()) == 10
    assert any(line.get_label() == "perfect calibration" for line in ax.get_lines())


def test_plot_grade_backtest_colours_points_by_jeffreys_light():
    rng = np.random.default_rng(1)
    grades = rng.choice(["A", "B", "C"], 3000)
    y = (rng.random(3000) < np.where(grades == "C", 0.1, 0.01)).astype(int)
    table = grade_backtest(grades, None, y, grade_pd={"A": 0.01, "B": 0.01, "C": 0.03})
    assert table.loc["C", "jeffreys_light"] == "red"
    fig = plot_grade_backtest(table)
    bar_ax, rate_ax = fig.axes
    assert [t.get_text() for t in bar_ax.get_xticklabels()] == ["A", "B", "C"]
    assert [bar.get_height() for bar in bar_ax.patches] == table.loc[["A", "B", "C"], "n"].tolist()
    points = rate_ax.collections[0]
    expected = [to_rgba(LIGHT_COLOURS[light]) for light in table.loc[["A", "B", "C"], "jeffreys_light"]]
    assert [tuple(c) for c in points.get_facecolors()] == expected


def test_plot_psi_shows_bin_shares_and_psi_in_title():
    rng = np.random.default_rng(2)
    expected, actual = rng.normal(size=2000), rng.normal(0.3, 1, 2000)
    fig = plot_psi(expected, actual, bins=10)
    ax = fig.axes[0]
    assert f"PSI = {psi(expected, actual):.4f}" in ax.get_title()
    assert len(ax.patches) == 20  # 10 expected + 10 actual bars
