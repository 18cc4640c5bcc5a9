"""The run a notebook logs into: ``RunHandle``, and how the runner and notebooks open one.

Who owns a run: the runner opens a run with ``start_run``/``tracked_run`` and passes its id
into the notebook; the notebook's kernel ``attach_run``s to it and logs through a
``RunHandle``, which uses ``MlflowClient`` calls only. The fluent ``mlflow.start_run`` is
avoided on purpose: it would make the kernel the owner of the run and end it (FINISHED) when
the kernel exits, before the runner has logged the executed notebook or found out that a
cell failed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

import pandas as pd
from mlflow.entities import Metric, Param, RunTag
from mlflow.utils.validation import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAM_VAL_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH,
    MAX_TAG_VAL_LENGTH,
)

from ..params import flatten_mapping
from ..paths import project_root, resolve_path, state_dir
from .lineage import find_latest_run_anywhere, resolve_output
from .provenance import standard_tags
from .runs import (
    OUTPUT_TAG_PREFIX,
    TAG_NAME_RE,
    chunks,
    create_run,
    download_artifact,
    end_run,
    get_run,
    list_artifacts,
    mark_failed,
    truncate,
)
from .store import client

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from mlflow.entities import Run, RunInfo

__all__ = ["RunHandle", "start_run", "tracked_run", "attach_run"]

_log = logging.getLogger(__name__)


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
        return download_artifact(self.run_id, path, dst_path)

    def list_artifacts(self, path: str | None = None) -> list[str]:
        """All artifact file paths under ``path``, recursively."""
        return list_artifacts(self.run_id, path)

    # -- writing

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log params, nested mappings flattened to dotted keys, values as (truncated) strings."""
        flat = flatten_mapping(params)
        items = [Param(str(k), truncate(str(v), MAX_PARAM_VAL_LENGTH)) for k, v in flat.items()]
        for chunk in chunks(items, MAX_PARAMS_TAGS_PER_BATCH):
            client().log_batch(self.run_id, params=chunk)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Log numeric metrics (``split/metric`` names); ``None`` values are skipped with a warning.

        NaN and inf are logged as such: a NaN AUC is information a reviewer should see.
        """
        timestamp = int(time.time() * 1000)
        items: list[Metric] = []
        for key, value in flatten_mapping(metrics).items():
            if value is None:
                _log.warning("metric %s is None; not logged", key)
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"metric {key!r} is not a number: {value!r}") from None
            items.append(Metric(str(key), number, timestamp, step or 0))
        for chunk in chunks(items, MAX_METRICS_PER_BATCH):
            client().log_batch(self.run_id, metrics=chunk)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        items = [RunTag(str(k), truncate(str(v), MAX_TAG_VAL_LENGTH)) for k, v in tags.items()]
        for chunk in chunks(items, MAX_PARAMS_TAGS_PER_BATCH):
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
        if not TAG_NAME_RE.match(name):
            raise ValueError(f"output name {name!r} may only contain letters, digits, '_', '-', '.', ' ', '/'")
        p = resolve_path(path)
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
            path = resolve_path(given)
        else:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            path = state_dir() / "experiments" / "interactive" / f"{stamp}-{self.run_id[:8]}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def upstream(self, run_id: str, notebook: str) -> str:
        """The run of an upstream notebook this one reads from: ``run_id`` if given, else the
        latest FINISHED run of ``notebook`` in any experiment. Recorded as tag
        ``workbench.upstream.<notebook>`` so a reviewer can follow the lineage."""
        if not run_id:
            run_id = find_latest_run_anywhere(notebook)
        else:
            get_run(run_id)  # fails clearly on a mistyped id
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
            mark_failed(self.run_id, exc)


def start_run(
    experiment: str,
    run_name: str,
    *,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> RunHandle:
    """Create a RUNNING run (nested under ``parent_run_id`` if given); the caller ends it."""
    return RunHandle(create_run(experiment, run_name, parent_run_id=parent_run_id, tags=tags), owned=True)


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
        mark_failed(handle.run_id, exc)
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
            get_run(run_id)
        except LookupError as exc:
            raise LookupError(f"{exc} (notebook {notebook})") from None
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
        candidate = project_root() / "notebooks" / p.name
        if candidate.exists():
            return candidate
    return p
