"""Runs addressed by id: creating and ending them, reading what they logged, their artifacts.

The runner owns every run it opens (``workbench.tracking.handle.start_run``) and ends it with
``end_run``; ending a run as FAILED or KILLED never raises. Reading helpers turn an unknown
run id into a ``LookupError`` that names it and the store.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

import mlflow.artifacts
from mlflow.exceptions import MlflowException
from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

from .store import client, ensure_experiment, tracking_uri

__all__ = [
    "TAG_PREFIX", "OUTPUT_TAG_PREFIX", "ERROR_TAG", "PARENT_RUN_TAG", "RUN_NAME_TAG",
    "error_message", "create_run", "end_run", "mark_failed", "get_run", "get_run_tags", "set_run_tag",
    "run_metrics", "run_params", "list_artifacts", "download_artifact",
]

_log = logging.getLogger(__name__)

TAG_PREFIX = "workbench."
OUTPUT_TAG_PREFIX = "workbench.output."
ERROR_TAG = "workbench.error"
PARENT_RUN_TAG = "mlflow.parentRunId"
RUN_NAME_TAG = "mlflow.runName"
# Room for the exception text in a tag; MLflow's own limit is MAX_TAG_VAL_LENGTH.
_ERROR_TEXT_LIMIT = 4000
TAG_NAME_RE = re.compile(r"^[A-Za-z0-9_\-. /]+$")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def error_message(exc: BaseException) -> str:
    """``"ValueError: boom"``, truncated to fit a tag."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return truncate(text, _ERROR_TEXT_LIMIT)


def create_run(experiment: str, run_name: str, *, parent_run_id: str | None = None,
               tags: Mapping[str, Any] | None = None) -> str:
    """Create a RUNNING run (nested under ``parent_run_id`` if given); returns its id."""
    all_tags = {str(k): truncate(str(v), MAX_TAG_VAL_LENGTH) for k, v in (tags or {}).items()}
    all_tags.pop(RUN_NAME_TAG, None)  # run_name wins; MLflow rejects a conflicting tag
    if parent_run_id:
        all_tags[PARENT_RUN_TAG] = parent_run_id
    return client().create_run(ensure_experiment(experiment), tags=all_tags, run_name=run_name).info.run_id


def end_run(run_id: str, status: str = "FINISHED", *, error: str | None = None) -> None:
    """End a run with ``status``; with ``error``, tag it ``workbench.error`` first.

    Ending a run as FAILED or KILLED never raises: tracking trouble while recording a
    failure must not hide the failure itself.
    """
    try:
        c = client()
        if error is not None:
            c.set_tag(run_id, ERROR_TAG, truncate(error, _ERROR_TEXT_LIMIT))
        c.set_terminated(run_id, status)
    except Exception:
        if status == "FINISHED":
            raise
        _log.exception("could not mark MLflow run %s as %s", run_id, status)


def mark_failed(run_id: str, exc: BaseException) -> None:
    status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
    end_run(run_id, status, error=error_message(exc))


def get_run(run_id: str):
    """The MLflow run ``run_id``; ``LookupError`` naming the id and the store if it does not exist."""
    try:
        return client().get_run(run_id)
    except MlflowException as exc:
        raise LookupError(f"no MLflow run {run_id!r} at {tracking_uri()}: {exc.message}") from None


def get_run_tags(run_id: str) -> dict[str, str]:
    return dict(get_run(run_id).data.tags)


def set_run_tag(run_id: str, key: str, value: str) -> None:
    client().set_tag(run_id, key, truncate(str(value), MAX_TAG_VAL_LENGTH))


def run_metrics(run_id: str) -> dict[str, float]:
    """The latest value of every metric a run logged."""
    return dict(get_run(run_id).data.metrics)


def run_params(run_id: str) -> dict[str, str]:
    """The params a run logged (flattened keys, string values)."""
    return dict(get_run(run_id).data.params)


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


def download_artifact(run_id: str, path: str, dst_path: str | os.PathLike[str] | None = None) -> Path:
    """Fetch artifact ``path`` (file or directory) of a run to ``dst_path`` or a fresh temp dir."""
    local = mlflow.artifacts.download_artifacts(
        run_id=run_id,
        artifact_path=path,
        dst_path=str(dst_path) if dst_path is not None else None,
        tracking_uri=tracking_uri(),
    )
    return Path(local)
