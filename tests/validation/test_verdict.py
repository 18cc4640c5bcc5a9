"""The review's verdict: the sign-off gate's checks, the findings, the header and the texts."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from workbench.reference import metrics as m
from workbench.validation import (
    FAIL,
    GATE_REQUIRED_METRICS,
    PASS,
    format_gate_checks,
    gate_checks,
    gate_problems,
    reproducibility_check,
    review_findings,
    review_header,
    review_run_description,
    review_verdict,
    verdict_tags,
    version_aliases,
    version_description,
)
from workbench.validation import verdict as verdict_module

# --------------------------------------------------------------------------- a clean review


def _metrics(**changes) -> dict[str, float]:
    """Review metrics with nothing to remark on; ``changes`` use the metric names with '/' as '__'."""
    base = {m.OOT_AUC: 0.85, m.OOT_GINI: 0.70, m.OOT_KS: 0.60, m.OOT_BRIER: 0.02, m.OOT_RED_GRADES: 0.0,
            m.OOT_YELLOW_GRADES: 0.0, m.REPRODUCIBILITY_PASSED: 1.0, m.REPRODUCIBILITY_MAX_ABS_DIFF: 0.0,
            m.OOT_HOSMER_LEMESHOW_P: 0.40, m.OOT_PSI_PD_VS_TRAIN: 0.05, m.OOT_MEAN_PD_OVER_DEFAULT_RATE: 1.0,
            "oot/mean_pd": 0.03, m.OOT_DEFAULT_RATE: 0.03, "oot/defaults": 120.0, m.OOT_ROWS: 4000.0,
            m.champion_metric(m.OOT_AUC): 0.84, m.migration_metric("within_one_notch"): 0.97}
    base.update({k.replace("__", "/"): v for k, v in changes.items()})
    return base


def _tags(**changes) -> dict[str, str]:
    base = {"workbench.git_commit": "0123abcd", "workbench.data_fingerprint": "f00dfeed12345678",
            "workbench.params_hash": "beefcafe00000000", "workbench.user": "modeller",
            "workbench.tuning.stopped_by": "trial budget", "workbench.tuning.trials_asked": "15",
            "workbench.tuning.trials_budget": "15", "workbench.tuning.trials_failed": "0",
            "workbench.tuning.best_trial": "7"}
    base.update({k.replace("__", "."): v for k, v in changes.items()})
    return base


def _reproduced() -> pd.DataFrame:
    return reproducibility_check({m.OOT_AUC: 0.85, m.OOT_BRIER: 0.02}, {m.OOT_AUC: 0.85, m.OOT_BRIER: 0.02})


def _findings(metrics=None, tags=None, **kw) -> pd.DataFrame:
    kw.setdefault("champion_version", "1")
    kw.setdefault("reproducibility", _reproduced())
    return review_findings(_metrics() if metrics is None else metrics, _tags() if tags is None else tags, **kw)


# --------------------------------------------------------------------------- gate checks


def test_gate_checks_pass_on_a_clean_review_and_the_verdict_meets_the_gate():
    checks = gate_checks(_metrics())
    assert list(checks["result"]) == [PASS] * len(checks)
    assert list(checks.index) == [f"recorded:{n}" for n in GATE_REQUIRED_METRICS] + ["reproducibility", "red_grades"]
    verdict = review_verdict(checks, _findings())
    assert verdict.meets_gate and verdict.line == "meets the gate"


@pytest.mark.parametrize("name", GATE_REQUIRED_METRICS)
def test_a_missing_required_metric_fails_its_check_and_cannot_be_overridden(name):
    logged = _metrics()
    del logged[name]
    checks = gate_checks(logged)
    row = checks.loc[f"recorded:{name}"]
    assert row["result"] == FAIL and not row["overridable"] and not row["present"]
    others = checks.drop(index=[f"recorded:{name}", "reproducibility", "red_grades"])
    assert (others["result"] == PASS).all()
    verdict = review_verdict(checks, _findings())
    assert not verdict.meets_gate and f"{name} not recorded" in verdict.line
    assert verdict.line.startswith("does not meet the gate: ")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", GATE_REQUIRED_METRICS)
def test_a_non_finite_required_metric_fails_its_check(name, bad):
    checks = gate_checks(_metrics(**{name.replace("/", "__"): bad}))
    row = checks.loc[f"recorded:{name}"]
    assert row["result"] == FAIL and row["present"] and not row["overridable"]
    assert f"{name} not a finite number" in review_verdict(checks, _findings()).line


@pytest.mark.parametrize("value, result", [(1.0, PASS), (0.0, FAIL), (0.5, FAIL)])
def test_reproducibility_check_passes_only_at_exactly_one(value, result):
    row = gate_checks(_metrics(reproducibility__passed=value)).loc["reproducibility"]
    assert row["result"] == result and row["overridable"]


@pytest.mark.parametrize("value, result", [(0.0, PASS), (1.0, FAIL), (3.0, FAIL)])
def test_red_grade_check_passes_only_without_red_grades(value, result):
    row = gate_checks(_metrics(oot__red_grades=value)).loc["red_grades"]
    assert row["result"] == result and row["overridable"]


def test_a_failed_verdict_names_each_failure_and_says_whether_it_may_be_overridden():
    checks = gate_checks(_metrics(reproducibility__passed=0.0, oot__red_grades=2.0))
    verdict = review_verdict(checks, _findings())
    assert verdict.line == "does not meet the gate: reproducibility check failed; 2 grades red out of time"
    assert verdict.overridable and "overridden only with a recorded reason" in verdict.summary
    missing = _metrics()
    del missing[m.OOT_AUC]
    assert not review_verdict(gate_checks(missing), _findings()).overridable


def test_gate_problems_word_the_failures_as_the_signoff_gate_does():
    logged = _metrics(oot__gini=math.nan, reproducibility__passed=0.0, oot__red_grades=1.0)
    del logged[m.OOT_AUC], logged[m.OOT_KS]
    problems = gate_problems(gate_checks(logged), "validation run abc")
    assert [p.text for p in problems] == [
        "validation run abc is missing required metrics: oot/auc, oot/ks",
        "validation run abc recorded non-finite values for: oot/gini=nan",
        "reproducibility check failed (reproducibility/passed=0): the review did not reproduce the training run's "
        "headline metrics",
        "1 master-scale grade red in the out-of-time Jeffreys back-test (oot/red_grades=1)",
    ]
    assert [p.overridable for p in problems] == [False, False, True, True]
    assert gate_problems(gate_checks(_metrics())) == []


def test_the_gate_checks_use_the_signoff_gates_metrics():
    from workbench import signoff

    assert GATE_REQUIRED_METRICS == tuple(signoff.REQUIRED_VALIDATION_METRICS)
    assert verdict_module.GATE_REPRODUCIBILITY_METRIC == signoff.REPRODUCIBILITY_METRIC
    assert verdict_module.GATE_RED_GRADES_METRIC == signoff.RED_GRADES_METRIC


_GATE_CASES = {
    "clean": {},
    "missing auc": {"drop": [m.OOT_AUC]},
    "missing every metric": {"drop": list(GATE_REQUIRED_METRICS)},
    "nan brier": {"set": {m.OOT_BRIER: math.nan}},
    "not reproduced": {"set": {m.REPRODUCIBILITY_PASSED: 0.0}},
    "red grades": {"set": {m.OOT_RED_GRADES: 2.0}},
    "nan red grades": {"set": {m.OOT_RED_GRADES: math.nan}},
    "everything wrong": {"drop": [m.OOT_KS], "set": {m.OOT_RED_GRADES: 1.0, m.REPRODUCIBILITY_PASSED: 0.0,
                                                     m.OOT_AUC: math.inf}},
}


@pytest.mark.parametrize("case", list(_GATE_CASES))
def test_gate_checks_agree_with_the_signoff_gate_on_a_validation_run(case, monkeypatch):
    """One definition: what the sign-off gate refuses on a run's metrics is what ``gate_checks``
    fails, in the same words (until signoff calls ``gate_checks`` itself)."""
    from workbench.signoff import gate

    logged = _metrics()
    for name in _GATE_CASES[case].get("drop", []):
        del logged[name]
    logged.update(_GATE_CASES[case].get("set", {}))
    run = SimpleNamespace(info=SimpleNamespace(lifecycle_stage="active", status="FINISHED"),
                          data=SimpleNamespace(tags={gate.REVIEW_MODEL_NAME_TAG: "pd", gate.REVIEW_MODEL_VERSION_TAG: "3"},
                                               metrics=logged))
    monkeypatch.setattr(gate, "get_run", lambda run_id: run)
    refused = gate.validation_problems("pd", "3", "abc")
    ours = gate_problems(gate_checks(logged), "validation run abc")
    assert [(p.text, p.overridable) for p in refused] == [(p.text, p.overridable) for p in ours]
    assert bool(refused) == (not review_verdict(gate_checks(logged), _findings()).meets_gate)


def test_gate_table_shows_counts_and_flags_as_integers_and_other_figures_to_4_digits():
    logged = _metrics(oot__auc=0.864726340838, oot__brier=0.025700943133, oot__red_grades=0.0)
    del logged[m.OOT_KS]
    table = format_gate_checks(gate_checks(logged))
    assert list(table.columns) == ["check", "value", "threshold", "result"]
    assert table.at[f"recorded:{m.OOT_AUC}", "value"] == "0.8647"
    assert table.at[f"recorded:{m.OOT_BRIER}", "value"] == "0.02570"
    assert table.at[f"recorded:{m.OOT_RED_GRADES}", "value"] == "0"
    assert table.at["red_grades", "value"] == "0" and table.at["reproducibility", "value"] == "1"
    assert table.at[f"recorded:{m.OOT_KS}", "value"] == "not recorded"
    assert table.at[f"recorded:{m.OOT_KS}", "result"] == FAIL
    failed = format_gate_checks(gate_checks(_metrics(oot__red_grades=2.0)))
    assert failed.at["red_grades", "value"] == "2"
    assert failed.at["red_grades", "result"] == "FAIL (overridable with a recorded reason)"


def test_verdict_box_shows_the_verdict_every_check_and_every_finding():
    findings = _findings(_metrics(oot__yellow_grades=2.0), champion_version=None)
    checks = gate_checks(_metrics(oot__red_grades=1.0))
    html = review_verdict(checks, findings)._repr_html_()
    assert "Verdict: does not meet the gate: 1 grade red out of time" in html
    for check in checks["check"]:
        assert check in html
    assert html.count(">PASS<") == len(checks) - 1 and html.count(">FAIL (overridable") == 1
    assert "Findings: 2" in html and html.count("<li>") == 2
    assert "Yellow grades" in html and "No champion to compare with" in html
    clean = review_verdict(gate_checks(_metrics()), _findings())
    assert "Verdict: meets the gate" in clean._repr_html_() and "Findings: none" in clean._repr_html_()
    assert repr(clean).startswith("VERDICT: meets the gate")


# --------------------------------------------------------------------------- findings


def test_a_clean_review_has_no_findings():
    findings = _findings()
    assert findings.empty and list(findings.columns) == ["finding", "value", "reference", "comment"]


# code -> (metrics changes, tags changes, other arguments) that trigger it
_TRIGGERS = {
    "yellow_grades": ({"oot__yellow_grades": 1.0}, {}, {}),
    "calibration": ({"oot__hosmer_lemeshow_p": 0.0499}, {}, {}),
    "pd_level": ({"oot__mean_pd_over_default_rate": 0.7}, {}, {}),
    "psi_monitor": ({"oot__psi_pd_vs_train": 0.10}, {}, {}),
    "psi_shift": ({"oot__psi_pd_vs_train": 0.2501}, {}, {}),
    "psi_missing": ({"oot__psi_pd_vs_train": math.nan}, {}, {}),
    "tuning_time_limit": ({}, {"workbench__tuning__stopped_by": "time limit", "workbench__tuning__trials_asked": "4"},
                          {}),
    "tuning_failed_trials": ({}, {"workbench__tuning__trials_failed": "2"}, {}),
    "no_champion": ({}, {}, {"champion_version": None}),
    "reproducibility": ({}, {}, {"reproducibility": reproducibility_check({m.OOT_AUC: 0.85}, {m.OOT_AUC: 0.86})}),
    "auc_drop": ({"oot__auc": 0.83}, {}, {}),
    "migration": ({"migration__within_one_notch": 0.85}, {}, {}),
    "few_defaults": ({"oot__defaults": 29.0}, {}, {}),
    "uncommitted_code": ({}, {"workbench__git_commit": "0123abcd-dirty"}, {}),
    "code_not_recorded": ({}, {"workbench__git_commit": "unknown"}, {}),
    "data_not_fingerprinted": ({}, {"workbench__data_fingerprint": "missing"}, {}),
    "trainer_unknown": ({}, {"workbench__user": ""}, {}),
}


@pytest.mark.parametrize("code", list(_TRIGGERS))
def test_each_finding_is_triggered_by_its_condition_alone(code):
    metric_changes, tag_changes, kw = _TRIGGERS[code]
    findings = _findings(_metrics(**metric_changes), _tags(**tag_changes), **kw)
    assert list(findings.index) == [code]
    assert findings.loc[code].map(bool).all()  # every column says something
    assert code not in _findings().index


# code -> metrics changes just on the side that does not trigger it
_NOT_TRIGGERED = {
    "calibration": {"oot__hosmer_lemeshow_p": 0.05},
    "pd_level": {"oot__mean_pd_over_default_rate": 0.8},
    "psi_monitor": {"oot__psi_pd_vs_train": 0.0999},
    "psi_shift": {"oot__psi_pd_vs_train": 0.25},
    "auc_drop": {"oot__auc": 0.84},
    "migration": {"migration__within_one_notch": 0.90},
    "few_defaults": {"oot__defaults": 30.0},
}


@pytest.mark.parametrize("code", list(_NOT_TRIGGERED))
def test_a_finding_is_not_triggered_at_its_threshold(code):
    assert code not in _findings(_metrics(**_NOT_TRIGGERED[code])).index


def test_over_prediction_of_the_pd_level_is_a_finding_too():
    findings = _findings(_metrics(oot__mean_pd_over_default_rate=1.3, oot__mean_pd=0.039))
    assert "above the observed default rate" in findings.at["pd_level", "finding"]
    assert "mean PD 3.90 %" in findings.at["pd_level", "value"]


def test_psi_monitor_and_shift_are_exclusive_and_the_band_is_named():
    monitor = _findings(_metrics(oot__psi_pd_vs_train=0.25))
    assert "psi_monitor" in monitor.index and "psi_shift" not in monitor.index
    assert monitor.at["psi_monitor", "reference"] == "below 0.1 stable, 0.1 to 0.25 monitor"
    assert monitor.at["psi_monitor", "value"] == "0.2500"


def test_yellow_findings_name_the_grades_from_the_back_test():
    backtest = pd.DataFrame({"jeffreys_light": ["green", "yellow", "green", "yellow", "yellow"]},
                            index=pd.Index(["3", "4", "5", "7", "all"], name="grade"))
    findings = _findings(_metrics(oot__yellow_grades=2.0), backtest=backtest)
    assert findings.at["yellow_grades", "value"] == "2 (grades 4, 7)"


@pytest.mark.parametrize("light, found", [("green", False), ("yellow", True), ("red", True)])
def test_the_portfolio_back_test_light_is_a_finding_unless_green(light, found):
    backtest = pd.DataFrame({"default_rate": [0.01, 0.0288], "pd": [0.01, 0.0172], "jeffreys_light": ["green", light]},
                            index=pd.Index(["3", "all"], name="grade"))
    findings = _findings(backtest=backtest)
    assert ("portfolio_backtest" in findings.index) == found
    if found:
        assert findings.at["portfolio_backtest", "value"] == f"{light} (default rate 2.88 % vs PD 1.72 %)"


def test_calibration_finding_shows_the_p_value_as_a_percentage():
    findings = _findings(_metrics(oot__hosmer_lemeshow_p=0.0123))
    assert findings.at["calibration", "value"] == "p = 1.23 %"
    assert findings.at["calibration", "reference"] == "p at least 5.00 %"


def test_tuning_finding_says_how_many_trials_ran_of_the_budget():
    findings = _findings(tags=_tags(workbench__tuning__stopped_by="time limit", workbench__tuning__trials_asked="4"))
    assert findings.at["tuning_time_limit", "value"] == "4 of 15 trials"


def test_reproducibility_finding_names_the_metrics_that_differ_or_were_not_logged():
    table = reproducibility_check({m.OOT_AUC: 0.85, m.OOT_KS: 0.6}, {m.OOT_AUC: 0.86, m.OOT_KS: 0.6, m.OOT_GINI: 0.7})
    findings = _findings(reproducibility=table)
    assert findings.at["reproducibility", "value"] == "2 of 3: oot/auc (MISMATCH), oot/gini (not logged)"
    flag_only = review_findings(_metrics(reproducibility__passed=0.0), _tags(), champion_version="1")
    assert "reproducibility" in flag_only.index


def test_auc_drop_finding_shows_both_aucs_and_the_drop():
    findings = _findings(_metrics(oot__auc=0.83))
    assert findings.at["auc_drop", "value"] == "0.8300 vs 0.8400 (-0.01000)"


def test_findings_are_not_raised_for_figures_the_review_did_not_compute():
    logged = {name: value for name, value in _metrics().items()
              if name in GATE_REQUIRED_METRICS}  # an old review run: only the gate's figures
    assert _findings(logged).empty


def test_the_tag_names_read_are_the_ones_tracking_writes():
    from workbench import signoff, tracking
    from workbench.models.tuning import STOPPED_BY_TIMEOUT, TuningResult
    from workbench.tracking import callbacks, provenance

    written = tracking.standard_tags(None, None, None)
    assert set(verdict_module.PROVENANCE_TAGS) <= set(written)
    assert verdict_module.USER_TAG == provenance.USER_TAG == signoff.TRAINER_TAG
    assert verdict_module.TUNING_TAG_PREFIX == callbacks.TUNING_TAG_PREFIX
    assert verdict_module.TUNING_STOPPED_BY_TIME_LIMIT == STOPPED_BY_TIMEOUT
    summary = TuningResult(best_values={}, best_auc=0.5, study_name="s", storage="", n_trials=1,
                           trials=pd.DataFrame()).summary()
    assert {"stopped_by", "trials_asked", "trials_budget", "trials_failed", "best_trial"} <= set(summary)


# --------------------------------------------------------------------------- header


def _version(**changes):
    return {"name": "key-account-pd", "version": "3", "run_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90", "aliases": [],
            "source": "file:///x", **changes}


def test_header_shows_the_aliases_the_registry_gives_for_this_version_only():
    header = review_header(_version(), {"challenger": "3", "champion": "2"}, _tags(), reviewed_at=0)
    assert header.aliases == ("challenger",)
    assert header.as_dict()["Aliases"] == "@challenger"
    assert header.title == "key-account-pd version 3 (@challenger)"
    assert "@challenger" in header._repr_html_() and "@champion" not in header._repr_html_()


def test_version_aliases_take_a_mapping_a_list_or_the_version_dicts_own():
    assert version_aliases(_version(), {"challenger": 3, "champion": "3", "old": "1"}) == ["challenger", "champion"]
    assert version_aliases(_version(), ["champion"]) == ["champion"]
    assert version_aliases(_version(aliases=["challenger"]), None) == ["challenger"]
    assert version_aliases(_version(aliases=["challenger"]), {"challenger": "3"}) == ["challenger"]
    assert review_header(_version(), {}, _tags()).as_dict()["Aliases"] == "none"


def test_header_holds_the_provenance_of_the_version_and_the_review():
    header = review_header(_version(), ["challenger"], _tags(), trained_at=1796164242473,
                           reviewed_at=pd.Timestamp("2026-12-02 09:15", tz="UTC").to_pydatetime(),
                           review_run_id="feedface")
    fields = header.as_dict()
    assert list(fields) == ["Model", "Version", "Aliases", "Training run", "Trained", "Trained by", "Git commit",
                            "Data fingerprint", "Params hash", "Tuning", "Review run", "Reviewed"]
    assert fields["Model"] == "key-account-pd" and fields["Version"] == "3"
    assert fields["Training run"] == "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert fields["Trained"] == "2026-12-01 22:30 UTC"
    assert fields["Trained by"] == "modeller" and fields["Git commit"] == "0123abcd"
    assert fields["Data fingerprint"] == "f00dfeed12345678" and fields["Params hash"] == "beefcafe00000000"
    assert fields["Tuning"] == "15 of 15 trials, stopped by its trial budget; best trial 7"
    assert fields["Review run"] == "feedface" and fields["Reviewed"] == "2026-12-02 09:15 UTC"
    text = repr(header)
    assert text.splitlines()[0] == "key-account-pd version 3 (@challenger)" and "f00dfeed12345678" in text


def test_header_says_what_the_training_run_did_not_record():
    fields = review_header(_version(), [], {}, reviewed_at=0).as_dict()
    for key in ("Trained", "Trained by", "Git commit", "Data fingerprint", "Params hash", "Tuning", "Review run"):
        assert fields[key] == "not recorded", key
    untuned = review_header(_version(), [], {"workbench.tuning.enabled": "false"}).as_dict()
    assert untuned["Tuning"] == "not tuned (configured hyperparameters)"



def test_header_says_a_fit_from_a_stored_study_ran_no_trial_of_its_own():
    tags = _tags(workbench__tuning__trials_asked="0", workbench__tuning__study_trials="60",
                 workbench__tuning__study="pd-2026q4")
    assert review_header(_version(), [], tags).as_dict()["Tuning"] == (
        "fitted from the stored study pd-2026q4 (60 trials, none run by this fit); best trial 7")


# --------------------------------------------------------------------------- texts for MLflow


def test_descriptions_carry_the_verdict_the_findings_and_the_review_run():
    header = review_header(_version(), ["challenger"], _tags(), reviewed_at=0)
    failed = review_verdict(gate_checks(_metrics(oot__red_grades=1.0)), _findings(champion_version=None))
    text = version_description(failed, header, "feedface", "Calibrated xgboost PD model.", _metrics())
    training, review = text.split("\n\n")
    assert training == "Calibrated xgboost PD model."
    assert "review run feedface" in review and "does not meet the gate: 1 grade red out of time" in review
    assert "No champion to compare with" in review and "oot/auc 0.8500" in review
    assert "\n" not in review  # one paragraph
    assert version_description(failed, header, "feedface").startswith("**Validation review**")
    run_text = review_run_description(failed, header)
    assert "key-account-pd version 3 (@challenger)" in run_text and "does not meet the gate" in run_text
    assert verdict_tags(failed) == {"workbench.review.verdict": failed.line, "workbench.review.findings": "no_champion"}
    clean = review_verdict(gate_checks(_metrics()), _findings())
    assert verdict_tags(clean) == {"workbench.review.verdict": "meets the gate", "workbench.review.findings": "none"}
    assert "No findings." in review_run_description(clean, header)
