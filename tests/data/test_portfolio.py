"""The data contract on a whole portfolio: what passes table by table but cannot be used."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.data import (
    REQUIRED_TABLES,
    ContractParams,
    DataValidationError,
    data_as_of,
    read_tables,
    validate_portfolio,
    write_tables,
)
from workbench.synthetic import GeneratorSettings, generate_portfolio


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_portfolio(GeneratorSettings(n_obligors=150, years=4, seed=2))


def _problems(tables, params=None):
    with pytest.raises(DataValidationError) as err:
        validate_portfolio(tables, params)
    return err.value.problems, str(err.value)


def test_a_generated_portfolio_passes_with_only_warnings(tables):
    warnings = validate_portfolio(tables)
    assert all(isinstance(w, str) for w in warnings)


def test_a_missing_required_table_is_named_with_the_optional_ones_it_may_lack(tables):
    problems, message = _problems({k: v for k, v in tables.items() if k not in ("financials", "quotes")})
    assert "missing required table(s) financials" in message and "optional, also absent: quotes" in message


def test_a_required_table_without_rows_is_an_error_but_a_book_without_defaults_only_a_warning(tables):
    _, message = _problems({**tables, "facilities": tables["facilities"].iloc[:0]})
    assert "facilities.<table>: check 'has rows'" in message
    warnings = validate_portfolio({**tables, "defaults": tables["defaults"].iloc[:0]})
    assert any("no default in the whole history" in w for w in warnings)


def test_a_contract_column_left_entirely_empty_is_named(tables):
    fin = tables["financials"].assign(ebitda=float("nan"))
    _, message = _problems({**tables, "financials": fin})
    assert "financials.ebitda: check 'not entirely empty'" in message


def test_a_statement_dated_after_the_datas_as_of_is_named_with_its_row(tables):
    fin = tables["financials"].copy()
    fin.loc[fin.index[4], "period_end"] = pd.Timestamp("2040-12-31")
    problems, message = _problems({**tables, "financials": fin})
    late = next(p for p in problems if p.column == "period_end")
    assert late.n_rows == 1 and f"after the data's as-of {data_as_of(tables).date()}" in message
    assert "row 4" in late.first_rows


def test_behaviour_far_in_the_future_is_an_error_whatever_the_as_of():
    tables = generate_portfolio(GeneratorSettings(n_obligors=40, years=3, seed=4, start_year=2099))
    _, message = _problems(tables)
    assert "behaviour.month_end" in message and "days after today" in message


def test_balance_sheets_must_balance_within_the_params_tolerance(tables):
    fin = tables["financials"].copy()
    fin.loc[fin.index[:3], "total_assets"] *= 10
    _, message = _problems({**tables, "financials": fin})
    assert "assets = liabilities + equity within 1 %" in message and "3 row(s)" in message
    assert validate_portfolio({**tables, "financials": fin}, ContractParams(balance_tolerance=0.95)) is not None


def test_an_empty_directory_and_a_corrupt_file_are_named(tables, tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no portfolio table"):
        read_tables(tmp_path)
    folder = write_tables({k: tables[k] for k in REQUIRED_TABLES}, tmp_path / "p")
    (folder / "macro.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataValidationError, match=r"macro\.<file>: .*macro\.parquet cannot be read"):
        read_tables(folder)
