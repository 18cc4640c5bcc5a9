"""Tables for people in the training report: counts as counts, rates and PDs as percentages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.format import NBSP
from workbench.models import (
    display_backtest,
    display_comparison,
    display_csi,
    display_discrimination,
    display_gain_importance,
    display_hosmer_lemeshow,
    display_iv,
    display_master_scale,
    display_registration,
    display_tuning,
    split_counts,
)
from workbench.reference import MasterScale
from workbench.validation import csi, discrimination_table, grade_backtest


def plain(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its no-break spaces ("45.00\u00a0%") as plain ones, to compare with text."""
    return table.map(lambda s: s.replace(NBSP, " ") if isinstance(s, str) else s)



def test_split_counts_are_per_split_in_time_order():
    panel = pd.DataFrame({"split": ["oot", "train", "train", "valid", "train"], "y": [1, 0, 1, 0, 0]})
    table = plain(split_counts(panel, "y"))
    assert list(table.index) == ["train", "valid", "oot"]
    assert table.loc["train"].tolist() == ["3", "1", "33.33 %"] and table.loc["oot", "default rate"] == "100.00 %"


def test_tuning_summary_is_a_table_in_words():
    table = display_tuning({"best_trial": 0, "best_cv_auc": 0.899658, "trials_budget": 3, "trials_asked": 3,
                            "trials_completed": 3, "trials_pruned": 0, "trials_failed": 0,
                            "stopped_by": "trial budget", "study": "pd-2c64"})
    assert table.loc["best cross-validated AUC", "value"] == "0.8997"
    assert table.loc["tuning stopped by", "value"] == "trial budget"
    assert table.loc["trials completed", "value"] == "3"


def _scored(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pd_ = rng.uniform(0.001, 0.2, n)
    return pd.DataFrame({"pd": pd_, "y": (rng.random(n) < pd_).astype(int),
                         "split": rng.choice(["train", "valid", "oot"], n)})


def test_discrimination_and_comparison_tables():
    s = _scored()
    table = plain(display_discrimination(discrimination_table(s["y"], s["pd"], s["split"])))
    assert list(table.columns) == ["rows", "defaults", "default rate", "mean PD", "AUC", "gini", "KS", "brier",
                                   "log loss"]
    assert table["rows"].str.fullmatch(r"\d+").all() and table["mean PD"].str.endswith(" %").all()
    assert not table["AUC"].str.contains("e").any()
    comparison = pd.DataFrame({"auc": [0.8647, 0.767], "gini": [0.7295, 0.534], "ks": [0.655, 0.456],
                               "brier": [0.0257, np.nan]}, index=pd.Index(["xgboost", "altman_z2"], name="model"))
    shown = display_comparison(comparison)
    assert shown.loc["xgboost", "brier"] == "0.02570" and shown.loc["altman_z2", "brier"] == "n/a"


def test_backtest_and_master_scale_show_pds_and_p_values_as_percentages():
    scale = MasterScale(10, 0.0003, 0.3)
    s = _scored()
    grades = scale.grade(s["pd"].to_numpy())
    backtest = plain(display_backtest(grade_backtest(grades, s["pd"], s["y"], grade_pd=scale.grade_pd())))
    assert backtest.loc["all", "obligors"] == "600"
    assert backtest["PD"].str.endswith(" %").all() and backtest["Jeffreys p-value"].str.endswith(" %").all()
    assert set(backtest["Jeffreys light"]) <= {"green", "yellow", "red"}
    master = plain(display_master_scale(scale.table(s["pd"], s["y"])))
    assert master.loc["1", "grade PD"] == "0.042 %"  # three decimals: grade 1 is not 0.04 %
    assert master.index.name == "grade" and master["obligors"].str.fullmatch(r"[\d,]+").all()


def test_hosmer_lemeshow_reads_its_p_value():
    assert display_hosmer_lemeshow((16.03, 0.0987)).loc["reading", "value"] == \
        "no evidence against the calibration at 5 %"
    shown = display_hosmer_lemeshow((30.0, 0.001))
    assert shown.loc["reading", "value"] == "calibration rejected at 5 %" and shown.loc["p-value", "value"] == "0.10 %"


def test_importance_iv_and_csi_tables_word_the_features_and_their_role():
    importance = pd.DataFrame({"feature": ["dpd_mean_6m", "policy_rate"], "total_gain": [196.4865, 12.0],
                               "share": [0.176, 0.01], "monotone": [1, 1]})
    gain = display_gain_importance(importance)
    assert gain.loc[1, "wording"] == "Persistent arrears over 6 months" and gain.loc[2, "role"] == "macro"
    assert gain.loc[1, "total gain"] == "196.5" and gain.loc[1, "monotone constraint"] == "increasing"
    iv = display_iv(pd.DataFrame({"feature": ["net_margin"], "iv": [2.656956], "n_bins": [4], "selected": [True]}))
    assert iv.loc[1].tolist() == ["net_margin", "Low net margin", "2.657", "4", "yes"]
    a = pd.DataFrame({"leverage": np.linspace(0, 1, 200)})
    table = display_csi(csi(a, a.assign(leverage=a["leverage"] ** 3), ["leverage"]))
    assert table.loc["leverage", "wording"] == "High leverage" and table.loc["leverage", "status"] == "shift"


def test_registration_is_a_table_not_a_dict():
    table = display_registration({"model_uri": "runs:/abc/pd_model", "version": "1",
                                  "registered_uri": "models:/key-account-pd@challenger"})
    assert table.loc["registered version", "value"] == "1" and table.index.name == "model"
