"""Tests of workbench.tracking against a real SQLite MLflow store in the test state dir."""

from __future__ import annotations

import math
import subprocess
import time
import uuid
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display in tests

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from workbench import __version__, config, tracking


def _experiment() -> str:
    # The store is shared by the session; a fresh experiment keeps tests independent.
    return f"test-{uuid.uuid4().hex[:10]}"


def _status(run_id: str) -> str:
    return tracking.client().get_run(run_id).info.status


# --------------------------------------------------------------------------- where runs go


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


# --------------------------------------------------------------------------- provenance


def test_data_fingerprint_tracks_names_and_bytes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.parquet").write_bytes(b"one")
    (data / "sub" / "b.parquet").write_bytes(b"two")

    first = tracking.data_fingerprint(data)
    assert len(first) == 16 and int(first, 16) >= 0
    assert tracking.data_fingerprint(data) == first

    (data / "sub" / "b.parquet").write_bytes(b"TWO")
    changed = tracking.data_fingerprint(data)
    assert changed != first

    (data / "sub" / "b.parquet").rename(data / "sub" / "c.parquet")
    assert tracking.data_fingerprint(data) != changed

    single = tracking.data_fingerprint(data / "a.parquet")
    (data / "a.parquet").write_bytes(b"uno")
    assert tracking.data_fingerprint(data / "a.parquet") != single

    assert tracking.data_fingerprint(tmp_path / "nope") == "missing"


def _fake_checkout(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text('[project]\nname = "workbench"\n')
    return path


def test_git_commit_outside_a_repo_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_checkout(tmp_path / "checkout")
    monkeypatch.setenv("WORKBENCH_ROOT", str(root))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # do not find a repo above tmp
    assert tracking.git_commit() == "unknown"


def test_git_commit_reports_head_and_dirty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_checkout(tmp_path / "checkout")
    monkeypatch.setenv("WORKBENCH_ROOT", str(root))

    def git(*args: str) -> str:
        cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args]
        return subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    git("add", "pyproject.toml")
    git("commit", "-q", "-m", "init")
    head = git("rev-parse", "HEAD")
    assert tracking.git_commit() == head
    (root / "pyproject.toml").write_text('[project]\nname = "workbench"\n# edited\n')
    assert tracking.git_commit() == f"{head}-dirty"


def test_standard_tags(tmp_path: Path) -> None:
    params = config.TrainPDParams(seed=7)
    data = tmp_path / "d.parquet"
    data.write_bytes(b"x")
    nb = config.project_root() / "notebooks" / "20_train_pd_model.ipynb"

    tags = tracking.standard_tags(nb, params, data)

    assert set(tags) == {
        "workbench.git_commit",
        "workbench.params_hash",
        "workbench.data_fingerprint",
        "workbench.notebook",
        "workbench.version",
    }
    assert tags["workbench.params_hash"] == config.params_hash(params)
    assert tags["workbench.data_fingerprint"] == tracking.data_fingerprint(data)
    assert tags["workbench.notebook"] == "notebooks/20_train_pd_model.ipynb"  # relative to the checkout
    assert tags["workbench.version"] == __version__
    assert all(isinstance(v, str) and v for v in tags.values())


# --------------------------------------------------------------------------- runs


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
