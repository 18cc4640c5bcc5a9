"""An exclusive lock on a file, for what two processes must not do at the same time.

Two runs started together on a fresh state dir would both create the MLflow and Optuna SQLite
schemas ("table latest_metrics already exists"); creating them under ``file_lock`` makes the
second wait the fraction of a second the first takes. Only creation is serialised: the runs
themselves proceed side by side. Imports no other part of the workbench.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["file_lock", "sqlite_path"]


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed) for the block."""
    lock_path = Path(path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def sqlite_path(url: str) -> Path | None:
    """The database file of a ``sqlite:///...`` SQLAlchemy URL (query string dropped), else None."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None
