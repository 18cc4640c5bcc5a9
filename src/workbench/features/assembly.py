"""What both panel engines share: the obligor-local rows, the peer step and the final shape.

An observation date is the month end at which a statement becomes usable: its
period end plus the reporting lag, or its reported date if that is later. Each
row uses only what the bank had on that date:

* the newest statement usable then, and trends against earlier statements usable
  then (``statements``);
* behaviour of the months up to and including the observation month (``behaviour``);
* peers' statements of the same industry and fiscal year usable then (``peers``);
* the latest questionnaire answered by then (``questionnaire``) and lagged macro data
  (``macro``).

The target ``default_12m`` is a default in the ``horizon_months`` after the
observation date. Rows of obligors already in default, rows in months without a
performing relationship, and rows whose outcome window runs past the data are
dropped. ``split`` is by observation date (train / valid / oot). Features are
float32 (what xgboost uses internally), identifiers and target first; rows are in
(obligor, observation date) order.

The work is split in two so that it scales out: everything but the peer benchmarks
only needs one obligor's records (``local_parts`` / ``obligor_rows``, run per block or
partition of obligors); peer benchmarks only need one fiscal year's statements
(``add_peer_features``, run per fiscal-year partition). The pandas engine
(``engine_pandas``) and the Dask engine (``engine_dask``) both call these.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..reference import SPLITS
from .behaviour import behaviour_features
from .macro import macro_features
from .params import PanelParams
from .peers import PEER_RATIOS, peer_features
from .questionnaire import questionnaire_features
from .ratios import STATEMENT_INPUTS
from .statements import statement_features

__all__ = ["ID_COLUMNS", "INPUT_TABLES", "PANEL_COLUMNS", "PANEL_DTYPES", "PEER_QUERY", "check_tables", "local_parts", "obligor_rows",
           "add_peer_features", "finalise", "panel_frame", "feature_columns"]

ID_COLUMNS = ("obligor_id", "obs_date", "period_end", "industry", "segment", "split", "default_12m")
# What the panel reads; never `truth`, which only tests and benchmarks may look at.
INPUT_TABLES = ("obligors", "financials", "behaviour", "defaults", "macro", "questionnaires")
_REQUIRED = ("obligors", "financials", "behaviour", "defaults", "macro")
#: The columns the panel reads, per table, for ``read_tables(columns=...)``: a large portfolio then
#: loads without the rest (names, regions, facility terms, default amounts). Every column of
#: ``macro``, whose industry indices are named after the industries; ``credit_turnover`` is optional.
PANEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "obligors": ("obligor_id", "industry", "segment", "relationship_start"),
    "financials": ("obligor_id", "period_end", "reported_date", "audited", *STATEMENT_INPUTS),
    "behaviour": ("obligor_id", "month_end", "utilisation", "days_past_due", "overdue_amount", "covenant_breach",
                  "credit_turnover"),
    "defaults": ("obligor_id", "default_date"),
    "questionnaires": ("obligor_id", "survey_date", "question_id", "answer"),
}
#: Compact types the panel takes beyond ``read_tables(compact=True)``'s own, for
#: ``read_tables(compact=True, dtypes=...)``: the long tables' dates as categoricals (a few hundred
#: month ends or survey dates over tens of millions of rows) and the statements' obligor ids.
#: The panel is the same; other consumers of compact tables need not expect these.
PANEL_DTYPES: dict[str, dict[str, str]] = {
    "behaviour": {"month_end": "category"},
    "questionnaires": {"survey_date": "category"},
    "financials": {"obligor_id": "category"},
}
_ROW_FLAG = "_panel_row"


def check_tables(tables: Mapping[str, pd.DataFrame]) -> None:
    missing = [t for t in _REQUIRED if t not in tables]
    if missing:
        raise KeyError(f"build_panel needs tables {', '.join(missing)} (has {', '.join(sorted(tables))})")


def local_parts(fin: pd.DataFrame, beh: pd.DataFrame, dft: pd.DataFrame, obl: pd.DataFrame,
                 quest: pd.DataFrame | None, macro: pd.DataFrame, params: PanelParams,
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
    # A categorical of SPLITS: a million rows of text would cost more than the codes the engines keep.
    rows["split"] = pd.Categorical.from_codes(np.select(
        [rows["obs_date"] <= pd.Timestamp(params.split.train_end),
         rows["obs_date"] <= pd.Timestamp(params.split.valid_end)], [0, 1], 2).astype(np.int8), categories=SPLITS)
    rows["relationship_years"] = ((rows["obs_date"] - rows.pop("relationship_start")).dt.days / 365.25).astype(np.float32)
    rows["project_finance"] = (rows["segment"] == "project_finance").astype(np.int8)
    rows = pd.concat([rows, beh_feats, questionnaire_features(quest, rows),
                      macro_features(macro, rows, params.macro_lag_months)], axis=1)
    return rows, members


def obligor_rows(fin: pd.DataFrame, beh: pd.DataFrame, dft: pd.DataFrame, obl: pd.DataFrame,
                 quest: pd.DataFrame | None, macro: pd.DataFrame, params: PanelParams,
                 data_end: pd.Timestamp) -> pd.DataFrame:
    """Panel rows and peer-group members of the given obligors in one frame (for partitioned engines).

    Rows flagged ``_panel_row`` become panel rows; the others are every statement as a
    peer-group member for ``add_peer_features``.
    """
    rows, members = local_parts(fin, beh, dft, obl, quest, macro, params, data_end)
    return pd.concat([rows.assign(**{_ROW_FLAG: True}), members.assign(**{_ROW_FLAG: False})], ignore_index=True)


def add_peer_features(frame: pd.DataFrame, min_peer_group: int) -> pd.DataFrame:
    """Panel rows of ``frame`` with peer benchmarks against all its statements (``obligor_rows`` output)."""
    flag = frame[_ROW_FLAG].to_numpy(dtype=bool)
    rows = frame[flag].drop(columns=_ROW_FLAG)
    return pd.concat([rows, peer_features(frame[~flag], rows, min_peer_group)], axis=1)


def finalise(panel: pd.DataFrame) -> pd.DataFrame:
    """Identifiers and target first with their own dtypes, every feature float32, rows in
    (obligor, observation date) order: the one shape both engines return."""
    ids: dict[str, object] = {c: panel[c].to_numpy() for c in ID_COLUMNS}
    ids["default_12m"] = panel["default_12m"].to_numpy(dtype=np.int8)
    for col in ("obligor_id", "industry", "segment", "split"):
        ids[col] = panel[col].astype(str).to_numpy()
    names = [c for c in panel.columns if c not in ID_COLUMNS and c != "available_date"]
    block = np.empty((len(panel), len(names)), dtype=np.float32, order="F")
    for j, col in enumerate(names):
        block[:, j] = pd.to_numeric(panel[col], errors="coerce").to_numpy(dtype=np.float32)
    out = panel_frame(ids, block, names)
    for col in ("obligor_id", "industry", "segment", "split"):
        out[col] = out[col].astype(str)
    return out.sort_values(["obligor_id", "obs_date"], kind="stable").reset_index(drop=True)


def panel_frame(ids: Mapping[str, object], features: np.ndarray, names: list[str]) -> pd.DataFrame:
    """The panel from its identifier columns and its float32 features as one rows x features
    array (Fortran order, so each feature is contiguous): the features become a single block.

    A frame built column by column holds one block per column (a hundred here), and pandas
    warns that it is "highly fragmented" as soon as anyone adds a column to it (``assign`` in
    a report). Built from one 2-D block it is not, without copying the features.
    """
    rows = {len(v) for v in ids.values()}
    if rows - {features.shape[0]} or features.shape[1] != len(names):
        raise ValueError(f"features has shape {features.shape}, expected ({', '.join(map(str, rows))}, {len(names)})")
    floats = pd.DataFrame(features, columns=names, copy=False)
    return pd.concat([pd.DataFrame(ids, copy=False), floats], axis=1)


PEER_QUERY = ["industry", "period_end", "obs_date", *PEER_RATIOS]


def feature_columns(panel: pd.DataFrame) -> list[str]:
    """Model inputs: everything but identifiers, target, split and dates (numeric columns, and the text
    categories of a bring-your-own table)."""
    return [c for c in panel.columns if c not in ID_COLUMNS and not pd.api.types.is_datetime64_any_dtype(panel[c])]
