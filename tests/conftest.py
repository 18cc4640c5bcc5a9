"""Shared fixtures: every test writes runs, notebooks and data into a temporary state dir."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point WORKBENCH_STATE_DIR and MLflow at a per-session temporary directory.

    The directory is shared by the session so the SQLite schema is migrated once;
    tests that need a pristine store make their own.
    """
    state = tmp_path_factory.getbasetemp() / "state"
    state.mkdir(exist_ok=True)
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(state))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return state
