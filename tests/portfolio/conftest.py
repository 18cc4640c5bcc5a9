"""Small hand-made inputs shared by the tests of the book, IFRS 9, the stress test and the report: a facility
book of six obligors at 2024-06-30, an annual 11 x 11 migration matrix (default last) and scenario shifts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.portfolio.exposure import exposure_at_default
from workbench.reference.master_scale import MASTER_SCALE

AS_OF = pd.Timestamp("2024-06-30")
#: Reference industry codes (the default scenarios' overrides name them).
INDUSTRIES = ("construction", "retail", "utilities")
SCENARIOS = ("baseline", "adverse", "severe")

# facility, obligor, industry, tier, product, repayment, limit, drawn, origination, maturity, spread bps, lgd,
# pd, pd at origination, days past due, defaulted, watchlist, sales
_ROWS = [
    ("F1", "O1", "utilities", "A", "term_loan", "annuity", 10.0, 10.0, "2022-06-30", "2029-06-30", 150, 0.45,
     0.004, 0.004, 0, False, False, np.nan),  # stage 1, five years left
    ("F2", "O2", "construction", "B", "revolver", "revolving", 20.0, 5.0, "2023-01-31", "2027-06-30", 200, 0.45,
     0.03, 0.005, 0, False, False, 30.0),  # stage 2: PD 6x its origination level
    ("F3", "O2", "construction", "B", "trade_finance", "revolving", 4.0, 1.0, "2024-01-31", "2025-03-31", 120,
     0.45, 0.03, 0.005, 0, False, False, 30.0),  # stage 2, nine months left
    ("F4", "O3", "retail", "C", "term_loan", "bullet", 8.0, 8.0, "2021-12-31", "2026-12-31", 180, 0.40,
     0.01, 0.008, 0, False, False, np.nan),  # stage 1
    ("F5", "O4", "construction", "workout", "term_loan", "equal_principal", 6.0, 6.0, "2020-06-30", "2027-06-30",
     250, 0.45, 1.0, 0.02, 120, True, False, np.nan),  # stage 3: in default
    ("F6", "O5", "retail", "B", "term_loan", "equal_principal", 12.0, 9.0, "2021-06-30", "2028-06-30", 160, 0.35,
     0.02, 0.015, 0, False, True, 20.0),  # stage 2: on the watchlist
    ("F7", "O6", "utilities", "C", "guarantee", "bullet", 5.0, 0.0, "2023-06-30", "2026-06-30", 100, 0.45,
     0.05, 0.04, 0, False, False, np.nan),  # stage 1, grade 8 today
]

#: The stage each facility of ``make_book()`` is in (the comments above).
STAGES = {"F1": 1, "F2": 2, "F3": 2, "F4": 1, "F5": 3, "F6": 2, "F7": 1}


def make_book() -> pd.DataFrame:
    """The facility frame of ``book.facility_book`` for the rows above (eir = 3.5 % + spread)."""
    columns = ["facility_id", "obligor_id", "industry", "tier", "product", "repayment_type", "limit", "drawn",
               "origination_date", "maturity_date", "spread_bps", "lgd", "pd", "pd_origination", "days_past_due",
               "defaulted", "watchlist", "sales"]
    book = pd.DataFrame(_ROWS, columns=columns)
    for c in ("origination_date", "maturity_date"):
        book[c] = pd.to_datetime(book[c])
    book["spread_bps"] = book["spread_bps"].astype(float)
    book["name"] = "Client " + book["obligor_id"]
    book["group"] = book["obligor_id"]
    book["eir"] = 0.035 + book["spread_bps"] / 1e4
    book["grade"] = np.where(book["defaulted"], 0, MASTER_SCALE.grade_number(np.minimum(book["pd"], 0.999)))
    book["forborne"] = False
    book["scored"] = ~book["defaulted"]
    book["default_date"] = pd.to_datetime(np.where(book["defaulted"], "2024-03-15", None))
    book["ead"] = exposure_at_default(book)
    return book


def annual_matrix() -> np.ndarray:
    """A one-year migration matrix over grades 1..10 and D: each grade defaults with its master-scale PD,
    moves one grade up with 5 % and one down with 8 %; D absorbing."""
    k = MASTER_SCALE.n_grades
    grade_pd = MASTER_SCALE.bands()["grade_pd"].to_numpy(dtype=float)[:k]
    p = np.zeros((k + 1, k + 1))
    for g in range(k):
        up = 0.05 if g > 0 else 0.0
        down = 0.08 if g < k - 1 else 0.0
        if g > 0:
            p[g, g - 1] = up
        if g < k - 1:
            p[g, g + 1] = down
        p[g, k] = grade_pd[g]
        p[g, g] = 1.0 - up - down - grade_pd[g]
    p[k, k] = 1.0
    return p


def make_shifts(values: Mapping[str, float | Sequence[float]], industries: Sequence[str] = INDUSTRIES,
                horizon: int = 3) -> pd.DataFrame:
    """scenario, year, industry, shift: ``values`` gives each scenario one shift for every year and industry, a
    list of yearly shifts, or a mapping industry -> list of yearly shifts."""
    rows = []
    for scenario, value in values.items():
        for industry in industries:
            v = value[industry] if isinstance(value, Mapping) else value
            yearly = [float(v)] * horizon if np.isscalar(v) else [float(x) for x in v]
            rows += [(scenario, year, industry, s) for year, s in enumerate(yearly, start=1)]
    return pd.DataFrame(rows, columns=["scenario", "year", "industry", "shift"])


def zero_shifts() -> pd.DataFrame:
    return make_shifts({s: 0.0 for s in SCENARIOS})


def rising_shifts() -> pd.DataFrame:
    """baseline 0; adverse and severe worse every year, worst in year 2 (the peak year)."""
    return make_shifts({"baseline": 0.0, "adverse": [0.15, 0.3, 0.2], "severe": [0.3, 0.6, 0.45]})

