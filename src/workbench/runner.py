"""Execute registry jobs with papermill as tracked MLflow runs, alone or as a pipeline.

Jobs and pipelines are declared in ``workbench.jobs``; the runner knows none by name. It
owns every run it opens (DESIGN.md section 5): it validates the params,
opens the run, injects ``params_file``, ``overrides``, ``run_id`` and ``output_dir``
into the notebook's ``parameters`` cell, executes it, exports HTML, logs the executed
``.ipynb`` and the HTML to the run and ends it FINISHED, or FAILED when a cell
raised. The notebook's kernel only logs into the run (``tracking.attach_run``).

Executed notebooks land in
``state_dir()/experiments/<pipeline or notebook>/<UTC timestamp>-<run id[:8]>/``; those of an
as-of report in ``state_dir()/experiments/reports/<kind>/<as_of>/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import nbformat
from pydantic import BaseModel

from workbench import format as fmt
from workbench import jobs, tracking
from workbench.data import ContractParams, read_tables, validate_portfolio
from workbench.data.io import write_text_atomic
from workbench.locking import file_lock
from workbench.params import ParamsError, flatten_params, load_params
from workbench.paths import project_root, reports_dir, resolve_path, state_dir
from workbench.reference import metrics
from workbench.supervise import Heartbeat, Terminated, on_signals, run_identity_tags, signals_deferred

__all__ = [
    "KERNEL_NAME",
    "PARAMETER_NAMES",
    "NotebookResult",
    "NotebookFailed",
    "PipelineStep",
    "PipelineResult",
    "run_notebook",
    "run_pipeline",
    "pipeline_steps",
    "run_registered_pipeline",
]

KERNEL_NAME = "python3"
# What a notebook's `parameters` cell defines; the runner injects all four.
PARAMETER_NAMES = ("params_file", "overrides", "run_id", "output_dir")
DEFAULT_EXPERIMENT = "adhoc"


@dataclass(frozen=True)
class NotebookResult:
    """One executed notebook: its run, status and where the executed copies are."""

    run_id: str
    status: str
    output_notebook: Path | None
    html: Path | None
    output_dir: Path
    error: str | None = None
    name: str = ""
    duration_s: float = 0.0


class NotebookFailed(RuntimeError):
    """A notebook raised in a cell (or could not be executed); its run is marked FAILED.

    ``result`` carries the run id and the partially executed notebook; when raised
    from ``run_pipeline``, ``pipeline_result`` holds the steps that ran.
    """

    def __init__(self, message: str, result: NotebookResult) -> None:
        super().__init__(message)
        self.result = result
        self.pipeline_result: PipelineResult | None = None


@dataclass(frozen=True)
class PipelineStep:
    """One notebook of a pipeline.

    A step is named after its notebook's stem unless ``step_name`` says otherwise (to
    run one notebook twice, e.g. per segment). ``upstream`` maps an override key to the
    name of an earlier step whose run id it receives, e.g.
    ``{"features_run_id": "10_build_features"}``. ``link``, if given, is called with the
    results so far (by step name) and returns further overrides, for wiring that a run
    id alone does not cover.
    """

    notebook: str | Path
    params_file: str | Path | None
    overrides: dict[str, Any] = field(default_factory=dict)
    link: Callable[[Mapping[str, NotebookResult]], Mapping[str, Any]] | None = None
    upstream: dict[str, str] = field(default_factory=dict)
    step_name: str | None = None

    @property
    def name(self) -> str:
        return self.step_name or Path(self.notebook).stem


@dataclass(frozen=True)
class PipelineResult:
    parent_run_id: str
    steps: list[NotebookResult]
    output_root: Path


# --------------------------------------------------------------------------- preparing


@dataclass(frozen=True)
class _Prepared:
    path: Path
    name: str
    experiment: str
    params_file: Path | None
    params: BaseModel | None
    overrides: dict[str, Any]
    job: jobs.Job | None = None


def _echo(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _resolve_params_file(params_file: str | os.PathLike[str] | None) -> Path | None:
    if params_file is None or str(params_file) == "":
        return None
    p = Path(params_file).expanduser()
    # Same rule as workbench.params.load_params: params files are part of the checkout.
    return p if p.is_absolute() else project_root() / p


def _prepare(
    notebook: str | os.PathLike[str],
    params_file: str | os.PathLike[str] | None,
    overrides: Mapping[str, Any] | None,
    experiment: str | None,
    params_model: type[BaseModel] | None,
) -> _Prepared:
    """Resolve the notebook and validate the params; touches neither MLflow nor the disk."""
    text = str(notebook)
    spec: jobs.Job | None
    if Path(text).suffix == ".ipynb":
        path = Path(text).expanduser().resolve()
        spec = jobs.JOBS.get(path.stem)
        if spec is not None and spec.path.resolve() != path:
            spec = None  # a notebook that merely shares a registered name
    else:
        spec = jobs.job(text)  # ParamsError naming the known jobs
        path = spec.path
    model = params_model or (spec.params_model if spec else None)
    resolved_params = _resolve_params_file(params_file)
    overrides = dict(overrides or {})
    params: BaseModel | None = None
    if model is not None:
        # Fail on a misspelt key now, before any run, directory or kernel exists.
        params = load_params(model, resolved_params, overrides)
    elif resolved_params is not None and not resolved_params.is_file():
        raise ParamsError(f"params file not found: {resolved_params}")
    return _Prepared(
        path=path,
        name=path.stem,
        experiment=experiment or (spec.experiment if spec else DEFAULT_EXPERIMENT),
        params_file=resolved_params,
        params=params,
        overrides=overrides,
        job=spec,
    )


def injectable(value: Any) -> Any:
    """``value`` as papermill can write it into the notebook (JSON): dates as ISO text, which the
    params model reads back to the same date (YAML reads `-p as_of=2024-06-30` as a date)."""
    if isinstance(value, Mapping):
        return {str(k): injectable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [injectable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _check_notebook(path: Path) -> None:
    """The notebook exists, runs on the ``python3`` kernel and has a ``parameters`` cell."""
    if not path.is_file():
        raise FileNotFoundError(f"notebook not found: {path}")
    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != KERNEL_NAME:
        raise ValueError(
            f"{path}: kernelspec name is {kernel!r}, expected {KERNEL_NAME!r}; "
            "select the 'Python 3 (workbench)' kernel in JupyterLab and save the notebook"
        )
    tagged = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if not tagged:
        # papermill would only warn and inject the values at the top of the notebook.
        raise ValueError(f"{path}: no code cell tagged 'parameters' to inject {', '.join(PARAMETER_NAMES)} into")


def _default_data_path(params: BaseModel | None, data_path: Path | None) -> Path | None:
    if data_path is not None:
        return Path(data_path)
    # Notebooks that read the portfolio say where in `data_dir`; fingerprint that.
    data_dir = getattr(params, "data_dir", None)
    return resolve_path(data_dir) if isinstance(data_dir, str) and data_dir else None


def _report_dir(prepared: _Prepared) -> Path | None:
    """Where an as-of report is published (``experiments/reports/<kind>/<as_of>/``), or None."""
    if prepared.job is None or not prepared.job.as_of_report:
        return None
    return reports_dir(prepared.job.as_of_report, str(prepared.params.as_of))


def _output_dir(group: str, run_id: str, prepared: _Prepared) -> Path:
    """``experiments/<group>/<UTC stamp>-<run id[:8]>``; for an as-of report a private staging
    folder beside its report folder, which ``_publish_report`` puts in place once the run finished."""
    published = _report_dir(prepared)
    if published is not None:
        path = published.parent / f".{published.name}.{run_id[:8]}.partial"
        path.mkdir(parents=True, exist_ok=False)
        return path
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = state_dir() / "experiments" / group / f"{stamp}-{run_id[:8]}"
    path.mkdir(parents=True, exist_ok=False)
    return path


# --------------------------------------------------------------------------- executing


def notebook_html(nb: nbformat.NotebookNode, hide_input: bool = False) -> str:
    """An executed notebook as one HTML page; ``hide_input`` leaves the code cells and prompts out."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(exclude_input=hide_input, exclude_input_prompt=hide_input,
                           exclude_output_prompt=hide_input).from_notebook_node(nb)
    return body


def _export_html(notebook_path: Path, html_path: Path, hide_input: bool = False) -> Path | None:
    """HTML next to the executed notebook, written atomically; None if the export fails.

    ``hide_input`` (the job's ``hide_code``: a report for readers who do not read code, e.g.
    the validation review) leaves the input cells out.
    """
    try:
        return write_text_atomic(notebook_html(nbformat.read(notebook_path, as_version=4), hide_input), html_path)
    except Exception as exc:  # noqa: BLE001 - a missing HTML must not hide the notebook's own result
        _echo(f"  could not export {notebook_path.name} to HTML: {tracking.error_message(exc)}")
        return None


def _first_line(source: str) -> str:
    line = next((line for line in str(source).splitlines() if line.strip()), "")
    return line if len(line) <= 80 else line[:77] + "..."


def _running_cell(notebook_path: Path | None) -> str | None:
    """Which cell papermill had started and not finished, from the notebook it saves at each cell start."""
    if notebook_path is None or not notebook_path.exists():
        return None
    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except Exception:  # noqa: BLE001 - a notebook cut mid-write says nothing reliable
        return None
    code = [c for c in nb.cells if c.cell_type == "code"]
    # A cell still marked running, else the one the interrupt stopped with an exception, else the
    # last cell that started (papermill marks the rest "completed" when it closes the notebook).
    started = [i for i, c in enumerate(code) if c.metadata.get("papermill", {}).get("start_time")]
    for wanted in (lambda m: m.get("status") == "running", lambda m: m.get("exception") is True):
        hits = [i for i, c in enumerate(code) if wanted(c.metadata.get("papermill", {}))]
        if hits:
            started = hits
            break
    if not started:
        return None
    # Numbered as the executed notebook shows it (papermill's injected-parameters cell counts).
    return f"cell In [{started[-1] + 1}] `{_first_line(code[started[-1]].source)}`"


def _failure_text(exc: BaseException, notebook_path: Path | None = None) -> tuple[str, str]:
    """(error as ``ename: evalue``, which cell) for the tag and the message."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        # exec_count counts papermill's injected-parameters cell too, as the executed notebook shows it.
        return f"{exc.ename}: {exc.evalue}", f"cell In [{exc.exec_count}] `{_first_line(exc.source)}`"
    running = _running_cell(notebook_path)
    text = tracking.error_message(exc) if not isinstance(exc, Terminated) else str(exc)
    return text, running or "before any cell ran (kernel start-up or papermill)"


def run_notebook(
    notebook: str | Path,
    params_file: str | Path | None,
    overrides: dict[str, Any] | None = None,
    *,
    experiment: str | None = None,
    parent_run_id: str | None = None,
    pipeline: str | None = None,
    data_path: Path | None = None,
    params_model: type[BaseModel] | None = None,
) -> NotebookResult:
    """Execute one notebook as an MLflow run and return where everything went.

    ``notebook`` is a registered job (``"20_train_pd_model"``: experiment and params
    model come from ``workbench.jobs``) or a path to any ``.ipynb`` (experiment
    defaults to ``"adhoc"``). Raises ``ParamsError`` before anything is created when
    the params do not validate, and ``NotebookFailed`` after marking the run FAILED
    when a cell raises.
    """
    prepared = _prepare(notebook, params_file, overrides, experiment, params_model)
    _check_notebook(prepared.path)

    tags = tracking.standard_tags(prepared.path, prepared.params, _default_data_path(prepared.params, data_path))
    tags["workbench.mode"] = "papermill"
    tags.update(run_identity_tags())
    if pipeline:
        tags["workbench.pipeline"] = pipeline
    if _report_dir(prepared) is not None:
        tags[tracking.AS_OF_TAG] = str(prepared.params.as_of)  # a failed report run says its as-of too
    if prepared.experiment in jobs.EXPERIMENTS:
        tracking.describe_experiment(prepared.experiment, jobs.EXPERIMENTS[prepared.experiment])
    handle = tracking.start_run(prepared.experiment, prepared.name, parent_run_id=parent_run_id, tags=tags)
    started = time.monotonic()
    try:
        tracking.describe_run(handle.run_id, _run_description(prepared, "RUNNING"))
        if prepared.params is not None:
            handle.log_params(flatten_params(prepared.params))
        elif prepared.overrides:
            handle.log_params(prepared.overrides)
        output_dir = _output_dir(pipeline or prepared.name, handle.run_id, prepared)
        handle.set_tags({"workbench.output_dir": str(output_dir)})
    except BaseException as exc:
        tracking.end_run(handle.run_id, "FAILED", error=tracking.error_message(exc))
        raise

    output_nb = output_dir / f"{prepared.name}.ipynb"
    html_path = output_dir / f"{prepared.name}.html"
    # papermill saves after every cell; write to a partial file and rename at the end so
    # that `<name>.ipynb` is only ever a complete notebook.
    partial_nb = output_dir / f".{prepared.name}.partial.ipynb"
    parameters = {
        "params_file": str(prepared.params_file) if prepared.params_file else "",
        "overrides": injectable(prepared.overrides),
        "run_id": handle.run_id,
        "output_dir": str(output_dir),
    }
    _echo(f"> {prepared.name}: running (run {handle.run_id[:8]}, experiment {prepared.experiment})")

    failure: BaseException | None = None
    try:
        with on_signals(first=interrupt_kernels), Heartbeat(handle.run_id):
            _execute(prepared.path, partial_nb, parameters)
    except BaseException as exc:  # noqa: BLE001 - recorded on the run, then re-raised below
        failure = exc
    # From here on a second SIGTERM must not cut the bookkeeping short: the run ends as recorded.
    with signals_deferred():
        return _finish(prepared, handle, failure, partial_nb, output_nb, html_path, output_dir, started)


def _finish(prepared: _Prepared, handle: tracking.RunHandle, failure: BaseException | None, partial_nb: Path,
            output_nb: Path, html_path: Path, output_dir: Path, started: float) -> NotebookResult:
    """Log the executed (or partial) notebook and its HTML, end the run, say how it went."""
    duration = time.monotonic() - started
    if partial_nb.exists():
        os.replace(partial_nb, output_nb)
    executed = output_nb if output_nb.exists() else None
    hide_code = prepared.job.hide_code if prepared.job is not None else False
    private = prepared.job.private_outputs if prepared.job is not None else False
    html = _export_html(executed, html_path, hide_code) if executed else None
    for path in (executed, html):
        if path is not None and private:
            os.chmod(path, 0o600)  # it names clients: for its owner, never an MLflow artifact
        elif path is not None:
            try:
                handle.log_artifact(path)
            except Exception as exc:  # noqa: BLE001
                _echo(f"  could not log {path.name} to run {handle.run_id}: {tracking.error_message(exc)}")

    status = "FINISHED" if failure is None else ("KILLED" if isinstance(failure, KeyboardInterrupt) else "FAILED")
    final = _run_description(prepared, status, handle.run_id, duration)
    try:  # a notebook that described its run itself (the review's verdict) keeps that text first
        own = tracking.get_run_tags(handle.run_id).get(tracking.NOTE_TAG, "")
    except Exception:  # noqa: BLE001
        own = ""
    _describe_safely(handle.run_id, final if own in ("", _run_description(prepared, "RUNNING")) else f"{own}\n\n{final}")
    published = _report_dir(prepared)
    if failure is None and published is not None:
        try:
            output_dir, executed, html = _publish_report(output_dir, published, executed, html)
            as_of = str(prepared.params.as_of)
            handle.set_tags({"workbench.output_dir": str(output_dir)})
            earlier = tracking.supersede_earlier_runs(handle.run_id, prepared.name, as_of)
            if earlier:
                _echo(f"  replaces the report of {len(earlier)} earlier run(s) for {as_of} (tagged superseded)")
        except BaseException as exc:  # noqa: BLE001 - the run must not stay RUNNING
            failure = exc
    if failure is None:
        tracking.end_run(handle.run_id, "FINISHED")
        _echo(f"  {prepared.name}: FINISHED in {duration:.1f}s -> {output_dir}")
        return NotebookResult(handle.run_id, "FINISHED", executed, html, output_dir, None, prepared.name, duration)

    error_text, where = _failure_text(failure, output_nb if output_nb.exists() else partial_nb)
    tracking.end_run(handle.run_id, status, error=f"{error_text} (in {where})")
    _echo(f"  {prepared.name}: {status} after {duration:.1f}s in {where}: {error_text}")
    if isinstance(failure, KeyboardInterrupt):
        raise failure
    result = NotebookResult(handle.run_id, status, executed, html, output_dir, error_text, prepared.name, duration)
    shown = executed or output_dir
    raise NotebookFailed(
        f"notebook {prepared.name} {status} in {where}: {error_text}\n"
        f"  executed notebook: {shown}\n  MLflow run: {handle.run_id}",
        result,
    ) from failure


def _publish_report(staging: Path, published: Path, executed: Path | None,
                    html: Path | None) -> tuple[Path, Path | None, Path | None]:
    """Put a finished as-of report in place of the earlier one for the same as-of: two renames
    (the earlier folder aside, the new one in), so a reader sees the old or the new report, never
    half of one; a failed run never gets here and leaves the earlier report as it was."""
    aside = published.parent / f".{published.name}.{staging.name.rsplit('.', 2)[-2]}.old"
    # Two runs of the same as-of finishing together publish one after the other, never interleaved.
    with file_lock(state_dir() / "locks" / f"report-{published.parent.name}-{published.name}.lock"):
        if published.exists():
            os.replace(published, aside)
        os.replace(staging, published)
    shutil.rmtree(aside, ignore_errors=True)
    moved = [published / p.name if p is not None else None for p in (executed, html)]
    return published, moved[0], moved[1]


def _run_description(prepared: _Prepared, status: str, run_id: str | None = None, duration: float = 0.0) -> str:
    """The run's description in the MLflow UI: what the notebook does, how to read the run and,
    once it ended, its key figures formatted for people."""
    job = prepared.job
    lines = [f"**{prepared.name}** ({status.lower()}" + (f", {duration:.0f} s)" if duration else ")"),
             job.description if job is not None and job.description else f"Notebook {prepared.path.name}.",
             ("The executed notebook and its HTML report name clients: they stay on disk "
              "(tag workbench.output_dir), readable by their owner only; this run holds ids and figures."
              if job is not None and job.private_outputs else
              f"The executed notebook and its HTML report are the artifacts {prepared.name}.ipynb and "
              f"{prepared.name}.html; params are the validated params of the run.")]
    if run_id and job is not None and job.key_figures:
        logged = tracking.run_metrics(run_id)
        if any(k in logged for k in job.key_figures):
            lines.append("Key figures: " + fmt.metrics_line(logged, job.key_figures) + ".")
    return "\n\n".join(lines)


def _describe_safely(run_id: str, text: str) -> None:
    # A description is for readers; failing to write one must not change how the run ends.
    try:
        tracking.describe_run(run_id, text)
    except Exception as exc:  # noqa: BLE001
        _echo(f"  could not describe run {run_id}: {tracking.error_message(exc)}")


# Kernels this process has started, so that a signal can interrupt them (see interrupt_kernels).
_LIVE_KERNEL_MANAGERS: weakref.WeakSet = weakref.WeakSet()


def interrupt_kernels(signum: int) -> None:
    """Send the running kernels SIGINT: the executing cell raises KeyboardInterrupt and the kernel
    answers again, so papermill saves the partial notebook and shuts the kernel down cleanly."""
    for km in list(_LIVE_KERNEL_MANAGERS):
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGINT)


def socket_kernel_manager(socket_dir: Path) -> type:
    from jupyter_client.manager import KernelManager

    class LocalSocketKernelManager(KernelManager):
        """Talk to the kernel over Unix sockets in this run's private directory, not loopback TCP:
        no port another local user can connect to, no plain-text-TCP warning, and no socket name
        shared with another run (jupyter_client's default ``ip`` for ipc puts them in the cwd)."""

        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", str(socket_dir / "kernel"))
            super().__init__(**kwargs)
            _LIVE_KERNEL_MANAGERS.add(self)

    return LocalSocketKernelManager


def _execute(input_path: Path, output_path: Path, parameters: dict[str, Any]) -> None:
    # The venv's kernelspec (ipykernel install --sys-prefix) must win over a user-level
    # `python3` that may point at another interpreter without workbench installed.
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    import papermill

    # Unix socket paths are limited to about 100 bytes: a short private directory in /tmp (mode 0700).
    socket_dir = Path(tempfile.mkdtemp(prefix="wb-k-"))
    try:
        papermill.execute_notebook(
            str(input_path),
            str(output_path),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            kernel_manager_class=socket_kernel_manager(socket_dir),
            cwd=str(project_root()),
            progress_bar=sys.stderr.isatty(),
            log_output=False,
            request_save_on_cell_execute=True,
        )
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


# --------------------------------------------------------------------------- pipelines


def run_pipeline(
    steps: list[PipelineStep],
    *,
    pipeline: str,
    experiment: str,
    data_path: Path | None = None,
    parent_tags: Mapping[str, Any] | None = None,
    description: str = "",
) -> PipelineResult:
    """Run ``steps`` in order as nested runs of one parent run in ``experiment``.

    Children go into the parent's experiment because the MLflow UI only nests runs
    within one experiment. The first failing step marks itself and the parent FAILED
    and its ``NotebookFailed`` propagates; later steps do not run.
    """
    names = [s.name for s in steps]
    for i, step in enumerate(steps):
        if step.name in names[:i]:
            raise ValueError(f"pipeline {pipeline}: step {step.name} appears twice")
        for key, source in step.upstream.items():
            if source not in names[:i]:
                raise ValueError(
                    f"pipeline {pipeline}: step {step.name} takes {key!r} from {source!r}, "
                    f"which is not an earlier step ({', '.join(names[:i]) or 'none'})"
                )
    # Validate every step's params before the first kernel starts: a typo in step 3
    # should not cost the run time of steps 1 and 2. Upstream run ids are not known
    # yet; a placeholder checks that the key exists.
    for step in steps:
        placeholders = {key: "" for key in step.upstream}
        prepared = _prepare(step.notebook, step.params_file, {**step.overrides, **placeholders}, experiment, None)
        _check_notebook(prepared.path)

    output_root = state_dir() / "experiments" / pipeline
    tags = tracking.standard_tags(None, None, data_path)
    tags.pop("workbench.notebook")
    tags.pop("workbench.params_hash")
    tags.update({"workbench.pipeline": pipeline, "workbench.mode": "pipeline"})
    tags.update({str(k): str(v) for k, v in (parent_tags or {}).items()})

    results: dict[str, NotebookResult] = {}
    started = time.monotonic()
    _echo(f"pipeline {pipeline}: {len(steps)} notebooks, experiment {experiment}")
    tags.update(run_identity_tags())
    with on_signals(first=interrupt_kernels), tracking.tracked_run(experiment, pipeline, tags=tags) as parent, \
            Heartbeat(parent.run_id):
        tracking.describe_run(parent.run_id, _pipeline_description(pipeline, description, steps, {}))
        try:
            for step in steps:
                overrides = dict(step.overrides)
                overrides.update({key: results[source].run_id for key, source in step.upstream.items()})
                if step.link is not None:
                    overrides.update(step.link(dict(results)))
                result = run_notebook(
                    step.notebook,
                    step.params_file,
                    overrides,
                    experiment=experiment,
                    parent_run_id=parent.run_id,
                    pipeline=pipeline,
                    data_path=data_path,
                )
                results[step.name] = result
                parent.set_tags({f"workbench.step.{step.name}": result.run_id})
        except NotebookFailed as exc:
            parent.set_tags({f"workbench.step.{step.name}": exc.result.run_id})
            _describe_safely(parent.run_id, _pipeline_description(pipeline, description, steps,
                                                                  {**results, step.name: exc.result}))
            exc.pipeline_result = PipelineResult(parent.run_id, [*results.values(), exc.result], output_root)
            raise
        parent.log_metrics({metrics.PIPELINE_DURATION_S: time.monotonic() - started})
        _describe_safely(parent.run_id, _pipeline_description(pipeline, description, steps, results))
    _echo(f"pipeline {pipeline}: FINISHED in {time.monotonic() - started:.1f}s (run {parent.run_id[:8]})")
    return PipelineResult(parent.run_id, list(results.values()), output_root)


def _pipeline_description(pipeline: str, description: str, steps: list[PipelineStep],
                          results: Mapping[str, NotebookResult]) -> str:
    """The parent run's description: what the pipeline does and, step by step, its child run."""
    lines = [f"**Pipeline {pipeline}**" + (f": {description}" if description else ""),
             "Each step is a nested run below this one (open it for its metrics, figures and report):"]
    for step in steps:
        done = results.get(step.name)
        state = f"{done.status.lower()} in {done.duration_s:.0f} s, run {done.run_id[:8]}" if done else "not run yet"
        lines.append(f"- {step.name}: {state}")
    return "\n\n".join(lines[:2]) + "\n" + "\n".join(lines[2:])


# --------------------------------------------------------------------------- registered pipelines


def pipeline_steps(name: str, data_dir: str | Path, params_dir: str | Path = "params",
                   overrides: Mapping[str, Mapping[str, Any]] | None = None) -> list[PipelineStep]:
    """The steps of registered pipeline ``name``: each job with its params file from ``params_dir``
    (``params`` or ``params/test``), the portfolio ``data_dir`` for jobs that read one, and the run
    ids of its upstream jobs that run earlier in the pipeline.

    ``overrides`` maps a job name to its extra ``key=value`` overrides.
    """
    spec = jobs.pipeline(name)
    extra = jobs.pipeline_overrides(name, overrides)  # the pipeline's own step params, then the caller's
    unknown = set(extra) - set(spec.jobs)
    if unknown:
        raise ParamsError(f"overrides for unknown pipeline step(s): {', '.join(sorted(unknown))} "
                          f"(pipeline {name}: {', '.join(spec.jobs)})")
    data = str(resolve_path(data_dir))
    steps = []
    for job_name in spec.jobs:
        job = jobs.job(job_name)
        base = {"data_dir": data} if job.reads_portfolio else {}
        upstream = {u.param: u.job for u in job.upstream if u.job in spec.jobs}
        steps.append(PipelineStep(job_name, str(Path(params_dir) / Path(job.params_file).name),
                                  {**base, **extra.get(job_name, {})}, upstream=upstream))
    return steps


def check_portfolio(data_dir: str | Path, contract: ContractParams | None = None) -> list[str]:
    """The whole data contract on the portfolio in ``data_dir``, in this process, before any kernel
    starts: ``DataValidationError`` / ``FileNotFoundError`` naming what is wrong, else the warnings
    (printed here; the notebooks log them)."""
    data_path = resolve_path(data_dir)
    if not data_path.is_dir() or not any(data_path.glob("*.parquet")):
        raise FileNotFoundError(f"no portfolio at {data_path} (expected obligors.parquet, financials.parquet, ...); "
                                f"create one with `workbench data generate --out {data_dir}`")
    # Read without checking (unreadable files still fail here): validate_portfolio reports every problem at once.
    warnings = validate_portfolio(read_tables(data_path, check=False), contract)
    for line in warnings:
        _echo(f"  data warning: {line}")
    return warnings


def _contract_of(name: str, params_dir: str | Path, overrides: Mapping[str, Mapping[str, Any]] | None):
    """The contract params of the pipeline's first job that declares them (the features job)."""
    for step in jobs.pipeline(name).jobs:
        job = jobs.job(step)
        if "contract" in job.params_model.model_fields:
            params = load_params(job.params_model, Path(params_dir) / Path(job.params_file).name,
                                 dict((overrides or {}).get(step, {})))
            return params.contract
    return None


def run_registered_pipeline(name: str, data_dir: str | Path, params_dir: str | Path = "params",
                            overrides: Mapping[str, Mapping[str, Any]] | None = None) -> PipelineResult:
    """Run registered pipeline ``name`` on the portfolio in ``data_dir`` as one parent run, after
    checking the portfolio against the whole data contract (nothing runs when it fails)."""
    data_path = resolve_path(data_dir)
    check_portfolio(data_path, _contract_of(name, params_dir, overrides))
    spec = jobs.pipeline(name)
    if spec.experiment in jobs.EXPERIMENTS:
        tracking.describe_experiment(spec.experiment, jobs.EXPERIMENTS[spec.experiment])
    return run_pipeline(pipeline_steps(name, data_path, params_dir, overrides), pipeline=spec.name,
                        experiment=spec.experiment, data_path=data_path, description=spec.description)
