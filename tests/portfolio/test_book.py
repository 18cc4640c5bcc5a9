"""The facility book at an as-of from hand-made tables: which facilities are in it, defaults and write-offs,
PD now and at origination, the effective interest rate, LGD, arrears, watchlist, tiers, forbearance; the
obligor-level portfolio of the Monte Carlo and the grade history of the migration matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.portfolio.book import (
    BOOK_COLUMNS,
    WORKOUT_TIER,
    BookParams,
    facility_book,
    grade_history,
    obligor_portfolio,
)
from workbench.pricing.economics import cost_of_funds
from workbench.pricing.lgd import foundation_lgd
from workbench.pricing.params import PricingParams
from workbench.reference.master_scale import MASTER_SCALE

AS_OF = pd.Timestamp("2024-06-30")
WORST_PD = float(MASTER_SCALE.bands()["grade_pd"].iloc[MASTER_SCALE.n_grades - 1])

# facility, obligor, product, repayment, limit, drawn, origination, maturity, spread, collateral, value, seniority
_FACILITIES = [
    ("FA01", "O1", "term_loan", "annuity", 10.0, 8.0, "2022-03-15", "2029-03-15", 150, "none", 0.0, "senior"),
    # originated before O1's first score (2020-01-31), real-estate collateral
    ("FA02", "O1", "revolver", "revolving", 5.0, 2.0, "2019-05-10", "2026-05-10", 120, "real_estate", 3.0, "senior"),
    # O2 is not scored at 2023-02-28: the PD at origination is that of 2023-03-31; tenor exactly 4 years
    ("FA03", "O2", "term_loan", "bullet", 7.0, 7.0, "2023-02-01", "2027-02-01", 175, "none", 0.0, "subordinated"),
    ("FA04", "O4", "term_loan", "bullet", 6.0, 6.0, "2020-06-30", "2027-06-30", 200, "none", 0.0, "senior"),
    ("FA05", "O5", "term_loan", "bullet", 4.0, 4.0, "2015-06-30", "2026-06-30", 200, "none", 0.0, "senior"),
    ("FA06", "O6", "revolver", "revolving", 3.0, 1.0, "2023-06-30", "2026-06-30", 140, "none", 0.0, "senior"),
    ("FA07", "O7", "term_loan", "bullet", 2.0, 2.0, "2023-01-31", "2027-01-31", 160, "none", 0.0, "senior"),
    ("FA08", "O3", "term_loan", "bullet", 1.0, 1.0, "2021-05-31", "2024-05-31", 100, "none", 0.0, "senior"),  # matured
    ("FA09", "O3", "term_loan", "bullet", 1.0, 1.0, "2024-07-15", "2028-07-15", 100, "none", 0.0, "senior"),  # future
    # originated on a month end: that month end's score
    ("FA10", "O3", "term_loan", "bullet", 5.0, 5.0, "2021-07-31", "2026-07-31", 130, "none", 0.0, "senior"),
    ("FA11", "O8", "term_loan", "bullet", 3.0, 3.0, "2022-06-30", "2027-06-30", 210, "none", 0.0, "senior"),
    ("FA12", "O9", "term_loan", "bullet", 2.5, 2.5, "2018-06-30", "2028-06-30", 220, "none", 0.0, "senior"),
]
# O4 defaulted 7 months before the as-of, O9 4.3 years before (both within 5 years), O5 7.5 years before
# (written off), O8 defaults after the as-of (performing at it).
_DEFAULTS = [("O4", "2023-11-15"), ("O5", "2017-01-10"), ("O8", "2024-09-15"), ("O9", "2020-03-01")]


def _month_ends(start: str, end: str) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="ME")


def _scores() -> pd.DataFrame:
    rows = []
    for i, d in enumerate(_month_ends("2020-01-31", "2024-07-31")):  # one month after the as-of too
        rows.append(("O1", d, 0.002 + 0.0001 * i))
    rows.append(("O2", pd.Timestamp("2023-01-31"), 0.010))
    for d in _month_ends("2023-03-31", "2024-05-31"):
        rows.append(("O2", d, 0.012))
    rows.append(("O2", AS_OF, 0.025))
    for i, d in enumerate(_month_ends("2021-01-31", "2024-06-30")):
        rows.append(("O3", d, 0.008 + 0.0001 * i))
    for d in _month_ends("2019-01-31", "2023-10-31"):
        rows.append(("O4", d, 0.15))
    for d in _month_ends("2023-01-31", "2024-03-31"):  # O7: no score in the last three months
        rows.append(("O7", d, 0.02))
    for d in _month_ends("2022-01-31", "2024-06-30"):
        rows.append(("O8", d, 0.05))
    for d in _month_ends("2018-01-31", "2020-02-29"):
        rows.append(("O9", d, 0.08))
    scored = pd.DataFrame(rows, columns=["obligor_id", "obs_date", "pd"])
    scored["grade"] = MASTER_SCALE.grade_number(scored["pd"])
    return scored


def _tables(forborne: bool = True) -> dict[str, pd.DataFrame]:
    facilities = pd.DataFrame(_FACILITIES, columns=[
        "facility_id", "obligor_id", "product", "repayment_type", "limit", "drawn", "origination_date",
        "maturity_date", "spread_bps", "collateral_type", "collateral_value", "seniority"])
    for c in ("origination_date", "maturity_date"):
        facilities[c] = pd.to_datetime(facilities[c])
    facilities["spread_bps"] = facilities["spread_bps"].astype(float)
    if forborne:
        facilities["forborne"] = facilities["facility_id"] == "FA02"
    ids = [f"O{i}" for i in range(1, 10)]
    obligors = pd.DataFrame({"obligor_id": ids, "name": [f"Client {i}" for i in ids],
                             "industry": ["utilities", "construction", "retail", "retail", "retail", "technology",
                                          "retail", "construction", "machinery"],
                             "group_id": ["G1", None, None, None, None, None, None, None, None],
                             "sales": [40.0, np.nan, 25.0, 30.0, 30.0, 12.0, 8.0, 60.0, 20.0]})
    defaults = pd.DataFrame(_DEFAULTS, columns=["obligor_id", "default_date"])
    defaults["default_date"] = pd.to_datetime(defaults["default_date"])
    behaviour = pd.DataFrame([("O1", "2024-05-31", 5), ("O2", "2024-05-31", 10), ("O2", "2024-06-30", 45),
                              ("O4", "2024-06-30", 200)], columns=["obligor_id", "month_end", "days_past_due"])
    behaviour["month_end"] = pd.to_datetime(behaviour["month_end"])
    return {"facilities": facilities, "obligors": obligors, "defaults": defaults, "behaviour": behaviour}


def _tiers() -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": ["O1", "O2", "O4"], "tier": ["A", "B", "A"]})


def _book(**kw) -> pd.DataFrame:
    kw.setdefault("tiers", _tiers())
    kw.setdefault("watchlist", ["O2"])
    tables = kw.pop("tables", None) or _tables()
    return facility_book(tables, _scores(), AS_OF, **kw).set_index("facility_id")


def test_book_holds_the_live_facilities_sorted_with_the_book_columns():
    book = facility_book(_tables(), _scores(), AS_OF, tiers=_tiers(), watchlist=["O2"])
    assert tuple(book.columns) == BOOK_COLUMNS
    # FA08 matured before the as-of, FA09 starts after it, FA05's obligor defaulted 7.5 years ago.
    assert list(book["facility_id"]) == ["FA01", "FA02", "FA03", "FA04", "FA06", "FA07", "FA10", "FA11", "FA12"]


def test_recent_default_is_in_the_book_as_defaulted_workout():
    book = _book()
    for fid, date in (("FA04", "2023-11-15"), ("FA12", "2020-03-01")):
        row = book.loc[fid]
        assert bool(row["defaulted"]) and row["pd"] == 1.0 and row["grade"] == 0
        assert row["tier"] == WORKOUT_TIER  # O4 has tier A in the tiers table: default overrides it
        assert row["default_date"] == pd.Timestamp(date)
        assert not row["scored"]


def test_default_older_than_write_off_years_leaves_the_book():
    assert "FA05" not in _book().index
    shorter = _book(params=BookParams(write_off_years=4.0))
    assert "FA12" not in shorter.index and "FA04" in shorter.index  # 4.3 years ago, 7 months ago


def test_default_after_the_as_of_is_still_performing():
    row = _book().loc["FA11"]
    assert not row["defaulted"] and row["pd"] == pytest.approx(0.05) and pd.isna(row["default_date"])
    assert row["tier"] == "C"


def test_pd_now_is_the_as_of_score_not_a_later_one():
    book = _book()
    # O1: 0.002 + 0.0001 x month index from 2020-01 (2024-06 is month 53; the 2024-07 score is after the as-of).
    assert book.loc["FA01", "pd"] == pytest.approx(0.0073)
    assert book.loc["FA01", "grade"] == MASTER_SCALE.grade_number(0.0073)
    assert book.loc["FA03", "pd"] == pytest.approx(0.025)
    assert book.loc["FA01", "scored"]


def test_pd_at_origination_is_the_first_month_end_score_on_or_after_origination():
    book = _book()
    assert book.loc["FA01", "pd_origination"] == pytest.approx(0.002 + 0.0001 * 26)  # 2022-03-15 -> 2022-03-31
    assert book.loc["FA03", "pd_origination"] == pytest.approx(0.012)  # 2023-02 unscored -> 2023-03-31
    assert book.loc["FA10", "pd_origination"] == pytest.approx(0.008 + 0.0001 * 6)  # on 2021-07-31 itself


def test_pd_at_origination_before_the_first_score_is_the_first_score_and_nan_when_never_scored():
    book = _book()
    assert book.loc["FA02", "pd_origination"] == pytest.approx(0.002)  # 2019-05, first score 2020-01-31
    assert np.isnan(book.loc["FA06", "pd_origination"])


def test_unscored_performing_obligor_takes_its_latest_earlier_score():
    row = _book().loc["FA07"]  # O7 last scored 2024-03-31
    assert row["pd"] == pytest.approx(0.02) and row["grade"] == MASTER_SCALE.grade_number(0.02)
    assert not row["defaulted"]


def test_obligor_without_a_score_at_the_as_of_is_not_counted_as_scored():
    assert not _book().loc["FA07", "scored"]


def test_never_scored_performing_obligor_takes_the_worst_performing_grade():
    row = _book().loc["FA06"]
    assert row["pd"] == pytest.approx(WORST_PD) and row["grade"] == MASTER_SCALE.n_grades
    assert not row["scored"] and not row["defaulted"]
    assert WORST_PD == pytest.approx(np.sqrt(0.15035617 * 0.30), rel=1e-6)  # grade 10: geometric mid of its band


def test_eir_is_cost_of_funds_of_the_original_tenor_plus_the_spread():
    book = _book()
    # FA03: 2023-02-01 to 2027-02-01 = 1,461 days = 4.0 years; funding curve 90 bps at 3y, 115 bps at 5y -> 102.5.
    assert book.loc["FA03", "eir"] == pytest.approx((102.5 + 175) / 1e4, abs=1e-12)
    curve = PricingParams().economics.funding_curve_bps
    for fid in book.index:
        tenor = (book.loc[fid, "maturity_date"] - book.loc[fid, "origination_date"]).days / 365.25
        expected = (float(cost_of_funds(tenor, curve)) + book.loc[fid, "spread_bps"]) / 1e4
        assert book.loc[fid, "eir"] == pytest.approx(expected, abs=1e-12)


def test_ead_and_foundation_lgd():
    book = _book()
    assert book.loc["FA01", "ead"] == pytest.approx(8.0)  # amortising term loan: repaid principal gets no CCF
    assert book.loc["FA02", "ead"] == pytest.approx(2.0 + 0.75 * 3.0)  # revolver: 75 % of the undrawn
    assert book.loc["FA01", "lgd"] == pytest.approx(0.45)  # senior unsecured (BCBS June 2006 para 287)
    assert book.loc["FA03", "lgd"] == pytest.approx(0.75)  # subordinated (para 288)
    # Real estate 3.0 on EAD 4.25: secured 3.0 / 1.40 = 2.1429 at 35 %, the rest at 45 % (para 295).
    secured = 3.0 / 1.40
    assert book.loc["FA02", "lgd"] == pytest.approx((secured * 0.35 + (4.25 - secured) * 0.45) / 4.25)
    assert book.loc["FA02", "lgd"] == pytest.approx(float(foundation_lgd(4.25, "real_estate", 3.0, "senior")))


def test_days_past_due_from_the_as_of_behaviour_row():
    book = _book()
    assert book.loc["FA03", "days_past_due"] == 45  # not the 10 of the month before
    assert book.loc["FA04", "days_past_due"] == 200
    assert book.loc["FA01", "days_past_due"] == 0  # a row the month before only
    assert book.loc["FA07", "days_past_due"] == 0  # no row at all
    assert book["days_past_due"].dtype == np.int64


def test_watchlist_tiers_group_and_obligor_attributes():
    book = _book()
    assert book["watchlist"].to_dict() == {fid: fid == "FA03" for fid in book.index}
    assert book.loc["FA01", "tier"] == "A" and book.loc["FA03", "tier"] == "B"
    assert book.loc["FA10", "tier"] == "C"  # no tier in the table
    assert book.loc["FA01", "group"] == "G1" and book.loc["FA03", "group"] == "O2"  # no group: the obligor itself
    assert book.loc["FA01", "industry"] == "utilities" and book.loc["FA01", "name"] == "Client O1"
    assert book.loc["FA01", "sales"] == 40.0 and np.isnan(book.loc["FA03", "sales"])


def test_without_tiers_performing_clients_are_tier_c():
    book = _book(tiers=None)
    assert set(book.loc[~book["defaulted"], "tier"]) == {"C"}
    assert set(book.loc[book["defaulted"], "tier"]) == {WORKOUT_TIER}


@pytest.mark.filterwarnings("error::pandas.errors.Pandas4Warning")
def test_without_tiers_no_pandas_deprecation():
    book = _book(tiers=None)
    assert set(book.loc[~book["defaulted"], "tier"]) == {"C"}


def test_forborne_from_the_facilities_column_when_present():
    book = _book()
    assert book["forborne"].to_dict() == {fid: fid == "FA02" for fid in book.index}
    without = _book(tables=_tables(forborne=False))
    assert not without["forborne"].any() and without["forborne"].dtype == bool


@pytest.mark.parametrize("table,column", [("facilities", "spread_bps"), ("facilities", "seniority"),
                                          ("obligors", "group_id"), ("defaults", "default_date"),
                                          ("behaviour", "days_past_due")])
def test_missing_column_raises_naming_table_and_column(table, column):
    tables = _tables()
    tables[table] = tables[table].drop(columns=column)
    with pytest.raises(KeyError, match=f"{table} lacks column.*{column}"):
        facility_book(tables, _scores(), AS_OF)


def test_scored_without_grade_raises_naming_it():
    with pytest.raises(KeyError, match="scored lacks column.*grade"):
        facility_book(_tables(), _scores().drop(columns="grade"), AS_OF)


def test_obligor_portfolio_sums_ead_weights_lgd_and_drops_defaulted():
    book = facility_book(_tables(), _scores(), AS_OF, tiers=_tiers(), watchlist=["O2"])
    out = obligor_portfolio(book, 90).set_index("obligor_id")
    assert list(out.columns) == ["name", "industry", "tier", "group", "ead", "lgd", "pd", "sales"]
    assert sorted(out.index) == ["O1", "O2", "O3", "O6", "O7", "O8"]  # O4, O9 defaulted
    o1 = book[book["obligor_id"] == "O1"]
    assert out.loc["O1", "ead"] == pytest.approx(8.0 + 4.25)
    assert out.loc["O1", "lgd"] == pytest.approx((o1["ead"] * o1["lgd"]).sum() / 12.25)
    assert 0.39 < out.loc["O1", "lgd"] < 0.45  # between its two facilities' LGDs
    assert out.loc["O1", "pd"] == pytest.approx(0.0073) and out.loc["O1", "tier"] == "A"
    assert out.loc["O1", "group"] == "G1" and out.loc["O1", "sales"] == 40.0
    assert out["ead"].sum() == pytest.approx(book.loc[~book["defaulted"], "ead"].sum())


def test_obligor_portfolio_leaves_out_zero_exposure():
    book = facility_book(_tables(), _scores(), AS_OF)
    book.loc[book["facility_id"] == "FA10", "ead"] = 0.0  # O3's only live facility
    assert "O3" not in set(obligor_portfolio(book, 90)["obligor_id"])


def test_grade_history_keeps_obligor_date_grade_of_every_scored_month():
    scored = _scores()
    history = grade_history(scored)
    assert list(history.columns) == ["obligor_id", "obs_date", "grade"] and len(history) == len(scored)
    assert (history["grade"].to_numpy() == scored["grade"].to_numpy()).all()
    with pytest.raises(KeyError, match="scored lacks column.*grade"):
        grade_history(scored.drop(columns="grade"))


def test_a_book_at_the_snapshot_keeps_the_tables_drawn_amounts_and_an_earlier_one_reconstructs_them():
    at_snapshot = _book()  # behaviour's last month end is the as-of: the table's drawn amounts
    assert not at_snapshot["drawn_reconstructed"].any()
    assert at_snapshot.loc["FA01", "drawn"] == 8.0 and at_snapshot.loc["FA02", "drawn"] == 2.0
    tables = _tables()
    tables["behaviour"]["utilisation"] = 0.9
    earlier = facility_book(tables, _scores(), "2023-06-30", tiers=_tiers()).set_index("facility_id")
    performing = ~earlier["defaulted"]
    assert earlier.loc[performing, "drawn_reconstructed"].all() and performing.any()
    # A defaulted client's exposure is frozen at default: the table's amount (FA12: O9 defaulted in 2020).
    assert not earlier.loc["FA12", "drawn_reconstructed"] and earlier.loc["FA12", "drawn"] == 2.5
    # FA01: annuity of 10 from 2022-03-15 over 7 years, 15.5 months in: its contractual balance.
    assert 8.0 < earlier.loc["FA01", "drawn"] < 10.0
    # FA02 (revolver): O1 has no behaviour row that month, so the snapshot's share of the limit (2 / 5).
    assert earlier.loc["FA02", "drawn"] == pytest.approx(2.0)
    assert earlier.loc["FA03", "drawn"] == pytest.approx(7.0)  # bullet: the limit


def test_obligor_portfolio_leaves_out_clients_90_days_past_due_without_a_default_record():
    book = _book().reset_index()
    book.loc[book["obligor_id"] == "O3", "days_past_due"] = 95
    assert "O3" not in set(obligor_portfolio(book, 90)["obligor_id"])
    assert "O3" in set(obligor_portfolio(book, 120)["obligor_id"])
