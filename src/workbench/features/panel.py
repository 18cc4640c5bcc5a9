"""The point-in-time modelling panel: one row per obligor x observation date.

An observation date is the month end at which a statement becomes usable: its
period end plus the reporting lag, or its reported date if that is later. Each
row uses only what the bank had on that date:

* the newest statement usable then, and trends against earlier statements usable
  then (``statements``);
* behaviour of the months up to and including the observation month (``behaviour``);
* peers' statements of the same industry and fiscal year usable then (``peers``);
* the latest questionnaire answered by then and lagged macro data (``soft``).

The target ``default_12m`` is a default in the ``horizon_months`` after the
observation date. Rows of obligors already in default, rows in months without a
performing relationship, and rows whose outcome window runs past the data are
dropped. ``split`` is by observation date (train / valid / oot). Features are
float32 (what xgboost uses internally), identifiers and target first; rows are in
(obligor, observation date) order.

The work is split in two so that it scales out (``engine="dask"``): everything but
the peer benchmarks only needs one obligor's records (``obligor_rows``, run per
obligor partition); peer benchmarks only need one fiscal year's statements
(``add_peer_features``, run per fiscal-year partition).
"""

from __future__ import annotations

from typing import Literal, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..config import BuildFeaturesParams
from .behaviour import behaviour_features
from .peers import PEER_RATIOS, peer_features
from .soft import macro_features, questionnaire_features
from .statements import statement_features

__all__ = ["ID_COLUMNS", "INPUT_TABLES", "build_panel", "obligor_rows", "add_peer_features", "feature_columns",
           "summarise_panel", "panel_metrics", "plot_default_rate_by_obs_date"]

ID_COLUMNS = ("obligor_id", "obs_date", "period_end", "industry", "segment", "split", "default_12m")
# What the panel reads; never `truth`, which only tests and benchmarks may look at.
INPUT_TABLES = ("obligors", "financials", "behaviour", "defaults", "macro", "questionnaires")
_REQUIRED = ("obligors", "financials", "behaviour", "defaults", "macro")
_ROW_FLAG = "_panel_row"


def _check_tables(tables: Mapping[str, pd.DataFrame]) -> None:
    missing = [t for t in _REQUIRED if t not in tables]
    if missing:
        raise KeyError(f"build_panel needs tables {', '.join(missing)} (has {', '.join(sorted(tables))})")


def _local_parts(fin: pd.DataFrame, beh: pd.DataFrame, dft: pd.DataFrame, obl: pd.DataFrame,
                 quest: pd.DataFrame | None, macro: pd.DataFrame, params: BuildFeaturesParams,
                 data_end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(panel rows with their obligor-local features, every statement as a peer-group member)."""
    stm = statement_features(fin, params.reporting_lag_days)
    static = obl.set_index("obligor_id")[["industry", "segment", "relationship_start"]]
    members = stm[["obligor_id", "obs_date", "period_end", "available_date", *PEER_RATIOS]].join(
        static[["industry"]], on="obligor_id")
    rows = stm[stm.pop("_newest").to_numpy()]
    del stm

    beh_feats = behaviour_features(beh, rows["obligor_id"], rows["obs_date"])
    active = beh_feats.pop("active").to_numpy() == 1
    default_date = rows["obligor_id"].map(dft.drop_duplicates("obligor_id").set_index("obligor_id")["default_date"])
    horizon_end = rows["obs_date"] + pd.offsets.MonthEnd(params.horizon_months)
    performing = (default_date.isna() | (default_date > rows["obs_date"])).to_numpy()
    keep = active & performing & (horizon_end <= data_end).to_numpy()
    rows, beh_feats = rows[keep].join(static, on="obligor_id"), beh_feats[keep]
    default_date, horizon_end = default_date[keep], horizon_end[keep]

    rows["default_12m"] = (default_date.notna() & (default_date <= horizon_end)).astype(np.int8)
    rows["split"] = np.select(
        [rows["obs_date"] <= pd.Timestamp(params.split.train_end),
         rows["obs_date"] <= pd.Timestamp(params.split.valid_end)],
        ["train", "valid"], "oot")
    rows["relationship_years"] = ((rows["obs_date"] - rows.pop("relationship_start")).dt.days / 365.25).astype(np.float32)
    rows["project_finance"] = (rows["segment"] == "project_finance").astype(np.int8)
    rows = pd.concat([rows, beh_feats, questionnaire_features(quest, rows),
                      macro_features(macro, rows, params.macro_lag_months)], axis=1)
    return rows, members


def obligor_rows(fin: pd.DataFrame, beh: pd.DataFrame, dft: pd.DataFrame, obl: pd.DataFrame,
                 quest: pd.DataFrame | None, macro: pd.DataFrame, params: BuildFeaturesParams,
                 data_end: pd.Timestamp) -> pd.DataFrame:
    """Panel rows and peer-group members of the given obligors in one frame (for partitioned engines).

    Rows flagged ``_panel_row`` become panel rows; the others are every statement as a
    peer-group member for ``add_peer_features``.
    """
    rows, members = _local_parts(fin, beh, dft, obl, quest, macro, params, data_end)
    return pd.concat([rows.assign(**{_ROW_FLAG: True}), members.assign(**{_ROW_FLAG: False})], ignore_index=True)


def add_peer_features(frame: pd.DataFrame, min_peer_group: int) -> pd.DataFrame:
    """Panel rows of ``frame`` with peer benchmarks against all its statements (``obligor_rows`` output)."""
    flag = frame[_ROW_FLAG].to_numpy(dtype=bool)
    rows = frame[flag].drop(columns=_ROW_FLAG)
    return pd.concat([rows, peer_features(frame[~flag], rows, min_peer_group)], axis=1)


def _finalise(panel: pd.DataFrame) -> pd.DataFrame:
    columns: dict[str, object] = {c: panel[c].to_numpy() for c in ID_COLUMNS}
    columns["default_12m"] = panel["default_12m"].to_numpy(dtype=np.int8)
    for col in ("obligor_id", "industry", "segment", "split"):
        columns[col] = panel[col].astype(str).to_numpy()
    for col in panel.columns:
        if col not in ID_COLUMNS and col != "available_date":
            columns[col] = pd.to_numeric(panel[col], errors="coerce").to_numpy(dtype=np.float32)
    out = pd.DataFrame(columns, copy=False)
    for col in ("obligor_id", "industry", "segment", "split"):
        out[col] = out[col].astype(str)
    return out.sort_values(["obligor_id", "obs_date"], kind="stable").reset_index(drop=True)


def build_panel(tables: Mapping[str, pd.DataFrame], params: BuildFeaturesParams,
                *, engine: Literal["pandas", "dask"] | None = None) -> pd.DataFrame:
    """Point-in-time panel with features, ``default_12m`` and ``split`` (see module docstring).

    ``engine="dask"`` runs the same code on ``dask.dataframe`` partitions (by obligor,
    then by fiscal year) on the active dask scheduler, e.g. a ``distributed.Client``;
    the result equals the pandas one.
    """
    _check_tables(tables)
    engine = engine or params.engine
    if engine == "dask":
        from .scale import build_panel_dask

        return build_panel_dask(tables, params)
    if engine != "pandas":
        raise ValueError(f"engine must be 'pandas' or 'dask', got {engine!r}")
    data_end = tables["behaviour"]["month_end"].max()
    chunks, members, queries = [], [], []
    for chunk in _obligor_chunks(tables, params.chunk_obligors):
        rows_k, members_k = _local_parts(*chunk, tables["macro"], params, data_end)
        chunks.append(rows_k)
        members.append(members_k)
        queries.append(rows_k[_PEER_QUERY])
    # Peers once for all rows (narrow frames), then joined to each chunk.
    peers = peer_features(pd.concat(members, ignore_index=True), pd.concat(queries, ignore_index=True),
                          params.min_peer_group)
    del members, queries
    # Chunks are consecutive obligor ranges, each finalised in (obligor, date) order: joined, they are in order.
    # Each is copied into preallocated columns and dropped, so the panel never exists twice.
    total = sum(len(c) for c in chunks)
    columns: dict[str, np.ndarray] = {}
    text: dict[str, list[np.ndarray]] = {}
    start = 0
    for k, rows_k in enumerate(chunks):
        part = _finalise(pd.concat([rows_k, peers.iloc[start:start + len(rows_k)].set_axis(rows_k.index)], axis=1))
        chunks[k] = None
        for col in part.columns:
            values = part[col].to_numpy()
            if values.dtype == object:
                text.setdefault(col, []).append(values)
                continue
            if col not in columns:
                columns[col] = np.empty(total, dtype=values.dtype)
            columns[col][start:start + len(part)] = values
        order = list(part.columns)
        start += len(part)
        del part
    data = {col: (pd.array(np.concatenate(text[col]), dtype="str") if col in text else columns[col]) for col in order}
    return pd.DataFrame(data, copy=False)


_PEER_QUERY = ["industry", "period_end", "obs_date", *PEER_RATIOS]


_CHUNKED = ("financials", "behaviour", "defaults", "obligors", "questionnaires")


def _obligor_chunks(tables: Mapping[str, pd.DataFrame], chunk_obligors: int):
    """The obligor-keyed tables, a block of ``chunk_obligors`` obligors at a time.

    Obligor-local work then needs memory for one block, not the whole portfolio; the
    result is the same because nothing in that work looks across obligors.
    """
    frames = [tables[name] if name in tables else None for name in _CHUNKED]
    ids = pd.Index(np.sort(tables["obligors"]["obligor_id"].astype(str).unique()))
    size = max(chunk_obligors, 1)
    n_chunks = max(1, -(-len(ids) // size))
    if n_chunks == 1:
        yield frames
        return
    positions = []
    for df in frames:
        if df is None:
            positions.append(None)
            continue
        # Consecutive ranges of the sorted ids; unknown ids (-1) go with the first range and stay orphans.
        chunk = (np.maximum(ids.get_indexer(df["obligor_id"]), 0) // size).astype(np.int32)
        if np.all(chunk[1:] >= chunk[:-1]):
            order = None  # already grouped by obligor (as written by the generator): slices, no copies
        else:
            order = np.argsort(chunk, kind="stable").astype(np.int32)
            chunk = chunk[order]
        positions.append((order, np.searchsorted(chunk, np.arange(n_chunks + 1))))
        del chunk

    def piece(df: pd.DataFrame | None, pos, k: int) -> pd.DataFrame | None:
        if df is None:
            return None
        order, bounds = pos
        if order is None:
            return df.iloc[bounds[k]:bounds[k + 1]]
        return df.take(order[bounds[k]:bounds[k + 1]])

    for k in range(n_chunks):
        yield [piece(df, pos, k) for df, pos in zip(frames, positions)]


def feature_columns(panel: pd.DataFrame) -> list[str]:
    """Numeric model inputs: everything but identifiers, target and split."""
    return [c for c in panel.columns if c not in ID_COLUMNS and pd.api.types.is_numeric_dtype(panel[c])]


def summarise_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Rows, obligors, defaults and default rate per split, in time order."""
    g = panel.groupby("split", sort=False)
    summary = pd.DataFrame({
        "rows": g.size(),
        "obligors": g["obligor_id"].nunique(),
        "defaults": g["default_12m"].sum(),
        "default_rate": g["default_12m"].mean(),
        "first_obs": g["obs_date"].min(),
        "last_obs": g["obs_date"].max(),
    })
    return summary.reindex([s for s in ("train", "valid", "oot") if s in summary.index])


def panel_metrics(summary: pd.DataFrame) -> dict[str, float]:
    """``{"train/rows": ..., "oot/default_rate": ...}`` from ``summarise_panel``, as logged to MLflow."""
    out: dict[str, float] = {}
    for split, row in summary.iterrows():
        for name in ("rows", "obligors", "defaults", "default_rate"):
            out[f"{split}/{name}"] = float(row[name])
    return out


def plot_default_rate_by_obs_date(panel: pd.DataFrame) -> Figure:
    """Observed 12-month default rate and row count per observation year, coloured by split."""
    by_year = (panel.assign(year=panel["obs_date"].dt.year)
               .groupby(["year", "split"], sort=True)["default_12m"].agg(["mean", "size"]).reset_index())
    colours = {"train": "tab:blue", "valid": "tab:orange", "oot": "tab:green"}
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for split, part in by_year.groupby("split", sort=False):
        ax.bar(part["year"].astype(str), 100 * part["mean"], color=colours.get(split, "grey"), label=split)
    ax.set_ylabel("default rate within 12 months (%)")
    ax.set_xlabel("observation year")
    ax.set_title("Observed default rate by observation year")
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig
