"""Unattended runs: status files and the notification command of params/operations.yaml."""

from __future__ import annotations

import json
import sys

from typer.testing import CliRunner

from workbench import params as params_module
from workbench.cli import app
from workbench.params import load_params
from workbench.supervise import OperationsParams, notify, write_status


def _recorder(tmp_path) -> str:
    """A notification command that copies the status file it is given to ``tmp_path/heard.json``."""
    heard = tmp_path / "heard.json"
    return f"{sys.executable} -c \"import shutil, sys; shutil.copy(sys.argv[1], {str(heard)!r})\""


def test_the_operations_params_file_is_valid_and_notifies_nobody_by_default():
    assert load_params(OperationsParams, "params/operations.yaml") == OperationsParams()


def test_a_failure_is_notified_with_its_status_file_and_a_success_only_when_asked(tmp_path, isolated_state):
    ops = OperationsParams(notify_command=_recorder(tmp_path))
    ok = write_status("job-a", "FINISHED", run_id="r1")
    assert notify(ops, "FINISHED", ok) is None and not (tmp_path / "heard.json").exists()
    failed = write_status("job-a-failed", "FAILED", message="boom")
    assert notify(ops, "FAILED", failed) is None
    assert json.loads((tmp_path / "heard.json").read_text())["message"] == "boom"
    ok = write_status("job-a", "FINISHED", run_id="r1")
    always = OperationsParams(notify_command=_recorder(tmp_path), notify_on="always")
    assert notify(always, "FINISHED", ok) is None
    assert json.loads((tmp_path / "heard.json").read_text())["status"] == "FINISHED"


def test_a_broken_notification_command_is_reported_but_never_fails_the_job(tmp_path, isolated_state):
    path = write_status("job-b", "FAILED")
    problem = notify(OperationsParams(notify_command=f"{sys.executable} -c 'import sys; sys.exit(3)'"), "FAILED", path)
    assert problem and "exited 3" in problem
    assert "could not run" in notify(OperationsParams(notify_command="/no/such/program"), "FAILED", path)


def test_the_cli_notifies_a_refused_run(tmp_path, monkeypatch, isolated_state):
    original = params_module.load_params

    def with_notification(model, path=None, overrides=None):
        if model is OperationsParams:
            return OperationsParams(notify_command=_recorder(tmp_path))
        return original(model, path, overrides)

    monkeypatch.setattr(params_module, "load_params", with_notification)
    result = CliRunner().invoke(app, ["run", "20_train_pd_model", "-p", "seed=oops"])
    assert result.exit_code == 2
    heard = json.loads((tmp_path / "heard.json").read_text())
    assert heard["job"] == "20_train_pd_model" and heard["status"] == "REFUSED" and "key 'seed'" in heard["message"]
