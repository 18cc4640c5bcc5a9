"""The sign-off gate on a real (temporary, SQLite) MLflow registry; nothing is trained."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from workbench import signoff, tracking
from workbench.signoff import REQUIRED_VALIDATION_METRICS, SignoffRefused

GOOD_METRICS = {
    "oot/auc": 0.81,
    "oot/gini": 0.62,
    "oot/ks": 0.48,
    "oot/brier": 0.031,
    "oot/red_grades": 0.0,
    "reproducibility/passed": 1.0,
}


TRAINER = "mo.deller"  # the OS user the helper's training runs record (tag workbench.user)
APPROVER_OS_USER = "val.idator"  # the OS user the tests approve as ($LOGNAME / $USER)


# --------------------------------------------------------------------------- helpers (also used by the CLI tests)


@pytest.fixture(autouse=True)
def approver_os_user(monkeypatch):
    """Every test approves as OS user ``APPROVER_OS_USER``, whoever runs the suite: getpass reads
    $LOGNAME first, then $USER."""
    monkeypatch.setenv("LOGNAME", APPROVER_OS_USER)
    monkeypatch.setenv("USER", APPROVER_OS_USER)
    return APPROVER_OS_USER


def unique_model_name() -> str:
    # The session shares one store; a fresh name is an empty registry for that model.
    return f"test-pd-{uuid.uuid4().hex[:10]}"


def new_version(name: str, trainer: str = TRAINER) -> str:
    """Register a new version of ``name`` from a tiny logged artifact, trained by OS user
    ``trainer`` (the training run's ``workbench.user`` tag, as ``standard_tags`` records it);
    returns the version."""
    c = tracking.client()
    with tracking.tracked_run("review-tests-training", "train", tags={"workbench.user": trainer}) as run:
        c.log_text(run.run_id, "not a model", "pd_model/MLmodel.txt")
    try:
        c.get_registered_model(name)
    except Exception:
        c.create_registered_model(name)
    mv = c.create_model_version(name, source=f"{run.artifact_uri}/pd_model", run_id=run.run_id)
    c.set_registered_model_alias(name, "challenger", mv.version)
    return str(mv.version)


def validation_run(name: str, version: str, metrics: dict | None = None, *, status: str = "FINISHED",
                   link: bool = True) -> str:
    """A validation run as the review notebook makes it; linked to the version unless ``link=False``."""
    metrics = GOOD_METRICS if metrics is None else metrics
    run = tracking.start_run("validation", f"review {name} v{version}", tags={
        signoff.REVIEW_MODEL_NAME_TAG: name, signoff.REVIEW_MODEL_VERSION_TAG: version})
    run.log_metrics(metrics)
    if link:
        signoff.link_validation_run(name, version, run.run_id)
    tracking.end_run(run.run_id, status)
    return run.run_id


def version_tags(name: str, version: str) -> dict[str, str]:
    return dict(tracking.client().get_model_version(name, version).tags)


def champion(name: str) -> str | None:
    return tracking.alias_version(name, "champion")


def aliases(name: str) -> dict[str, str]:
    return {a: str(v) for a, v in tracking.client().get_registered_model(name).aliases.items()}


def approved_version(name: str) -> str:
    version = new_version(name)
    validation_run(name, version)
    return version


# --------------------------------------------------------------------------- the gate


def test_gate_refuses_version_without_validation_run_and_says_how_to_make_one():
    name = unique_model_name()
    version = new_version(name)

    problems = signoff.check_version(name, version)
    assert len(problems) == 1
    assert "no validation run" in problems[0] and "40_review_model" in problems[0]
    assert "workbench review run" in problems[0]

    with pytest.raises(SignoffRefused) as exc:
        signoff.approve(name, version, by="ana", comment="looks fine")
    assert "40_review_model" in str(exc.value)
    assert champion(name) is None
    assert not any(k.startswith("signoff.") for k in version_tags(name, version))


def test_gate_refuses_missing_metrics_naming_them_even_with_override_reason():
    name = unique_model_name()
    version = new_version(name)
    partial = {k: v for k, v in GOOD_METRICS.items() if k not in ("oot/ks", "reproducibility/passed")}
    validation_run(name, version, partial)

    problems = signoff.check_version(name, version)
    assert any("missing required metrics" in p and "oot/ks" in p and "reproducibility/passed" in p
               for p in problems)
    assert not any("oot/auc" in p for p in problems)

    with pytest.raises(SignoffRefused) as exc:
        signoff.approve(name, version, by="ana", comment="ok", override_reason="trust me")
    assert "oot/ks" in str(exc.value)
    assert "cannot override" in str(exc.value)
    assert champion(name) is None


def test_gate_refuses_version_with_a_red_grade():
    name = unique_model_name()
    version = new_version(name)
    validation_run(name, version, {**GOOD_METRICS, "oot/red_grades": 2.0})

    problems = signoff.check_version(name, version)
    assert problems == [p for p in problems if "red" in p] and len(problems) == 1
    assert "2 master-scale grades red" in problems[0]
    with pytest.raises(SignoffRefused) as exc:
        signoff.approve(name, version, by="ana", comment="ok")
    assert "--override-reason" in str(exc.value)
    assert champion(name) is None


def test_red_grade_with_override_reason_is_approved_and_override_recorded():
    name = unique_model_name()
    version = new_version(name)
    run_id = validation_run(name, version, {**GOOD_METRICS, "oot/red_grades": 1.0})

    decision = signoff.approve(name, version, by="ana", comment="grade 7 is thin",
                               override_reason="grade 7 has 3 obligors; accepted by committee 2024-05")
    assert decision.decision == "approved"
    assert decision.override_reason.startswith("grade 7 has 3 obligors")
    assert any("red" in p for p in decision.problems)
    assert champion(name) == version
    tags = version_tags(name, version)
    assert tags["signoff.001.override_reason"] == "grade 7 has 3 obligors; accepted by committee 2024-05"
    assert tags["signoff.001.decision"] == "approved"
    assert tags["signoff.001.validation_run_id"] == run_id


def test_reproducibility_failure_is_refused_without_override():
    name = unique_model_name()
    version = new_version(name)
    validation_run(name, version, {**GOOD_METRICS, "reproducibility/passed": 0.0})

    problems = signoff.check_version(name, version)
    assert len(problems) == 1 and "reproducibility check failed" in problems[0]
    with pytest.raises(SignoffRefused) as exc:
        signoff.approve(name, version, by="ana", comment="ok")
    assert "reproducibility" in str(exc.value)
    assert champion(name) is None


def test_unfinished_validation_run_is_refused():
    name = unique_model_name()
    version = new_version(name)
    run_id = validation_run(name, version, status="FAILED")

    problems = signoff.check_version(name, version)
    assert any(run_id in p and "FAILED" in p for p in problems)
    with pytest.raises(SignoffRefused):
        signoff.approve(name, version, by="ana", comment="ok", override_reason="no")


def test_unknown_model_and_version_are_refused_by_name():
    name = unique_model_name()
    assert "no registered model" in signoff.check_version(name, "1")[0]
    new_version(name)
    problems = signoff.check_version(name, "7")
    assert "has no version '7'" in problems[0] and "versions: 1" in problems[0]
    with pytest.raises(SignoffRefused):
        signoff.reject(name, "7", by="ana", comment="no")


def test_empty_by_or_comment_is_refused():
    name = unique_model_name()
    version = approved_version(name)
    with pytest.raises(SignoffRefused) as exc:
        signoff.approve(name, version, by="  ", comment="ok")
    assert "--by is empty" in str(exc.value)
    with pytest.raises(SignoffRefused) as exc:
        signoff.reject(name, version, by="ana", comment="")
    assert "--comment is empty" in str(exc.value)
    assert not any(k.startswith("signoff.") for k in version_tags(name, version))


def test_first_approval_on_empty_registry_becomes_champion():
    name = unique_model_name()
    version = approved_version(name)
    assert signoff.check_version(name, version) == []

    decision = signoff.approve(name, version, by="ana", comment="first model")
    assert decision.previous_champion is None and decision.champion == version
    assert champion(name) == version
    assert "was none" in decision.summary()
    tags = version_tags(name, version)
    assert tags["signoff.decision"] == "approved" and tags["signoff.by"] == "ana"
    assert tags["signoff.comment"] == "first model"
    assert tags["champion.since"] == decision.at == tags["signoff.at"]
    assert datetime.fromisoformat(decision.at).utcoffset().total_seconds() == 0
    assert "override_reason" not in " ".join(tags)


def test_second_approval_moves_champion_and_tags_previous_superseded():
    name = unique_model_name()
    first = approved_version(name)
    signoff.approve(name, first, by="ana", comment="first")
    second = approved_version(name)

    decision = signoff.approve(name, second, by="bo", comment="better OOT AUC")
    assert decision.previous_champion == first and decision.champion == second
    assert f"champion -> version {second} (was {first})" in decision.summary()
    assert champion(name) == second
    old = version_tags(name, first)
    assert old["champion.superseded_by"] == second
    assert old["champion.superseded_at"] == decision.at
    assert old["signoff.decision"] == "approved"  # its own history is untouched
    assert version_tags(name, second)["champion.since"] == decision.at


def test_approving_the_current_champion_records_the_decision_and_says_so():
    name = unique_model_name()
    version = approved_version(name)
    first = signoff.approve(name, version, by="ana", comment="first")
    again = signoff.approve(name, version, by="bo", comment="annual re-approval")
    assert again.number == 2 and not again.champion_moved
    assert "already" in again.summary() and any("already" in n for n in again.notes)
    tags = version_tags(name, version)
    assert tags["signoff.002.by"] == "bo" and tags["signoff.by"] == "bo"
    assert tags["champion.since"] == first.at
    assert "champion.superseded_at" not in tags


def test_decision_history_keeps_reject_and_later_approve():
    name = unique_model_name()
    version = new_version(name)
    rejected = signoff.reject(name, version, by="ana", comment="no validation yet")
    assert rejected.number == 1 and rejected.validation_run_id is None
    run_id = validation_run(name, version)
    approved = signoff.approve(name, version, by="bo", comment="validated now")
    assert approved.number == 2

    tags = version_tags(name, version)
    assert tags["signoff.001.decision"] == "rejected" and tags["signoff.001.by"] == "ana"
    assert tags["signoff.001.comment"] == "no validation yet"
    assert tags["signoff.001.validation_run_id"] == "none"
    assert tags["signoff.002.decision"] == "approved" and tags["signoff.002.by"] == "bo"
    assert tags["signoff.002.validation_run_id"] == run_id
    assert tags["signoff.decision"] == "approved" and tags["signoff.validation_run_id"] == run_id
    history = signoff.decision_history(name, version)
    assert history["decision"].tolist() == ["rejected", "approved"]
    assert history["number"].tolist() == [1, 2]


def test_reject_does_not_move_aliases_even_for_the_champion():
    name = unique_model_name()
    first = approved_version(name)
    signoff.approve(name, first, by="ana", comment="first")
    second = approved_version(name)
    before = aliases(name)
    assert before == {"champion": first, "challenger": second}

    decision = signoff.reject(name, second, by="bo", comment="unstable")
    assert aliases(name) == before
    assert decision.decision == "rejected" and not decision.notes

    on_champion = signoff.reject(name, first, by="bo", comment="drifted")
    assert aliases(name) == before
    assert any("still champion" in n and "separate decision" in n for n in on_champion.notes)
    assert version_tags(name, first)["signoff.decision"] == "rejected"
    assert "champion.superseded_at" not in version_tags(name, first)


def test_validation_run_is_found_by_search_when_not_linked():
    name = unique_model_name()
    version = new_version(name)
    validation_run(name, version, status="FAILED", link=False)
    finished = validation_run(name, version, link=False)
    validation_run(name, version, status="FAILED", link=False)  # newer, but not FINISHED

    assert signoff.find_validation_run(name, version) == finished
    assert signoff.check_version(name, version) == []
    other = new_version(name)
    assert signoff.find_validation_run(name, other) is None


def test_linked_validation_run_wins_over_search_and_must_review_this_version():
    name = unique_model_name()
    version = new_version(name)
    other = new_version(name)
    linked = validation_run(name, version)
    validation_run(name, version, link=False)  # newer, unlinked
    assert signoff.find_validation_run(name, version) == linked

    with pytest.raises(ValueError, match="reviews another model version"):
        signoff.link_validation_run(name, other, linked)


def test_status_lists_versions_with_aliases_and_latest_decision():
    name = unique_model_name()
    first = approved_version(name)
    signoff.approve(name, first, by="ana", comment="first")
    second = new_version(name)
    signoff.reject(name, second, by="bo", comment="no")

    df = signoff.status(name).set_index("version")
    assert df.index.tolist() == [second, first]
    assert df.loc[first, "aliases"] == "champion" and df.loc[first, "decision"] == "approved"
    assert df.loc[second, "aliases"] == "challenger" and df.loc[second, "by"] == "bo"
    assert df.loc[first, "validation_run_id"] != "" and df.loc[second, "validation_run_id"] == ""
    with pytest.raises(LookupError):
        signoff.status(unique_model_name())


def test_required_metrics_are_the_contract():
    assert set(REQUIRED_VALIDATION_METRICS) == set(GOOD_METRICS)
