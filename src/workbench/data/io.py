"""Reading and writing portfolio tables as a directory of Parquet files, and atomic file writes.

``write_tables`` validates first and writes into a temporary sibling directory
that replaces the target in one rename, so a failed or interrupted write never
leaves a half-updated portfolio behind. ``write_parquet_atomic``, ``write_csv_atomic``,
``write_pickle_atomic`` and ``write_text_atomic`` do the same for one file: every output
the workbench writes goes through them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
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


_BATCH_ROWS = 1 << 20  # rows per compact read step: its full-width copy is the read's only overhead


def _spec(name: str, dtypes: Mapping[str, Mapping[str, str]] | None) -> dict[str, str]:
    return {**_COMPACT.get(name, {}), **((dtypes or {}).get(name, {}))}


def _ordered_dates(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical date columns with their categories sorted and ordered, so that ``min()``, ``max()``
    and comparisons work as on the dates themselves (whichever way the categories were made)."""
    for c in df.columns:
        dtype = df[c].dtype
        if (isinstance(dtype, pd.CategoricalDtype) and pd.api.types.is_datetime64_any_dtype(dtype.categories.dtype)
                and not (dtype.ordered and dtype.categories.is_monotonic_increasing)):
            df[c] = df[c].cat.reorder_categories(dtype.categories.sort_values(), ordered=True)
    return df


def compact_table(name: str, df: pd.DataFrame, dtypes: Mapping[str, Mapping[str, str]] | None = None) -> pd.DataFrame:
    """``df`` with compact dtypes (categorical ids, float32/small ints) where that loses nothing
    the features use; other tables are returned as they are. Compact tables are for computing:
    validate before compacting, as the contract names the full types. ``dtypes`` adds or overrides
    types per table and column (``read_tables``)."""
    spec = {c: t for c, t in _spec(name, dtypes).items() if c in df.columns}
    return _ordered_dates(df.astype(spec)) if spec else df


def _read_compact(path: Path, name: str, columns: list[str] | None = None,
                  dtypes: Mapping[str, Mapping[str, str]] | None = None) -> pd.DataFrame:
    """Read straight into compact types: ids as Arrow dictionaries, numbers cast before conversion,
    so the full-width table never exists in memory."""
    spec = _spec(name, dtypes)
    schema = pq.read_schema(path)
    fields = [f for f in schema if columns is None or f.name in columns]
    text = {f.name for f in fields if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)}
    arrow_types = {"float32": pa.float32(), "int32": pa.int32(), "int16": pa.int16(), "int8": pa.int8()}
    # Memory-mapped: pages come from the page cache, not copied into fresh buffers the kernel must zero.
    file = pq.ParquetFile(path, read_dictionary=[c for c in text if spec.get(c) == "category"], memory_map=True)
    names = [f.name for f in fields]

    def compact(batch: pa.RecordBatch) -> pa.RecordBatch:
        arrays = []
        for c, col in zip(batch.schema.names, batch.columns):
            want = spec.get(c)
            if want in arrow_types:
                col = col.cast(arrow_types[want])
            elif want == "category" and c not in text:  # dates: a few hundred month ends over millions of rows
                col = col.dictionary_encode()
            arrays.append(col)
        return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)

    # A batch of rows at a time, each made compact as soon as it is read: only one batch ever exists
    # at its stored width (a table read whole first holds every float64 beside its float32 copy).
    batches = [compact(batch) for batch in file.iter_batches(batch_size=_BATCH_ROWS, columns=names)]
    if not batches:  # no rows: the file's empty columns, with the types a batch would have
        empty = file.read(columns=names)
        batches = [compact(pa.RecordBatch.from_arrays([col.combine_chunks() for col in empty.columns], names=names))]
    table = pa.Table.from_batches(batches).replace_schema_metadata(schema.metadata)
    del batches
    return _ordered_dates(table.to_pandas(self_destruct=True, split_blocks=True))


def _release_memory() -> None:
    """Return freed memory to the system: Arrow's pool, and the C heap, where converting a table
    leaves many freed medium-sized buffers that would otherwise stay in the process (glibc's
    ``malloc_trim``; elsewhere only Arrow's pool)."""
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _present(path: Path, wanted: Iterable[str]) -> list[str]:
    """The columns of ``wanted`` that the Parquet file at ``path`` has, in its own order."""
    wanted = set(wanted)
    return [c for c in pq.read_schema(path).names if c in wanted]


def read_tables(directory: str | os.PathLike[str], names: Iterable[str] | None = None,
                *, check: bool = True, compact: bool = False,
                columns: Mapping[str, Iterable[str]] | None = None,
                dtypes: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, pd.DataFrame]:
    """Load ``<directory>/<table>.parquet`` for the named tables (default: all present).

    ``check=True`` validates them against the data contract before returning;
    ``compact=True`` then gives the long tables compact dtypes (``compact_table``), each
    table as it is read, so a large portfolio never sits in memory at full width.
    ``columns`` keeps only the named columns of the tables it names (those a file lacks, such
    as optional ones, are skipped; other tables keep all theirs), e.g.
    ``workbench.features.PANEL_COLUMNS``. Unchecked, only those columns are read from disk;
    checked, the whole table is read and validated first, as the contract names every column.
    ``dtypes`` (with ``compact=True``) adds compact types per table and column to the default
    ones, e.g. ``workbench.features.PANEL_DTYPES``: ``"category"`` (a date column becomes an
    ordered categorical of its dates), ``"float32"``, ``"int32"``, ``"int16"``, ``"int8"``.
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
            # Validation needs every column of the contract: only an unchecked read leaves columns on disk.
            read = _present(path, columns[t]) if columns is not None and t in columns and not check else None
            df = _read_compact(path, t, read, dtypes) if compact and not check else pd.read_parquet(path, columns=read)
        except (OSError, ValueError, pa.ArrowException) as exc:  # truncated, not Parquet, unreadable
            problems.append(Problem(t, "<file>", "readable Parquet file", 0,
                                    f"{path} cannot be read: {type(exc).__name__}: {exc}"))
            continue
        if check:
            try:
                validate({t: df}, links=False)
            except DataValidationError as exc:  # keep going: report every table's problems at once
                problems.extend(exc.problems)
        # Checked, the extra ``dtypes`` wait for the link checks below (they compare dates as dates).
        tables[t] = compact_table(t, df, None if check else dtypes) if compact else df
        del df
        _release_memory()  # give freed buffers back before the next table
    if problems and not check:
        raise DataValidationError(problems)  # unreadable files, whatever else is asked
    if check:
        problems.extend(link_problems(tables))
        if problems:
            raise DataValidationError(problems)
        if columns is not None:  # checked whole, links included: now only the columns asked for
            tables = {t: df[[c for c in df.columns if c in set(columns[t])]] if t in columns else df
                      for t, df in tables.items()}
        if compact and dtypes:
            tables = {t: compact_table(t, df, dtypes) for t, df in tables.items()}
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
