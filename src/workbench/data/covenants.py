"""Covenant tests, defined once: the ratio each covenant type tests on a statement, when a test is a
breach, the schedule of test dates and which statement a test uses.

Both the synthetic generator (which derives the behaviour table's ``covenant_breach`` from the
``covenants`` table and the statements) and ``workbench.accounts.covenants`` (each covenant's last test,
headroom and next test for the relationship manager) test with these functions, so the data and the
dossier can never disagree about what a breach is. The generator may import only the reference data and
the data contract, which is why they live here rather than in ``accounts``.

Conventions
-----------
* Ratios (``COVENANT_RULES``): leverage = total_debt / total_assets; interest cover = ebit /
  interest_expense; DSCR = operating_cash_flow / (interest_expense + total_debt / amortisation years)
  (the statements carry no repayment schedule, so the scheduled principal is proxied by straight-line
  repayment of today's debt over ``DEFAULT_DSCR_AMORTISATION_YEARS``); equity ratio = equity / total_assets.
* Headroom is signed so that negative means breach: ``threshold - value`` for a maximum,
  ``value - threshold`` for a minimum; relative headroom is that divided by the threshold.
* A test whose ratio cannot be computed (no usable statement, a missing item) is *not tested*, never a breach. With no interest (no debt) the interest cover and the DSCR are
  infinite, so they pass.
* Schedule: test *k* (k >= 1) falls due at the month end ``k * test_frequency_months`` months after the
  month of ``start_date``; a test uses the obligor's latest statement usable at the test date, usable
  from ``max(reported_date, period_end + reporting_lag_days)`` (the feature panel's rule, same default lag).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..reference import COVENANT_TYPES

__all__ = [
    "CovenantRule", "COVENANT_RULES", "DEFAULT_REPORTING_LAG_DAYS", "DEFAULT_DSCR_AMORTISATION_YEARS",
    "STATEMENT_COLUMNS", "covenant_ratio", "covenant_headroom", "month_index", "month_end", "last_test_index",
    "test_schedule", "usable_statements", "evaluate_tests",
]

#: Days after the period end before a statement is usable: the feature panel's default (``PanelParams``).
DEFAULT_REPORTING_LAG_DAYS = 120
#: Years over which the DSCR proxy repays today's debt (a project loan's typical remaining life in the book).
DEFAULT_DSCR_AMORTISATION_YEARS = 12.0


@dataclass(frozen=True)
class CovenantRule:
    """What one covenant type tests: the ratio (as text, for a reader), whether the threshold is a
    maximum or a minimum, and the ratio's unit."""

    ratio: str
    bound: Literal["max", "min"]
    unit: Literal["ratio", "x"]


COVENANT_RULES: dict[str, CovenantRule] = {
    "max_leverage": CovenantRule("total_debt / total_assets", "max", "ratio"),
    "min_interest_cover": CovenantRule("ebit / interest_expense", "min", "x"),
    "min_dscr": CovenantRule("operating_cash_flow / (interest_expense + total_debt / amortisation_years)", "min", "x"),
    "min_equity_ratio": CovenantRule("equity / total_assets", "min", "ratio"),
}
assert tuple(COVENANT_RULES) == COVENANT_TYPES  # one rule per reference type, in reference order

#: The statement items the ratios read.
STATEMENT_COLUMNS = ("total_debt", "total_assets", "ebit", "interest_expense", "operating_cash_flow", "equity")


def covenant_ratio(types: np.ndarray, statements: pd.DataFrame,
                   dscr_amortisation_years: float = DEFAULT_DSCR_AMORTISATION_YEARS) -> np.ndarray:
    """Per row, the ratio covenant type ``types[i]`` tests on statement row ``i`` (NaN when it cannot be computed)."""
    types = np.asarray(types, dtype=object)
    unknown = sorted(set(types.tolist()) - set(COVENANT_TYPES))
    if unknown:
        raise ValueError(f"unknown covenant type(s) {unknown}; known: {', '.join(COVENANT_TYPES)}")
    missing = [c for c in STATEMENT_COLUMNS if c not in statements.columns]
    if missing:
        raise KeyError(f"statements lack column(s) {missing} the covenant ratios need")
    col = {c: statements[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in STATEMENT_COLUMNS}
    with np.errstate(divide="ignore", invalid="ignore"):
        leverage = col["total_debt"] / col["total_assets"]
        # No interest (no debt) to cover or service: the cover is infinite, the test passes.
        cover = np.where(col["interest_expense"] == 0, np.inf, col["ebit"] / col["interest_expense"])
        cover = np.where(np.isnan(col["ebit"]), np.nan, cover)
        service = col["interest_expense"] + col["total_debt"] / dscr_amortisation_years
        dscr = np.where(service == 0, np.inf, col["operating_cash_flow"] / service)
        dscr = np.where(np.isnan(col["operating_cash_flow"]), np.nan, dscr)
        equity_ratio = col["equity"] / col["total_assets"]
    return np.select([types == t for t in COVENANT_TYPES], [leverage, cover, dscr, equity_ratio], np.nan)


def covenant_headroom(types: np.ndarray, value: np.ndarray, threshold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed headroom (negative = breach) in the ratio's units, and relative to the threshold."""
    types = np.asarray(types, dtype=object)
    value, threshold = np.asarray(value, dtype=np.float64), np.asarray(threshold, dtype=np.float64)
    is_max = np.isin(types, [t for t, rule in COVENANT_RULES.items() if rule.bound == "max"])
    with np.errstate(invalid="ignore"):
        headroom = np.where(is_max, threshold - value, value - threshold)
        relative = headroom / threshold
    return headroom, relative


def month_index(dates) -> np.ndarray:
    """Months since 1970-01 of each date (its calendar month)."""
    return np.asarray(pd.DatetimeIndex(dates).to_numpy().astype("datetime64[M]").astype(np.int64))


def month_end(index: np.ndarray) -> np.ndarray:
    """The month end (datetime64[ns]) of month indices from ``month_index``."""
    first_next = (np.asarray(index, dtype=np.int64) + 1).astype("datetime64[M]").astype("datetime64[D]")
    return (first_next - np.timedelta64(1, "D")).astype("datetime64[ns]")


def last_test_index(start_month: np.ndarray, frequency: np.ndarray, as_of) -> np.ndarray:
    """Per covenant, the number *k* of the last test due on or before ``as_of`` (0: none due yet)."""
    as_of = pd.Timestamp(as_of).normalize()
    # The month end of as_of's month counts only from that day on.
    done = month_index([as_of])[0] - (0 if as_of == as_of + pd.offsets.MonthEnd(0) else 1)
    return np.maximum((done - np.asarray(start_month)) // np.asarray(frequency), 0)


def test_schedule(start_month: np.ndarray, frequency: np.ndarray, first: int, last: int) -> tuple[np.ndarray, ...]:
    """Every test due in months ``first .. last`` (month indices): the covenant's position and the
    test's month index, ordered by covenant then date."""
    start_month, frequency = np.asarray(start_month, np.int64), np.asarray(frequency, np.int64)
    k_first = np.maximum(-((start_month - first) // frequency), 1)  # ceil((first - start) / freq), at least 1
    k_last = (last - start_month) // frequency
    count = np.maximum(k_last - k_first + 1, 0)
    pos = np.repeat(np.arange(len(start_month)), count)
    offset = np.arange(len(pos)) - np.repeat(np.cumsum(count) - count, count)
    return pos, start_month[pos] + (k_first[pos] + offset) * frequency[pos]


def usable_statements(financials: pd.DataFrame, reporting_lag_days: int = DEFAULT_REPORTING_LAG_DAYS) -> pd.DataFrame:
    """The statements with ``available_date`` (when each becomes usable), ordered for an as-of lookup."""
    missing = [c for c in ("obligor_id", "period_end", "reported_date", *STATEMENT_COLUMNS)
               if c not in financials.columns]
    if missing:
        raise KeyError(f"financials lack column(s) {missing} the covenant tests need")
    # One resolution for every date, whatever the source (parquet readers differ): the lookup needs it.
    fin = financials[["obligor_id", "period_end", "reported_date", *STATEMENT_COLUMNS]].astype(
        {"period_end": "datetime64[ns]", "reported_date": "datetime64[ns]"})
    available = np.maximum(fin["reported_date"].to_numpy(),
                           (fin["period_end"] + pd.Timedelta(days=reporting_lag_days)).to_numpy())
    # Of two statements usable on the same day, the later period is the latest.
    return (fin.assign(available_date=available)
            .sort_values(["available_date", "period_end"], kind="stable").reset_index(drop=True))


def evaluate_tests(obligor_id: np.ndarray, types: np.ndarray, threshold: np.ndarray, test_date: np.ndarray,
                   usable: pd.DataFrame,
                   dscr_amortisation_years: float = DEFAULT_DSCR_AMORTISATION_YEARS) -> pd.DataFrame:
    """Each test (one row per element of the arrays): the statement it uses (the obligor's latest usable
    at ``test_date``; ``usable`` from ``usable_statements``), the tested value, headroom and breach.

    Columns: ``period_end``, ``available_date``, ``value``, ``headroom``, ``headroom_rel``, ``breached``,
    in the order of the inputs. A test without a date (NaT) or a usable statement is untested.
    """
    tests = pd.DataFrame({"_row": np.arange(len(obligor_id)), "obligor_id": pd.array(np.asarray(obligor_id, dtype=object), dtype="str"),
                          "test_date": pd.DatetimeIndex(test_date).astype("datetime64[ns]")})
    dated = tests[tests["test_date"].notna()].sort_values("test_date", kind="stable")
    right = usable.astype({"obligor_id": "str"})
    found = pd.merge_asof(dated, right, left_on="test_date", right_on="available_date", by="obligor_id",
                          direction="backward")
    found = found.set_index("_row").reindex(np.arange(len(tests)))
    # Without a usable statement every item is missing, so the ratio is NaN: untested.
    value = covenant_ratio(types, found, dscr_amortisation_years)
    headroom, relative = covenant_headroom(types, value, threshold)
    return pd.DataFrame({
        "period_end": found["period_end"].to_numpy(dtype="datetime64[ns]"),
        "available_date": found["available_date"].to_numpy(dtype="datetime64[ns]"),
        "value": value,
        "headroom": headroom,
        "headroom_rel": relative,
        "breached": np.nan_to_num(headroom, nan=0.0) < 0,
    })
