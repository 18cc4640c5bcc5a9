"""Runs opened, ended and logged into through RunHandle (a real SQLite store in the test state dir)."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display in tests

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from workbench import tracking


def _experiment() -> str:
    # The store is shared by the session; a fresh experiment keeps tests independent.
    return f"test-{uuid.uuid4().hex[:10]}"


def _status(run_id: str) -> str:
    return tracking.client().get_run(run_id).info.status


def test_tracked_run_finishes_and_nests() -> None:
    exp = _experiment()
    with tracking.tracked_run(exp, "parent", tags={"team": "credit"}) as parent:
        assert _status(parent.run_id) == "RUNNING"
        with tracking.tracked_run(exp, "child", parent_run_id=parent.run_id) as child:
            pass
    assert _status(parent.run_id) == "FINISHED"
    assert _status(child.run_id) == "FINISHED"
    tags = tracking.get_run_tags(child.run_id)
    assert tags["mlflow.parentRunId"] == parent.run_id
    assert tags["mlflow.runName"] == "child"
    assert tracking.get_run_tags(parent.run_id)["team"] == "credit"
    assert "mlflow.parentRunId" not in tracking.get_run_tags(parent.run_id)


def test_tracked_run_marks_failed_and_reraises() -> None:
    with pytest.raises(ValueError, match="boom"):
        with tracking.tracked_run(_experiment(), "bad") as run:
            raise ValueError("boom")
    assert _status(run.run_id) == "FAILED"
    assert tracking.get_run_tags(run.run_id)[tracking.ERROR_TAG] == "ValueError: boom"


def test_tracked_run_marks_keyboard_interrupt_killed() -> None:
    with pytest.raises(KeyboardInterrupt):
        with tracking.tracked_run(_experiment(), "interrupted") as run:
            raise KeyboardInterrupt
    assert _status(run.run_id) == "KILLED"


def test_run_handle_logging(tmp_path: Path) -> None:
    exp = _experiment()
    df = pd.DataFrame({"obligor_id": ["A", "B"], "pd": [0.01, 0.2]})
    assert str(df["obligor_id"].dtype) == "str"  # pandas 3 string dtype is what we must handle

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    with tracking.tracked_run(exp, "logging") as run:
        run.log_params({"xgb": {"max_depth": 3, "eta": 0.1}, "note": "x" * 7000, "when": None})
        run.log_metrics({"valid/auc": 0.8, "valid/brier": float("nan"), "skipped": None}, step=2)
        run.set_tags({"stage": "dev"})
        run.log_figure(fig, "roc")
        run.log_dataframe(df, "scores")
        run.log_dataframe(df, "scores.csv")
        run.log_text("# report", "reports/summary.md")
    plt.close(fig)

    data = tracking.client().get_run(run.run_id).data
    assert data.params["xgb.max_depth"] == "3"
    assert data.params["xgb.eta"] == "0.1"
    assert data.params["when"] == "None"
    assert len(data.params["note"]) == 6000
    assert data.metrics["valid/auc"] == pytest.approx(0.8)
    assert math.isnan(data.metrics["valid/brier"])
    assert "skipped" not in data.metrics
    assert tracking.client().get_metric_history(run.run_id, "valid/auc")[0].step == 2
    assert data.tags["stage"] == "dev"
    assert tracking.list_artifacts(run.run_id) == [
        "figures/roc.png",
        "reports/summary.md",
        "tables/scores.csv",
        "tables/scores.parquet",
    ]
    back = pd.read_parquet(run.download_artifact("tables/scores.parquet", tmp_path / "dl"))
    pd.testing.assert_frame_equal(back, df)
    assert run.download_artifact("figures/roc.png", tmp_path / "dl2").read_bytes()[:4] == b"\x89PNG"


def test_attach_run_to_existing_run_does_not_end_it() -> None:
    exp = _experiment()
    owner = tracking.start_run(exp, "owned-by-runner")
    handle = tracking.attach_run(owner.run_id, experiment=exp, notebook="ok.ipynb")
    assert handle.run_id == owner.run_id and not handle.owned
    handle.log_metrics({"valid/auc": 0.7})
    handle.finish()
    assert _status(owner.run_id) == "RUNNING"  # still the runner's to end
    owner.finish()
    assert _status(owner.run_id) == "FINISHED"


def test_attach_run_interactive_starts_and_finishes_own_run() -> None:
    exp = _experiment()
    handle = tracking.attach_run("", experiment=exp, notebook="20_train_pd_model")
    assert handle.owned
    tags = tracking.get_run_tags(handle.run_id)
    assert tags["workbench.mode"] == "interactive"
    assert tags["workbench.notebook"].endswith("20_train_pd_model.ipynb")
    assert _status(handle.run_id) == "RUNNING"
    handle.finish()
    assert _status(handle.run_id) == "FINISHED"


def test_attach_run_unknown_id_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match="deadbeef"):
        tracking.attach_run("deadbeef" * 4, experiment=_experiment(), notebook="ok.ipynb")
