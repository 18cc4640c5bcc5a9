"""Covenant monitoring for the relationship manager: each covenant's last test, the statement it used,
the tested value, the headroom left, whether it is breached, and when it is tested next.

The tests themselves (the ratio of each covenant type, the breach rule, the test schedule, which
statement a test uses) are ``workbench.data.covenants``: the synthetic generator derives the behaviour
table's ``covenant_breach`` with the same functions, so a breach in this table is a breach in the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from workbench import format as fmt
from workbench.data.covenants import (
    COVENANT_RULES,
    DEFAULT_DSCR_AMORTISATION_YEARS,
    DEFAULT_REPORTING_LAG_DAYS,
    evaluate_tests,
    last_test_index,
    month_end,
    month_index,
    usable_statements,
)
from workbench.params import StrictModel
from workbench.reference import COVENANT_TYPES

__all__ = ["CovenantParams", "COVENANT_COLUMNS", "TEST_COLUMNS", "covenant_tests", "covenant_table"]

#: The ``covenants`` columns the tests read.
COVENANT_COLUMNS = ("covenant_id", "facility_id", "obligor_id", "type", "threshold", "test_frequency_months",
                    "start_date")
#: The columns of ``covenant_tests``, in order.
TEST_COLUMNS = ("covenant_id", "facility_id", "obligor_id", "type", "bound", "threshold", "test_frequency_months",
                "start_date", "last_test_date", "period_end", "value", "headroom", "headroom_rel", "breached",
                "tested", "next_test_date")


class CovenantParams(StrictModel):
    """How covenant tests read the statements."""

    reporting_lag_days: int = Field(
        DEFAULT_REPORTING_LAG_DAYS, ge=0, le=730,
        description="Days after the period end before a statement is usable (with its reported date, whichever is "
                    "later); 120 as the feature panel's PanelParams.reporting_lag_days, so the covenant test and "
                    "the model see the same statement at a date")
    dscr_amortisation_years: float = Field(
        DEFAULT_DSCR_AMORTISATION_YEARS, gt=0, le=40,
        description="Years over which the DSCR's scheduled-principal proxy repays today's debt (statements carry "
                    "no repayment schedule): the typical remaining life of a project loan; the generator uses the "
                    "same default")


def _check(covenants: pd.DataFrame) -> None:
    missing = [c for c in COVENANT_COLUMNS if c not in covenants.columns]
    if missing:
        raise KeyError(f"covenants lack column(s) {missing}; needed: {', '.join(COVENANT_COLUMNS)}")
    unknown = ~covenants["type"].isin(COVENANT_TYPES)
    if unknown.any():
        raise ValueError(f"covenants: unknown type(s) {sorted(covenants.loc[unknown, 'type'].unique())} in covenant(s) "
                         f"{covenants.loc[unknown, 'covenant_id'].head(5).tolist()}; known: {', '.join(COVENANT_TYPES)}")
    bad = ~(pd.to_numeric(covenants["test_frequency_months"], errors="coerce") > 0) | covenants["start_date"].isna()
    if bad.any():
        raise ValueError(f"covenants: test_frequency_months must be positive and start_date set; covenant(s) "
                         f"{covenants.loc[bad, 'covenant_id'].head(5).tolist()}")


def covenant_tests(covenants: pd.DataFrame, financials: pd.DataFrame, as_of,
                   params: CovenantParams | None = None) -> pd.DataFrame:
    """Per covenant at ``as_of``: its last test (the last test date on or before ``as_of``), the statement
    that test used (the obligor's latest usable then), the tested value, the headroom (in the ratio's
    units and relative to the threshold; negative = breach), whether it is breached and the next test date.

    Columns ``TEST_COLUMNS``, one row per covenant in the order given. A covenant with no test due yet, or
    whose test had no usable statement (or a missing item), is ``tested`` False, its value NaN and not
    breached; ``next_test_date`` is always set.
    """
    params = params or CovenantParams()
    _check(covenants)
    cov = covenants.reset_index(drop=True)
    start = month_index(cov["start_date"])
    freq = cov["test_frequency_months"].to_numpy(dtype=np.int64)
    k = last_test_index(start, freq, as_of)
    last = np.where(k >= 1, month_end(start + k * freq), np.datetime64("NaT", "ns"))
    result = evaluate_tests(cov["obligor_id"].to_numpy(dtype=object), cov["type"].to_numpy(dtype=object),
                            cov["threshold"].to_numpy(dtype=np.float64), last,
                            usable_statements(financials, params.reporting_lag_days), params.dscr_amortisation_years)
    out = cov[list(COVENANT_COLUMNS)].copy()
    out.insert(4, "bound", cov["type"].map({t: rule.bound for t, rule in COVENANT_RULES.items()}))
    out["last_test_date"] = last
    for column in ("period_end", "value", "headroom", "headroom_rel", "breached"):
        out[column] = result[column].to_numpy()
    out["tested"] = ~np.isnan(result["value"].to_numpy())
    out["next_test_date"] = month_end(start + (k + 1) * freq)
    return out[list(TEST_COLUMNS)]


def _ratio(value, covenant_type: str, sign: bool = False) -> str:
    """A tested value, threshold or headroom in its ratio's unit: ``2.00x`` for covers, ``0.62`` for shares."""
    if COVENANT_RULES[covenant_type].unit == "x":
        shown = fmt.multiple(value)
        return f"+{shown}" if sign and shown[0].isdigit() else shown
    x = fmt.finite(value)
    return "n/a" if x is None else (f"{x:+.2f}" if sign else f"{x:.2f}")


def covenant_table(tests: pd.DataFrame) -> pd.DataFrame:
    """``covenant_tests`` as a reviewer reads it: one row per covenant, the breaches first, then by headroom."""
    order = tests.assign(_h=tests["headroom_rel"].fillna(np.inf)).sort_values(
        ["breached", "_h"], ascending=[False, True], kind="stable")
    shown = order.assign(
        threshold_shown=[f"{COVENANT_RULES[t].bound} {_ratio(v, t)}"
                         for t, v in zip(order["type"], order["threshold"])],
        value_shown=[_ratio(v, t) for t, v in zip(order["type"], order["value"])],
        headroom_shown=[_ratio(v, t, sign=True) for t, v in zip(order["type"], order["headroom"])],
        status=np.where(order["breached"], "breach", np.where(order["tested"], "ok", "not tested")),
    )
    return fmt.display_frame(shown, {
        "obligor_id": ("Obligor", fmt.text),
        "facility_id": ("Facility", fmt.text),
        "covenant_id": ("Covenant", fmt.text),
        "type": ("Type", fmt.text),
        "threshold_shown": ("Threshold", fmt.text),
        "test_frequency_months": ("Tested every (months)", fmt.integer),
        "last_test_date": ("Last test", fmt.date),
        "period_end": ("Statement", fmt.date),
        "value_shown": ("Value", fmt.text),
        "headroom_shown": ("Headroom", fmt.text),
        "headroom_rel": ("Headroom (rel.)", fmt.percent),
        "status": ("Status", fmt.text),
        "next_test_date": ("Next test", fmt.date),
    })
