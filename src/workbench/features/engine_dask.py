"""The feature panel on Dask: the same functions, on partitions.

``build_panel(tables, params, engine="dask")`` lands here; the code it runs is
``assembly``'s, shared with the pandas engine. Every obligor-keyed table
is split into ``params.dask_partitions`` partitions by obligor (all of an obligor's
records in one partition, the same partition in every table), and
``assembly.obligor_rows`` runs on each partition. The result is shuffled by fiscal
year, because a peer group never spans two fiscal years, and
``assembly.add_peer_features`` runs on each of those partitions. Both steps run on
whatever dask scheduler is active: a ``distributed.Client`` (a LocalCluster on one
machine, or a cluster) or dask's local threads.

Dask is an optional dependency (``pip install .[scale]``).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .assembly import add_peer_features, finalise, obligor_rows
from .params import PanelParams
from .stages import stage

__all__ = ["build_panel_dask"]

_PART = "_partition"


def _import_dask():
    try:
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("engine='dask' needs the optional dask dependencies: pip install '.[scale]'") from exc
    return dd


def _partitioned(dd, df: pd.DataFrame, partition_of: pd.Series, n: int):
    """``df`` as a dask frame whose partition i holds exactly the obligors assigned to i."""
    part = df["obligor_id"].map(partition_of).fillna(0).astype(np.int64)
    # An empty partition needs a row for dask's divisions; it is dropped again in _local.
    indexed = df.assign(**{_PART: part.to_numpy()}).sort_values(_PART, kind="stable").set_index(_PART)
    frame = dd.from_pandas(indexed, npartitions=max(1, min(n, len(indexed))), sort=True)
    divisions = tuple(range(n)) + (n - 1,)
    return frame.repartition(divisions=divisions, force=True)


def _local(fin, beh, dft, obl, quest, *, macro, params, data_end, empty) -> pd.DataFrame:
    fin, beh, dft, obl, quest = (f.reset_index(drop=True) for f in (fin, beh, dft, obl, quest))
    if fin.empty or beh.empty:
        return empty
    out = obligor_rows(fin, beh, dft, obl, quest, macro, params, data_end)
    return out.assign(fiscal_year=pd.DatetimeIndex(out["period_end"]).year.astype(np.int64))


def _peers(frame: pd.DataFrame, *, min_peer_group: int, empty: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return empty
    return add_peer_features(frame.drop(columns="fiscal_year").reset_index(drop=True), min_peer_group)


def build_panel_dask(tables: Mapping[str, pd.DataFrame], params: PanelParams) -> pd.DataFrame:
    """The panel computed on dask partitions; equal to ``build_panel(..., engine="pandas")``."""
    dd = _import_dask()
    import dask

    # Keep pandas' own string dtype: dask would otherwise convert to pyarrow strings whose
    # missing value (pd.NA) differs from pandas 3's (NaN), and merges would no longer line up.
    with dask.config.set({"dataframe.convert-string": False}):
        panel = _build(dd, tables, params)
    stage(None)
    return panel


def _build(dd, tables: Mapping[str, pd.DataFrame], params: PanelParams) -> pd.DataFrame:
    stage("partition")
    obl = tables["obligors"]
    n = params.dask_partitions
    codes = pd.Series(np.arange(len(obl)) % n, index=obl["obligor_id"].to_numpy())
    quest = tables.get("questionnaires")
    if quest is None:
        quest = pd.DataFrame({"obligor_id": pd.Series(dtype=str), "survey_date": pd.Series(dtype="datetime64[ns]"),
                              "question_id": pd.Series(dtype=str), "answer": pd.Series(dtype=np.int64)})
    data_end = tables["behaviour"]["month_end"].max()
    parts = [_partitioned(dd, tables[name], codes, n) if name != "questionnaires" else _partitioned(dd, quest, codes, n)
             for name in ("financials", "behaviour", "defaults", "obligors", "questionnaires")]

    # Output schemas, from a real computation on a handful of obligors (dask needs them up front).
    sample_ids = set(obl["obligor_id"].iloc[: min(len(obl), 50)])
    sample = {k: (tables[k] if k != "questionnaires" else quest) for k in
              ("financials", "behaviour", "defaults", "obligors", "questionnaires")}
    sample = {k: v[v["obligor_id"].isin(sample_ids)] for k, v in sample.items()}
    local_sample = obligor_rows(sample["financials"], sample["behaviour"], sample["defaults"], sample["obligors"],
                                sample["questionnaires"], tables["macro"], params, data_end)
    local_meta = local_sample.assign(fiscal_year=pd.DatetimeIndex(local_sample["period_end"]).year
                                     .astype(np.int64)).iloc[:0]
    peer_meta = add_peer_features(local_sample, params.min_peer_group).iloc[:0]

    local = dd.map_partitions(_local, *parts, macro=tables["macro"], params=params, data_end=data_end,
                              empty=local_meta, meta=local_meta, align_dataframes=False)
    by_year = local.shuffle(on="fiscal_year", npartitions=max(1, min(n, 16)))
    peers = by_year.map_partitions(_peers, min_peer_group=params.min_peer_group, empty=peer_meta, meta=peer_meta)
    stage("compute (cluster)")
    computed = peers.compute()
    stage("finalise")
    return finalise(computed)
