"""Two pipelines started at the same moment on one fresh state dir both finish, side by side."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.data import write_tables
from workbench.synthetic import GeneratorSettings, generate_portfolio

pytestmark = pytest.mark.notebooks


def test_two_pipelines_started_together_on_a_fresh_store_both_finish_and_overlap(tmp_path: Path):
    state = tmp_path / "state"  # fresh: no mlflow.db, no optuna.db yet, so both create the schemas
    data = state / "data" / "test-portfolio"
    write_tables(generate_portfolio(GeneratorSettings(n_obligors=300, years=6, seed=5)), data)
    env = {**os.environ, "WORKBENCH_STATE_DIR": str(state)}
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [sys.executable, "-m", "workbench.cli", "pipeline", "--data", str(data), "--params-dir", "params/test"]
    procs = [subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n\n".join(outputs)
    assert not list(tmp_path.glob("kernel-ipc-*")), "kernel sockets in the cwd"

    from mlflow.tracking import MlflowClient

    store = MlflowClient(f"sqlite:///{(state / 'mlflow.db').as_posix()}")
    exp = store.get_experiment_by_name("credit-pd")
    parents = store.search_runs([exp.experiment_id], filter_string="tags.`workbench.mode` = 'pipeline'")
    assert len(parents) == 2 and {r.info.status for r in parents} == {"FINISHED"}
    (a, b) = [(r.info.start_time, r.info.end_time) for r in parents]
    assert a[0] < b[1] and b[0] < a[1], "the pipelines ran one after the other, not side by side"
    children = store.search_runs([exp.experiment_id], filter_string="tags.`workbench.mode` = 'papermill'")
    assert len(children) == 8 and {r.info.status for r in children} == {"FINISHED"}
