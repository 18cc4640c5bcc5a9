"""The synthetic portfolio as a whole: every contract table, valid, deterministic, no future leaking back."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from workbench.data import TABLES, validate
from workbench.synthetic import GeneratorSettings, generate_portfolio


def test_every_contract_table_is_generated_and_valid(portfolio):
    assert set(portfolio) == set(TABLES)
    validate(portfolio)
    for name, df in portfolio.items():
        assert len(df) > 0, name


def test_same_seed_gives_identical_tables_and_other_seed_differs():
    settings = GeneratorSettings(n_obligors=300, years=4, seed=5)
    a, b = generate_portfolio(settings), generate_portfolio(settings)
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    c = generate_portfolio(GeneratorSettings(n_obligors=300, years=4, seed=6))
    assert not a["financials"]["revenue"].equals(c["financials"]["revenue"])


@pytest.mark.parametrize("subset", [
    ("defaults",),  # needs behaviour and facilities drawn internally, returns neither
    ("interactions", "obligors"),  # needs the behaviour arrays
    ("truth", "quotes", "project_cashflows"),
    ("financials", "macro", "questionnaires", "projects"),  # needs no true PD at all
])
def test_tables_option_returns_exactly_the_requested_tables_as_in_the_full_portfolio(subset):
    full = generate_portfolio(GeneratorSettings(n_obligors=300, years=4, seed=5))
    part = generate_portfolio(GeneratorSettings(n_obligors=300, years=4, seed=5, tables=subset))
    assert set(part) == set(subset)
    for name in subset:
        pd.testing.assert_frame_equal(part[name], full[name], check_exact=True, obj=name)


def test_cli_generate_twice_writes_byte_identical_parquet(tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app

    runner = CliRunner()
    digests = []
    for out in (tmp_path / "x1", tmp_path / "x2"):
        result = runner.invoke(app, ["data", "generate", "--obligors", "500", "--years", "6", "--seed", "3",
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert (out / "truth.parquet").is_file()
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.parquet"))})
    assert digests[0] == digests[1]
    assert len(digests[0]) == len(TABLES)


def test_later_years_do_not_change_earlier_records():
    """Generating more years must not alter what was already observable: no future leaks backwards.

    Compared on the clients of the first day (new clients arrive spread over whatever horizon is asked).
    """
    short = generate_portfolio(GeneratorSettings(n_obligors=400, years=4, seed=9))
    long = generate_portfolio(GeneratorSettings(n_obligors=400, years=6, seed=9))
    cutoff = short["behaviour"]["month_end"].max()
    horizon_start = short["behaviour"]["month_end"].min() - pd.offsets.MonthBegin(1)
    existing = set(short["obligors"].loc[short["obligors"]["relationship_start"] < horizon_start, "obligor_id"])
    assert existing == set(long["obligors"].loc[long["obligors"]["relationship_start"] < horizon_start, "obligor_id"])

    def upto(df: pd.DataFrame, col: str) -> pd.DataFrame:
        df = df[(df[col] <= cutoff) & df["obligor_id"].isin(existing)]
        return df.sort_values(["obligor_id", col], kind="stable").reset_index(drop=True)

    # Defaults in years 5-6 exist only in the long run, yet earlier records are identical.
    long_defaults_existing = long["defaults"][long["defaults"]["obligor_id"].isin(existing)]
    assert len(upto(long["defaults"], "default_date")) < len(long_defaults_existing)
    for table, col in (("financials", "reported_date"), ("behaviour", "month_end"), ("truth", "month_end"),
                       ("defaults", "default_date"), ("questionnaires", "survey_date"), ("quotes", "quote_date")):
        a, b = upto(short[table], col), upto(long[table], col)
        if table == "quotes":  # quote ids are numbered over the whole portfolio
            a, b = a.drop(columns="quote_id"), b.drop(columns="quote_id")
        pd.testing.assert_frame_equal(a, b, obj=table)
