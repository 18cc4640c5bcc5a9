"""The feature panel with pandas, a block of obligors at a time.

Obligor-local work (``assembly.local_parts``) runs on blocks of ``chunk_obligors``
obligors, so memory is bounded by one block; peer benchmarks run once over every
statement; each block is then finalised and copied into preallocated columns, so the
panel never exists twice. The result does not depend on the block size.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .assembly import ID_COLUMNS, PEER_QUERY, finalise, local_parts, panel_frame
from .params import PanelParams
from .peers import peer_features

__all__ = ["build_panel_pandas"]


def build_panel_pandas(tables: Mapping[str, pd.DataFrame], params: PanelParams) -> pd.DataFrame:
    """The panel computed in obligor blocks; see ``workbench.features.build_panel``."""
    data_end = tables["behaviour"]["month_end"].max()
    chunks, members, queries = [], [], []
    for chunk in _obligor_chunks(tables, params.chunk_obligors):
        rows_k, members_k = local_parts(*chunk, tables["macro"], params, data_end)
        chunks.append(rows_k)
        members.append(members_k)
        queries.append(rows_k[PEER_QUERY])
    # Peers once for all rows (narrow frames), then joined to each chunk.
    peers = peer_features(pd.concat(members, ignore_index=True), pd.concat(queries, ignore_index=True),
                          params.min_peer_group)
    del members, queries
    # Chunks are consecutive obligor ranges, each finalised in (obligor, date) order: joined, they are in order.
    # Each is copied into preallocated arrays and dropped, so the panel never exists twice: the identifiers
    # column by column, the float32 features into one rows x features block (one block, not a fragmented frame).
    total = sum(len(c) for c in chunks)
    columns: dict[str, np.ndarray] = {}
    text: dict[str, list[np.ndarray]] = {}
    features: np.ndarray | None = None
    names: list[str] = []
    start = 0
    for k, rows_k in enumerate(chunks):
        part = finalise(pd.concat([rows_k, peers.iloc[start:start + len(rows_k)].set_axis(rows_k.index)], axis=1))
        chunks[k] = None
        if features is None:
            names = [c for c in part.columns if c not in ID_COLUMNS]
            features = np.empty((total, len(names)), dtype=np.float32, order="F")
        features[start:start + len(part)] = part[names].to_numpy(dtype=np.float32)
        for col in ID_COLUMNS:
            values = part[col].to_numpy()
            if values.dtype == object:
                text.setdefault(col, []).append(values)
                continue
            if col not in columns:
                columns[col] = np.empty(total, dtype=values.dtype)
            columns[col][start:start + len(part)] = values
        start += len(part)
        del part
    ids = {col: (pd.array(np.concatenate(text[col]), dtype="str") if col in text else columns[col])
           for col in ID_COLUMNS}
    return panel_frame(ids, features, names)



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
