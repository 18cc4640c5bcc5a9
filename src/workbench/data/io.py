"""Reading and writing portfolio tables as a directory of Parquet files, and atomic file writes.

``write_tables`` validates first and writes into a temporary sibling directory
that replaces the target in one rename, so a failed or interrupted write never
leaves a half-updated portfolio behind. ``write_parquet_atomic``, ``write_csv_atomic``,
``write_pickle_atomic`` and ``write_text_atomic`` do the same for one file: every output
the workbench writes goes through them.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .schemas import TABLES, DataValidationError, Problem, link_problems, validate

__all__ = ["data_months", "read_tables", "write_tables", "write_parquet_atomic", "write_csv_atomic", "write_pickle_atomic",
           "write_text_atomic", "compact_table"]


# Compact in-memory types for the long tables: what features need, at a fraction of the memory.
_COMPACT = {
    "behaviour": {"obligor_id": "category", "days_past_due": "int32", "utilisation": "float32",
                  "overdue_amount": "float32", "credit_turnover": "float32"},
    "questionnaires": {"obligor_id": "category", "question_id": "category", "answer": "int8"},
}


def compact_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with compact dtypes (categorical ids, float32/small ints) where that loses nothing
    the features use; other tables are returned as they are. Compact tables are for computing:
    validate before compacting, as the contract names the full types."""
    spec = {c: t for c, t in _COMPACT.get(name, {}).items() if c in df.columns}
    return df.astype(spec) if spec else df


def _read_compact(path: Path, name: str) -> pd.DataFrame:
    """Read straight into compact types: ids as Arrow dictionaries, numbers cast before conversion,
    so the full-width table never exists in memory."""
    spec = _COMPACT.get(name, {})
    table = pq.read_table(path, read_dictionary=[c for c, t in spec.items() if t == "category"])
    arrow_types = {"float32": pa.float32(), "int32": pa.int32(), "int8": pa.int8()}
    fields = [pa.field(f.name, arrow_types[spec[f.name]]) if spec.get(f.name) in arrow_types else f
              for f in table.schema]
    table = table.cast(pa.schema(fields, metadata=table.schema.metadata))
    return table.to_pandas(self_destruct=True, split_blocks=True)


def read_tables(directory: str | os.PathLike[str], names: Iterable[str] | None = None,
                *, check: bool = True, compact: bool = False) -> dict[str, pd.DataFrame]:
    """Load ``<directory>/<table>.parquet`` for the named tables (default: all present).

    ``check=True`` validates them against the data contract before returning;
    ``compact=True`` then gives the long tables compact dtypes (``compact_table``), each
    table as it is read, so a large portfolio never sits in memory at full width.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"portfolio directory not found: {directory}")
    wanted = list(names) if names is not None else [t for t in TABLES if (directory / f"{t}.parquet").is_file()]
    missing = [t for t in wanted if not (directory / f"{t}.parquet").is_file()]
    if missing:
        raise FileNotFoundError(f"{directory}: missing table(s) {', '.join(missing)} (expected <table>.parquet)")
    if not wanted:
        raise FileNotFoundError(f"{directory} holds no portfolio table (expected <table>.parquet files: "
                                f"{', '.join(TABLES)})")
    tables, problems = {}, []
    for t in wanted:
        path = directory / f"{t}.parquet"
        try:
            df = _read_compact(path, t) if compact and not check else pd.read_parquet(path)
        except (OSError, ValueError, pa.ArrowException) as exc:  # truncated, not Parquet, unreadable
            problems.append(Problem(t, "<file>", "readable Parquet file", 0,
                                    f"{path} cannot be read: {type(exc).__name__}: {exc}"))
            continue
        if check:
            try:
                validate({t: df}, links=False)
            except DataValidationError as exc:  # keep going: report every table's problems at once
                problems.extend(exc.problems)
        tables[t] = compact_table(t, df) if compact else df
        del df
        pa.default_memory_pool().release_unused()  # give freed Arrow buffers back before the next table
    if problems and not check:
        raise DataValidationError(problems)  # unreadable files, whatever else is asked
    if check:
        problems.extend(link_problems(tables))
        if problems:
            raise DataValidationError(problems)
    return tables


def data_months(directory: str | os.PathLike[str]) -> pd.DatetimeIndex:
    """The month ends the portfolio in ``directory`` covers: those of its behaviour table (one
    column read, so a scheduler can check an as-of date in a second)."""
    path = Path(directory) / "behaviour.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"no portfolio at {directory} (behaviour.parquet missing); create one with "
                                f"`workbench data generate --out {directory}`")
    months = pd.read_parquet(path, columns=["month_end"])["month_end"].dropna()
    if months.empty:
        raise ValueError(f"{path}: no month_end values, so the data covers no month")
    ends = pd.DatetimeIndex(months.unique()) + pd.offsets.MonthEnd(0)
    return pd.DatetimeIndex(sorted(ends.unique()))


def _write_atomic(path: str | os.PathLike[str], write, suffix: str) -> Path:
    """Call ``write(tmp)`` on a temporary name in ``path``'s directory, then rename it to ``path``:
    readers see the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=f"{suffix}.tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_parquet_atomic(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write one Parquet file through a temporary name in the same directory."""
    return _write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False), ".parquet")


def write_csv_atomic(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write one CSV file (no index) through a temporary name in the same directory."""
    return _write_atomic(path, lambda tmp: df.to_csv(tmp, index=False), ".csv")


def write_pickle_atomic(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Pickle ``obj`` to ``path`` through a temporary name in the same directory."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            pickle.dump(obj, fh)

    return _write_atomic(path, write, ".pkl")


def write_text_atomic(text: str, path: str | os.PathLike[str]) -> Path:
    """Write UTF-8 text to ``path`` through a temporary name in the same directory."""
    return _write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), Path(path).suffix)


def _check_replaceable(directory: Path) -> None:
    """Only a portfolio directory (nothing but ``<table>.parquet`` files) may be replaced wholesale."""
    if directory.exists() and not directory.is_dir():
        raise FileExistsError(f"{directory} exists and is not a directory; choose another --out")
    if directory.is_dir():
        foreign = sorted(p.name for p in directory.iterdir()
                         if not (p.is_file() and p.suffix == ".parquet" and p.stem in TABLES))
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise FileExistsError(f"{directory} holds files that are not portfolio tables ({shown}); "
                                  "refusing to replace it: choose an empty or new directory")


def write_tables(tables: Mapping[str, pd.DataFrame], directory: str | os.PathLike[str]) -> Path:
    """Validate ``tables`` and write them as ``<directory>/<table>.parquet``, all or nothing."""
    validate(tables)  # raises before anything touches the disk
    directory = Path(directory).resolve()
    _check_replaceable(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        for name, df in tables.items():
            df.to_parquet(staging / f"{name}.parquet", index=False)
        if directory.exists():
            retired = directory.with_name(f".{directory.name}-old-{os.getpid()}")
            os.replace(directory, retired)
            os.replace(staging, directory)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return directory
