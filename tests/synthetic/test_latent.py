"""The latent process: default rates that move with the cycle, and a true PD calibrated to them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from workbench.synthetic import GeneratorSettings
from workbench.synthetic import latent as g


def _yearly_default_rates(tables: dict[str, pd.DataFrame]) -> pd.Series:
    active = tables["behaviour"].groupby(tables["behaviour"]["month_end"].dt.year)["obligor_id"].nunique()
    defaults = tables["defaults"].groupby(tables["defaults"]["default_date"].dt.year).size()
    return (defaults.reindex(active.index, fill_value=0) / active)


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
    hit = ((obs["default_date"] > obs["month_end"])
           & (obs["default_date"] <= obs["month_end"] + pd.DateOffset(months=12)))
    expected, observed = obs["pd_12m"].sum(), hit.sum()
    # Poisson-binomial: observed within 4 standard deviations of the expected count.
    sd = np.sqrt((obs["pd_12m"] * (1 - obs["pd_12m"])).sum())
    assert abs(observed - expected) < 4 * sd + 0.15 * expected, (observed, expected)


def test_blockwise_true_pd_equals_the_direct_formula():
    """The (n, T) PD is accumulated horizon by horizon in obligor blocks; same numbers as the (n, T, 12) formula."""
    L = g.Latent(GeneratorSettings(n_obligors=g.CHUNK + 37, years=2, seed=3))
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
