"""`workbench review approve|reject|status|history`, mounted the way cli.py mounts it."""

from __future__ import annotations

import os

import pytest
import typer
from test_signoff import (  # noqa: F401  (approver_os_user: the autouse fixture fixing the approver's OS user)
    APPROVER_OS_USER,
    GOOD_METRICS,
    TRAINER,
    _elsewhere,
    aliases,
    approved_version,
    approver_os_user,
    champion_version,
    new_version,
    unique_model_name,
    validation_run,
    version_tags,
)
from typer.testing import CliRunner

from workbench import signoff, tracking
from workbench.cli_review import review_app

app = typer.Typer()
app.add_typer(review_app, name="review")


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["review", *args])

    return invoke


def test_cli_approve_without_validation_run_exits_nonzero_naming_the_problem(cli):
    name = unique_model_name()
    version = new_version(name)
    result = cli("approve", name, version, "--by", "ana", "--comment", "ok")
    assert result.exit_code == 1
    assert "no validation run" in result.stderr and "40_review_model" in result.stderr
    assert result.stdout == ""
    assert "champion" not in aliases(name)


def test_cli_approve_prints_champion_move(cli):
    name = unique_model_name()
    first = approved_version(name)
    result = cli("approve", name, first, "--by", "ana", "--comment", "first")
    assert result.exit_code == 0, result.output
    assert f"champion -> version {first} (was none)" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 1

    second = approved_version(name)
    result = cli("approve", name, second, "--by", "bo", "--comment", "better")
    assert result.exit_code == 0, result.output
    assert f"champion -> version {second} (was {first})" in result.stdout
    assert aliases(name)["champion"] == second


def test_cli_red_grade_needs_override_reason_and_records_it(cli):
    name = unique_model_name()
    version = new_version(name)
    validation_run(name, version, {**GOOD_METRICS, "oot/red_grades": 1.0})

    refused = cli("approve", name, version, "--by", "ana", "--comment", "ok")
    assert refused.exit_code == 1 and "red" in refused.stderr and "--override-reason" in refused.stderr

    result = cli("approve", name, version, "--by", "ana", "--comment", "ok", "--override-reason", "[thin grade]")
    assert result.exit_code == 0, result.output
    assert "overridden" in result.stdout
    assert version_tags(name, version)["signoff.001.override_reason"] == "[thin grade]"


def test_cli_reject_of_champion_warns_alias_unchanged(cli):
    name = unique_model_name()
    version = approved_version(name)
    assert cli("approve", name, version, "--by", "ana", "--comment", "first").exit_code == 0
    result = cli("reject", name, version, "--by", "bo", "--comment", "drifted")
    assert result.exit_code == 0, result.output
    assert "rejected" in result.stdout
    assert "still champion" in result.stderr
    assert aliases(name)["champion"] == version


def test_cli_refuses_empty_by_and_missing_options(cli):
    name = unique_model_name()
    version = approved_version(name)
    result = cli("reject", name, version, "--by", "", "--comment", "x")
    assert result.exit_code == 1 and "--by is empty" in result.stderr
    result = cli("approve", name, version, "--comment", "x")
    assert result.exit_code != 0 and "--by" in result.output


def test_cli_status_lists_versions_and_unknown_model_fails(cli):
    name = unique_model_name()
    version = approved_version(name)
    cli("approve", name, version, "--by", "ana", "--comment", "first")
    result = cli("status", name)
    assert result.exit_code == 0, result.output
    assert "champion" in result.stdout and "approved" in result.stdout and "ana" in result.stdout

    result = cli("status", unique_model_name())
    assert result.exit_code == 1 and "no registered model" in result.stderr


def test_cli_status_prints_full_run_ids_when_piped(cli):
    name = unique_model_name()
    version = new_version(name)
    run_id = validation_run(name, version)
    result = cli("status", name)
    assert result.exit_code == 0, result.output
    assert run_id in result.stdout and "challenger" in result.stdout


def test_cli_self_approval_is_refused_then_recorded_with_a_reason_and_shown(cli):
    name = unique_model_name()
    version = new_version(name, trainer=APPROVER_OS_USER)  # the OS user approving trained it
    validation_run(name, version)
    refused = cli("approve", name, version, "--by", "Val", "--comment", "mine")
    assert refused.exit_code == 1
    assert "self-approval" in refused.stderr and "--override-reason" in refused.stderr
    assert "champion" not in aliases(name)

    result = cli("approve", name, version, "--by", "Val", "--comment", "mine", "--override-reason",
                 "[single-user demo machine]")
    assert result.exit_code == 0, result.output
    assert "overridden: self-approval" in result.stdout and "alias challenger removed" in result.stdout
    status = cli("status", name)
    assert status.exit_code == 0, status.output
    assert "[single-user demo machine]" in status.stdout and "verified" in status.stdout
    assert APPROVER_OS_USER in status.stdout
    history = cli("history", name, version)
    assert history.exit_code == 0, history.output
    assert "[single-user demo machine]" in history.stdout and "True" in history.stdout
    assert f"verified (1 signed decisions; champion: version {version})" in history.stdout


def test_cli_approve_by_the_trainers_name_is_a_self_approval(cli):
    name = unique_model_name()
    version = approved_version(name)
    result = cli("approve", name, version, "--by", TRAINER, "--comment", "ok")
    assert result.exit_code == 1 and "the name given with --by" in result.stderr


def test_cli_status_of_tampered_records_exits_2_naming_the_version(cli):
    name = unique_model_name()
    first = champion_version(name)
    second = approved_version(name)
    tracking.client().set_registered_model_alias(name, "champion", second)
    result = cli("status", name)
    assert result.exit_code == 2
    assert "NOT VERIFIED" in result.stdout
    assert f"version {second}: alias champion points at version {second}" in result.stderr
    assert f"makes version {first} champion" in result.stderr

    refused = cli("approve", name, second, "--by", "bo", "--comment", "make it so")
    assert refused.exit_code == 2 and "do not verify" in refused.stderr
    assert len(signoff.verify(name).records) == 1


def test_cli_a_loose_key_file_exits_2_naming_the_file(cli, tmp_path, monkeypatch):
    name = unique_model_name()
    version = approved_version(name)
    _elsewhere(monkeypatch, tmp_path)
    signoff.signing_key(create=True)
    os.chmod(signoff.key_file(), 0o644)
    result = cli("approve", name, version, "--by", "ana", "--comment", "ok")
    assert result.exit_code == 2
    assert str(signoff.key_file()) in result.stderr and "chmod 600" in result.stderr
    assert "Traceback" not in result.output


def test_cli_refuses_in_seconds_a_tracking_server_that_does_not_answer(cli, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on once it is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    for args in (["status", "key-account-pd"], ["approve", "key-account-pd", "1", "--by", "ana", "--comment", "ok"]):
        result = cli(*args)
        assert result.exit_code == 2 and f"127.0.0.1:{port}" in result.stderr and "does not answer" in result.stderr
