"""The feature panel with pandas, a block of obligors at a time, in memory that does not grow
with the portfolio beyond the panel itself.

1. **Obligor rows.** Obligor ids become int32 codes, their position among all ids in sorted
   order (so code order is id order), and industry and segment become categoricals: the
   feature code then groups, joins and sorts small integers instead of millions of strings.
   Obligor-local work (``assembly.local_parts``) runs on blocks of ``chunk_obligors``
   obligors, on a thread per core (its heaviest steps are compiled kernels that release the
   GIL, ``_behaviour_kernel`` and ``_questionnaire_kernel``, and numpy releases it in its own;
   nothing in a block looks at another, and blocks are taken in order, so the panel does
   not depend on the threads); each block's features go into the panel's float32 feature
   array and its identifiers are kept as codes, rows in (obligor, date) order, with only
   the narrow peer-group member columns beside them. Freed working memory is handed back
   after each block (``_release_memory``), so the peak beyond the panel is a few blocks'.
2. **Peers**, computed on the panel's own arrays and written straight into its feature array
   (``peers.fill_peer_features``: each peer group sorted on its own, groups in parallel).
3. **Finalise:** identifier codes back to text, the features as one float32 block.

The panel never exists twice, nor at a wider dtype than its own; the result does not
depend on the block size, and equals ``finalise`` of the same rows (the Dask engine's path).
"""

from __future__ import annotations

import collections
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, Mapping, TypeVar

import numpy as np
import pandas as pd

from ..reference import SPLITS
from .assembly import ID_COLUMNS, local_parts, panel_frame
from .params import PanelParams
from .peers import PEER_FEATURES, PEER_RATIOS, fill_peer_features, fiscal_years
from .stages import stage

__all__ = ["build_panel_pandas"]

_CHUNKED = ("financials", "behaviour", "defaults", "obligors", "questionnaires")
_CATEGORIES = ("industry", "segment")
# Columns of local_parts' rows that are neither features nor identifiers of the panel.
_NOT_FEATURES = frozenset(ID_COLUMNS) | {"available_date"}
T, R = TypeVar("T"), TypeVar("R")


def build_panel_pandas(tables: Mapping[str, pd.DataFrame], params: PanelParams) -> pd.DataFrame:
    """The panel computed in obligor blocks; see ``workbench.features.build_panel``."""
    stage("obligor rows")
    data_end = tables["behaviour"]["month_end"].max()
    frames = {name: tables.get(name) for name in _CHUNKED}
    ids = _obligor_ids(frames.values())
    # Categories of the obligors' own texts: rows carry them as codes from the first join on.
    frames["obligors"] = frames["obligors"].assign(
        **{c: pd.Categorical(frames["obligors"][c]) for c in _CATEGORIES if c in frames["obligors"].columns})
    # The panel's features, written block by block as each is computed and then by the peers. Its
    # rows are at most the statements; pages of the unused tail are never touched, so never resident.
    features: np.ndarray | None = None
    blocks: list[_Block] = []
    start = 0

    def block(chunk: list[pd.DataFrame | None]) -> _Block:
        rows, members = local_parts(*chunk, tables["macro"], params, data_end)
        return _Block(rows, members)

    for b in _in_order(block, _obligor_chunks(frames, ids, params.chunk_obligors), _threads()):
        if features is None:
            local_names = b.names
            names = local_names + list(PEER_FEATURES)
            features = np.empty((max(len(tables["financials"]), 1), len(names)), dtype=np.float32, order="F")
        elif b.names != local_names:
            raise RuntimeError("obligor blocks gave different feature columns; the panel cannot be assembled")
        features[start:start + b.n_rows, :len(local_names)] = b.features
        b.features = None
        blocks.append(b)
        start += b.n_rows
        del b
        _release_memory()
    assert features is not None  # _obligor_chunks yields at least one block
    features = features[:start]
    categories = blocks[0].categories
    if any(not b.categories[c].equals(categories[c]) for b in blocks for c in categories):
        raise RuntimeError("obligor blocks joined different categories; the panel cannot be assembled")
    keys = {col: np.concatenate([b.keys[col] for b in blocks]) for col in blocks[0].keys}
    members = {col: np.concatenate([b.members[col] for b in blocks]) for col in blocks[0].members}
    del blocks
    _release_memory()

    stage("peers")
    _fill_peers(features, names, keys, members, categories["industry"], params.min_peer_group)
    del members
    _release_memory()

    stage("finalise")
    text = {"obligor_id": ids, "industry": categories["industry"], "segment": categories["segment"],
            "split": pd.Index(SPLITS, dtype="str")}
    columns = {col: (_decode(text[col], keys[col]) if col in text else keys[col]) for col in ID_COLUMNS}
    panel = panel_frame(columns, features, names)
    stage(None)
    return panel


def _feature_names(rows: pd.DataFrame) -> list[str]:
    return [c for c in rows.columns if c not in _NOT_FEATURES]


class _Block:
    """One obligor block's panel rows in the panel's final shape: its local features (rows x
    features, float32, Fortran order: ``features``, until the panel takes them) and its identifiers
    as codes, rows in (obligor, date) order; and its peer-group members' narrow columns."""

    def __init__(self, rows: pd.DataFrame, members: pd.DataFrame):
        order = np.lexsort((rows["obs_date"].to_numpy(), rows["obligor_id"].to_numpy()))  # (obligor, date)
        in_order = bool(np.all(order[1:] > order[:-1]))  # as local_parts gives them: copies, not gathers

        def arranged(values: np.ndarray) -> np.ndarray:
            """Rows in (obligor, date) order, in memory of their own (not a view that keeps ``rows``)."""
            return values.copy() if in_order else values[order]

        self.names = _feature_names(rows)
        self.n_rows = len(rows)
        self.categories = {c: pd.Index(rows[c].cat.categories, dtype="str") for c in _CATEGORIES}
        self.keys = {
            "obligor_id": arranged(rows["obligor_id"].to_numpy(dtype=np.int32)),
            "obs_date": arranged(rows["obs_date"].to_numpy()),
            "period_end": arranged(rows["period_end"].to_numpy()),
            **{c: arranged(rows[c].cat.codes.to_numpy()) for c in _CATEGORIES},
            "split": arranged(_split_codes(rows["split"])),
            "default_12m": arranged(rows["default_12m"].to_numpy(dtype=np.int8)),
        }
        self.features: np.ndarray | None = np.empty((len(rows), len(self.names)), dtype=np.float32, order="F")
        for j, col in enumerate(self.names):
            values = rows[col].to_numpy()
            if values.dtype.kind not in "biuf":  # text or nullable numbers: as numbers, NaN where not one
                values = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype=np.float32, na_value=np.nan)
            self.features[:, j] = values if in_order else values[order]  # cast to float32 as astype would
        self.members = {
            "industry": members["industry"].cat.codes.to_numpy(),
            "fiscal_year": fiscal_years(members["period_end"]),
            "available_date": members["available_date"].to_numpy(),
            "ratios": np.ascontiguousarray(members[list(PEER_RATIOS)].to_numpy(dtype=np.float32)),
        }


def _split_codes(split: pd.Series) -> np.ndarray:
    """Position of each row's split in SPLITS (local_parts gives them as a categorical of SPLITS)."""
    if isinstance(split.dtype, pd.CategoricalDtype) and list(split.cat.categories) == list(SPLITS):
        return split.cat.codes.to_numpy().astype(np.int8)
    return pd.Index(SPLITS).get_indexer(split).astype(np.int8)


def _threads() -> int:
    """Threads for the obligor blocks: the cores this process may use (the compiled kernels and numpy's
    heavy steps release the GIL, so blocks overlap), at most 4 (each holds a block's working memory)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _in_order(fn: Callable[[T], R], items: Iterable[T], threads: int) -> Iterator[R]:
    """``map(fn, items)`` on ``threads`` threads, results in the order of ``items``, at most
    ``threads`` + 1 of them computed ahead of the consumer (so memory stays a few blocks')."""
    if threads <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(threads, thread_name_prefix="panel-block") as pool:
        pending: collections.deque = collections.deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _fill_peers(features: np.ndarray, names: list[str], keys: Mapping[str, np.ndarray],
                members: Mapping[str, np.ndarray], industries: pd.Index, min_peer_group: int) -> None:
    """Peer features into their columns of ``features``, computed on the panel's own arrays: the
    compiled step sorts each group (industry or sector, and fiscal year) on its own, so its working
    memory beyond the panel is a few integers per statement."""
    fill_peer_features(features, {name: j for j, name in enumerate(names)}, industries, min_peer_group,
                       q_industry=keys["industry"], q_year=fiscal_years(keys["period_end"]), q_obs=keys["obs_date"],
                       u_industry=members["industry"], u_year=members["fiscal_year"],
                       u_avail=members["available_date"], u_ratios=members["ratios"])


def _release_memory() -> None:
    """Hand the freed working memory of a block back to the system before the next block.

    A block's many medium-sized temporaries come from the C heap, interleaved with the small
    arrays the panel keeps, so the heap cannot shrink from its top and the process would carry
    a block's worth of freed memory per block; ``malloc_trim`` returns the free pages inside the
    heap too (glibc; elsewhere this does nothing).
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


@functools.lru_cache(maxsize=1)
def _libc():
    import ctypes
    import ctypes.util

    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def _decode(labels: pd.Index, codes: np.ndarray) -> pd.Index:
    """Text of each code (missing for -1) as pandas' string dtype, the panel's type for text."""
    return labels.take(codes, allow_fill=True, fill_value=np.nan)


def _obligor_ids(frames) -> pd.Index:
    """Every obligor id of the obligor-keyed tables, sorted: a code is a position in it, so the
    order of codes is the order of ids. Ids missing from ``obligors`` get codes too, so an
    orphan record stays with its own id, as it would unencoded."""
    parts = []
    for df in frames:
        if df is None:
            continue
        col = df["obligor_id"]
        parts.append(col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col.unique())
    texts = pd.concat([pd.Series(np.asarray(p, dtype=object)) for p in parts], ignore_index=True)
    return pd.Index(texts.dropna().unique(), dtype="str").sort_values()


class _Coder:
    """int32 obligor codes of one table's ``obligor_id`` (-1 for a missing id), a block at a time.

    A categorical column is looked up once per category, for the whole table (its categories are
    every id of the table, not one block's); a text column is coded whole once, then sliced.
    """

    def __init__(self, col: pd.Series, ids: pd.Index):
        if isinstance(col.dtype, pd.CategoricalDtype):
            self._per_category = np.append(ids.get_indexer(col.cat.categories.astype(str)), -1).astype(np.int32)
            self._codes = None
        else:
            self._per_category, self._codes = None, ids.get_indexer(col).astype(np.int32)

    def all(self, col: pd.Series) -> np.ndarray:
        return self.rows(col, None)

    def rows(self, col: pd.Series, positions: slice | np.ndarray | None) -> np.ndarray:
        """Codes of ``col``, the rows at ``positions`` of the table (all if None)."""
        if self._codes is not None:
            return self._codes if positions is None else self._codes[positions]
        return self._per_category[col.cat.codes.to_numpy()]


def _obligor_chunks(frames: Mapping[str, pd.DataFrame | None], ids: pd.Index,
                    chunk_obligors: int) -> Iterator[list[pd.DataFrame | None]]:
    """The obligor-keyed tables, a block of ``chunk_obligors`` consecutive codes at a time, with
    ``obligor_id`` as codes.

    Obligor-local work then needs memory for one block, not the whole portfolio; the
    result is the same because nothing in that work looks across obligors.
    """
    size = max(chunk_obligors, 1)
    n_chunks = max(1, -(-len(ids) // size))
    tables = [frames[name] for name in _CHUNKED]
    positions = []
    for df in tables:
        if df is None:
            positions.append(None)
            continue
        coder = _Coder(df["obligor_id"], ids)
        chunk = coder.all(df["obligor_id"]).copy()
        np.floor_divide(np.maximum(chunk, 0), size, out=chunk)  # a missing id (-1) goes with the first block
        if np.all(chunk[1:] >= chunk[:-1]):
            order = None  # already grouped by obligor (as written by the generator): slices, no copies
        else:
            order = np.argsort(chunk, kind="stable").astype(np.int32)
            chunk = chunk[order]
        positions.append((coder, order, np.searchsorted(chunk, np.arange(n_chunks + 1))))
        del chunk

    def piece(df: pd.DataFrame | None, pos, k: int) -> pd.DataFrame | None:
        if df is None:
            return None
        coder, order, bounds = pos
        rows = slice(bounds[k], bounds[k + 1]) if order is None else order[bounds[k]:bounds[k + 1]]
        part = df.iloc[rows] if order is None else df.take(rows)
        return part.assign(obligor_id=coder.rows(part["obligor_id"], rows))

    for k in range(n_chunks):
        yield [piece(df, pos, k) for df, pos in zip(tables, positions)]
