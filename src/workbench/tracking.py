"""MLflow tracking for the workbench: the only module in the project that imports mlflow.

Everything else (the runner, the CLI, notebooks) goes through the functions here so
that the conventions of DESIGN.md section 5 hold in one place:

* Where runs go: ``tracking_uri()`` is ``MLFLOW_TRACKING_URI`` or an SQLite file in
  the state dir, and artifacts of local stores land in ``state_dir()/mlartifacts``,
  never in an ``./mlruns`` relative to whatever the cwd happens to be.
* What every run carries: ``standard_tags()`` (git commit, params hash, data
  fingerprint, notebook, workbench version).
* Who owns a run: the runner opens a run with ``start_run``/``tracked_run`` and
  passes its id into the notebook; the notebook's kernel ``attach_run``s to it and
  logs through a ``RunHandle``, which uses ``MlflowClient`` calls only. The fluent
  ``mlflow.start_run`` is avoided on purpose: it would make the kernel the owner of
  the run and end it (FINISHED) when the kernel exits, before the runner has logged
  the executed notebook or found out that a cell failed.
* How steps find each other: notebooks record the files they produce with
  ``RunHandle.record_output``; a later step looks them up with ``find_latest_run``,
  ``run_outputs`` and ``resolve_output``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

# No usage telemetry leaves a bank's machine (and this one has no internet to send it to).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow  # noqa: E402
import mlflow.artifacts
import mlflow.pyfunc
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from mlflow.utils.validation import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAM_VAL_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH,
    MAX_TAG_VAL_LENGTH,
)

import workbench
from workbench import config

import pandas as pd  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from mlflow.entities import Run, RunInfo
    from pydantic import BaseModel

__all__ = [
    "TAG_PREFIX",
    "OUTPUT_TAG_PREFIX",
    "ERROR_TAG",
    "tracking_uri",
    "artifact_root",
    "client",
    "ensure_experiment",
    "data_fingerprint",
    "git_commit",
    "standard_tags",
    "RunHandle",
    "start_run",
    "tracked_run",
    "attach_run",
    "find_latest_run",
    "find_latest_run_in",
    "get_run_tags",
    "run_outputs",
    "resolve_output",
    "list_artifacts",
    "error_message",
    "end_run",
    "MlflowException",
    "alias_version",
    "resolve_model_version",
    "load_pd_model_version",
    "load_alias_model",
    "run_metrics",
    "run_params",
]

_log = logging.getLogger(__name__)

TAG_PREFIX = "workbench."
OUTPUT_TAG_PREFIX = "workbench.output."
ERROR_TAG = "workbench.error"
PARENT_RUN_TAG = "mlflow.parentRunId"
RUN_NAME_TAG = "mlflow.runName"
# Room for the exception text in a tag; MLflow's own limit is MAX_TAG_VAL_LENGTH.
_ERROR_TEXT_LIMIT = 4000


# --------------------------------------------------------------------------- where runs go


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else ``sqlite:///<state dir>/mlflow.db`` (absolute)."""
    env = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if env:
        return env
    # sqlite:/// + an absolute POSIX path gives four slashes, which SQLAlchemy reads as absolute.
    return f"sqlite:///{(config.state_dir() / 'mlflow.db').as_posix()}"


def artifact_root() -> Path:
    """Where local stores keep artifacts: ``state_dir()/mlartifacts``."""
    return config.state_dir() / "mlartifacts"


@functools.lru_cache(maxsize=8)
def _client_for(uri: str) -> MlflowClient:
    # Building the SQLAlchemy store checks the schema (about a second); cache it per URI.
    return MlflowClient(tracking_uri=uri)


def client() -> MlflowClient:
    """An ``MlflowClient`` on ``tracking_uri()``; the environment is re-read on every call."""
    uri = tracking_uri()
    # Keep the fluent API (mlflow.models.evaluate, mlflow.xgboost.log_model, ...) pointed at
    # the same store as the client, whatever the kernel or a test changed in between.
    if mlflow.get_tracking_uri() != uri:
        mlflow.set_tracking_uri(uri)
    return _client_for(uri)


def _is_local_store(uri: str) -> bool:
    # An SQLite store has no artifact server: MLflow would default the artifact location
    # to ./mlruns under the cwd of whoever happened to create the experiment first.
    return uri.startswith("sqlite:")


def _safe_dir_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "experiment"


def ensure_experiment(name: str) -> str:
    """The id of experiment ``name``, created (or restored from the bin) if needed."""
    c = client()
    exp = c.get_experiment_by_name(name)
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            # A deleted experiment still owns its name; creating a new one would fail.
            c.restore_experiment(exp.experiment_id)
        return exp.experiment_id
    location = None
    if _is_local_store(tracking_uri()):
        location = (artifact_root() / _safe_dir_name(name)).as_uri()
    try:
        return c.create_experiment(name, artifact_location=location)
    except MlflowException:
        # Another process (a notebook kernel, a parallel job) created it in between.
        exp = c.get_experiment_by_name(name)
        if exp is None:
            raise
        return exp.experiment_id


# --------------------------------------------------------------------------- provenance


def data_fingerprint(path: str | os.PathLike[str] | None) -> str:
    """First 16 hex of a sha256 over the sorted relative file names and bytes under ``path``.

    A single file hashes its name and bytes; an absent path gives ``"missing"``.
    """
    if path is None:
        return "missing"
    p = Path(path)
    if not p.exists():
        return "missing"
    if p.is_file():
        files = [(p.name, p)]
    else:
        files = sorted((f.relative_to(p).as_posix(), f) for f in p.rglob("*") if f.is_file())
    digest = hashlib.sha256()
    for rel, f in files:
        # Separators keep ("ab", "c") and ("a", "bc") from hashing alike.
        digest.update(rel.encode("utf-8") + b"\0")
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def git_commit() -> str:
    """``git rev-parse HEAD`` of the project (``-dirty`` if it has changes), else ``"unknown"``."""
    try:
        root = config.project_root()
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        if not head:
            return "unknown"
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        return f"{head}-dirty" if status else head
    except Exception:  # no git, not a repo, no commit yet, timeout: provenance must never break a run
        return "unknown"


def _notebook_label(notebook_path: str | os.PathLike[str] | None) -> str:
    if notebook_path is None or str(notebook_path) == "":
        return "none"
    p = Path(notebook_path)
    try:
        # Relative to the checkout so that tags read the same on every machine.
        return p.resolve().relative_to(config.project_root()).as_posix()
    except (ValueError, RuntimeError, OSError):
        return p.as_posix()


def standard_tags(
    notebook_path: str | os.PathLike[str] | None,
    params: BaseModel | None,
    data_path: str | os.PathLike[str] | None,
) -> dict[str, str]:
    """The tags every run carries (DESIGN.md section 5)."""
    return {
        "workbench.git_commit": git_commit(),
        "workbench.params_hash": config.params_hash(params) if params is not None else "none",
        "workbench.data_fingerprint": data_fingerprint(data_path) if data_path is not None else "none",
        "workbench.notebook": _notebook_label(notebook_path),
        "workbench.version": workbench.__version__,
    }


# --------------------------------------------------------------------------- logging into a run


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def error_message(exc: BaseException) -> str:
    """``"ValueError: boom"``, truncated to fit a tag."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return _truncate(text, _ERROR_TEXT_LIMIT)


_TAG_NAME_RE = re.compile(r"^[A-Za-z0-9_\-. /]+$")


class RunHandle:
    """A run addressed by id, logged to through ``MlflowClient`` only.

    ``owned`` says whether this handle created the run (and so ends it in
    ``finish()``) or merely logs into a run that someone else, usually the runner,
    will end.
    """

    def __init__(self, run_id: str, *, owned: bool = False) -> None:
        self.run_id = run_id
        self.owned = owned

    def __repr__(self) -> str:
        return f"RunHandle(run_id={self.run_id!r}, owned={self.owned})"

    # -- reading

    @property
    def run(self) -> Run:
        return client().get_run(self.run_id)

    @property
    def info(self) -> RunInfo:
        """Status, start/end time, experiment id, artifact URI, ... as MLflow reports them now."""
        return self.run.info

    @property
    def status(self) -> str:
        return self.info.status

    @property
    def artifact_uri(self) -> str:
        return self.info.artifact_uri

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.run.data.tags)

    def download_artifact(self, path: str, dst_path: str | os.PathLike[str] | None = None) -> Path:
        """Fetch artifact ``path`` (file or directory) to ``dst_path`` or a fresh temp dir."""
        local = mlflow.artifacts.download_artifacts(
            run_id=self.run_id,
            artifact_path=path,
            dst_path=str(dst_path) if dst_path is not None else None,
            tracking_uri=tracking_uri(),
        )
        return Path(local)

    def list_artifacts(self, path: str | None = None) -> list[str]:
        """All artifact file paths under ``path``, recursively."""
        return list_artifacts(self.run_id, path)

    # -- writing

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log params, nested mappings flattened to dotted keys, values as (truncated) strings."""
        flat = _flatten(params)
        items = [Param(str(k), _truncate(str(v), MAX_PARAM_VAL_LENGTH)) for k, v in flat.items()]
        for chunk in _chunks(items, MAX_PARAMS_TAGS_PER_BATCH):
            client().log_batch(self.run_id, params=chunk)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Log numeric metrics (``split/metric`` names); ``None`` values are skipped with a warning.

        NaN and inf are logged as such: a NaN AUC is information a reviewer should see.
        """
        timestamp = int(time.time() * 1000)
        items: list[Metric] = []
        for key, value in _flatten(metrics).items():
            if value is None:
                _log.warning("metric %s is None; not logged", key)
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"metric {key!r} is not a number: {value!r}") from None
            items.append(Metric(str(key), number, timestamp, step or 0))
        for chunk in _chunks(items, MAX_METRICS_PER_BATCH):
            client().log_batch(self.run_id, metrics=chunk)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        items = [RunTag(str(k), _truncate(str(v), MAX_TAG_VAL_LENGTH)) for k, v in tags.items()]
        for chunk in _chunks(items, MAX_PARAMS_TAGS_PER_BATCH):
            client().log_batch(self.run_id, tags=chunk)

    def log_artifact(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Log a file, or a directory's contents, under ``artifact_path``."""
        p = Path(path)
        if p.is_dir():
            client().log_artifacts(self.run_id, str(p), artifact_path)
        elif p.is_file():
            client().log_artifact(self.run_id, str(p), artifact_path)
        else:
            raise FileNotFoundError(f"cannot log artifact {p}: no such file or directory")

    def log_figure(self, fig: Figure, name: str, *, dpi: int = 120) -> str:
        """Save a matplotlib Figure as PNG and log it as ``figures/<name>.png``; returns that path."""
        filename = name if name.lower().endswith(".png") else f"{name}.png"
        with tempfile.TemporaryDirectory(prefix="wb-fig-") as tmp:
            target = Path(tmp) / filename
            fig.savefig(target, format="png", dpi=dpi, bbox_inches="tight")
            self.log_artifact(target, "figures")
        return f"figures/{filename}"

    def log_dataframe(self, df: pd.DataFrame, name: str, *, artifact_path: str = "tables") -> str:
        """Log a DataFrame as ``tables/<name>``: ``.csv`` if the name says so, else Parquet."""
        suffix = Path(name).suffix.lower()
        filename = name if suffix in {".csv", ".parquet"} else f"{name}.parquet"
        with tempfile.TemporaryDirectory(prefix="wb-df-") as tmp:
            target = Path(tmp) / filename
            if filename.lower().endswith(".csv"):
                df.to_csv(target, index=False)
            else:
                # pyarrow maps pandas 3's default `str` dtype to an Arrow string column.
                df.to_parquet(target, index=False)
            self.log_artifact(target, artifact_path)
        return f"{artifact_path}/{filename}"

    def log_text(self, text: str, name: str) -> None:
        """Log ``text`` as artifact file ``name`` (may contain a directory, e.g. ``reports/x.md``)."""
        client().log_text(self.run_id, text, name)

    def record_output(self, name: str, path: str | os.PathLike[str]) -> Path:
        """Record a produced file: tag ``workbench.output.<name>`` = its absolute path, and log it
        under ``outputs/`` so it survives the local file being cleaned up."""
        if not _TAG_NAME_RE.match(name):
            raise ValueError(f"output name {name!r} may only contain letters, digits, '_', '-', '.', ' ', '/'")
        p = config.resolve_path(path)
        if not p.exists():
            raise FileNotFoundError(f"cannot record output {name!r}: {p} does not exist")
        self.log_artifact(p, "outputs/" + p.name if p.is_dir() else "outputs")
        self.set_tags({OUTPUT_TAG_PREFIX + name: str(p)})
        return p

    def record_outputs(self, outputs: Mapping[str, str | os.PathLike[str]]) -> dict[str, Path]:
        """``record_output`` for each ``{name: path}``."""
        return {name: self.record_output(name, path) for name, path in outputs.items()}

    def output_dir(self, given: str | os.PathLike[str] = "") -> Path:
        """Where this notebook writes its files: the runner's ``output_dir`` when given,
        else ``experiments/interactive/<UTC timestamp>-<run id[:8]>`` under the state dir."""
        if given:
            path = config.resolve_path(given)
        else:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            path = config.state_dir() / "experiments" / "interactive" / f"{stamp}-{self.run_id[:8]}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def upstream(self, run_id: str, notebook: str) -> str:
        """The run of an upstream notebook this one reads from: ``run_id`` if given, else the
        latest FINISHED run of ``notebook`` in its experiment. Recorded as tag
        ``workbench.upstream.<notebook>`` so a reviewer can follow the lineage."""
        if not run_id:
            run_id = find_latest_run(config.notebook_spec(notebook).experiment, notebook)
        else:
            client().get_run(run_id)  # fails clearly on a mistyped id
        self.set_tags({f"workbench.upstream.{Path(notebook).stem}": run_id})
        return run_id

    def upstream_output(self, run_id: str, notebook: str, name: str) -> Path:
        """Local path of output ``name`` recorded by the upstream run (see ``upstream``)."""
        return resolve_output(self.upstream(run_id, notebook), name)

    def finish(self, status: str = "FINISHED") -> None:
        """End the run if this handle created it; a no-op for runs the runner owns."""
        if self.owned:
            client().set_terminated(self.run_id, status)

    def __enter__(self) -> RunHandle:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None:
            self.finish("FINISHED")
            return
        if self.owned:
            _mark_failed(self.run_id, exc)


def end_run(run_id: str, status: str = "FINISHED", *, error: str | None = None) -> None:
    """End a run with ``status``; with ``error``, tag it ``workbench.error`` first.

    Ending a run as FAILED or KILLED never raises: tracking trouble while recording a
    failure must not hide the failure itself.
    """
    try:
        c = client()
        if error is not None:
            c.set_tag(run_id, ERROR_TAG, _truncate(error, _ERROR_TEXT_LIMIT))
        c.set_terminated(run_id, status)
    except Exception:
        if status == "FINISHED":
            raise
        _log.exception("could not mark MLflow run %s as %s", run_id, status)


def _mark_failed(run_id: str, exc: BaseException) -> None:
    status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
    end_run(run_id, status, error=error_message(exc))


# --------------------------------------------------------------------------- opening runs


def start_run(
    experiment: str,
    run_name: str,
    *,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> RunHandle:
    """Create a RUNNING run (nested under ``parent_run_id`` if given); the caller ends it."""
    all_tags = {str(k): _truncate(str(v), MAX_TAG_VAL_LENGTH) for k, v in (tags or {}).items()}
    all_tags.pop(RUN_NAME_TAG, None)  # run_name wins; MLflow rejects a conflicting tag
    if parent_run_id:
        all_tags[PARENT_RUN_TAG] = parent_run_id
    run = client().create_run(ensure_experiment(experiment), tags=all_tags, run_name=run_name)
    return RunHandle(run.info.run_id, owned=True)


@contextlib.contextmanager
def tracked_run(
    experiment: str,
    run_name: str,
    *,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> Iterator[RunHandle]:
    """A run that ends FINISHED on normal exit, FAILED on an exception (tagged with
    ``workbench.error``, then re-raised) and KILLED on KeyboardInterrupt."""
    handle = start_run(experiment, run_name, parent_run_id=parent_run_id, tags=tags)
    try:
        yield handle
    except BaseException as exc:
        _mark_failed(handle.run_id, exc)
        raise
    else:
        end_run(handle.run_id, "FINISHED")


def attach_run(run_id: str, *, experiment: str, notebook: str) -> RunHandle:
    """Called from a notebook's second cell.

    Under the runner ``run_id`` is injected: return a handle on that run (the runner
    ends it). Empty ``run_id`` means a modeller is running the notebook in JupyterLab:
    start a run of our own, tagged ``workbench.mode=interactive``; ``finish()`` ends it.
    """
    if run_id:
        try:
            client().get_run(run_id)
        except MlflowException as exc:
            raise LookupError(
                f"MLflow run {run_id!r} (notebook {notebook}) not found at {tracking_uri()}: {exc.message}"
            ) from None
        return RunHandle(run_id, owned=False)
    tags = standard_tags(_notebook_path_for(notebook), None, None)
    tags["workbench.mode"] = "interactive"
    return start_run(experiment, Path(notebook).stem, tags=tags)


def _notebook_path_for(notebook: str) -> str | Path:
    # A bare name like "20_train_pd_model" means the project's notebook of that name.
    p = Path(notebook)
    if p.suffix == "" and p.parent == Path("."):
        p = p.with_suffix(".ipynb")
    if not p.is_absolute() and p.parent == Path("."):
        candidate = config.project_root() / "notebooks" / p.name
        if candidate.exists():
            return candidate
    return p


# --------------------------------------------------------------------------- finding runs


def _notebook_matches(tag_value: str, notebook: str) -> bool:
    wanted = Path(notebook)
    have = Path(tag_value)
    if wanted.suffix == ".ipynb":
        return have.name == wanted.name
    return have.stem == wanted.name and have.suffix in {"", ".ipynb"}


def find_latest_run(experiment: str, notebook: str) -> str:
    """Run id of the most recent FINISHED run of ``notebook`` (name or stem) in ``experiment``."""
    c = client()
    exp = c.get_experiment_by_name(experiment)
    if exp is None:
        raise LookupError(f"no MLflow experiment {experiment!r} at {tracking_uri()}, so no run of {notebook}")
    stem = Path(notebook).stem
    filter_string = "attributes.status = 'FINISHED'"
    if "'" not in stem and "%" not in stem:
        # LIKE narrows the search in the store ('_' matches any character there, and MLflow's
        # filter grammar has no escape), so the exact name is checked below.
        filter_string += f" and tags.`workbench.notebook` LIKE '%{stem}%'"
    page_token = None
    while True:
        runs = c.search_runs(
            [exp.experiment_id],
            filter_string=filter_string,
            order_by=["attributes.start_time DESC"],
            max_results=200,
            page_token=page_token,
        )
        for run in runs:
            if _notebook_matches(run.data.tags.get("workbench.notebook", ""), notebook):
                return run.info.run_id
        page_token = runs.token
        if not page_token:
            break
    raise LookupError(
        f"no FINISHED run of notebook {notebook!r} in MLflow experiment {experiment!r}; run it first "
        f"(e.g. `workbench run {stem}`) or pass its run id explicitly"
    )


def find_latest_run_in(experiments: list[str], notebook: str) -> str | None:
    """The most recent FINISHED run of ``notebook`` over several experiments (a notebook run alone
    lands in its own experiment, inside a pipeline in the pipeline's), or None."""
    found = []
    for name in experiments:
        try:
            run_id = find_latest_run(name, notebook)
        except LookupError:
            continue
        found.append((client().get_run(run_id).info.start_time, run_id))
    return max(found)[1] if found else None


def get_run_tags(run_id: str) -> dict[str, str]:
    return dict(client().get_run(run_id).data.tags)


def run_outputs(run_id: str) -> dict[str, str]:
    """The outputs a run recorded: ``{name: absolute path}`` from its ``workbench.output.*`` tags."""
    return {
        key[len(OUTPUT_TAG_PREFIX) :]: value
        for key, value in get_run_tags(run_id).items()
        if key.startswith(OUTPUT_TAG_PREFIX)
    }


def resolve_output(run_id: str, name: str, dst_path: str | os.PathLike[str] | None = None) -> Path:
    """A recorded output as a local path: the recorded file if it is still there, otherwise
    the copy logged under ``outputs/`` (downloaded to ``dst_path`` or a temp dir)."""
    outputs = run_outputs(run_id)
    if name not in outputs:
        known = ", ".join(sorted(outputs)) or "none"
        raise LookupError(f"run {run_id} recorded no output {name!r} (recorded: {known})")
    recorded = Path(outputs[name])
    if recorded.exists():
        return recorded
    return RunHandle(run_id).download_artifact(f"outputs/{recorded.name}", dst_path)


def list_artifacts(run_id: str, path: str | None = None) -> list[str]:
    """Every artifact file path of a run under ``path``, recursively, sorted."""
    c = client()
    found: list[str] = []
    pending = [path]
    while pending:
        current = pending.pop()
        for info in c.list_artifacts(run_id, current):
            (pending if info.is_dir else found).append(info.path)
    return sorted(found)



# --------------------------------------------------------------------------- reviewing


def ui_command(host: str = "127.0.0.1", port: int = 5000) -> list[str]:
    """The ``mlflow ui`` command line for this project's store and artifact root."""
    return [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", tracking_uri(),
            "--default-artifact-root", artifact_root().as_uri(), "--host", host, "--port", str(port)]


def run_url(run_id: str, host: str = "127.0.0.1", port: int = 5000) -> str:
    """Where ``make ui`` shows a run."""
    run = client().get_run(run_id)
    return f"http://{host}:{port}/#/experiments/{run.info.experiment_id}/runs/{run_id}"


def run_overview(run_ids: list[str], metrics: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Name, status, chosen metrics and artifact count of each run, for summaries printed to users."""
    rows = []
    for run_id in run_ids:
        run = client().get_run(run_id)
        row: dict[str, Any] = {"run": run.info.run_name, "run_id": run_id, "status": run.info.status}
        for name in metrics:
            if name in run.data.metrics:
                row[name] = run.data.metrics[name]
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- models


# MLflow reads predict's type hints when the class is created: DataFrame in, DataFrame out.
logging.getLogger("mlflow.models.signature").setLevel(logging.WARNING)


class PDModelPyfunc(mlflow.pyfunc.PythonModel):
    """MLflow wrapper of a fitted ``workbench.models.PDModel``: calibration and master scale
    travel inside it; ``predict`` returns the PD and the grade of each row."""

    def __init__(self, model=None):
        self.model = model

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        pd_ = self.model.predict_pd(model_input)
        return pd.DataFrame({"pd": pd_, "grade": self.model.master_scale_.grade(pd_)})


def _pip_requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("xgboost-cpu", "scikit-learn", "pandas", "numpy", "scipy", "optuna", "pyarrow"):
        try:
            out.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            continue
    return out


def log_pd_model(run: RunHandle, model: Any, input_example: "pd.DataFrame", *, name: str = "pd_model",
                 registered_model: str | None = None, alias: str = "challenger") -> dict[str, str]:
    """Log a fitted PD model to ``run`` with signature and input example; optionally register it
    and point ``alias`` at the new version. Returns the model URI (and version)."""
    import pandas as pd
    from mlflow.models import infer_signature

    example = input_example.head(5).copy()
    # Integer columns with missing values break MLflow's schema enforcement: send floats.
    example = example.astype({c: "float64" for c in example.columns if pd.api.types.is_integer_dtype(example[c])})
    wrapper = PDModelPyfunc(model)
    signature = infer_signature(example, wrapper.predict(None, example))
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / name
        mlflow.pyfunc.save_model(str(local), python_model=wrapper, signature=signature, input_example=example,
                                 pip_requirements=_pip_requirements())
        client().log_artifacts(run.run_id, str(local), name)
    out = {"model_uri": f"runs:/{run.run_id}/{name}"}
    if registered_model:
        c = client()
        try:
            c.get_registered_model(registered_model)
        except MlflowException:
            c.create_registered_model(registered_model, description="Key-account 12-month PD model "
                                      "(calibrated xgboost; master scale inside)")
        version = c.create_model_version(registered_model, source=f"{run.artifact_uri}/{name}", run_id=run.run_id)
        c.set_registered_model_alias(registered_model, alias, version.version)
        run.set_tags({"workbench.registered_model": f"{registered_model}/{version.version}@{alias}"})
        out.update(version=str(version.version), registered_uri=f"models:/{registered_model}@{alias}")
    return out


def load_registered_model(name: str, alias: str = "challenger"):
    """The pyfunc model a registry alias points at (e.g. ``key-account-pd@champion``)."""
    return mlflow.pyfunc.load_model(f"models:/{name}@{alias}")


def alias_version(name: str, alias: str) -> str | None:
    """The version a registry alias points at, or None (no such model or alias)."""
    try:
        return str(client().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def resolve_model_version(name: str, version: str = "", training_run_id: str = "") -> dict[str, Any]:
    """One registered model version as ``{name, version, run_id, aliases, source}``.

    ``version`` is a number or an alias (``champion``); empty means the version registered
    by ``training_run_id``, or without one the latest version. Raises ``LookupError`` with
    what exists when nothing matches.
    """
    c = client()
    try:
        c.get_registered_model(name)
    except MlflowException:
        known = ", ".join(sorted(m.name for m in c.search_registered_models())) or "none"
        raise LookupError(f"no registered model {name!r} (registered: {known})") from None
    versions = c.search_model_versions(f"name='{name}'")
    if version and not str(version).isdigit():
        found = alias_version(name, str(version))
        if found is None:
            raise LookupError(f"model {name!r} has no alias {version!r}")
        version = found
    if version:
        match = [v for v in versions if str(v.version) == str(version)]
    elif training_run_id:
        match = [v for v in versions if v.run_id == training_run_id]
    else:
        match = versions
    if not match:
        have = ", ".join(sorted((str(v.version) for v in versions), key=int)) or "none"
        what = f"version {version}" if version else f"a version from run {training_run_id}" if training_run_id else "a version"
        raise LookupError(f"model {name!r} has no {what} (versions: {have})")
    mv = max(match, key=lambda v: int(v.version))
    return {"name": name, "version": str(mv.version), "run_id": mv.run_id, "aliases": list(mv.aliases or []),
            "source": mv.source}


def load_pd_model_version(name: str, version: str):
    """The ``workbench.models.PDModel`` inside a registered version (booster, calibration and
    master scale as they were logged)."""
    pyfunc_model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    return pyfunc_model.unwrap_python_model().model


def load_alias_model(name: str, alias: str, exclude_version: str | None = None) -> tuple[Any, str | None]:
    """``(PDModel, version)`` of the version ``alias`` points at, or ``(None, None)`` when the
    alias is not set or points at ``exclude_version`` (a model is not its own champion)."""
    version = alias_version(name, alias)
    if version is None or version == str(exclude_version):
        return None, None
    return load_pd_model_version(name, version), version


def run_metrics(run_id: str) -> dict[str, float]:
    """The latest value of every metric a run logged."""
    return dict(client().get_run(run_id).data.metrics)


def run_params(run_id: str) -> dict[str, str]:
    """The params a run logged (flattened keys, string values)."""
    return dict(client().get_run(run_id).data.params)


def optuna_trial_logger(parent: RunHandle, experiment_id: str | None = None):
    """An optuna callback that records each finished trial as a nested run under ``parent``:
    its parameters, its value (``valid/auc``), state and duration."""
    exp_id = experiment_id or parent.info.experiment_id

    def callback(study, trial) -> None:
        c = client()
        run = c.create_run(exp_id, run_name=f"trial-{trial.number:03d}",
                           tags={PARENT_RUN_TAG: parent.run_id, "workbench.optuna_study": study.study_name,
                                 "workbench.optuna_state": trial.state.name})
        handle = RunHandle(run.info.run_id)
        handle.log_params({f"xgb.{k}": v for k, v in trial.params.items()})
        metrics = {"trial/number": trial.number}
        if trial.value is not None:
            metrics["valid/auc"] = trial.value
        if trial.duration is not None:
            metrics["trial/seconds"] = trial.duration.total_seconds()
        handle.log_metrics(metrics)
        c.set_terminated(run.info.run_id, "FINISHED" if trial.state.name == "COMPLETE" else "KILLED")

    return callback
