"""How steps find each other: the latest finished run of a notebook, recorded outputs."""

from __future__ import annotations

import time
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


def test_find_latest_run_picks_latest_finished() -> None:
    exp = _experiment()

    def run(notebook: str, status: str) -> str:
        handle = tracking.start_run(exp, Path(notebook).stem, tags={"workbench.notebook": notebook})
        if status != "RUNNING":
            tracking.end_run(handle.run_id, status)
        time.sleep(0.01)  # distinct start times (milliseconds)
        return handle.run_id

    run("notebooks/10_build_features.ipynb", "FINISHED")
    latest = run("notebooks/10_build_features.ipynb", "FINISHED")
    run("notebooks/10_build_features.ipynb", "FAILED")
    run("notebooks/10_build_features.ipynb", "RUNNING")
    run("notebooks/10_build_features_v2.ipynb", "FINISHED")
    run("notebooks/110_build_features.ipynb", "FINISHED")

    assert tracking.find_latest_run(exp, "10_build_features.ipynb") == latest
    assert tracking.find_latest_run(exp, "10_build_features") == latest
    with pytest.raises(LookupError, match=rf"20_train_pd_model.*{exp}"):
        tracking.find_latest_run(exp, "20_train_pd_model")
    with pytest.raises(LookupError, match="no-such-experiment"):
        tracking.find_latest_run("no-such-experiment", "10_build_features")


def test_record_and_resolve_output(tmp_path: Path) -> None:
    produced = tmp_path / "features.parquet"
    produced.write_bytes(b"PAR1 features")
    with tracking.tracked_run(_experiment(), "producer") as run:
        run.record_output("features", produced)

    assert tracking.run_outputs(run.run_id) == {"features": str(produced.resolve())}
    assert "outputs/features.parquet" in tracking.list_artifacts(run.run_id)
    assert tracking.resolve_output(run.run_id, "features") == produced.resolve()

    produced.unlink()  # e.g. the experiments/ folder was cleaned: fall back to the artifact
    fetched = tracking.resolve_output(run.run_id, "features", tmp_path / "download")
    assert fetched != produced and fetched.read_bytes() == b"PAR1 features"

    with pytest.raises(LookupError, match="features"):
        tracking.resolve_output(run.run_id, "labels")
