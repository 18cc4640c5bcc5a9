"""The as-of snapshot: every performing obligor at a month end, with the panel's features as the bank
had them then, for monitoring (scoring, early warnings, tiering) rather than model fitting.

``snapshot(tables, as_of, params)`` has one row per obligor that is *performing* at each month end
in ``as_of``: it has a behaviour record in that month (an active account, as ``behaviour_features``
says) and no default on or before the month end. Each row uses only what was known at the month end:

* the newest statement usable by then (``available_date <= as_of``, the panel's rule); its features
  are those ``statement_features`` computed when it became usable (trends against the earlier
  statements usable then), ``statement_age_days`` is counted to the as-of date and
  ``relationship_years`` is the relationship's length at the as-of date;
* behaviour of the 12 months up to and including the as-of month;
* peers: the statement's fiscal-year peer group as usable at the as-of date (more peers have
  reported than when the statement itself arrived, so the benchmarks can differ from the panel row
  of that statement, which is the point of a monitoring view);
* the latest questionnaire answered by then, and macro data lagged from the as-of month.

Unlike the panel, a performing obligor without any usable statement yet (onboarded recently, or
statements not delivered) is **kept**: its statement and peer features are NaN and ``period_end``
is NaT. Monitoring has to see such clients; a missing or stale statement is itself an early-warning
signal. No outcome is attached and no row is dropped for an outcome window running past the data;
``snapshot_outcomes`` adds the outcome where it is known.

At a month end that is a panel observation date of an obligor, its snapshot row equals the panel
row feature for feature. Between observation dates the statement features are those of the last
statement as computed when it became usable: an *older* statement arriving late after it does not
revise its trends until a newer statement arrives (the panel behaves the same way).

Columns: ``obligor_id, obs_date, period_end, industry, segment, split`` then exactly the panel's
feature columns in the panel's order, float32, in one block; rows in (obligor, month end) order.
Everything is vectorised over all (obligor, month end) pairs at once: statement features are
computed once for the whole financials table and the statement of each pair is picked by an
as-of join, so 5,000 obligors x 120 month ends take seconds.

Also here: ``month_ends`` / ``data_range`` (the month ends the data covers) and ``check_as_of``,
which refuses an as-of date outside them with a message naming the range.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..reference import SPLITS
from .assembly import ID_COLUMNS, panel_frame
from .behaviour import behaviour_features
from .macro import macro_features
from .params import PanelParams
from .peers import PEER_RATIOS, peer_features
from .questionnaire import questionnaire_features
from .statements import statement_features

__all__ = ["SNAPSHOT_ID_COLUMNS", "snapshot", "snapshot_outcomes", "month_ends", "data_range", "check_as_of",
           "as_of_dates"]

#: The snapshot's identifier columns: the panel's, without the target.
SNAPSHOT_ID_COLUMNS = tuple(c for c in ID_COLUMNS if c != "default_12m")
_REQUIRED = ("obligors", "financials", "behaviour", "defaults", "macro")
# Statement-table columns that are keys, not features.
_STATEMENT_KEYS = ("obligor_id", "obs_date", "period_end", "available_date", "_newest")
_TEXT = ("obligor_id", "industry", "segment", "split")

DateLike = str | date | datetime | pd.Timestamp | np.datetime64


def _month_end(value: DateLike) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError("as-of date is missing (NaT)")
    return ts.normalize() + pd.offsets.MonthEnd(0)


def as_of_dates(as_of: DateLike | Iterable[DateLike]) -> pd.DatetimeIndex:
    """``as_of`` (one date or a sequence) as sorted, distinct month ends."""
    if isinstance(as_of, (str, date, datetime, pd.Timestamp, np.datetime64)):
        values = [as_of]
    else:
        values = list(as_of)
    if not values:
        raise ValueError("as_of is empty: give at least one month end")
    return pd.DatetimeIndex(sorted({_month_end(v) for v in values}))


def data_range(tables: Mapping[str, pd.DataFrame]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month end of the behaviour table: the months a snapshot can be taken at."""
    if "behaviour" not in tables:
        raise KeyError(f"the data range is read from table behaviour, which is missing (has {', '.join(sorted(tables))})")
    months = tables["behaviour"]["month_end"]
    if months.notna().sum() == 0:
        raise ValueError("table behaviour has no month_end: the data covers no month")
    return _month_end(months.min()), _month_end(months.max())


def month_ends(tables: Mapping[str, pd.DataFrame], start: DateLike | None = None,
               end: DateLike | None = None) -> pd.DatetimeIndex:
    """Month ends with behaviour records, in order, optionally clipped to ``start .. end`` (inclusive,
    each taken to its month end)."""
    months = tables["behaviour"]["month_end"].dropna()
    months = np.unique(months.to_numpy().astype("datetime64[M]")).astype("datetime64[ns]")
    out = pd.DatetimeIndex(months) + pd.offsets.MonthEnd(0)
    if start is not None:
        out = out[out >= _month_end(start)]
    if end is not None:
        out = out[out <= _month_end(end)]
    return pd.DatetimeIndex(out, name=None)


def check_as_of(tables: Mapping[str, pd.DataFrame], as_of: DateLike | Iterable[DateLike]) -> pd.DatetimeIndex:
    """The as-of month ends, or a ValueError naming the data's range if one lies outside it."""
    dates = as_of_dates(as_of)
    first, last = data_range(tables)
    covers = f"(data covers {first:%Y-%m-%d} .. {last:%Y-%m-%d})"
    if dates[-1] > last:
        raise ValueError(f"as-of {dates[-1]:%Y-%m-%d} is after the data's last month end {last:%Y-%m-%d} {covers}")
    if dates[0] < first:
        raise ValueError(f"as-of {dates[0]:%Y-%m-%d} is before the data's first month end {first:%Y-%m-%d} {covers}")
    return dates


def _codes(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 if absent), whatever the column's dtype (str, category)."""
    return index.get_indexer(pd.Index(values.astype(str).to_numpy()))


def _asof_positions(left_code: np.ndarray, left_time: np.ndarray, right_code: np.ndarray, right_time: np.ndarray,
                    *, forward: bool = False) -> np.ndarray:
    """For each left row, the position of the right row of the same code with the latest time <= the
    left time (or, ``forward``, the earliest time strictly after it); -1 where there is none."""
    left = pd.DataFrame({"code": left_code.astype(np.int64), "t": left_time.astype("datetime64[ns]"),
                         "row": np.arange(len(left_code))})
    right = pd.DataFrame({"code": right_code.astype(np.int64), "t": right_time.astype("datetime64[ns]"),
                          "pos": np.arange(len(right_code))})
    right = right[(right["code"] >= 0) & right["t"].notna()]
    merged = pd.merge_asof(left.sort_values("t", kind="stable"), right.sort_values("t", kind="stable"), on="t",
                           by="code", direction="forward" if forward else "backward",
                           allow_exact_matches=not forward)
    out = np.full(len(left_code), -1, dtype=np.int64)
    out[merged["row"].to_numpy()] = merged["pos"].fillna(-1).to_numpy(dtype=np.int64)
    return out


def snapshot(tables: Mapping[str, pd.DataFrame], as_of: DateLike | Iterable[DateLike],
             params: PanelParams) -> pd.DataFrame:
    """Every performing obligor at each month end of ``as_of`` with the panel's features as of then.

    ``as_of`` is one date or a sequence; each is taken to its month end, duplicates dropped. A month
    end outside the behaviour table's range is refused (``check_as_of``). See the module docstring
    for what each row uses.
    """
    missing = [t for t in _REQUIRED if t not in tables]
    if missing:
        raise KeyError(f"snapshot needs tables {', '.join(missing)} (has {', '.join(sorted(tables))})")
    dates = check_as_of(tables, as_of)
    beh, obl, dft = tables["behaviour"], tables["obligors"], tables["defaults"]

    # Candidate rows: the behaviour records of the as-of months; behaviour_features says which are active.
    month = beh["month_end"].to_numpy().astype("datetime64[M]")
    wanted = np.isin(month, dates.to_numpy().astype("datetime64[M]"))
    ids = beh["obligor_id"].astype(str).to_numpy()[wanted]
    ob_index = pd.Index(np.unique(ids))  # sorted: rows come out in (obligor, month end) order
    code = ob_index.get_indexer(ids)
    t = month[wanted]
    order = np.lexsort((t, code))
    pairs = pd.DataFrame({"code": code[order], "t": t[order]}).drop_duplicates()
    code = pairs["code"].to_numpy()
    obs_date = pd.DatetimeIndex(pairs["t"].to_numpy().astype("datetime64[ns]")) + pd.offsets.MonthEnd(0)
    keys = pd.DataFrame({"obligor_id": pd.array(ob_index.to_numpy()[code], dtype="str"), "obs_date": obs_date})

    beh_feats = behaviour_features(beh, keys["obligor_id"], keys["obs_date"])
    active = beh_feats.pop("active").to_numpy() == 1
    first_default = dft.assign(obligor_id=dft["obligor_id"].astype(str)).groupby("obligor_id")["default_date"].min()
    default_date = keys["obligor_id"].map(first_default)
    performing = (default_date.isna() | (default_date > keys["obs_date"])).to_numpy()
    keep = active & performing
    keys, beh_feats, code = keys[keep].reset_index(drop=True), beh_feats[keep].reset_index(drop=True), code[keep]
    n = len(keys)

    static = obl.assign(obligor_id=obl["obligor_id"].astype(str)).drop_duplicates("obligor_id").set_index(
        "obligor_id")[["industry", "segment", "relationship_start"]]
    keys = keys.join(static, on="obligor_id")

    # Statements: features of the whole table once; each row takes the newest one usable by its month end.
    # The latest `_newest` statement observed by then is that one: a statement usable by then with a later
    # period would have superseded it (statement_features' rule), and `_newest` rows of one obligor are in
    # observation order.
    stm = statement_features(tables["financials"], params.reporting_lag_days)
    stm_names = [c for c in stm.columns if c not in _STATEMENT_KEYS]
    members = stm[["obligor_id", "obs_date", "period_end", "available_date", *PEER_RATIOS]].copy()
    members["industry"] = members["obligor_id"].astype(str).map(static["industry"]).to_numpy()
    newest = stm[stm["_newest"].to_numpy()]
    pos = _asof_positions(code, keys["obs_date"].to_numpy(), _codes(newest["obligor_id"], ob_index),
                          newest["obs_date"].to_numpy())
    has = pos >= 0
    stm_block = newest[stm_names].to_numpy(dtype=np.float32)
    picked = np.full((n, len(stm_names)), np.nan, dtype=np.float32)
    picked[has] = stm_block[pos[has]]
    period_end = np.full(n, np.datetime64("NaT"), dtype=stm["period_end"].dtype)
    period_end[has] = newest["period_end"].to_numpy()[pos[has]]
    statements = pd.DataFrame(picked, columns=stm_names, copy=False)
    statements["statement_age_days"] = ((keys["obs_date"].to_numpy() - period_end)
                                        / np.timedelta64(1, "D")).astype(float)

    queries = pd.DataFrame({"industry": keys["industry"].to_numpy()[has], "period_end": period_end[has],
                            "obs_date": keys["obs_date"].to_numpy()[has],
                            **{r: statements[r].to_numpy()[has] for r in PEER_RATIOS}})
    peers_has = peer_features(members, queries, params.min_peer_group)
    peers = pd.DataFrame(np.nan, index=keys.index, columns=peers_has.columns, dtype=np.float32)
    peers.iloc[np.flatnonzero(has)] = peers_has.to_numpy(dtype=np.float32)

    rel_years = ((keys["obs_date"] - keys["relationship_start"]).dt.days / 365.25).astype(np.float32)
    context = pd.DataFrame({"relationship_years": rel_years.to_numpy(),
                            "project_finance": (keys["segment"] == "project_finance").to_numpy(dtype=np.int8)})
    parts = [statements, context, beh_feats, questionnaire_features(tables.get("questionnaires"), keys),
             macro_features(tables["macro"], keys, params.macro_lag_months), peers]

    # The panel's feature order (assembly.local_parts then finalise): statements, relationship, project
    # finance, behaviour, questionnaire, macro, peers; all float32 in one block like panel_frame's.
    names = [c for part in parts for c in part.columns]
    block = np.empty((n, len(names)), dtype=np.float32, order="F")
    j = 0
    for part in parts:
        for col in part.columns:
            block[:, j] = pd.to_numeric(part[col], errors="coerce").to_numpy(dtype=np.float32)
            j += 1
    del parts, statements, picked, peers

    split = np.select([keys["obs_date"] <= pd.Timestamp(params.split.train_end),
                       keys["obs_date"] <= pd.Timestamp(params.split.valid_end)], list(SPLITS[:2]), SPLITS[2])
    id_values: dict[str, object] = {
        "obligor_id": keys["obligor_id"], "obs_date": keys["obs_date"].to_numpy().astype(stm["obs_date"].dtype),
        "period_end": period_end, "industry": keys["industry"], "segment": keys["segment"], "split": split}
    ids = {c: (pd.array(pd.Series(id_values[c]).astype(str).to_numpy(), dtype="str") if c in _TEXT
               else id_values[c]) for c in SNAPSHOT_ID_COLUMNS}
    return panel_frame(ids, block, names)


def snapshot_outcomes(snapshot: pd.DataFrame, defaults: pd.DataFrame, horizon_months: int = 12, *,
                      data_end: DateLike) -> pd.DataFrame:
    """The outcome of each snapshot row: a default in the ``horizon_months`` after its month end.

    ``default_date`` is the obligor's first default strictly after ``obs_date`` (NaT if none in the
    data); ``default_within`` is 1.0 if it falls on or before ``obs_date + horizon_months`` month ends
    (the panel's target), 0.0 if not, and NaN when that horizon ends after ``data_end`` (the last month
    end the data covers, e.g. ``data_range(tables)[1]``): an outcome window not fully observed is not
    an outcome, even if a default has already been seen in it (counting early defaults but not early
    survivors would inflate default rates). Same rows and index as ``snapshot``.
    """
    if horizon_months < 1:
        raise ValueError(f"horizon_months must be at least 1, got {horizon_months}")
    for col in ("obligor_id", "obs_date"):
        if col not in snapshot.columns:
            raise KeyError(f"snapshot_outcomes needs column {col} in the snapshot")
    for col in ("obligor_id", "default_date"):
        if col not in defaults.columns:
            raise KeyError(f"snapshot_outcomes needs column {col} in table defaults")
    end = _month_end(data_end)
    ob_index = pd.Index(np.unique(snapshot["obligor_id"].astype(str).to_numpy()))
    obs = snapshot["obs_date"].to_numpy()
    pos = _asof_positions(_codes(snapshot["obligor_id"], ob_index), obs, _codes(defaults["obligor_id"], ob_index),
                          defaults["default_date"].to_numpy(), forward=True)
    default_date = np.full(len(snapshot), np.datetime64("NaT"), dtype="datetime64[ns]")
    default_date[pos >= 0] = defaults["default_date"].to_numpy().astype("datetime64[ns]")[pos[pos >= 0]]
    horizon_end = (pd.DatetimeIndex(obs) + pd.offsets.MonthEnd(horizon_months)).to_numpy()
    within = np.where(~np.isnat(default_date) & (default_date <= horizon_end), 1.0, 0.0)
    within[horizon_end > np.datetime64(end)] = np.nan
    return pd.DataFrame({"obligor_id": snapshot["obligor_id"].to_numpy(), "obs_date": obs,
                         "default_date": default_date, "default_within": within}, index=snapshot.index)
