"""The champion's view of a snapshot: PD and master-scale grade for every row, and reason codes
for the rows a reader looks at (alerts), since SHAP for the whole book every month would cost more
than the rest of the monthly run together."""

from __future__ import annotations

from typing import Collection

import numpy as np
import pandas as pd

from ..features import feature_columns

__all__ = ["score_snapshot", "snapshot_reasons"]


def score_snapshot(model, snapshot: pd.DataFrame) -> pd.DataFrame:
    """``snapshot`` with ``pd`` (calibrated 12-month PD) and ``grade`` (master-scale number, 1 best).

    ``model`` is a fitted ``PDModel``: its own feature list picks the columns, so a snapshot with
    more columns than the model was trained on scores as the training panel did.
    """
    missing = [c for c in getattr(model, "feature_names_in_", []) if c not in snapshot.columns]
    if missing:
        raise KeyError(f"the snapshot lacks the model's feature(s) {', '.join(missing[:10])}"
                       + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
    features = list(getattr(model, "feature_names_in_", [])) or feature_columns(snapshot)
    pd_ = model.predict_pd(snapshot[features]) if len(snapshot) else np.empty(0)
    scored = snapshot.copy()
    scored["pd"] = np.asarray(pd_, dtype=np.float64)
    scored["grade"] = np.asarray(model.master_scale_.grade_number(pd_), dtype=np.int64)
    return scored


def snapshot_reasons(model, scored: pd.DataFrame, obligors: Collection[str], top: int = 3,
                     reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``top`` adverse drivers of the PD (SHAP reason codes, ``workbench.explain``) of the named
    obligors' rows: obligor_id, obs_date, ``adverse_1..top``."""
    from ..explain import reason_codes  # here: the explainer is only needed when a report asks

    rows = scored[scored["obligor_id"].isin(list(obligors))].reset_index(drop=True)
    columns = ["obligor_id", "obs_date"] + [f"adverse_{k}" for k in range(1, top + 1)]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    codes = reason_codes(model, rows[list(model.feature_names_in_)], top=top, context=0, reference=reference)
    out = pd.concat([rows[["obligor_id", "obs_date"]], codes.reset_index(drop=True)], axis=1)
    return out[[c for c in columns if c in out.columns]]
