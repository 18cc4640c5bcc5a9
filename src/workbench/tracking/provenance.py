"""Provenance of a run: the tags every run carries (DESIGN.md section 5).

Git commit, params hash, data fingerprint, notebook, workbench version and who ran it: the OS
user, or on a tracking server with MLflow's basic-auth app the user the server authenticated
(``identity``), with the OS user beside it.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import workbench

from ..params import params_hash
from ..paths import project_root

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["USER_TAG", "OS_USER_TAG", "USER_SOURCE_TAG", "MLFLOW_USER_TAG", "data_fingerprint", "git_commit", "notebook_label", "os_user", "standard_tags"]

#: Who ran a run (the OS user); the sign-off gate reads it on the training run as "who trained the version".
USER_TAG = "workbench.user"
#: Under an auth server only: the OS account beside the authenticated user, and how the user was established.
OS_USER_TAG = "workbench.os_user"
USER_SOURCE_TAG = "workbench.user_source"
#: MLflow's own user column; the client sets it (the server does not), so under auth it gets the checked user.
MLFLOW_USER_TAG = "mlflow.user"


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
        root = project_root()
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


def os_user() -> str:
    """The OS user running this process (``getpass.getuser()``: $LOGNAME, $USER, ..., else the
    password database), or ``"unknown"`` when none can be found."""
    try:
        return getpass.getuser().strip() or "unknown"
    except Exception:  # no environment variable and no passwd entry (some containers)
        return "unknown"


def notebook_label(notebook_path: str | os.PathLike[str] | None) -> str:
    if notebook_path is None or str(notebook_path) == "":
        return "none"
    p = Path(notebook_path)
    try:
        # Relative to the checkout so that tags read the same on every machine.
        return p.resolve().relative_to(project_root()).as_posix()
    except (ValueError, RuntimeError, OSError):
        return p.as_posix()


def standard_tags(
    notebook_path: str | os.PathLike[str] | None,
    params: BaseModel | None,
    data_path: str | os.PathLike[str] | None,
) -> dict[str, str]:
    """The tags every run carries (DESIGN.md section 5). On a tracking server with auth, ``workbench.user``
    (and ``mlflow.user``) is the authenticated user and ``workbench.os_user`` the OS account."""
    from .identity import current_identity

    who = current_identity()
    tags = {
        "workbench.git_commit": git_commit(),
        "workbench.params_hash": params_hash(params) if params is not None else "none",
        "workbench.data_fingerprint": data_fingerprint(data_path) if data_path is not None else "none",
        "workbench.notebook": notebook_label(notebook_path),
        "workbench.version": workbench.__version__,
        USER_TAG: who.user,
    }
    if who.authenticated:
        tags.update({OS_USER_TAG: who.os_user, USER_SOURCE_TAG: who.source, MLFLOW_USER_TAG: who.user})
    return tags
