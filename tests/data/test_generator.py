"""The synthetic portfolio: deterministic, valid, realistic in the ways the models rely on."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.data import INDUSTRIES, TABLES, GeneratorSettings, generate_portfolio, validate


@pytest.fixture(scope="module")
def portfolio() -> dict[str, pd.DataFrame]:
    return generate_portfolio(GeneratorSettings(n_obligors=2500, years=8, seed=11))


def _yearly_default_rates(tables: dict[str, pd.DataFrame]) -> pd.Series:
    active = tables["behaviour"].groupby(tables["behaviour"]["month_end"].dt.year)["obligor_id"].nunique()
    defaults = tables["defaults"].groupby(tables["defaults"]["default_date"].dt.year).size()
    return (defaults.reindex(active.index, fill_value=0) / active)


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


def test_tables_option_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown tables"):
        GeneratorSettings(tables=("obligors", "obligor"))
    with pytest.raises(ValueError, match="not the string"):
        GeneratorSettings(tables="obligors")
    with pytest.raises(ValueError, match="at least one"):
        GeneratorSettings(tables=())
    assert GeneratorSettings(tables=["truth", "truth"]).tables == ("truth",)


def test_cli_generate_twice_writes_byte_identical_parquet(tmp_path):
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


def test_yearly_default_rates_stay_in_a_key_account_range_and_move_with_the_cycle(portfolio):
    rates = _yearly_default_rates(portfolio)
    assert rates.between(0.002, 0.06).all(), rates.to_dict()
    assert 0.008 <= rates.mean() <= 0.035, rates.mean()
    # The cycle moves default rates: the worst year is at least 1.5x the best.
    assert rates.max() >= 1.5 * rates.min()
    macro = portfolio["macro"].groupby(portfolio["macro"]["month_end"].dt.year)["gdp_growth"].mean()
    assert np.corrcoef(macro.reindex(rates.index), rates)[0, 1] < 0


def test_truth_pd_is_calibrated_to_realised_defaults(portfolio):
    truth, defaults = portfolio["truth"], portfolio["defaults"]
    assert truth["pd_12m"].between(0, 1, inclusive="neither").all()
    last = truth["month_end"].max() - pd.DateOffset(months=12)
    obs = truth[(truth["month_end"].dt.month == 12) & (truth["month_end"] <= last)]
    obs = obs.merge(defaults[["obligor_id", "default_date"]], on="obligor_id", how="left")
    hit = (obs["default_date"] > obs["month_end"]) & (obs["default_date"] <= obs["month_end"] + pd.DateOffset(months=12))
    expected, observed = obs["pd_12m"].sum(), hit.sum()
    # Poisson-binomial: observed within 4 standard deviations of the expected count.
    sd = np.sqrt((obs["pd_12m"] * (1 - obs["pd_12m"])).sum())
    assert abs(observed - expected) < 4 * sd + 0.15 * expected, (observed, expected)


def test_statements_never_cover_periods_after_default(portfolio):
    fin = portfolio["financials"].merge(portfolio["defaults"][["obligor_id", "default_date"]], on="obligor_id")
    assert (fin["period_end"] < fin["default_date"]).all()
    assert (portfolio["financials"]["reported_date"] > portfolio["financials"]["period_end"]).all()


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
    assert len(upto(long["defaults"], "default_date")) < len(long["defaults"][long["defaults"]["obligor_id"].isin(existing)])
    for table, col in (("financials", "reported_date"), ("behaviour", "month_end"), ("truth", "month_end"),
                       ("defaults", "default_date"), ("questionnaires", "survey_date"), ("quotes", "quote_date")):
        a, b = upto(short[table], col), upto(long[table], col)
        if table == "quotes":  # quote ids are numbered over the whole portfolio
            a, b = a.drop(columns="quote_id"), b.drop(columns="quote_id")
        pd.testing.assert_frame_equal(a, b, obj=table)


def test_behaviour_deteriorates_before_default(portfolio):
    beh = portfolio["behaviour"].merge(portfolio["defaults"][["obligor_id", "default_date"]], on="obligor_id", how="left")
    months_before = (beh["default_date"] - beh["month_end"]).dt.days / 30.4
    near = beh[(months_before > 1) & (months_before <= 6)]
    performing = beh[beh["default_date"].isna()]
    assert near["days_past_due"].gt(0).mean() > 3 * performing["days_past_due"].gt(0).mean()
    assert near["utilisation"].mean() > performing["utilisation"].mean()


def test_defaulters_statements_are_weaker_than_survivors(portfolio):
    fin = portfolio["financials"]
    last = fin.sort_values("period_end").groupby("obligor_id").tail(1)
    defaulted = last["obligor_id"].isin(portfolio["defaults"]["obligor_id"])
    leverage = last["total_debt"] / last["total_assets"]
    margin = last["ebitda"] / last["revenue"]
    assert leverage[defaulted].median() > leverage[~defaulted].median()
    assert margin[defaulted].median() < margin[~defaulted].median()


def test_industries_have_their_own_levels(portfolio):
    fin = portfolio["financials"].merge(portfolio["obligors"][["obligor_id", "industry"]], on="obligor_id")
    margin = (fin["ebitda"] / fin["revenue"]).groupby(fin["industry"]).median()
    assert fin["industry"].nunique() >= 12 and len(INDUSTRIES) >= 12
    assert margin.max() > 3 * margin.min()


def test_statements_have_lags_unaudited_and_missing_items(portfolio):
    fin = portfolio["financials"]
    lag = (fin["reported_date"] - fin["period_end"]).dt.days
    onboarded = fin.merge(portfolio["obligors"], on="obligor_id")["relationship_start"] > fin["period_end"]
    assert lag[~onboarded].between(20, 250).all()
    # Statements of years before the relationship arrive with the onboarding file.
    assert (fin.loc[onboarded, "reported_date"] >= fin.loc[onboarded, "period_end"] + pd.Timedelta(days=20)).all()
    assert 0.02 < (~fin["audited"]).mean() < 0.25
    assert 0.005 < fin["inventory"].isna().mean() < 0.1
    assert fin["total_assets"].notna().all()


def test_about_a_tenth_of_obligors_are_project_finance_with_cfads(portfolio):
    share = (portfolio["obligors"]["segment"] == "project_finance").mean()
    assert 0.06 < share < 0.14
    pf_ids = set(portfolio["obligors"].loc[portfolio["obligors"]["segment"] == "project_finance", "obligor_id"])
    assert set(portfolio["projects"]["obligor_id"]) == pf_ids
    assert portfolio["project_cashflows"].groupby("project_id")["cfads"].sum().gt(0).all()


def test_quote_acceptance_falls_with_the_offered_spread_at_equal_grade(portfolio):
    quotes = portfolio["quotes"]
    rel = quotes["offered_spread_bps"] / quotes.groupby(["grade", "tenor_years", "collateral_type"])["offered_spread_bps"].transform("median")
    cheap = quotes[rel < 0.9]["accepted"].mean()
    dear = quotes[rel > 1.1]["accepted"].mean()
    assert cheap > dear + 0.1


def test_settings_reject_nonsense():
    with pytest.raises(ValueError, match="n_obligors"):
        GeneratorSettings(n_obligors=1)
    with pytest.raises(ValueError, match="years"):
        GeneratorSettings(years=1)


def test_blockwise_true_pd_equals_the_direct_formula():
    """The (n, T) PD is accumulated horizon by horizon in obligor blocks; same numbers as the (n, T, 12) formula."""
    from scipy.special import ndtr

    from workbench.data import generator as g

    L = g._Latent(GeneratorSettings(n_obligors=g._CHUNK + 37, years=2, seed=3))
    s = np.arange(1, 13)
    a_m = g.A_MACRO * L.cyc[:, None, None]
    mean = (L.mu[:, None, None]
            + a_m * (g.CYCLE_WEIGHT * L._cycle_ahead()[None, :, :]
                     + g.SHOCK_WEIGHT * g.PHI_MACRO ** s[None, None, :] * L.macro_shock[None, :, None])
            + g.A_IND * g.PHI_IND ** s[None, None, :] * L.I[L.industry][:, :, None]
            + g.A_IDIO * g.PHI_IDIO ** s[None, None, :] * L.e[:, :, None])
    var = ((a_m * g.SHOCK_WEIGHT) ** 2 * (1 - g.PHI_MACRO ** (2 * s))[None, None, :]
           + g.A_IND ** 2 * (1 - g.PHI_IND ** (2 * s))[None, None, :]
           + g.A_IDIO ** 2 * (1 - g.PHI_IDIO ** (2 * s))[None, None, :])
    direct = 1 - np.prod(1 - ndtr((g.HAZARD_INTERCEPT - mean) / np.sqrt(1 + var)), axis=2)
    np.testing.assert_array_equal(L.true_pd_12m(), direct)


def test_vectorised_year_offsets_match_pandas():
    from workbench.data import generator as g

    dates = pd.to_datetime(["2016-02-29", "2015-01-31", "2020-12-31", "2019-03-15"]).values
    years = np.array([1, -3, 4, 2])
    expected = [pd.Timestamp(d) + pd.DateOffset(years=int(k)) for d, k in zip(dates, years)]
    assert list(pd.to_datetime(g._add_years(dates, years))) == expected
