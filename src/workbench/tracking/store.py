"""Where runs go: the MLflow tracking URI, the artifact root, the client and experiments.

``tracking_uri()`` is ``MLFLOW_TRACKING_URI`` or an SQLite file in the state dir, and artifacts
of local stores land in ``state_dir()/mlartifacts``, never in an ``./mlruns`` relative to
whatever the cwd happens to be.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

# No usage telemetry leaves a bank's machine (and this one has no internet to send it to).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

from ..locking import file_lock, sqlite_path  # noqa: E402
from ..paths import state_dir  # noqa: E402

#: MLflow 3 shows an experiment of this kind ("machine learning", not GenAI) on its runs table.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
CLASSICAL_ML = "custom_model_development"

__all__ = ["EXPERIMENT_KIND_TAG", "CLASSICAL_ML", "MlflowException", "check_store", "tracking_uri", "artifact_root", "client", "ensure_experiment", "experiment_ids",
           "ui_command"]


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else ``sqlite:///<state dir>/mlflow.db`` (absolute)."""
    env = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if env:
        return env
    # sqlite:/// + an absolute POSIX path gives four slashes, which SQLAlchemy reads as absolute.
    return f"sqlite:///{(state_dir() / 'mlflow.db').as_posix()}"


def artifact_root() -> Path:
    """Where local stores keep artifacts: ``state_dir()/mlartifacts``."""
    return state_dir() / "mlartifacts"


@functools.lru_cache(maxsize=8)
def _client_for(uri: str) -> MlflowClient:
    # Building the SQLAlchemy store checks the schema (about a second); cache it per URI.
    database = sqlite_path(uri)
    if database is None:
        return MlflowClient(tracking_uri=uri)
    # Two processes on a fresh store would both create the schema and one would fail: build the
    # stores under a lock, and switch the database to WAL so that readers never wait for a writer.
    with file_lock(database.with_name(database.name + ".lock")):
        c = MlflowClient(tracking_uri=uri)
        store = c._tracking_client.store  # noqa: SLF001 - forces the schema check inside the lock
        _ = c._get_registry_client().store  # noqa: SLF001 - the registry store checks it again
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    return c


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
        # Classical model development: MLflow 3's UI then opens the experiment on its runs, not its GenAI views.
        return c.create_experiment(name, artifact_location=location, tags={EXPERIMENT_KIND_TAG: CLASSICAL_ML})
    except MlflowException:
        # Another process (a notebook kernel, a parallel job) created it in between.
        exp = c.get_experiment_by_name(name)
        if exp is None:
            raise
        return exp.experiment_id


def check_store(timeout_s: float = 5.0) -> None:
    """Fail fast, naming the store, when it cannot be used: a tracking server that does not answer
    (within ``timeout_s``, not after MLflow's minutes of retries) or refuses the credentials
    (``identity.TrackingAuthError``, a ``PermissionError``), a state dir that is not a
    directory, an ``mlflow.db`` that is not an SQLite database. Call before any computation."""
    import sqlite3
    import urllib.error
    import urllib.parse
    import urllib.request

    uri = tracking_uri()
    if uri.startswith(("http://", "https://")):
        url = uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                if response.status != 200:
                    raise ConnectionError(f"answered {response.status}")
        except (OSError, ConnectionError, urllib.error.URLError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ConnectionError(f"the MLflow tracking server {uri} (MLFLOW_TRACKING_URI) does not answer at {url} "
                                  f"within {timeout_s:g} s: {reason}; start it or point MLFLOW_TRACKING_URI "
                                  "elsewhere") from None
        from .identity import current_identity

        current_identity()  # a server with auth that refuses the credentials: say so now, not after a notebook ran
        return
    database = sqlite_path(uri)
    if database is None:
        return
    if database.parent.exists() and not database.parent.is_dir():
        raise NotADirectoryError(f"the state dir {database.parent} is a file, not a directory (WORKBENCH_STATE_DIR)")
    if database.exists():
        try:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=timeout_s) as conn:
                conn.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise RuntimeError(f"the MLflow store {database} cannot be read ({exc}): restore it from a backup "
                               "or move it away to start a new one") from None


def experiment_ids() -> list[str]:
    """The ids of every active experiment in the store."""
    c = client()
    ids: list[str] = []
    page_token = None
    while True:
        page = c.search_experiments(max_results=1000, page_token=page_token)
        ids.extend(e.experiment_id for e in page)
        page_token = page.token
        if not page_token:
            return ids


def ui_command(host: str = "127.0.0.1", port: int = 5000) -> list[str]:
    """The ``mlflow ui`` command line for this project's store and artifact root."""
    return [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", tracking_uri(),
            "--default-artifact-root", artifact_root().as_uri(), "--host", host, "--port", str(port)]
