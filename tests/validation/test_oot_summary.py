"""The OOT back-test summary: one function for the figures training logs and the review recomputes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.reference import metrics
from workbench.validation import (
    ModelComparison,
    grade_backtest,
    hosmer_lemeshow,
    oot_backtest_summary,
    psi,
    reproducibility_check,
    review_metrics,
)


def _scored(seed: int = 0, n: int = 6000, bias: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pd_true = 1 / (1 + np.exp(-(-3.5 + 1.2 * rng.normal(size=n))))
    y = (rng.random(n) < pd_true).astype(np.int8)
    pd_ = np.clip(pd_true * bias, 1e-4, 0.99)
    grade = np.clip(np.digitize(pd_, [0.005, 0.01, 0.02, 0.04, 0.08]) + 1, 1, 6).astype(str)
    split = np.where(np.arange(n) < n // 2, "train", "oot")
    return pd.DataFrame({"split": split, "default_12m": y, "pd": pd_, "grade": grade})


def test_the_summary_holds_the_documented_figures_under_their_metric_names():
    scored = _scored()
    got = oot_backtest_summary(scored, "default_12m")
    assert set(got) == set(metrics.OOT_BACKTEST_METRICS)
    oot, train = scored[scored["split"] == "oot"], scored[scored["split"] == "train"]
    assert got[metrics.OOT_HOSMER_LEMESHOW_P] == pytest.approx(hosmer_lemeshow(oot["default_12m"], oot["pd"], ddof=0)[1])
    assert got[metrics.OOT_PSI_PD_VS_TRAIN] == pytest.approx(psi(train["pd"], oot["pd"]))
    lights = grade_backtest(oot["grade"], oot["pd"], oot["default_12m"]).drop(index="all")["jeffreys_light"]
    assert got[metrics.OOT_RED_GRADES] == (lights == "red").sum()
    assert got[metrics.OOT_MEAN_PD_OVER_DEFAULT_RATE] == pytest.approx(oot["pd"].mean() / oot["default_12m"].mean())


def test_underestimated_pds_turn_grades_red():
    assert oot_backtest_summary(_scored(), "default_12m")[metrics.OOT_RED_GRADES] == 0
    assert oot_backtest_summary(_scored(bias=0.3), "default_12m")[metrics.OOT_RED_GRADES] > 0


def test_no_oot_rows_give_no_summary_and_no_training_rows_no_psi():
    scored = _scored()
    assert oot_backtest_summary(scored[scored["split"] == "train"], "default_12m") == {}
    alone = oot_backtest_summary(scored[scored["split"] == "oot"], "default_12m")
    assert np.isnan(alone[metrics.OOT_PSI_PD_VS_TRAIN]) and alone[metrics.OOT_RED_GRADES] == 0


def test_the_review_logs_the_summary_under_the_names_training_logs_it():
    scored = _scored()
    logged = review_metrics(ModelComparison({"reviewed": scored}, target="default_12m"),
                            reproducibility_check({"x": 1.0}, {"x": 1.0}))
    for name, value in oot_backtest_summary(scored, "default_12m").items():
        assert logged[name] == pytest.approx(value, nan_ok=True), name
