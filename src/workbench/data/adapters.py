"""Bring-your-own data: a flat feature table (one row per obligor or obligor-period).

``load_flat_table`` reads CSV, Parquet or ARFF (Weka's format, ``?`` for missing),
checks that the target is binary and the features numeric or categorical (text, with at
most ``max_categories`` distinct values: more is an identifier or free text, refused by
name), and returns the pieces a PD model needs. Problems are reported with the file, the column and the
first offending rows, before anything else runs.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .categories import HighCardinalityError, categorical_columns, check_cardinality

__all__ = ["FlatTable", "FlatTableError", "read_flat_file", "load_flat_table"]

_TRUE = {"1", "1.0", "true", "yes", "y", "default", "bankrupt"}
_FALSE = {"0", "0.0", "false", "no", "n", "performing", "non-default"}


class FlatTableError(ValueError):
    """A flat table that cannot be used as it is; the message names file, column and rows."""


@dataclass
class FlatTable:
    """Features ``X`` (numeric as float, categorical as text), binary target ``y``, row ``ids`` and optional
    ``dates``."""

    X: pd.DataFrame
    y: pd.Series
    ids: pd.Series
    dates: pd.Series | None
    source: str

    @property
    def default_rate(self) -> float:
        return float(self.y.mean())

    def describe(self) -> pd.DataFrame:
        """Rows, features, target rate and missing share: what a modeller checks first."""
        return pd.DataFrame({
            "rows": [len(self.X)], "features": [self.X.shape[1]], "defaults": [int(self.y.sum())],
            "default_rate": [self.default_rate], "missing_share": [float(self.X.isna().to_numpy().mean())],
            "first_date": [self.dates.min() if self.dates is not None else pd.NaT],
            "last_date": [self.dates.max() if self.dates is not None else pd.NaT],
        }, index=[self.source])


def _read_arff(path: Path) -> pd.DataFrame:
    from scipy.io import arff

    data, _meta = arff.loadarff(str(path))
    df = pd.DataFrame(data)
    for col in df.columns:
        if df[col].dtype == object:  # nominal attributes arrive as bytes
            df[col] = df[col].map(lambda v: v.decode() if isinstance(v, bytes) else v).replace("?", np.nan)
    return df


def _csv_encoding(path: Path, encoding: str | None) -> str:
    """The given encoding, else UTF-8 (with or without BOM) when the bytes are UTF-8, else a clear error."""
    if encoding:
        return encoding
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = "latin-1" if all(b < 0x80 or 0xa0 <= b for b in raw[max(exc.start - 40, 0):exc.start + 40]) \
            else "cp1252"
        raise FlatTableError(f"{path}: not UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start}); say which "
                             f"encoding it is, e.g. encoding='{hint}' (`workbench train --encoding {hint}`)") from None
    return "utf-8-sig"


def read_flat_file(path: str | os.PathLike[str], missing_values: Sequence[str] = ("?", "", "NA", "n/a"),
                   encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV, Parquet or ARFF file into a DataFrame, missing markers as NaN.

    A CSV is read as UTF-8 unless ``encoding`` says otherwise; an empty file or one with a header
    and no rows is refused naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"flat table not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".arff":
        df = _read_arff(path)
    elif suffix in (".parquet", ".pq"):
        df = pd.read_parquet(path).replace(list(missing_values), np.nan)
    elif suffix in (".csv", ".txt"):
        if path.stat().st_size == 0:
            raise FlatTableError(f"{path}: the file is empty (0 bytes)")
        df = pd.read_csv(path, na_values=list(missing_values), keep_default_na=True,
                         encoding=_csv_encoding(path, encoding))
    else:
        raise FlatTableError(f"{path}: unsupported file type '{suffix}' (use .csv, .parquet or .arff)")
    if df.empty:
        raise FlatTableError(f"{path}: no rows (only a header: {', '.join(map(str, df.columns[:10]))})")
    return df


def _drop_uninformative(X: pd.DataFrame, source: str) -> pd.DataFrame:
    """Features that are missing in every row, or take one value only, cannot inform a model: drop them
    and say which (a warning, not an error: an extract often carries such columns)."""
    empty = [c for c in X.columns if X[c].isna().all()]
    constant = [c for c in X.columns if c not in empty and X[c].nunique(dropna=True) <= 1 and X[c].notna().all()]
    if empty or constant:
        parts = ([f"missing in every row: {', '.join(map(str, empty))}"] if empty else []) + \
                ([f"constant: {', '.join(map(str, constant))}"] if constant else [])
        warnings.warn(f"{source}: dropped {len(empty) + len(constant)} feature(s) that cannot inform a model "
                      f"({'; '.join(parts)})", UserWarning, stacklevel=3)
    return X.drop(columns=empty + constant)


def _refuse_numbers_with_stray_text(X: pd.DataFrame, source: str) -> None:
    """A column of numbers with a few text markers ("n.a.", "--") reads as text; as a category it would be
    refused as too varied, or worse, accepted. Name the markers so they can be declared missing."""
    for c in categorical_columns(X):
        values = X[c].dropna()
        if values.empty:
            continue
        as_number = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
        if as_number.notna().mean() >= 0.9 and as_number.isna().any():
            stray = values[as_number.isna()]
            shown = ", ".join(repr(v) for v in pd.unique(stray)[:5])
            raise FlatTableError(f"{source}: column '{c}' holds numbers but {len(stray)} row(s) hold text ({shown}), "
                                 f"first rows {stray.index.tolist()[:5]}; pass these markers as missing values "
                                 "(missing_values=...) or fix the extract")


def _binary_target(values: pd.Series, source: str, column: str) -> pd.Series:
    if values.isna().any():
        rows = values.index[values.isna()].tolist()[:5]
        raise FlatTableError(f"{source}: target column '{column}' is missing in {int(values.isna().sum())} row(s), first rows {rows}")
    if pd.api.types.is_numeric_dtype(values) and set(np.unique(values)) <= {0, 1}:
        return values.astype(np.int8)
    text = values.astype(str).str.strip().str.lower()
    mapped = pd.Series(np.where(text.isin(_TRUE), 1, np.where(text.isin(_FALSE), 0, -1)), index=values.index)
    bad = mapped == -1
    if bad.any():
        rows = values.index[bad].tolist()[:5]
        shown = ", ".join(repr(v) for v in values[bad].unique()[:5])
        raise FlatTableError(f"{source}: target column '{column}' must be binary (0/1); "
                             f"{int(bad.sum())} row(s) hold {shown}, first rows {rows}")
    return mapped.astype(np.int8)


def load_flat_table(
    path: str | os.PathLike[str],
    target: str,
    id_column: str | None = None,
    date_column: str | None = None,
    *,
    drop_columns: Sequence[str] = (),
    missing_values: Sequence[str] = ("?", "", "NA", "n/a"),
    encoding: str | None = None,
    max_categories: int = 50,
) -> FlatTable:
    """Load a flat table and split it into features, target, ids and dates.

    Without ``id_column`` rows are numbered ``row_000001``...; every column other
    than target, id, date and ``drop_columns`` is a feature: numeric (booleans as 0/1,
    infinities read as missing, as a bank's extract sometimes carries them) or categorical
    text with at most ``max_categories`` distinct values.
    """
    source = str(path)
    df = read_flat_file(path, missing_values, encoding)
    named = [c for c in [target, id_column, date_column, *drop_columns] if c]
    absent = [c for c in named if c not in df.columns]
    if absent:
        raise FlatTableError(f"{source}: no column(s) {', '.join(absent)}; columns are {', '.join(map(str, df.columns[:20]))}"
                             + (" ..." if df.shape[1] > 20 else ""))
    y = _binary_target(df[target], source, target)
    if id_column:
        ids = df[id_column].astype(str)
        dup = ids.duplicated(keep=False)
        if dup.any() and not date_column:
            raise FlatTableError(f"{source}: id column '{id_column}' repeats in {int(dup.sum())} row(s) "
                                 f"(first rows {ids.index[dup].tolist()[:5]}); give a date column for panels")
    else:
        ids = pd.Series([f"row_{i + 1:06d}" for i in range(len(df))], index=df.index, name="id")
    dates = None
    if date_column:
        dates = pd.to_datetime(df[date_column], errors="coerce")
        bad = dates.isna() & df[date_column].notna()
        if bad.any():
            raise FlatTableError(f"{source}: date column '{date_column}' has unreadable dates in {int(bad.sum())} "
                                 f"row(s), first rows {df.index[bad].tolist()[:5]}: "
                                 + ", ".join(repr(v) for v in df.loc[bad, date_column].head(3)))
    X = df.drop(columns=named)
    X.columns = [str(c) for c in X.columns]
    _refuse_numbers_with_stray_text(X, source)
    try:
        check_cardinality(X, max_categories, source)
    except HighCardinalityError as exc:
        raise FlatTableError(str(exc)) from None
    text = categorical_columns(X)
    numeric = [c for c in X.columns if c not in text]
    X[numeric] = X[numeric].astype(float).replace([np.inf, -np.inf], np.nan)
    for c in text:
        # One text type whatever the file format gave (bytes from ARFF, pandas 3 strings, categories).
        X[c] = X[c].astype(object).where(X[c].notna(), None).map(lambda v: v if v is None else str(v)).astype("str")
    X = _drop_uninformative(X, source)
    if X.shape[1] == 0:
        raise FlatTableError(f"{source}: no feature column left to model (target {target}; "
                             f"id/date/dropped: {', '.join(named[1:]) or 'none'})")
    return FlatTable(X=X, y=y.rename(target), ids=ids, dates=dates, source=source)
