"""Where runs go: the tracking URI, the client and experiments (a real SQLite store in the test state dir)."""

from __future__ import annotations

import uuid
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display in tests

import pytest

from workbench import tracking


def _experiment() -> str:
    # The store is shared by the session; a fresh experiment keeps tests independent.
    return f"test-{uuid.uuid4().hex[:10]}"


def _status(run_id: str) -> str:
    return tracking.client().get_run(run_id).info.status


def test_default_tracking_uri_is_sqlite_in_state_dir(isolated_state: Path) -> None:
    uri = tracking.tracking_uri()
    assert uri == f"sqlite:///{(isolated_state / 'mlflow.db').as_posix()}"
    assert tracking.client().tracking_uri == uri
    assert tracking.artifact_root() == isolated_state / "mlartifacts"


def test_env_overrides_tracking_uri_and_client_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_state: Path
) -> None:
    other = f"sqlite:///{(tmp_path / 'other.db').as_posix()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", other)
    assert tracking.tracking_uri() == other
    assert tracking.client().tracking_uri == other
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert tracking.client().tracking_uri == f"sqlite:///{(isolated_state / 'mlflow.db').as_posix()}"


def test_experiment_artifacts_live_under_state_dir(isolated_state: Path) -> None:
    name = _experiment()
    exp_id = tracking.ensure_experiment(name)
    assert tracking.ensure_experiment(name) == exp_id  # get, not create twice
    location = tracking.client().get_experiment(exp_id).artifact_location
    assert location == (isolated_state / "mlartifacts" / name).as_uri()

    with tracking.tracked_run(name, "r") as run:
        run.log_text("hello", "notes/hello.txt")
    assert (isolated_state / "mlartifacts" / name / run.run_id / "artifacts" / "notes" / "hello.txt").read_text() == "hello"
