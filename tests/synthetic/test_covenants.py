"""Covenants: which loans carry them, thresholds set with headroom at the start, reproducible from the seed,
and the breaches in ``behaviour`` are the covenants tested on the statements."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.data.covenants import covenant_ratio, usable_statements
from workbench.reference import COVENANT_TEST_FREQUENCIES, COVENANT_TYPES
from workbench.synthetic import GeneratorSettings, generate_portfolio


def test_most_term_loans_and_every_project_loan_carry_one_to_three_covenants(portfolio):
    cov, fac = portfolio["covenants"], portfolio["facilities"]
    product = cov["facility_id"].map(fac.set_index("facility_id")["product"])
    assert set(product) == {"term_loan", "revolver", "project_loan"}
    carried = fac.assign(has=fac["facility_id"].isin(cov["facility_id"])).groupby("product")["has"].mean()
    assert carried["term_loan"] > 0.7 and carried["project_loan"] > 0.95 and carried["revolver"] < 0.5
    per_facility = cov.groupby("facility_id")["type"].agg(["size", "nunique"])
    assert per_facility["size"].between(1, 3).all() and (per_facility["size"] == per_facility["nunique"]).all()
    assert set(cov["type"]) == set(COVENANT_TYPES) and set(cov["test_frequency_months"]) == set(COVENANT_TEST_FREQUENCIES)
    # DSCR covenants sit on project loans only, and every project loan has one.
    assert set(product[cov["type"] == "min_dscr"]) == {"project_loan"}
    assert cov["facility_id"].map(fac.set_index("facility_id")["obligor_id"]).eq(cov["obligor_id"]).all()


def test_thresholds_leave_headroom_on_the_statement_they_were_set_against(portfolio):
    cov, fin = portfolio["covenants"], portfolio["financials"]
    usable = usable_statements(fin)
    left = cov.reset_index().sort_values("start_date")
    kw = dict(left_on="start_date", right_on="available_date", by="obligor_id")
    back = pd.merge_asof(left, usable, direction="backward", **kw).set_index("index").sort_index()
    ahead = pd.merge_asof(left, usable, direction="forward", **kw).set_index("index").sort_index()
    basis = back.where(back["period_end"].notna(), ahead)
    value = covenant_ratio(cov["type"].to_numpy(dtype=object), basis)
    is_max = cov["type"].eq("max_leverage").to_numpy()
    headroom = np.where(is_max, cov["threshold"] - value, value - cov["threshold"])
    assert np.mean(headroom > 0) > 0.99  # (a very thin equity ratio gets the 0.01 floor)
    covers = cov[cov["type"].isin(["min_interest_cover", "min_dscr", "min_equity_ratio"])]
    assert (covers.loc[covers["type"] == "min_interest_cover", "threshold"] <= 3.0).all()
    assert (covers.loc[covers["type"] == "min_dscr", "threshold"] <= 1.3).all()
    assert (covers.loc[covers["type"] == "min_equity_ratio", "threshold"] <= 0.30).all()


def test_covenants_are_reproducible_from_the_seed_and_alone_as_in_the_full_portfolio():
    settings = GeneratorSettings(n_obligors=300, years=4, seed=5)
    full = generate_portfolio(settings)
    alone = generate_portfolio(GeneratorSettings(n_obligors=300, years=4, seed=5, tables=("covenants",)))
    pd.testing.assert_frame_equal(alone["covenants"], full["covenants"], check_exact=True)
    other = generate_portfolio(GeneratorSettings(n_obligors=300, years=4, seed=6, tables=("covenants",)))
    assert not other["covenants"]["threshold"].equals(full["covenants"]["threshold"])


def test_breaches_fall_on_test_months_of_covenanted_obligors_and_rise_before_default(portfolio):
    cov, beh, dft = portfolio["covenants"], portfolio["behaviour"], portfolio["defaults"]
    breached = beh[beh["covenant_breach"]]
    assert breached["obligor_id"].isin(cov["obligor_id"]).all()
    months = breached["month_end"].dt.year * 12 + breached["month_end"].dt.month
    sched = cov.assign(m0=cov["start_date"].dt.year * 12 + cov["start_date"].dt.month)
    due = breached.assign(m=months).merge(sched, on="obligor_id")
    due = due[(due["m"] - due["m0"]) % due["test_frequency_months"] == 0]
    assert set(zip(breached["obligor_id"], breached["month_end"])) == set(zip(due["obligor_id"], due["month_end"]))
    # A plausible rate, higher in the year before a default than among clients that never default.
    rate = beh["covenant_breach"].mean()
    assert 0.002 < rate < 0.03
    m = beh.merge(dft[["obligor_id", "default_date"]], on="obligor_id", how="left")
    before = (m["default_date"] - m["month_end"]).dt.days.between(1, 365)
    assert m.loc[before, "covenant_breach"].mean() > 1.5 * m.loc[m["default_date"].isna(), "covenant_breach"].mean()
