"""The sign-off gate on a real (temporary, SQLite) MLflow registry; nothing is trained."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import uuid
from datetime import datetime

import pytest

from workbench import signoff, tracking
from workbench.signoff import REQUIRED_VALIDATION_METRICS, SigningKeyError, SignoffNotVerified, SignoffRefused

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
    """A version that passes the validation gate (not yet approved)."""
    version = new_version(name)
    validation_run(name, version)
    return version


def champion_version(name: str, by: str = "ana") -> str:
    """A version approved as champion."""
    version = approved_version(name)
    signoff.approve(name, version, by=by, comment="validated")
    return version


def model_tags(name: str) -> dict[str, str]:
    return dict(tracking.client().get_registered_model(name).tags)


def training_run_of(name: str, version: str) -> str:
    return tracking.client().get_model_version(name, version).run_id


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



# --------------------------------------------------------------------------- signed decisions


def _hmac_by_hand(key: bytes, record: dict) -> str:
    """The documented recipe, written out without the workbench's own code."""
    payload = {k: v for k, v in record.items() if k != "signature"}
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hmac.new(key, b"workbench.signoff.record.v1\n" + body, hashlib.sha256).hexdigest()


def test_honest_decisions_form_one_verified_chain_over_all_versions():
    name = unique_model_name()
    first = champion_version(name)
    second = new_version(name)
    signoff.reject(name, second, by="bo", comment="no validation yet")
    validation_run(name, second)
    signoff.approve(name, second, by="bo", comment="validated now")

    result = signoff.verify(name)
    assert result.ok, result.problems()
    assert [(r.seq, r.version, r.number, r.decision) for r in result.records] == [
        (1, first, 1, "approved"), (2, second, 1, "rejected"), (3, second, 2, "approved")]
    key = signoff.signing_key()
    ledger = model_tags(name)
    for seq, record in enumerate(result.records, start=1):
        stored = json.loads(ledger[f"signoff.ledger.{seq:06d}"])
        assert stored["signature"] == _hmac_by_hand(key, stored) == record.signature
        assert stored["prev"] == (result.records[seq - 2].signature if seq > 1 else "")
        assert stored["model"] == name and stored["version"] == record.version
    assert json.loads(ledger["signoff.head"])["seq"] == 3
    assert result.champion == second and champion(name) == second
    # The mirror on the version carries the signature and the fields people read.
    tags = version_tags(name, second)
    assert tags["signoff.002.signature"] == result.records[2].signature == tags["signoff.signature"]
    assert tags["signoff.001.seq"] == "2" and tags["signoff.002.seq"] == "3"
    assert tags["signoff.002.os_user"] == APPROVER_OS_USER == tags["signoff.os_user"]
    assert tags["signoff.002.trained_by"] == TRAINER
    assert tags["signoff.002.training_run_id"] == training_run_of(name, second)
    df = signoff.status(name).set_index("version")
    assert df.loc[first, "signature"] == "verified" and df.loc[second, "signature"] == "verified"
    third = new_version(name)
    assert signoff.status(name).set_index("version").loc[third, "signature"] == "no decisions"


def test_the_signature_covers_every_recorded_field():
    name = unique_model_name()
    champion_version(name)
    record = signoff.verify(name).records[0]
    key = signoff.signing_key()
    assert record.verifies(key)
    payload = record.payload()
    assert {"model", "version", "number", "seq", "decision", "by", "os_user", "at", "comment", "validation_run_id",
            "override_reason", "self_approval", "trained_by", "training_run_id", "prev"} <= set(payload)
    for field in payload:
        if field == "format":
            continue
        value = getattr(record, field)
        changed = (not value) if isinstance(value, bool) else (value + 1) if isinstance(value, int) else value + "x"
        forged = signoff.Record(**{**{f: getattr(record, f) for f in record.__dataclass_fields__}, field: changed})
        assert not forged.verifies(key), field
    assert not record.verifies(b"another key of at least sixteen characters")


def test_a_moved_champion_alias_is_refused_naming_the_version():
    name = unique_model_name()
    first = champion_version(name)
    second = approved_version(name)  # validated, never approved
    tracking.client().set_registered_model_alias(name, "champion", second)  # around the sign-off

    result = signoff.verify(name)
    assert not result.ok
    assert any(f.version == second and "moved" in f.text and f"makes version {first} champion" in f.text
               for f in result.findings)
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert exc.value.version == second
    assert f"champion version {second}" in str(exc.value) and "moved" in str(exc.value)
    df = signoff.status(name).set_index("version")
    assert df.loc[second, "signature"].startswith("NOT VERIFIED") and "moved" in df.loc[second, "signature"]


def test_a_removed_champion_alias_is_refused_not_taken_for_no_champion():
    name = unique_model_name()
    first = champion_version(name)
    new_version(name)
    tracking.client().delete_registered_model_alias(name, "champion")
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert exc.value.version == first and "alias champion was removed" in str(exc.value)


def test_a_champion_alias_set_without_any_signed_approval_is_refused():
    name = unique_model_name()
    version = approved_version(name)
    tracking.client().set_registered_model_alias(name, "champion", version)
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.verify_champion(name)
    assert exc.value.version == version and "no signed approval" in str(exc.value)


@pytest.mark.parametrize("tag", ["signoff.001.by", "signoff.001.signature", "signoff.decision", "signoff.by"])
def test_a_deleted_signoff_tag_is_refused_naming_it(tag):
    name = unique_model_name()
    version = champion_version(name)
    tracking.client().delete_model_version_tag(name, version, tag)

    result = signoff.verify(name)
    assert [f.version for f in result.findings] == [version]
    assert tag in result.findings[0].text and "deleted" in result.findings[0].text
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert f"champion version {version}" in str(exc.value) and tag in str(exc.value)
    assert signoff.status(name).loc[0, "signature"].startswith("NOT VERIFIED")
    assert not signoff.decision_history(name, version)["verified"].all()


def test_a_deleted_ledger_record_in_the_middle_breaks_the_chain():
    name = unique_model_name()
    first = champion_version(name)
    second = champion_version(name)
    signoff.reject(name, first, by="bo", comment="superseded")
    tracking.client().delete_registered_model_tag(name, "signoff.ledger.000002")
    problems = signoff.verify(name).problems()
    assert any("signoff.ledger.000002" in p and "gap" in p for p in problems)
    assert any(f"version {second}" in p and "in no signed decision" in p for p in problems)
    with pytest.raises(SignoffNotVerified):
        signoff.model_for_consumers(name)


def test_a_truncated_chain_is_refused_by_the_signed_head():
    """The latest decision removed with the client: its ledger record, its mirror tags, and the
    alias put back where it was before it."""
    name = unique_model_name()
    first = champion_version(name)
    second = champion_version(name)
    c = tracking.client()
    c.delete_registered_model_tag(name, "signoff.ledger.000002")
    for key in [k for k in version_tags(name, second) if k.startswith("signoff.")]:
        c.delete_model_version_tag(name, second, key)
    c.set_registered_model_alias(name, "champion", first)

    result = signoff.verify(name)
    assert any(f.version == second and "truncated" in f.text and "decision #2" in f.text for f in result.findings)
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert "truncated" in str(exc.value) and f"version {second}" in str(exc.value)

    # Rewriting the head to the earlier decision needs the key; deleting it shows too.
    c.delete_registered_model_tag(name, "signoff.head")
    problems = signoff.verify(name).problems()
    assert any("signoff.head) was deleted" in p for p in problems)
    assert any("this machine has seen decision #2" in p and f"version {second}" in p for p in problems)


def test_records_wiped_together_with_the_head_and_alias_are_caught_by_the_witness():
    name = unique_model_name()
    version = champion_version(name)
    c = tracking.client()
    for key in [k for k in model_tags(name) if k.startswith("signoff.")]:
        c.delete_registered_model_tag(name, key)
    for key in [k for k in version_tags(name, version) if k.startswith("signoff.")]:
        c.delete_model_version_tag(name, version, key)
    c.delete_registered_model_alias(name, "champion")

    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)  # not the UNAPPROVED fallback
    assert "decisions were removed" in str(exc.value) and f"version {version}" in str(exc.value)
    assert signoff.witness_file().is_file()


@pytest.mark.parametrize("key,value", [("signoff.override_reason", "committee said so"),
                                       ("signoff.002.decision", "approved")])
def test_a_forged_signoff_tag_is_refused(key, value):
    name = unique_model_name()
    version = champion_version(name)
    tracking.client().set_model_version_tag(name, version, key, value)
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert f"version {version}: tag {key}={value!r} is in no signed decision" in str(exc.value)


def test_a_forged_registered_model_signoff_tag_is_refused():
    name = unique_model_name()
    champion_version(name)
    tracking.client().set_registered_model_tag(name, "signoff.approved_by", "the board")
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert "signoff.approved_by" in str(exc.value) and "forged" in str(exc.value)


def test_a_whole_forged_decision_written_with_the_client_is_refused():
    """Without the key: copy the honest approval of version 1 onto version 2 as decision #2 (ledger
    record, mirror tags, head with a made-up MAC) and move the alias."""
    name = unique_model_name()
    first = champion_version(name)
    second = new_version(name)  # never validated
    c = tracking.client()
    honest = json.loads(model_tags(name)["signoff.ledger.000001"])
    forged = {**honest, "seq": 2, "version": second, "prev": honest["signature"],
              "training_run_id": training_run_of(name, second), "signature": "0" * 64}
    c.set_registered_model_tag(name, "signoff.ledger.000002", json.dumps(forged))
    head = {"format": 1, "model": name, "seq": 2, "version": second, "signature": forged["signature"],
            "mac": "f" * 64}
    c.set_registered_model_tag(name, "signoff.head", json.dumps(head))
    for key, value in version_tags(name, first).items():
        if key.startswith("signoff."):
            value = {"signoff.001.seq": "2", "signoff.seq": "2", "signoff.001.signature": forged["signature"],
                     "signoff.signature": forged["signature"], "signoff.001.training_run_id":
                     forged["training_run_id"]}.get(key, value)
            c.set_model_version_tag(name, second, key, value)
    c.set_registered_model_alias(name, "champion", second)

    result = signoff.verify(name)
    texts = result.problems()
    assert any(f"decision #2 on version {second}" in t and "signature does not match" in t for t in texts)
    assert any("signoff.head does not verify" in t for t in texts)
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert f"champion version {second}" in str(exc.value)
    with pytest.raises(SignoffNotVerified):
        signoff.approve(name, first, by="bo", comment="re-approval on a forged chain")


def test_an_edited_field_is_refused_in_the_mirror_and_in_the_ledger():
    name = unique_model_name()
    version = champion_version(name, by="ana")
    c = tracking.client()
    c.set_model_version_tag(name, version, "signoff.by", "mallory")
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert "tag signoff.by is 'mallory', the signed decision says 'ana'" in str(exc.value)

    # Editing the ledger record (and the mirror to match) breaks its signature instead.
    record = json.loads(model_tags(name)["signoff.ledger.000001"])
    c.set_registered_model_tag(name, "signoff.ledger.000001", json.dumps({**record, "by": "mallory"}))
    c.set_model_version_tag(name, version, "signoff.001.by", "mallory")
    problems = signoff.verify(name).problems()
    assert problems == [f"version {version}: decision #1 on version {version} (signoff.001: approved by mallory "
                        f"at {record['at']}) does not verify: its signature does not match its content (edited, "
                        f"forged without the key, or signed with another key)"]


def test_no_decision_is_added_to_records_that_do_not_verify():
    name = unique_model_name()
    first = champion_version(name)
    second = approved_version(name)
    tracking.client().set_model_version_tag(name, first, "signoff.by", "mallory")
    before = model_tags(name)
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.approve(name, second, by="bo", comment="better")
    assert "no approval of version" in str(exc.value) and "signoff.by" in str(exc.value)
    with pytest.raises(SignoffNotVerified):
        signoff.reject(name, second, by="bo", comment="no")
    assert model_tags(name) == before and champion(name) == first
    assert not any(k.startswith("signoff.") for k in version_tags(name, second))


# --------------------------------------------------------------------------- the key


def test_the_key_file_is_created_owner_only_and_a_loose_one_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_SIGNING_KEY", raising=False)
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(tmp_path))
    with pytest.raises(SigningKeyError, match="no signing key"):
        signoff.signing_key()  # verifying never makes a key
    key = signoff.signing_key(create=True)
    path = signoff.key_file()
    assert path.parent == tmp_path and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64 and signoff.signing_key() == key

    os.chmod(path, 0o644)
    with pytest.raises(SigningKeyError) as exc:
        signoff.signing_key()
    assert str(path) in str(exc.value) and f"chmod 600 {path}" in str(exc.value)
    os.chmod(path, 0o640)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        signoff.signing_key(create=True)


def _elsewhere(monkeypatch, tmp_path):
    """Keep the session's registry but take the state dir (key file, witness) somewhere else."""
    uri = tracking.tracking_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("WORKBENCH_SIGNING_KEY", raising=False)


def test_a_loose_key_file_refuses_decisions_and_consumers(tmp_path, monkeypatch):
    name = unique_model_name()
    version = approved_version(name)
    _elsewhere(monkeypatch, tmp_path)
    signoff.signing_key(create=True)
    os.chmod(signoff.key_file(), 0o604)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        signoff.approve(name, version, by="ana", comment="ok")
    assert champion(name) is None
    os.chmod(signoff.key_file(), 0o600)
    signoff.approve(name, version, by="ana", comment="ok")
    os.chmod(signoff.key_file(), 0o660)
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert f"champion version {version}" in str(exc.value) and "chmod 600" in str(exc.value)


def test_decisions_verify_only_with_the_key_that_signed_them(tmp_path, monkeypatch):
    name = unique_model_name()
    version = approved_version(name)
    monkeypatch.setenv("WORKBENCH_SIGNING_KEY", "a-shared-secret-from-the-vault-0123456789")
    signoff.approve(name, version, by="ana", comment="ok")
    assert signoff.model_for_consumers(name).approved

    monkeypatch.delenv("WORKBENCH_SIGNING_KEY")  # now the session's key file: another key
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert "signature does not match" in str(exc.value)
    _elsewhere(monkeypatch, tmp_path)  # no key at all here
    with pytest.raises(SignoffNotVerified, match="no signing key"):
        signoff.model_for_consumers(name)
    monkeypatch.setenv("WORKBENCH_SIGNING_KEY", "short")
    with pytest.raises(SigningKeyError, match="at least 16"):
        signoff.approve(name, version, by="ana", comment="again")


# --------------------------------------------------------------------------- who trained, who approves


def test_self_approval_by_os_user_is_refused_without_a_reason_and_recorded_with_one(monkeypatch):
    name = unique_model_name()
    version = new_version(name, trainer="ana.os")
    validation_run(name, version)
    monkeypatch.setenv("LOGNAME", "ana.os")
    monkeypatch.setenv("USER", "ana.os")
    with pytest.raises(SignoffRefused) as exc:
        signoff.approve(name, version, by="Ana", comment="my own model")
    assert "self-approval" in str(exc.value) and "'ana.os'" in str(exc.value)
    assert "--override-reason" in str(exc.value)
    assert champion(name) is None and not any(k.startswith("signoff.") for k in version_tags(name, version))

    decision = signoff.approve(name, version, by="Ana", comment="my own model",
                               override_reason="single-user machine; second reviewer B. Other agreed by mail")
    assert decision.self_approval and decision.os_user == "ana.os" and decision.trained_by == "ana.os"
    assert "overridden: self-approval" in decision.summary()
    tags = version_tags(name, version)
    assert tags["signoff.001.self_approval"] == "true" and tags["signoff.001.os_user"] == "ana.os"
    assert tags["signoff.001.override_reason"].startswith("single-user machine")
    row = signoff.status(name).iloc[0]
    assert row["override_reason"].startswith("single-user machine") and row["trained_by"] == "ana.os"
    assert row["signature"] == "verified"
    history = signoff.decision_history(name, version)
    assert history["self_approval"].tolist() == ["true"] and history["verified"].tolist() == [True]


def test_the_same_approval_passes_when_another_os_user_makes_it(monkeypatch):
    name = unique_model_name()
    version = new_version(name, trainer="ana.os")
    validation_run(name, version)
    monkeypatch.setenv("LOGNAME", "bo.os")
    monkeypatch.setenv("USER", "bo.os")
    decision = signoff.approve(name, version, by="Bo", comment="independent review")
    assert not decision.self_approval and decision.os_user == "bo.os"
    assert version_tags(name, version)["signoff.001.self_approval"] == "false"


def test_self_approval_by_the_by_name_is_refused_whatever_the_os_user():
    name = unique_model_name()
    version = approved_version(name)  # trained by TRAINER; the OS user approving is APPROVER_OS_USER
    with pytest.raises(SignoffRefused) as exc:
        signoff.approve(name, version, by=TRAINER.upper(), comment="looks fine")
    assert "self-approval" in str(exc.value) and "the name given with --by" in str(exc.value)
    decision = signoff.approve(name, version, by=TRAINER, comment="fine", override_reason="committee minute 12")
    assert decision.self_approval and decision.override_reason == "committee minute 12"


def test_a_version_whose_trainer_is_not_recorded_needs_a_reason():
    name = unique_model_name()
    c = tracking.client()
    with tracking.tracked_run("review-tests-training", "train") as run:  # no workbench.user tag
        c.log_text(run.run_id, "not a model", "pd_model/MLmodel.txt")
    c.create_registered_model(name)
    version = str(c.create_model_version(name, source=f"{run.artifact_uri}/pd_model", run_id=run.run_id).version)
    validation_run(name, version)
    with pytest.raises(SignoffRefused, match="self-approval cannot be ruled out"):
        signoff.approve(name, version, by="ana", comment="ok")
    decision = signoff.approve(name, version, by="ana", comment="ok", override_reason="trained before user tags")
    assert decision.trained_by == "unknown" and not decision.self_approval


def test_training_runs_record_who_ran_them():
    from workbench.tracking.provenance import standard_tags

    assert standard_tags(None, None, None)["workbench.user"] == APPROVER_OS_USER
    name = unique_model_name()
    version = new_version(name)
    assert signoff.who_trained(name, version) == (TRAINER, training_run_of(name, version))


# --------------------------------------------------------------------------- aliases and consumers


def test_approval_takes_challenger_off_the_new_champion():
    name = unique_model_name()
    first = approved_version(name)
    assert aliases(name) == {"challenger": first}
    decision = signoff.approve(name, first, by="ana", comment="first")
    assert aliases(name) == {"champion": first}
    assert decision.challenger_removed and "alias challenger removed" in decision.summary()
    second = new_version(name)  # the next training registers the next challenger
    assert aliases(name) == {"champion": first, "challenger": second}
    assert signoff.status(name).set_index("version").loc[first, "aliases"] == "champion"


def test_consumers_use_the_verified_champion():
    name = unique_model_name()
    first = champion_version(name, by="ana")
    new_version(name)  # a newer challenger is not used
    model = signoff.model_for_consumers(name)
    assert (model.version, model.approved, model.alias) == (first, True, "champion")
    assert model.run_id == training_run_of(name, first)
    assert model.signed_off_by == f"ana (OS user {APPROVER_OS_USER})" and model.signed_off_at
    assert model.warning == "" and f"version {first} (champion, signed off by ana" in model.describe()


def test_without_a_champion_consumers_get_the_challenger_flagged_unapproved():
    name = unique_model_name()
    new_version(name)
    second = new_version(name)
    signoff.reject(name, second, by="bo", comment="red grade 7")
    model = signoff.model_for_consumers(name)
    assert (model.version, model.approved, model.alias) == (second, False, "challenger")
    assert model.run_id == training_run_of(name, second)
    assert model.warning.startswith(f"UNAPPROVED model version {second} of {name}")
    assert "rejected by bo" in model.warning and model.describe() == model.warning

    tracking.client().delete_registered_model_alias(name, "challenger")
    third = new_version(name)
    tracking.client().delete_registered_model_alias(name, "challenger")
    fallback = signoff.model_for_consumers(name)
    assert fallback.version == third and fallback.alias == "" and "newest version" in fallback.warning
    with pytest.raises(LookupError, match="no registered model"):
        signoff.model_for_consumers(unique_model_name())


def test_latest_run_built_on_finds_the_calibration_of_that_training_run():
    name = unique_model_name()
    first = champion_version(name)
    second = new_version(name)
    tags = {"workbench.notebook": "notebooks/30_calibrate_pricing.ipynb"}
    runs = {}
    for version in (first, second, first):
        upstream = {"workbench.upstream.20_train_pd_model": training_run_of(name, version)}
        with tracking.tracked_run("pricing-tests", "calibrate", tags={**tags, **upstream}) as run:
            runs.setdefault(version, []).append(run.run_id)
    with tracking.tracked_run("pricing-tests", "other", tags={"workbench.notebook": "notebooks/60_x.ipynb",
                              "workbench.upstream.20_train_pd_model": training_run_of(name, first)}):
        pass
    model = signoff.model_for_consumers(name)
    assert signoff.latest_run_built_on(model, "30_calibrate_pricing") == runs[first][-1]
    third = new_version(name)
    nothing = signoff.ConsumerModel(name, third, training_run_of(name, third), False, "challenger")
    assert signoff.latest_run_built_on(nothing, "30_calibrate_pricing") is None


# --------------------------------------------------------------------------- the approved model consumers use


def test_approval_copies_the_version_into_the_approved_model_and_moves_its_champion():
    name = unique_model_name()
    first = approved_version(name)
    signoff.reject(name, first, by="bo", comment="not yet")  # a decision the copy must not carry
    decision = signoff.approve(name, first, by="ana", comment="first")
    approved = signoff.approved_model_name(name)
    assert approved == f"{name}-approved" and signoff.APPROVED_MODEL_NAME == "key-account-pd-approved"
    copy = tracking.alias_version(approved, "champion")
    assert copy == decision.approved_version and decision.approved_model == approved
    assert f"consumers: {approved}@champion = version {copy}" in decision.summary()
    copied = tracking.get_model_version(approved, copy)
    assert copied.source == f"models:/{name}/{first}" and copied.run_id == training_run_of(name, first)
    assert not [k for k in copied.tags if k.startswith(("signoff.", "champion."))]
    assert copied.tags["approval.by"] == "ana" and copied.tags["approval.source"] == f"{name}/{first}"
    # Re-approving the champion reuses its copy; approving another version copies that one.
    signoff.approve(name, first, by="ana", comment="again")
    assert tracking.version_numbers(approved) == [copy]
    second = champion_version(name, by="bo")
    assert tracking.get_model_version(approved, tracking.alias_version(approved, "champion")).source == \
        f"models:/{name}/{second}"
    assert len(tracking.version_numbers(approved)) == 2


def test_consumers_resolve_the_champion_in_the_approved_model():
    name = unique_model_name()
    first = champion_version(name, by="ana")
    approved = signoff.approved_model_name(name)
    copy = tracking.alias_version(approved, "champion")
    for asked in (name, approved):  # a consumer may name either
        model = signoff.model_for_consumers(asked)
        assert (model.name, model.version, model.approved) == (name, first, True)
        assert (model.approved_model, model.approved_version) == (approved, copy)
        assert model.model_uri == f"models:/{approved}@champion"
        assert f"{approved}@champion = version {copy}" in model.describe()


def test_a_moved_or_removed_champion_of_the_approved_model_is_refused_naming_the_version():
    name = unique_model_name()
    first = champion_version(name)
    second = champion_version(name)
    approved = signoff.approved_model_name(name)
    old_copy = tracking.find_copy(approved, name, first)
    tracking.set_alias(approved, "champion", old_copy)  # around the sign-off
    with pytest.raises(SignoffNotVerified) as exc:
        signoff.model_for_consumers(name)
    assert exc.value.version == second  # the alias of the source model is where the records say
    assert f"{approved}, the model consumers use, points at version {old_copy}, a copy of version {first}" in \
        str(exc.value) and "moved around the sign-off" in str(exc.value)
    with pytest.raises(SignoffNotVerified):
        signoff.approve(name, first, by="bo", comment="no decisions on records that do not verify")

    tracking.client().delete_registered_model_alias(approved, "champion")
    problems = signoff.verify(name).problems()
    assert any(f"alias champion of {approved}" in p and "was removed" in p and f"version {second}" in p
               for p in problems)
    tracking.set_alias(approved, "champion", tracking.find_copy(approved, name, second))
    assert signoff.verify(name).ok


def test_a_store_whose_approvals_predate_the_approved_model_still_serves_its_verified_champion():
    name = unique_model_name()
    first = champion_version(name)
    tracking.client().delete_registered_model(signoff.approved_model_name(name))
    model = signoff.model_for_consumers(name)
    assert (model.version, model.approved, model.approved_model) == (first, True, "")
    assert model.model_uri == f"models:/{name}/{first}"
    signoff.approve(name, first, by="ana", comment="re-approved: makes the approved copy")
    assert signoff.model_for_consumers(name).approved_model == signoff.approved_model_name(name)


def test_under_a_tracking_server_with_auth_decisions_record_and_compare_the_authenticated_user(monkeypatch):
    from workbench.signoff import decisions
    from workbench.tracking.identity import AUTH_SOURCE, Identity

    name = unique_model_name()
    version = new_version(name, trainer="mo.mlflow")
    validation_run(name, version)
    as_modeller = Identity("mo.mlflow", AUTH_SOURCE, APPROVER_OS_USER, server="http://mlflow.bank:5000")
    monkeypatch.setattr(decisions, "current_identity", lambda: as_modeller)
    with pytest.raises(SignoffRefused, match="who is approving it now \\(MLflow user 'mo.mlflow'"):
        signoff.approve(name, version, by="Mo", comment="mine")

    monkeypatch.setattr(decisions, "current_identity", lambda: Identity("val.mlflow", AUTH_SOURCE, APPROVER_OS_USER,
                                                                        server="http://mlflow.bank:5000"))
    decision = signoff.approve(name, version, by="Val", comment="independent")
    assert (decision.user, decision.os_user, decision.self_approval) == ("val.mlflow", APPROVER_OS_USER, False)
    tags = version_tags(name, version)
    assert tags["signoff.001.user"] == tags["signoff.user"] == "val.mlflow"
    record = signoff.verify(name).records[0]
    assert record.user == "val.mlflow" and "user" in record.payload() and record.verifies(signoff.signing_key())
    assert not signoff.Record(**{**record.__dict__, "user": "mallory"}).verifies(signoff.signing_key())
    assert signoff.model_for_consumers(name).signed_off_by == "Val (MLflow user val.mlflow)"
    assert signoff.status(name).iloc[0]["user"] == "val.mlflow"
    assert signoff.decision_history(name, version)["user"].tolist() == ["val.mlflow"]

    monkeypatch.setattr(decisions, "current_identity", lambda: Identity(APPROVER_OS_USER, "os", APPROVER_OS_USER))
    rejected = signoff.reject(name, version, by="Bo", comment="decided without the server's auth")
    assert rejected.user == ""
    assert version_tags(name, version)["signoff.user"] == "none" and signoff.verify(name).ok


def test_records_made_without_auth_are_signed_without_a_user_field():
    name = unique_model_name()
    champion_version(name)
    record = signoff.verify(name).records[0]
    assert record.user == "" and "user" not in record.payload()
    assert "user" not in json.loads(model_tags(name)["signoff.ledger.000001"])
    assert not any(k.endswith(".user") or k == "signoff.user" for k in version_tags(name, record.version))
