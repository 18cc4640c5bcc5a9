"""Where the workbench finds its checkout and where runs leave their files.

Nothing locates a file from the current working directory:

* ``project_root()`` is the checkout (``notebooks/``, ``params/``), found from this
  file's location, or ``WORKBENCH_ROOT``.
* ``state_dir()`` is where runs write (``mlflow.db``, ``mlartifacts/``, ``experiments/``,
  ``data/``): the project root unless ``WORKBENCH_STATE_DIR`` is set (the test suite
  points it at a temporary directory). Relative paths inside params files are resolved
  against it by ``resolve_path``.

This module imports no other part of the workbench.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["project_root", "state_dir", "resolve_path", "default_data_dir", "reports_dir"]


def _is_workbench_root(path: Path) -> bool:
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return False
    return 'name = "workbench"' in text


def project_root() -> Path:
    """The checkout holding ``pyproject.toml``, ``notebooks/`` and ``params/``."""
    env = os.environ.get("WORKBENCH_ROOT")
    if env:
        root = Path(env).expanduser().resolve()
        if not _is_workbench_root(root):
            raise RuntimeError(f"WORKBENCH_ROOT={env} is not a workbench checkout (no pyproject.toml naming 'workbench')")
        return root
    # Editable install: src/workbench/paths.py -> the checkout is two levels above src/.
    for candidate in [Path(__file__).resolve().parent, *Path(__file__).resolve().parents]:
        if _is_workbench_root(candidate):
            return candidate
    for candidate in [Path.cwd(), *Path.cwd().parents]:
        if _is_workbench_root(candidate):
            return candidate
    raise RuntimeError(
        "Cannot find the workbench checkout: install it editable (`make install`) or set WORKBENCH_ROOT"
    )


def state_dir() -> Path:
    """Where runs write: mlflow.db, mlartifacts/, experiments/, data/."""
    env = os.environ.get("WORKBENCH_STATE_DIR")
    path = Path(env).expanduser().resolve() if env else project_root()
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"the state dir {path} is a file, not a directory"
                                 + (" (WORKBENCH_STATE_DIR)" if env else ""))
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """Absolute paths stay; relative ones are taken from the state dir, never the cwd."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (state_dir() / p).resolve()


def default_data_dir() -> Path:
    """Where `workbench demo` keeps the embedded synthetic portfolio."""
    return state_dir() / "data" / "synthetic"


def reports_dir(kind: str, as_of: str) -> Path:
    """Where an as-of report of ``kind`` for ``as_of`` (ISO date) is written."""
    return state_dir() / "experiments" / "reports" / kind / as_of
