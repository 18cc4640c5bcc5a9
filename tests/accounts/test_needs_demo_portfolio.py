"""No client of the demo portfolio is offered a product the admission rules would decline."""

from __future__ import annotations

import pandas as pd

from workbench.accounts.needs import NeedsParams, needs_profile
from workbench.features import PanelParams, snapshot
from workbench.reference.master_scale import MASTER_SCALE
from workbench.structuring.admission import FacilityRequest, assess_admission
from workbench.synthetic import GeneratorSettings, generate_portfolio


def test_every_product_suggested_to_a_demo_client_passes_admission():
    # The demo's own portfolio (`workbench demo`: 5,000 obligors x 10 years from 2015, seed 0), graded
    # by its true PD: no model is trained here, the admission rules only read the grade and the figures.
    tables = generate_portfolio(GeneratorSettings(n_obligors=5000, years=10, seed=0, start_year=2015))
    as_of = pd.Timestamp("2024-12-31")
    snap = snapshot(tables, as_of, PanelParams())
    truth = tables["truth"]
    true_pd = truth[truth["month_end"] == as_of].set_index("obligor_id")["pd_12m"]
    pd_ = snap["obligor_id"].map(true_pd).fillna(0.02).clip(MASTER_SCALE.pd_floor, 1).to_numpy()
    scored = snap.assign(pd=pd_, grade=MASTER_SCALE.grade_number(pd_))
    params = NeedsParams()
    profile = needs_profile(tables["questionnaires"], scored, tables["facilities"], params, as_of=as_of)
    suggested = profile.suggested.dropna(subset=["product"])
    assert len(suggested) > 1000  # the book gets offers: the check below is not vacuous
    assert (~profile.offers.dropna(subset=["product"])["eligible"]).any()  # and some are held back
    rows = scored.set_index("obligor_id")
    declined = [(r.obligor_id, r.product) for r in suggested.itertuples()
                if assess_admission(rows.loc[r.obligor_id], FacilityRequest(amount=r.amount, tenor_years=r.tenor_years),
                                    params.admission).decision == "decline"]
    assert declined == []
