"""The data contract for a whole portfolio: every table there, none empty, dates before the data's
as-of, balance sheets that balance, no column the contract names left entirely empty.

``validate`` (``schemas``) checks each table row by row and the links between tables; a
portfolio can pass that and still be unusable: an empty directory, a missing ``financials``
table, a statement dated 2040, an all-NaN ``ebitda`` column. ``validate_portfolio`` catches
those, raising one ``DataValidationError`` that names table, column and rows, and returns the
warnings (possible but suspicious data) for the caller to print and log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import pandas as pd

from .params import ContractParams
from .schemas import SCHEMAS, TABLES, DataValidationError, Problem, _row_ids, validate

__all__ = ["REQUIRED_TABLES", "OPTIONAL_TABLES", "MAY_BE_EMPTY", "data_as_of", "portfolio_problems",
           "portfolio_warnings", "validate_portfolio"]

#: What the credit pipeline cannot do without; the others feed one notebook each.
REQUIRED_TABLES: tuple[str, ...] = ("obligors", "financials", "facilities", "behaviour", "defaults", "macro")
OPTIONAL_TABLES: tuple[str, ...] = tuple(t for t in TABLES if t not in REQUIRED_TABLES)
#: Required tables that may hold no rows (a book without a default yet).
MAY_BE_EMPTY: tuple[str, ...] = ("defaults",)

# Date columns that record something that happened, so cannot lie after the data's as-of.
_EVENT_DATES: dict[str, tuple[str, ...]] = {
    "financials": ("period_end", "reported_date"), "behaviour": ("month_end",), "defaults": ("default_date",),
    "questionnaires": ("survey_date",), "quotes": ("quote_date",), "interactions": ("date",),
    "obligors": ("relationship_start",), "facilities": ("origination_date",),
}


def data_as_of(tables: Mapping[str, pd.DataFrame]) -> pd.Timestamp | None:
    """The month end the portfolio runs to: the last behaviour month (else the last macro month)."""
    for name, column in (("behaviour", "month_end"), ("macro", "month_end")):
        frame = tables.get(name)
        if frame is not None and column in frame.columns and frame[column].notna().any():
            return pd.Timestamp(frame[column].max())
    return None


def _missing_and_empty(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    out = []
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        absent_optional = [t for t in OPTIONAL_TABLES if t not in tables]
        note = f"; optional, also absent: {', '.join(absent_optional)}" if absent_optional else ""
        out.append(Problem(", ".join(missing), "<table>", "required table present", len(missing),
                           f"missing required table(s) {', '.join(missing)} (required: {', '.join(REQUIRED_TABLES)}"
                           f"{note})"))
    for name in REQUIRED_TABLES:
        if name in tables and name not in MAY_BE_EMPTY and len(tables[name]) == 0:
            out.append(Problem(name, "<table>", "has rows", 0, "the table is empty"))
    return out


def _all_missing_columns(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    out = []
    for name, frame in tables.items():
        if name not in SCHEMAS or len(frame) == 0:
            continue
        for column in SCHEMAS[name].columns:
            if column in frame.columns and frame[column].isna().all():
                out.append(Problem(name, column, "not entirely empty", len(frame),
                                   f"every one of the {len(frame):,d} rows is missing"))
    return out


def _dates_in_range(tables: Mapping[str, pd.DataFrame], as_of: pd.Timestamp | None,
                    params: ContractParams) -> list[Problem]:
    horizon = pd.Timestamp(date.today() + timedelta(days=params.future_days))
    out = []
    for name, columns in _EVENT_DATES.items():
        frame = tables.get(name)
        if frame is None:
            continue
        for column in columns:
            if column not in frame.columns:
                continue
            values = pd.to_datetime(frame[column], errors="coerce")
            limit, why = (horizon, f"more than {params.future_days} days after today")
            if as_of is not None and name not in ("behaviour",):
                limit, why = (min(horizon, as_of), f"after the data's as-of {as_of.date()}")
            late = values > limit
            if late.any():
                rows = list(frame.index[late.to_numpy()])
                out.append(Problem(name, column, f"on or before {limit.date()}", int(late.sum()),
                                   f"{why}: {_row_ids(frame, rows)}"))
    return out


def _balance_sheets(tables: Mapping[str, pd.DataFrame], params: ContractParams) -> list[Problem]:
    fin = tables.get("financials")
    needed = {"total_assets", "total_liabilities", "equity"}
    if fin is None or not needed <= set(fin.columns):
        return []
    gap = (fin["total_assets"] - fin["total_liabilities"] - fin["equity"]).abs() / fin["total_assets"].abs()
    off = (gap > params.balance_tolerance).fillna(False).to_numpy()
    if not off.any():
        return []
    rows = list(fin.index[off])
    return [Problem("financials", "total_assets, total_liabilities, equity",
                    f"assets = liabilities + equity within {100 * params.balance_tolerance:g} %", int(off.sum()),
                    _row_ids(fin, rows))]


def portfolio_problems(tables: Mapping[str, pd.DataFrame], params: ContractParams | None = None) -> list[Problem]:
    """What makes the portfolio unusable as a whole (see the module docstring)."""
    params = params or ContractParams()
    return (_missing_and_empty(tables) + _all_missing_columns(tables)
            + _dates_in_range(tables, data_as_of(tables), params) + _balance_sheets(tables, params))


def portfolio_warnings(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Possible but suspicious: worth a line in the log, not a refusal."""
    out = []
    defaults = tables.get("defaults")
    if defaults is not None and len(defaults) == 0:
        out.append("defaults: no default in the whole history; a PD model cannot be trained on this portfolio")
    obligors, fin = tables.get("obligors"), tables.get("financials")
    if obligors is not None and fin is not None and len(obligors):
        without = set(obligors["obligor_id"]) - set(fin["obligor_id"])
        if without:
            out.append(f"financials: {len(without):,d} of {len(obligors):,d} obligors have no statement "
                       f"(e.g. {', '.join(sorted(without)[:3])}); they get no panel row")
    if fin is not None and {"total_debt", "total_assets"} <= set(fin.columns) and len(fin):
        geared = (fin["total_debt"] > 1.5 * fin["total_assets"]).sum()
        if geared:
            out.append(f"financials: {int(geared):,d} statement(s) with debt above 1.5 x total assets")
    for name in OPTIONAL_TABLES:
        if name != "truth" and name not in tables:
            out.append(f"{name}: absent (optional; the notebooks that read it will say so)")
    return out


def validate_portfolio(tables: Mapping[str, pd.DataFrame], params: ContractParams | None = None) -> list[str]:
    """Every check of the data contract on a whole portfolio: each table (``validate``), the links,
    and ``portfolio_problems``; raises one ``DataValidationError`` with every problem, else returns
    the warnings."""
    problems = portfolio_problems(tables, params)
    try:
        validate({name: frame for name, frame in tables.items()})
    except DataValidationError as exc:
        problems = list(exc.problems) + problems
    if problems:
        raise DataValidationError(problems)
    return portfolio_warnings(tables)

