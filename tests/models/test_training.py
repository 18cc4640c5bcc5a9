"""Fitting on a panel, scoring it, the challenger metrics and the comparison with the champion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.models import (
    PDModelParams,
    challenger_metrics,
    champion_comparison,
    fit_on_panel,
    flat_table_panel,
    score_panel,
)
from workbench.params import load_params

FAST = load_params(PDModelParams, None, {"tuning.enabled": False, "n_bags": 1, "xgb.n_estimators": 60,
                                         "xgb.early_stopping_rounds": 10})


def _panel(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lev = rng.uniform(0, 1, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-3.0 + 3.0 * lev)))).astype(np.int8)
    split = np.select([np.arange(n) < 0.6 * n, np.arange(n) < 0.8 * n], ["train", "valid"], "oot")
    return pd.DataFrame({"obligor_id": [f"OB{i:05d}" for i in range(n)], "split": split, "default_12m": y,
                         "leverage": lev.astype(np.float32), "noise": rng.normal(size=n).astype(np.float32)})


@pytest.fixture(scope="module")
def trained():
    panel = _panel()
    return panel, fit_on_panel(panel, FAST, "default_12m")


def test_fit_on_panel_takes_the_domain_params_and_the_target_and_scores_every_row(trained):
    panel, result = trained
    assert len(result.predictions) == len(panel) and result.features == ["leverage", "noise"]
    assert result.metrics.loc["oot", "auc"] > 0.6
    with pytest.raises(KeyError, match="no target column 'y'"):
        fit_on_panel(panel, FAST, "y")


def test_the_champion_comparison_scores_the_champion_on_the_same_rows(trained):
    panel, result = trained
    alone = champion_comparison(result, "3", None, None, panel, "default_12m")
    assert alone.labels == ["v3 (reviewed)"]
    other = fit_on_panel(panel, load_params(PDModelParams, None, {**FAST.model_dump(), "seed": 7}), "default_12m")
    both = champion_comparison(result, "3", other.model, "2", panel, "default_12m")
    assert both.labels == ["v3 (reviewed)", "v2 (champion)"]
    pd.testing.assert_frame_equal(both.scored["v2 (champion)"], score_panel(other.model, panel, "default_12m").predictions)
    assert both.table().at["auc", "v3 (reviewed)"] == pytest.approx(result.metrics.loc["oot", "auc"])


def test_challenger_metrics_name_each_models_oot_auc():
    comparison = pd.DataFrame({"auc": [0.8, 0.7]}, index=pd.Index(["xgboost", "scorecard"], name="model"))
    assert challenger_metrics(comparison) == {"oot/auc_xgboost": 0.8, "oot/auc_scorecard": 0.7}


def test_a_flat_table_becomes_a_panel_split_by_time(tmp_path):
    n = 500
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"id": range(n), "date": pd.date_range("2015-01-31", periods=n, freq="D"),
                          "y": (rng.random(n) < 0.2).astype(int), "x": rng.normal(size=n)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    panel = flat_table_panel(tmp_path / "t.csv", target="y", id_column="id", time_column="date")
    assert list(panel.columns[:4]) == ["obligor_id", "obs_date", "split", "y"]
    order = panel.sort_values("obs_date")["split"].tolist()
    assert order[:300] == ["train"] * 300 and order[-100:] == ["oot"] * 100


def test_the_description_of_a_version_says_what_it_is_and_its_oot_figures(trained):
    _, result = trained
    text = result.describe("default_12m")
    assert "not tuned" in text and "1 boosters, 2 features" in text
    assert f"oot/auc {result.metrics.loc['oot', 'auc']:.4f}" in text and "oot/red_grades" in text
