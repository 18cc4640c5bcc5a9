"""Input checks the portfolio modules share: the columns a frame must have, and the facilities to name
when some of its rows are wrong."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["need_columns", "row_ids"]


def need_columns(frame: pd.DataFrame, columns: Sequence[str], name: str, *, purpose: str = "") -> None:
    """A KeyError naming ``name`` and each of ``columns`` that ``frame`` lacks (and what they are needed for)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{name} lacks column(s) {', '.join(missing)}" + (f" (needed for {purpose})" if purpose else ""))


def row_ids(frame: pd.DataFrame, bad: np.ndarray, limit: int = 5) -> str:
    """The facility ids of the rows ``bad`` marks (their positions without a facility_id), the first ``limit``
    and how many more, for error messages."""
    ids = frame["facility_id"].astype(str).to_numpy()[bad] if "facility_id" in frame.columns \
        else np.flatnonzero(bad).astype(str)
    more = int(np.sum(bad)) - min(len(ids), limit)
    return ", ".join(ids[:limit]) + (f" (+{more} more)" if more > 0 else "")
