"""Tests of workbench.runner: papermill execution of tiny fixture notebooks as MLflow runs.

Each executed notebook starts a kernel (a few seconds), so every test that executes
one checks as much as it can of that execution.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import nbformat
import pytest

from workbench import runner, tracking
from workbench.params import ParamsError

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
OK = FIXTURES / "ok.ipynb"
FAILS = FIXTURES / "fails.ipynb"


def _experiment() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def _run(run_id: str):  # -> mlflow.entities.Run, without importing mlflow here
    return tracking.client().get_run(run_id)


def _all_runs() -> set[str]:
    c = tracking.client()
    ids = [e.experiment_id for e in c.search_experiments()]
    return {r.info.run_id for r in c.search_runs(ids, max_results=50000)} if ids else set()


def _children(experiment: str, parent_run_id: str) -> list:
    c = tracking.client()
    exp_id = c.get_experiment_by_name(experiment).experiment_id
    return list(c.search_runs([exp_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent_run_id}'"))


def test_fixture_notebooks_are_clean() -> None:
    for path in (OK, FAILS):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == "python3"
        assert nb.cells[0].metadata.tags == ["parameters"]
        assert all(c.get("outputs", []) == [] for c in nb.cells)


def test_run_notebook_success(isolated_state: Path) -> None:
    exp = _experiment()
    result = runner.run_notebook(OK, None, {"upstream_run_id": "abc"}, experiment=exp)

    run = _run(result.run_id)
    assert result.status == run.info.status == "FINISHED"
    assert result.error is None

    # Executed copies in state_dir/experiments/<notebook>/<UTC stamp>-<run id[:8]>/
    assert result.output_dir.parent == isolated_state / "experiments" / "ok"
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}Z-{result.run_id[:8]}", result.output_dir.name)
    assert result.output_notebook == result.output_dir / "ok.ipynb"
    assert result.html == result.output_dir / "ok.html"
    assert sorted(p.name for p in result.output_dir.iterdir()) == ["ok.html", "ok.ipynb", "scores.csv"]
    assert "<html" in result.html.read_text(encoding="utf-8").lower()

    # The runner injected all four parameters.
    executed = nbformat.read(result.output_notebook, as_version=4)
    assert executed.metadata.papermill.parameters == {
        "params_file": "",
        "overrides": {"upstream_run_id": "abc"},
        "run_id": result.run_id,
        "output_dir": str(result.output_dir),
    }

    # What the kernel logged into the runner's run, and what the runner logged afterwards.
    assert run.data.metrics["valid/auc"] == pytest.approx(0.75)
    assert run.data.tags["fixture.upstream"] == "abc"
    assert run.data.params["upstream_run_id"] == "abc"
    assert tracking.list_artifacts(result.run_id) == ["ok.html", "ok.ipynb", "outputs/scores.csv"]
    assert tracking.run_outputs(result.run_id) == {"scores": str(result.output_dir / "scores.csv")}

    tags = run.data.tags
    assert tags["workbench.notebook"] == "tests/fixtures/notebooks/ok.ipynb"
    assert tags["workbench.mode"] == "papermill"
    assert tags["workbench.output_dir"] == str(result.output_dir)
    for key in ("workbench.git_commit", "workbench.params_hash", "workbench.data_fingerprint", "workbench.version"):
        assert tags[key]
    assert "mlflow.parentRunId" not in tags

    # Artifacts are under the state dir, not ./mlruns of the cwd.
    assert run.info.artifact_uri.startswith((isolated_state / "mlartifacts").as_uri())
    assert tracking.find_latest_run(exp, "ok.ipynb") == result.run_id


def test_run_notebook_failure_marks_failed_and_keeps_notebook() -> None:
    exp = _experiment()
    with pytest.raises(runner.NotebookFailed) as caught:
        runner.run_notebook(FAILS, None, experiment=exp)

    failed = caught.value
    assert isinstance(failed, RuntimeError)
    result = failed.result
    message = str(failed)
    assert "fails" in message and "boom" in message and 'raise ValueError("boom")' in message
    assert str(result.output_notebook) in message

    run = _run(result.run_id)
    assert result.status == run.info.status == "FAILED"
    assert "ValueError: boom" in run.data.tags[tracking.ERROR_TAG]
    assert tracking.list_artifacts(result.run_id) == ["fails.html", "fails.ipynb"]

    # The partially executed notebook shows the error and stops there.
    executed = nbformat.read(result.output_notebook, as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [("ValueError", "boom")]
    last = [c for c in executed.cells if c.cell_type == "code"][-1]
    assert last.source == "never_reached = True" and last.execution_count is None
    assert not list(result.output_dir.glob(".*partial*"))  # only complete files are left

    with pytest.raises(LookupError):
        tracking.find_latest_run(exp, "fails")  # a FAILED run is never picked up downstream


def test_bad_params_fail_before_any_run_or_directory(tmp_path: Path, isolated_state: Path) -> None:
    params = tmp_path / "train.yaml"
    params.write_text("seeed: 1\n")  # misspelt `seed`
    experiments = isolated_state / "experiments"
    runs_before = _all_runs()
    dirs_before = sorted(experiments.rglob("*")) if experiments.exists() else []

    with pytest.raises(ParamsError, match="seeed"):
        runner.run_notebook("20_train_pd_model", params)
    with pytest.raises(ParamsError, match="max_depht"):
        runner.run_notebook("20_train_pd_model", None, {"xgb.max_depht": 4})
    with pytest.raises(ParamsError, match="unknown notebook"):
        runner.run_notebook("99_no_such_notebook", None)

    assert _all_runs() == runs_before
    assert (sorted(experiments.rglob("*")) if experiments.exists() else []) == dirs_before


def test_wrong_kernelspec_is_rejected_before_any_run(tmp_path: Path) -> None:
    nb = json.loads(OK.read_text())
    nb["metadata"]["kernelspec"]["name"] = "conda-env-old-py"
    path = tmp_path / "other_kernel.ipynb"
    path.write_text(json.dumps(nb))
    no_params = tmp_path / "no_params.ipynb"
    nb = json.loads(OK.read_text())
    nb["cells"][0]["metadata"]["tags"] = []
    no_params.write_text(json.dumps(nb))
    runs_before = _all_runs()

    with pytest.raises(ValueError, match="kernelspec name is 'conda-env-old-py'"):
        runner.run_notebook(path, None, experiment=_experiment())
    with pytest.raises(ValueError, match="no code cell tagged 'parameters'"):
        runner.run_notebook(no_params, None, experiment=_experiment())
    with pytest.raises(FileNotFoundError):
        runner.run_notebook(tmp_path / "missing.ipynb", None, experiment=_experiment())
    assert _all_runs() == runs_before


def test_pipeline_nests_runs_and_passes_upstream_run_ids(isolated_state: Path) -> None:
    exp = _experiment()
    steps = [
        runner.PipelineStep(OK, None, step_name="first"),
        runner.PipelineStep(OK, None, {"extra": 1}, upstream={"upstream_run_id": "first"}, step_name="second"),
    ]
    result = runner.run_pipeline(steps, pipeline="fixture-pipeline", experiment=exp, parent_tags={"trigger": "test"})

    parent = _run(result.parent_run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["workbench.pipeline"] == "fixture-pipeline"
    assert parent.data.tags["trigger"] == "test"
    first, second = result.steps
    assert parent.data.tags["workbench.step.first"] == first.run_id
    assert parent.data.tags["workbench.step.second"] == second.run_id
    assert {r.info.run_id for r in _children(exp, result.parent_run_id)} == {first.run_id, second.run_id}

    for step in result.steps:
        run = _run(step.run_id)
        assert run.info.status == "FINISHED"
        assert run.data.tags["mlflow.parentRunId"] == result.parent_run_id
        assert run.data.tags["workbench.pipeline"] == "fixture-pipeline"
        assert step.output_dir.parent == result.output_root == isolated_state / "experiments" / "fixture-pipeline"
        assert {"ok.ipynb", "ok.html"} <= set(tracking.list_artifacts(step.run_id))

    assert _run(second.run_id).data.tags["fixture.upstream"] == first.run_id
    assert _run(second.run_id).data.params["extra"] == "1"
    assert tracking.find_latest_run(exp, "ok") == second.run_id


def test_pipeline_stops_at_first_failure() -> None:
    exp = _experiment()
    steps = [
        runner.PipelineStep(FAILS, None),
        runner.PipelineStep(OK, None, upstream={"upstream_run_id": "fails"}),
    ]
    with pytest.raises(runner.NotebookFailed, match="boom") as caught:
        runner.run_pipeline(steps, pipeline="fixture-broken", experiment=exp)

    partial = caught.value.pipeline_result
    assert partial is not None and [s.status for s in partial.steps] == ["FAILED"]
    parent = _run(partial.parent_run_id)
    assert parent.info.status == "FAILED"
    assert "boom" in parent.data.tags[tracking.ERROR_TAG]
    children = _children(exp, partial.parent_run_id)
    assert [(r.info.run_id, r.info.status) for r in children] == [(caught.value.result.run_id, "FAILED")]


def test_pipeline_rejects_unknown_upstream_before_running() -> None:
    runs_before = _all_runs()
    steps = [
        runner.PipelineStep(OK, None, upstream={"upstream_run_id": "later"}),
        runner.PipelineStep(FAILS, None, step_name="later"),
    ]
    with pytest.raises(ValueError, match="'later', which is not an earlier step"):
        runner.run_pipeline(steps, pipeline="p", experiment=_experiment())
    with pytest.raises(ParamsError, match="seeed"):
        runner.run_pipeline(
            [runner.PipelineStep(OK, None), runner.PipelineStep("20_train_pd_model", None, {"seeed": 1})],
            pipeline="p",
            experiment=_experiment(),
        )
    assert _all_runs() == runs_before


def test_overrides_with_dates_reach_the_notebook_as_text_the_params_model_reads_back():
    from datetime import date

    assert runner.injectable({"split": {"train_end": date(2019, 12, 31)}, "xs": [date(2020, 1, 31)], "n": 3}) == \
        {"split": {"train_end": "2019-12-31"}, "xs": ["2020-01-31"], "n": 3}


def test_runs_and_pipelines_describe_themselves_for_the_mlflow_ui() -> None:
    exp = _experiment()
    steps = [runner.PipelineStep(OK, None, step_name="first")]
    result = runner.run_pipeline(steps, pipeline="described", experiment=exp, description="What it does.")
    parent = _run(result.parent_run_id).data.tags[tracking.NOTE_TAG]
    assert parent.startswith("**Pipeline described**: What it does.")
    assert "- first: finished in" in parent and result.steps[0].run_id[:8] in parent
    child = _run(result.steps[0].run_id).data.tags[tracking.NOTE_TAG]
    assert child.startswith("**ok** (finished") and "ok.ipynb" in child and "ok.html" in child


SLEEPS = FIXTURES / "sleeps.ipynb"


def test_sigterm_ends_the_pipeline_and_the_running_notebook_killed_with_its_cell_named(isolated_state: Path) -> None:
    """What cron or systemd send on a timeout: every run ends KILLED, the partial notebook is logged,
    nothing temporary is left behind and the process exits 143."""
    import os
    import signal
    import subprocess
    import sys
    import time

    exp = _experiment()
    code = (
        "import sys\n"
        "from workbench import runner\n"
        "from workbench.supervise import Terminated, exit_code\n"
        f"steps = [runner.PipelineStep({str(OK)!r}, None, step_name='first'),\n"
        f"         runner.PipelineStep({str(SLEEPS)!r}, None, step_name='second')]\n"
        "try:\n"
        f"    runner.run_pipeline(steps, pipeline='sigterm-{exp}', experiment={exp!r})\n"
        "except Terminated as exc:\n"
        "    sys.exit(exit_code(exc))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ), stderr=subprocess.PIPE, text=True)
    root = isolated_state / "experiments" / f"sigterm-{exp}"
    deadline = time.monotonic() + 180
    while not list(root.glob("*/started")):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the sleeping notebook never started"
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 143
    stderr = proc.stderr.read()
    assert "KILLED" in stderr and "cell In [5] `time.sleep(" in stderr

    c = tracking.client()
    exp_id = c.get_experiment_by_name(exp).experiment_id
    runs = {r.info.run_name: r for r in c.search_runs([exp_id])}
    assert {name: r.info.status for name, r in runs.items()} == {
        f"sigterm-{exp}": "KILLED", "ok": "FINISHED", "sleeps": "KILLED"}
    sleeps = runs["sleeps"]
    assert "SIGTERM" in sleeps.data.tags[tracking.ERROR_TAG] and "cell In [5]" in sleeps.data.tags[tracking.ERROR_TAG]
    assert "sleeps.ipynb" in tracking.list_artifacts(sleeps.info.run_id)  # the partial notebook, logged
    out_dir = Path(sleeps.data.tags["workbench.output_dir"])
    assert not list(out_dir.glob(".*partial*")) and (out_dir / "sleeps.ipynb").is_file()


def test_stale_running_runs_are_recognised_by_process_and_heartbeat_not_by_age() -> None:
    import socket
    import subprocess
    import sys
    import time

    from workbench import supervise

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    exp = _experiment()
    here, now = socket.gethostname(), time.time()
    cases = {
        "killed-here": {supervise.PID_TAG: str(dead.pid), supervise.HOST_TAG: here, supervise.HEARTBEAT_TAG: f"{now:.0f}"},
        "alive-long-tuning": {supervise.PID_TAG: str(os.getpid()), supervise.HOST_TAG: here,
                              supervise.HEARTBEAT_TAG: f"{now - 5:.0f}"},
        "silent-elsewhere": {supervise.PID_TAG: "1", supervise.HOST_TAG: "another-host",
                             supervise.HEARTBEAT_TAG: f"{now - 3600:.0f}"},
        "beating-elsewhere": {supervise.PID_TAG: "1", supervise.HOST_TAG: "another-host",
                              supervise.HEARTBEAT_TAG: f"{now - 10:.0f}"},
        "interactive": {},
    }
    ids = {name: tracking.start_run(exp, name, tags=tags).run_id for name, tags in cases.items()}
    repaired = {r.name: r for r in supervise.repair_stale_runs() if r.experiment == exp}
    assert set(repaired) == {"killed-here", "silent-elsewhere"}
    assert "is gone" in repaired["killed-here"].reason and "no heartbeat" in repaired["silent-elsewhere"].reason
    status = {name: _run(run_id).info.status for name, run_id in ids.items()}
    assert status == {"killed-here": "FAILED", "alive-long-tuning": "RUNNING", "silent-elsewhere": "FAILED",
                      "beating-elsewhere": "RUNNING", "interactive": "RUNNING"}
    assert "marked FAILED by repair" in _run(ids["killed-here"]).data.tags[tracking.ERROR_TAG]
    for run_id in ids.values():
        tracking.end_run(run_id, "KILLED")  # leave the shared store clean
