"""The data contract: one pandera schema per portfolio table (DESIGN.md section 3).

``validate(tables)`` checks every table it is given against its schema, plus the
links between tables (every ``obligor_id`` known in ``obligors``, every
``project_id`` in ``projects``), collects *all* problems and raises one
``DataValidationError`` that names table, column, check and the first offending
rows. Callers validate before they write anything, so bad input never leaves a
half-written output behind.

Extra columns are allowed (a bank's extract carries more than the contract
needs); the contract's columns must be present with the right type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ..reference import (
    CHANNELS,
    COLLATERAL_TYPES,
    COVENANT_TEST_FREQUENCIES,
    COVENANT_TYPES,
    DEFAULT_TYPES,
    INDUSTRY_CODES,
    INTERACTION_TOPICS,
    MASTER_SCALE,
    PRODUCTS,
    QUESTIONS,
    REGIONS,
    REPAYMENT_TYPES,
    SEGMENTS,
    SENIORITIES,
    SIZE_BANDS,
)

__all__ = [
    "SCHEMAS",
    "TABLES",
    "DataValidationError",
    "Problem",
    "validate",
]


def _codes(values: tuple[str, ...]) -> pa.Check:
    """The column holds codes of the reference list ``values`` (``workbench.reference``)."""
    return pa.Check.isin(list(values))


_ID = dict(dtype=str, nullable=False)


def _money(nullable: bool = True, nonneg: bool = True) -> pa.Column:
    checks = [pa.Check.ge(0)] if nonneg else []
    return pa.Column(float, checks=checks, nullable=nullable)


# Row-wise checks over several columns: check name -> the columns a user should look at.
_WIDE_CHECK_COLUMNS: dict[str, str] = {}


def _wide_check(fn, name: str, columns: list[str]) -> pa.Check:
    _WIDE_CHECK_COLUMNS[name] = ", ".join(columns)
    return pa.Check(fn, name=name)


def _unique_keys(keys: list[str]) -> pa.Check:
    return _wide_check(lambda df: ~df.duplicated(subset=keys, keep=False), f"unique({', '.join(keys)})", keys)


def _not_above(part: str, whole: str, tolerance: float = 1e-6) -> pa.Check:
    """``part <= whole`` (a component never exceeds its total); missing values pass."""
    return _wide_check(lambda df: df[part].isna() | df[whole].isna() | (df[part] <= df[whole] * (1 + tolerance) + 1e-9),
                       f"{part} <= {whole}", [part, whole])


def _ordered(earlier: str, later: str) -> pa.Check:
    return _wide_check(lambda df: df[later].isna() | df[earlier].isna() | (df[later] >= df[earlier]),
                       f"{later} >= {earlier}", [earlier, later])


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "obligors": pa.DataFrameSchema(
        {
            "obligor_id": pa.Column(str, unique=True, nullable=False),
            "name": pa.Column(str, nullable=False),
            "industry": pa.Column(str, _codes(INDUSTRY_CODES), nullable=False),
            "region": pa.Column(str, _codes(REGIONS), nullable=False),
            "segment": pa.Column(str, _codes(SEGMENTS), nullable=False),
            "size_band": pa.Column(str, _codes(SIZE_BANDS), nullable=False),
            "sales": _money(nullable=False),
            "group_id": pa.Column(str, nullable=True),
            "relationship_start": pa.Column(pa.DateTime, nullable=False),
        },
        name="obligors",
    ),
    "financials": pa.DataFrameSchema(
        {
            "obligor_id": pa.Column(**_ID),
            "period_end": pa.Column(pa.DateTime, nullable=False),
            "reported_date": pa.Column(pa.DateTime, nullable=False),
            "audited": pa.Column(bool, nullable=False),
            "revenue": _money(nullable=False),
            "cogs": _money(),
            "ebitda": _money(nonneg=False),
            "ebit": _money(nonneg=False),
            "interest_expense": _money(),
            "net_income": _money(nonneg=False),
            "total_assets": pa.Column(float, pa.Check.gt(0), nullable=False),
            "current_assets": _money(),
            "cash": _money(),
            "receivables": _money(),
            "inventory": _money(),
            "total_liabilities": _money(nullable=False),
            "current_liabilities": _money(),
            "payables": _money(),
            "total_debt": _money(nullable=False),
            "equity": _money(nullable=False, nonneg=False),
            "retained_earnings": _money(nonneg=False),
            "operating_cash_flow": _money(nonneg=False),
            "capex": _money(),
        },
        checks=[
            _unique_keys(["obligor_id", "period_end"]),
            _ordered("period_end", "reported_date"),
            _not_above("current_assets", "total_assets"),
            _not_above("cash", "current_assets"),
            _not_above("total_debt", "total_liabilities"),
        ],
        name="financials",
    ),
    "facilities": pa.DataFrameSchema(
        {
            "facility_id": pa.Column(str, unique=True, nullable=False),
            "obligor_id": pa.Column(**_ID),
            "product": pa.Column(str, _codes(PRODUCTS), nullable=False),
            "limit": pa.Column(float, pa.Check.gt(0), nullable=False),
            "drawn": _money(nullable=False),
            "origination_date": pa.Column(pa.DateTime, nullable=False),
            "maturity_date": pa.Column(pa.DateTime, nullable=False),
            "repayment_type": pa.Column(str, _codes(REPAYMENT_TYPES), nullable=False),
            "spread_bps": _money(nullable=False),
            "collateral_type": pa.Column(str, _codes(COLLATERAL_TYPES), nullable=False),
            "collateral_value": _money(nullable=False),
            "seniority": pa.Column(str, _codes(SENIORITIES), nullable=False),
        },
        checks=[_ordered("origination_date", "maturity_date")],
        name="facilities",
    ),
    # Financial covenants of a facility, tested on the obligor's statements (``workbench.data.covenants``).
    "covenants": pa.DataFrameSchema(
        {
            "covenant_id": pa.Column(str, unique=True, nullable=False),
            "facility_id": pa.Column(**_ID),
            "obligor_id": pa.Column(**_ID),
            "type": pa.Column(str, _codes(COVENANT_TYPES), nullable=False),
            "threshold": pa.Column(float, pa.Check.gt(0), nullable=False),
            "test_frequency_months": pa.Column(int, pa.Check.isin(list(COVENANT_TEST_FREQUENCIES)), nullable=False),
            "start_date": pa.Column(pa.DateTime, nullable=False),
        },
        name="covenants",
    ),
    "behaviour": pa.DataFrameSchema(
        {
            "obligor_id": pa.Column(**_ID),
            "month_end": pa.Column(pa.DateTime, nullable=False),
            "utilisation": pa.Column(float, pa.Check.in_range(0, 1.5), nullable=False),
            "days_past_due": pa.Column(int, pa.Check.ge(0), nullable=False),
            "overdue_amount": _money(nullable=False),
            "covenant_breach": pa.Column(bool, nullable=False),
            # Optional: receipts through the client's accounts with the bank in the month (EUR m).
            "credit_turnover": pa.Column(float, pa.Check.ge(0), nullable=True, required=False),
        },
        checks=[_unique_keys(["obligor_id", "month_end"])],
        name="behaviour",
    ),
    "defaults": pa.DataFrameSchema(
        {
            "obligor_id": pa.Column(str, unique=True, nullable=False),
            "default_date": pa.Column(pa.DateTime, nullable=False),
            "default_type": pa.Column(str, _codes(DEFAULT_TYPES), nullable=False),
            "ead": _money(nullable=False),
            "recovery": _money(nullable=False),
        },
        checks=[
            _wide_check(lambda df: df["recovery"] <= df["ead"] * (1 + 1e-9), "recovery <= ead", ["ead", "recovery"]),
        ],
        name="defaults",
    ),
    "projects": pa.DataFrameSchema(
        {
            "project_id": pa.Column(str, unique=True, nullable=False),
            "obligor_id": pa.Column(**_ID),
            "sector": pa.Column(str, _codes(INDUSTRY_CODES), nullable=False),
            "financial_close": pa.Column(pa.DateTime, nullable=False),
            "operations_start": pa.Column(pa.DateTime, nullable=False),
            "operations_years": pa.Column(int, pa.Check.in_range(1, 60), nullable=False),
            "total_cost": pa.Column(float, pa.Check.gt(0), nullable=False),
        },
        checks=[_ordered("financial_close", "operations_start")],
        name="projects",
    ),
    "project_cashflows": pa.DataFrameSchema(
        {
            "project_id": pa.Column(**_ID),
            "period": pa.Column(int, pa.Check.ge(1), nullable=False),
            "period_end": pa.Column(pa.DateTime, nullable=False),
            "cfads": _money(nullable=False, nonneg=False),
        },
        checks=[_unique_keys(["project_id", "period"])],
        name="project_cashflows",
    ),
    "questionnaires": pa.DataFrameSchema(
        {
            "obligor_id": pa.Column(**_ID),
            "survey_date": pa.Column(pa.DateTime, nullable=False),
            "question_id": pa.Column(str, _codes(tuple(QUESTIONS)), nullable=False),
            "answer": pa.Column(int, pa.Check.in_range(1, 5), nullable=False),
        },
        checks=[_unique_keys(["obligor_id", "survey_date", "question_id"])],
        name="questionnaires",
    ),
    "quotes": pa.DataFrameSchema(
        {
            "quote_id": pa.Column(str, unique=True, nullable=False),
            "obligor_id": pa.Column(**_ID),
            "quote_date": pa.Column(pa.DateTime, nullable=False),
            "grade": pa.Column(int, pa.Check.in_range(1, MASTER_SCALE.n_grades), nullable=False),
            "tenor_years": pa.Column(float, pa.Check.in_range(0, 40, include_min=False), nullable=False),
            "collateral_type": pa.Column(str, _codes(COLLATERAL_TYPES), nullable=False),
            "offered_spread_bps": _money(nullable=False),
            "accepted": pa.Column(bool, nullable=False),
        },
        name="quotes",
    ),
    "interactions": pa.DataFrameSchema(
        {
            "obligor_id": pa.Column(**_ID),
            "date": pa.Column(pa.DateTime, nullable=False),
            "channel": pa.Column(str, _codes(CHANNELS), nullable=False),
            "topic": pa.Column(str, _codes(INTERACTION_TOPICS), nullable=False),
        },
        name="interactions",
    ),
    "macro": pa.DataFrameSchema(
        {
            "month_end": pa.Column(pa.DateTime, unique=True, nullable=False),
            "gdp_growth": pa.Column(float, nullable=False),
            "policy_rate": pa.Column(float, nullable=False),
            # one activity index per industry, named idx_<industry>
            r"^idx_.+$": pa.Column(float, regex=True, nullable=False),
        },
        name="macro",
    ),
    "truth": pa.DataFrameSchema(
        {
            "obligor_id": pa.Column(**_ID),
            "month_end": pa.Column(pa.DateTime, nullable=False),
            "pd_12m": pa.Column(float, pa.Check.in_range(0, 1), nullable=False),
            "latent_score": pa.Column(float, nullable=False),
        },
        checks=[_unique_keys(["obligor_id", "month_end"])],
        name="truth",
    ),
}

TABLES: tuple[str, ...] = tuple(SCHEMAS)

# Child table -> (its key column, parent table, parent key).
_LINKS = [
    (table, "obligor_id", "obligors", "obligor_id")
    for table in TABLES
    if table not in ("obligors", "macro", "project_cashflows")
] + [("project_cashflows", "project_id", "projects", "project_id"),
      ("covenants", "facility_id", "facilities", "facility_id")]

_MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Problem:
    """One failed check: which table, column and check, how many rows, the first of them."""

    table: str
    column: str
    check: str
    n_rows: int
    first_rows: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}: check '{self.check}' fails in {self.n_rows} row(s); first: {self.first_rows}"


class DataValidationError(ValueError):
    """The tables break the data contract; ``.problems`` lists each failed check."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n  ".join(str(p) for p in problems)
        super().__init__(f"data contract violated ({len(problems)} problem(s)):\n  {lines}")


def _row_ids(df: pd.DataFrame, index: list) -> str:
    """Describe rows by their position and identifying columns, which a user can look up."""
    id_cols = [c for c in ("obligor_id", "facility_id", "project_id", "quote_id", "period_end", "month_end")
               if c in df.columns][:2]
    parts = []
    for idx in index[:_MAX_ROWS_SHOWN]:
        if idx is None or (isinstance(idx, float) and pd.isna(idx)) or idx not in df.index:
            continue
        row = df.loc[idx]
        ids = ", ".join(f"{c}={row[c]}" for c in id_cols)
        parts.append(f"row {idx}" + (f" ({ids})" if ids else ""))
    return "; ".join(parts)


def _problems_from_pandera(table: str, df: pd.DataFrame, exc: SchemaErrors) -> list[Problem]:
    cases = exc.failure_cases.copy()
    cases["check"] = cases["check"].astype(str)
    wide = cases["check"].isin(list(_WIDE_CHECK_COLUMNS))
    # A multi-column check fails once per column of the row; report it once, under its columns.
    cases.loc[wide, "column"] = cases.loc[wide, "check"].map(_WIDE_CHECK_COLUMNS)
    cases["column"] = cases["column"].fillna(table).astype(str)
    problems: list[Problem] = []
    for (column, check), grp in cases.groupby(["column", "check"], sort=False, dropna=False):
        index = list(dict.fromkeys(i for i in grp["index"].tolist()
                                   if i is not None and not (isinstance(i, float) and pd.isna(i))))
        if check == "column_in_dataframe":
            missing = ", ".join(str(v) for v in grp["failure_case"])
            problems.append(Problem(table, missing, "column present", len(df), f"column {missing} is missing"))
        elif not index:
            # Schema-level failures (a wrong dtype) have no row index.
            found = ", ".join(str(v) for v in grp["failure_case"].tolist()[:_MAX_ROWS_SHOWN])
            problems.append(Problem(table, column, check, len(df), f"found {found}"))
        else:
            rows = _row_ids(df, index)
            if column in df.columns:
                shown = ", ".join(repr(v) for v in grp["failure_case"].tolist()[:_MAX_ROWS_SHOWN])
                rows = f"{rows}; values {shown}"
            problems.append(Problem(table, column, check, len(index), rows))
    return problems


def _covenant_obligors(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """A covenant's obligor is the obligor of its facility."""
    cov, fac = tables.get("covenants"), tables.get("facilities")
    cols = {"facility_id", "obligor_id"}
    if cov is None or fac is None or not cols <= set(cov.columns) or not cols <= set(fac.columns):
        return []
    owner = cov["facility_id"].map(fac.drop_duplicates("facility_id").set_index("facility_id")["obligor_id"])
    wrong = owner.notna() & (owner != cov["obligor_id"])
    if not wrong.any():
        return []
    return [Problem("covenants", "obligor_id", "the obligor of its facility (facilities.obligor_id)",
                    int(wrong.sum()), _row_ids(cov, cov.index[wrong].tolist()))]


def _behaviour_after_default(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """A defaulted obligor has no performing months after its default month."""
    beh, dft = tables.get("behaviour"), tables.get("defaults")
    if beh is None or dft is None or not {"obligor_id", "month_end"} <= set(beh.columns) \
            or not {"obligor_id", "default_date"} <= set(dft.columns) or dft.empty:
        return []  # (no default at all: nothing to check, and an empty map would lose the dates' type)
    default_month = beh["obligor_id"].map(dft.drop_duplicates("obligor_id").set_index("obligor_id")["default_date"]
                                          + pd.offsets.MonthEnd(0))
    late = beh["month_end"] > default_month
    if not late.any():
        return []
    return [Problem("behaviour", "month_end", "no month after the obligor's default (defaults.default_date)",
                    int(late.sum()), _row_ids(beh, beh.index[late].tolist()))]


def validate(tables: Mapping[str, pd.DataFrame], *, links: bool = True) -> dict[str, pd.DataFrame]:
    """Validate every known table in ``tables`` and the links between them.

    Raises ``DataValidationError`` listing every problem (table, column, check, first
    offending rows). Returns the tables unchanged when all is well. Unknown table
    names are an error too: a typo must not silently skip validation.
    """
    unknown = sorted(set(tables) - set(SCHEMAS))
    problems: list[Problem] = []
    for name in unknown:
        problems.append(Problem(name, "<table>", f"known table ({', '.join(TABLES)})", 0, "unknown table name"))
    for name, df in tables.items():
        if name not in SCHEMAS:
            continue
        if not isinstance(df, pd.DataFrame):
            problems.append(Problem(name, "<table>", "is a pandas DataFrame", 0, f"got {type(df).__name__}"))
            continue
        if not df.index.is_unique:
            # Rows are then reported by position: a repeated label would name several rows at once.
            df = df.reset_index(drop=True)
        try:
            SCHEMAS[name].validate(df, lazy=True)
        except SchemaErrors as exc:
            problems.extend(_problems_from_pandera(name, df, exc))
    if links:
        problems.extend(link_problems(tables))
    if problems:
        raise DataValidationError(problems)
    return dict(tables)


def link_problems(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Problems in the links between tables: ids unknown to their parent, behaviour after default."""
    problems: list[Problem] = []
    for child, key, parent, parent_key in _LINKS:
        if child in tables and parent in tables and key in tables[child] and parent_key in tables[parent]:
            df = tables[child]
            orphan = ~df[key].isin(tables[parent][parent_key])
            if orphan.any():
                idx = df.index[orphan].tolist()
                shown = ", ".join(repr(v) for v in df.loc[orphan, key].unique()[:_MAX_ROWS_SHOWN])
                problems.append(Problem(child, key, f"exists in {parent}.{parent_key}", int(orphan.sum()),
                                        f"{_row_ids(df, idx)}; unknown {key}: {shown}"))
    problems.extend(_covenant_obligors(tables))
    problems.extend(_behaviour_after_default(tables))
    return problems
