"""SHAP figures: returned closed, with the features, labels and numbers they promise."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.explain import (
    ShapResult,
    plot_beeswarm,
    plot_dependence,
    plot_importance,
    plot_top_dependence,
    plot_waterfall,
    shap_values,
    strongest_interaction,
)
from workbench.models import PDModelParams, fit_pd_model
from workbench.params import load_params

SMALL = load_params(PDModelParams, None, {"tuning.enabled": False, "n_bags": 2, "xgb.n_estimators": 60,
                                          "xgb.early_stopping_rounds": 15, "xgb.learning_rate": 0.15})


@pytest.fixture(scope="module")
def explained() -> tuple[ShapResult, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 800
    X = pd.DataFrame({"leverage": rng.uniform(0, 1, n), "interest_cover": rng.lognormal(1, 0.7, n),
                      "utilisation": rng.uniform(0, 1, n), "noise": rng.normal(size=n)})
    X.loc[rng.random(n) < 0.1, "utilisation"] = np.nan
    z = -2.5 + 3 * X["leverage"] - 0.5 * np.log(X["interest_cover"]) + X["utilisation"].fillna(0.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    model = fit_pd_model(X, y, SMALL)
    X.index = [f"OB{i:04d}" for i in range(n)]
    return shap_values(model, X, progress=False), X


def _closed(make) -> Figure:
    before = plt.get_fignums()
    fig = make()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before  # closed before returning: nothing left in pyplot's state
    return fig


def test_importance_plot_has_one_bar_per_top_feature_largest_on_top(explained):
    res, _ = explained
    fig = _closed(lambda: plot_importance(res, top=3))
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 3
    top3 = res.table().head(3)
    np.testing.assert_allclose(widths, top3["mean_abs_shap"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # Tick labels come top to bottom: the most important feature first.
    assert labels[0] == f"{top3.loc[0, 'label']} ({top3.loc[0, 'feature']})"
    assert labels[0] == "High leverage (leverage)"


def test_beeswarm_draws_every_row_of_each_feature_with_dictionary_labels(explained):
    res, X = explained
    fig = _closed(lambda: plot_beeswarm(res, X, top=4))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "High leverage (leverage)" in labels and "noise" in labels
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == 4 * len(X)  # missing utilisation values are drawn too (grey)
    assert len(fig.axes) == 2  # the colour bar
    # Without X, the values kept in the result are used.
    _closed(lambda: plot_beeswarm(res, None, top=2, max_points=100))


def test_dependence_plot_colours_by_the_given_or_strongest_partner(explained):
    res, X = explained
    fig = _closed(lambda: plot_dependence(res, X, "leverage", interaction="utilisation"))
    assert "utilisation" in fig.axes[1].get_ylabel()
    ax = fig.axes[0]
    assert ax.get_title() == "High leverage (leverage)"
    # Every row with a leverage value is drawn, at its value and its SHAP value.
    offsets = np.concatenate([c.get_offsets() for c in ax.collections])
    assert len(offsets) == len(X)
    fig = _closed(lambda: plot_dependence(res, X, "utilisation", interaction=False))
    n_missing = int(X["utilisation"].isna().sum())
    assert len(fig.axes) == 1 and f"({n_missing} missing not shown)" in fig.axes[0].get_xlabel()
    assert len(np.concatenate([c.get_offsets() for c in fig.axes[0].collections])) == len(X) - n_missing
    auto = _closed(lambda: plot_dependence(res, X, "leverage"))
    partner = strongest_interaction(res, X, "leverage")
    assert partner in res.features and partner != "leverage"
    assert partner in auto.axes[1].get_ylabel()
    with pytest.raises(ValueError, match="not explained"):
        plot_dependence(res, X, "nope")


def test_strongest_interaction_finds_a_planted_interaction():
    rng = np.random.default_rng(3)
    n = 2000
    data = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    # a's SHAP values depend on b at a fixed a (an interaction), while c only correlates with a itself.
    data["c"] = data["a"] + 0.1 * data["c"]
    values = pd.DataFrame({"a": data["a"] * (1 + data["b"]), "b": 0.1 * data["b"], "c": 0.0 * data["c"]})
    res = ShapResult(values=values, base_value=0.0, margin=values.sum(axis=1).to_numpy(), data=data)
    assert strongest_interaction(res, None, "a") == "b"


def test_top_dependence_grid_has_one_panel_per_top_feature(explained):
    res, X = explained
    fig = _closed(lambda: plot_top_dependence(res, X, top=3))
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_ylabel() == "SHAP value (log-odds)"]
    assert [ax.get_title() for ax in panels][0] == "High leverage (leverage)"
    assert len(panels) == 3


def test_waterfall_goes_from_the_base_value_to_the_score_and_shows_the_pd(explained):
    res, _ = explained
    row = "OB0007"
    fig = _closed(lambda: plot_waterfall(res, row, top=2))
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 3  # two features and "2 other features"
    assert bars[0].get_x() == pytest.approx(float(res.base_value))
    end = bars[-1].get_x() + bars[-1].get_width()
    pos = res.values.index.get_loc(row)
    assert end == pytest.approx(res.margin[pos], abs=1e-5)
    assert f"PD {res.prob_default[pos]:.2%}" in ax.get_title()
    labels = [t.get_text() for t in ax.get_yticklabels()]  # top to bottom
    assert labels[-1] == "2 other features"
    biggest = res.values.loc[row].abs().idxmax()
    assert labels[0].startswith(f"{res.table().set_index('feature').loc[biggest, 'label']} ({biggest}) = ")
    with pytest.raises(KeyError):
        plot_waterfall(res, "nobody")
