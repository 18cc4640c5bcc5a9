"""The movement of the ECL allowance between two as-of dates: from the opening ECL to the closing ECL
through new facilities, repaid ones, write-offs, stage transfers and remeasurement, as a table and a
waterfall chart (the reconciliation IFRS 7 para 35H-35I asks for, by stage).

Every facility of either date falls in exactly one category (``CATEGORIES``):

* **new facilities**: in ``after`` only (originated between the dates): + their closing ECL;
* **derecognised (repaid or matured)**: in ``before`` only, performing then: - their opening ECL;
* **written off**: in ``before`` only and credit-impaired then (stage 3, or ``defaulted`` where the
  frame has that column), or named in ``written_off``: - their opening ECL (the allowance is used);
* **transfer to stage 2 / to stage 3 / back to stage 1**: in both, with a different stage after than
  before: their whole change, closing - opening ECL, booked to the stage they moved to (transfers
  from 3 to 2 count as "transfer to stage 2");
* **remeasurement**: in both, same stage: closing - opening ECL (changes of PD, exposure, LGD, the
  shorter remaining life).

So opening + the movements = closing: sum(after) = new + continuing(after) and
sum(before) = left + continuing(before), whatever the facilities. Each category is a correctly
rounded sum (``math.fsum``) of its facilities' amounts, so the identity holds to the last bits of
floating point (1e-12 relative, tested), with no balancing item. ``by_stage`` splits every category
over the stages, a transfer taking its opening ECL out of the old stage and putting its closing ECL
into the new one, so that each stage's column reconciles too.

A facility that defaulted and was written off between the dates, never seen in stage 3 at either
date, would count as derecognised: pass its id in ``written_off`` (e.g. from the defaults table).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import format as fmt

__all__ = ["CATEGORIES", "MOVEMENT_COLUMNS", "EclMovement", "ecl_movement", "plot_ecl_waterfall"]

NEW, DERECOGNISED, WRITTEN_OFF = "new facilities", "derecognised (repaid or matured)", "written off"
TO_STAGE_2, TO_STAGE_3, TO_STAGE_1 = "transfer to stage 2", "transfer to stage 3", "transfer back to stage 1"
REMEASUREMENT = "remeasurement (PD, exposure, LGD)"
#: The movements from opening to closing ECL, in the order of the table and the waterfall.
CATEGORIES = (NEW, DERECOGNISED, WRITTEN_OFF, TO_STAGE_2, TO_STAGE_3, TO_STAGE_1, REMEASUREMENT)
#: Columns each ECL frame needs.
MOVEMENT_COLUMNS = ("facility_id", "obligor_id", "stage", "ead", "ecl")
_TRANSFER = {1: TO_STAGE_1, 2: TO_STAGE_2, 3: TO_STAGE_3}


@dataclass(frozen=True)
class EclMovement:
    """The ECL movement between two as-of dates (module docstring). Amounts in the frames' unit (EUR m)."""

    opening: float
    closing: float
    movements: pd.DataFrame  # index category (CATEGORIES): ecl (signed change), facilities
    by_stage: pd.DataFrame  # rows opening, CATEGORIES, closing; columns stage 1, 2, 3, total
    facilities: pd.DataFrame  # per facility: category, stages, ECL and EAD at both dates, change

    @property
    def residual(self) -> float:
        """opening + movements - closing: zero up to floating-point rounding."""
        return math.fsum([self.opening, *self.movements["ecl"].tolist(), -self.closing])

    def table(self) -> pd.DataFrame:
        """Opening, each movement, closing for people: facilities, then the ECL (EUR m) of each stage and
        in total (movements signed)."""
        counts = [int(self.facilities["stage_before"].notna().sum()), *self.movements["facilities"].tolist(),
                  int(self.facilities["stage_after"].notna().sum())]
        out = pd.DataFrame({"facilities": [fmt.integer(c) for c in counts]}, index=self.by_stage.index)
        ends = {"opening ECL", "closing ECL"}
        for column in self.by_stage.columns:
            out[f"{column} (EUR m)"] = [fmt.number(v) if label in ends else fmt.signed(v)
                                        for label, v in self.by_stage[column].items()]
        return out


def _check(frame: pd.DataFrame, name: str) -> None:
    missing = [c for c in MOVEMENT_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"{name} lacks column(s) {', '.join(missing)}")
    dup = frame["facility_id"].duplicated()
    if dup.any():
        raise ValueError(f"{name} has more than one row for facilities "
                         f"{frame.loc[dup, 'facility_id'].astype(str).tolist()[:5]}")
    bad = ~frame["stage"].isin(list((1, 2, 3)))
    if bad.any():
        raise ValueError(f"{name}.stage must be 1, 2 or 3; got {sorted(set(frame.loc[bad, 'stage'].tolist()))}")
    ecl = frame["ecl"].to_numpy(dtype=float)
    if not np.isfinite(ecl).all():
        raise ValueError(f"{name}.ecl must be finite; not so for facilities "
                         f"{frame.loc[~np.isfinite(ecl), 'facility_id'].astype(str).tolist()[:5]}")


def ecl_movement(before: pd.DataFrame, after: pd.DataFrame, *, written_off: Iterable[str] | None = None
                 ) -> EclMovement:
    """The ECL movement from ``before`` (the earlier as-of's facility ECL frame) to ``after`` (the later
    one's): facility_id, obligor_id, stage, ead, ecl each (e.g. ``ecl.facility_ecl`` or
    ``ecl.weighted_ecl``; a ``defaulted`` column in ``before`` marks write-offs too). ``written_off``:
    ids of facilities known to have been written off between the dates."""
    _check(before, "before")
    _check(after, "after")
    keep = list(MOVEMENT_COLUMNS) + (["defaulted"] if "defaulted" in before.columns else [])
    b = before[keep].rename(columns={"obligor_id": "obligor_before", "stage": "stage_before", "ead": "ead_before",
                                     "ecl": "ecl_before"})
    a = after[list(MOVEMENT_COLUMNS)].rename(columns={"obligor_id": "obligor_after", "stage": "stage_after",
                                                      "ead": "ead_after", "ecl": "ecl_after"})
    both = b.merge(a, on="facility_id", how="outer", indicator=True, sort=True)
    side = both.pop("_merge").astype(str).to_numpy()
    in_before, in_after = side != "right_only", side != "left_only"
    stage_b = both["stage_before"].to_numpy(dtype=float)
    stage_a = both["stage_after"].to_numpy(dtype=float)
    impaired = stage_b == 3
    if "defaulted" in both.columns:
        impaired |= both.pop("defaulted").fillna(False).astype(bool).to_numpy()
    if written_off is not None:
        impaired |= both["facility_id"].isin(list(written_off)).to_numpy()
    category = np.full(len(both), REMEASUREMENT, dtype=object)
    moved = in_before & in_after & (stage_a != stage_b)
    for s, label in _TRANSFER.items():
        category[moved & (stage_a == s)] = label
    category[~in_after & ~impaired] = DERECOGNISED
    category[~in_after & impaired] = WRITTEN_OFF
    category[~in_before] = NEW
    ecl_b = both["ecl_before"].fillna(0.0).to_numpy(dtype=float)
    ecl_a = both["ecl_after"].fillna(0.0).to_numpy(dtype=float)
    both.insert(1, "obligor_id", both["obligor_after"].where(both["obligor_after"].notna(), both["obligor_before"]))
    both = both.drop(columns=["obligor_before", "obligor_after"])
    both.insert(2, "category", category)
    both["change"] = ecl_a - ecl_b

    opening = math.fsum(before["ecl"].to_numpy(dtype=float).tolist())
    closing = math.fsum(after["ecl"].to_numpy(dtype=float).tolist())
    rows, stage_rows = [], {}
    for cat in CATEGORIES:
        sel = category == cat
        # Two terms per facility (closing, minus opening) so that each total is the exact sum, correctly rounded.
        rows.append({"category": cat, "ecl": math.fsum(ecl_a[sel].tolist() + (-ecl_b[sel]).tolist()),
                     "facilities": int(sel.sum())})
        stage_rows[cat] = [math.fsum(ecl_a[sel & (stage_a == s)].tolist() + (-ecl_b[sel & (stage_b == s)]).tolist())
                           for s in (1, 2, 3)]
    movements = pd.DataFrame(rows).set_index("category")
    by_stage = {"opening ECL": [math.fsum(before.loc[before["stage"] == s, "ecl"].astype(float).tolist())
                                for s in (1, 2, 3)]}
    by_stage.update(stage_rows)
    by_stage["closing ECL"] = [math.fsum(after.loc[after["stage"] == s, "ecl"].astype(float).tolist())
                               for s in (1, 2, 3)]
    table = pd.DataFrame.from_dict(by_stage, orient="index", columns=["stage 1", "stage 2", "stage 3"])
    table["total"] = [opening, *movements["ecl"].tolist(), closing]
    table.index.name = "movement"
    return EclMovement(opening=opening, closing=closing, movements=movements, by_stage=table,
                       facilities=both.reset_index(drop=True))


def plot_ecl_waterfall(movement: EclMovement) -> Figure:
    """Waterfall from the opening to the closing ECL: a floating bar per movement (increases red,
    decreases green), opening and closing as full bars; empty movements are left out."""
    steps = [(cat, float(v)) for cat, v in movement.movements["ecl"].items()
             if movement.movements.loc[cat, "facilities"] > 0]
    labels = ["opening ECL"] + [c for c, _ in steps] + ["closing ECL"]
    fig, ax = plt.subplots(figsize=(max(7, 1.1 * len(labels) + 2), 4.8))
    ax.bar(0, movement.opening, color="tab:blue")
    level = movement.opening
    for i, (_, value) in enumerate(steps, start=1):
        bottom = level if value >= 0 else level + value
        ax.bar(i, abs(value), bottom=bottom, color="tab:red" if value >= 0 else "tab:green")
        ax.text(i, max(level, level + value), fmt.signed(value), ha="center", va="bottom", fontsize=8)
        ax.plot([i - 1 + 0.4, i - 0.4], [level, level], color="grey", lw=0.8)
        level += value
    last = len(labels) - 1
    ax.plot([last - 1 + 0.4, last - 0.4], [level, level], color="grey", lw=0.8)
    ax.bar(last, movement.closing, color="tab:blue")
    for i, value in ((0, movement.opening), (last, movement.closing)):
        ax.text(i, value, fmt.number(value), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel("ECL (EUR m)")
    ax.set_title("ECL movement: opening to closing")
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.12)  # room for the labels above the tallest bar
    fig.tight_layout()
    plt.close(fig)
    return fig
