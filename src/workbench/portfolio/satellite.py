"""The satellite model of the stress test: industry default rates as a probit function of the macro state.

**Panel** (``default_rate_panel``). A cohort is the set of performing obligors scored at one month
end t; its outcome is default within the next ``horizon_months`` (12): obs_date < default_date <=
t + 12 months. Only cohorts whose outcome year has ended by ``data_end`` enter (matured cohorts).
Obligor-months on or after an obligor's first default are not performing and are dropped. By default
the cohorts are **annual and non-overlapping** (one calendar month of each year: the month of the
latest matured cohort, so the most recent data is used), so that consecutive observations share no
outcome months and the binomial (or Pearson-scaled) standard errors are honest. ``cohort_month="all"``
uses every month end instead: twelve times the rows, but overlapping outcome windows, so the fit must
then use heteroscedasticity-and-autocorrelation-consistent errors (``covariance="hac"``; Newey & West
1987, Bartlett kernel over cohort dates), which ``fit_satellite`` enforces.

Per industry x cohort: obligors, defaults, default_rate and the macro regressors (``REGRESSORS``),
all over 12-month windows of the monthly ``macro`` table:

- ``gdp_growth``: GDP growth over the outcome year (mean of the monthly year-on-year rates in (t, t+12m],
  percent); ``gdp_growth_lag``: the same over the year before the cohort date, (t-12m, t];
- ``policy_rate`` / ``policy_rate_lag``: the policy rate's mean over the outcome year / the year before;
- ``index_change`` / ``index_change_lag``: the industry activity index's log change over the outcome
  year / the year before, 100 ln(I_{t+12} / I_t) (percent, ``idx_<industry>`` columns);
- ``index_residual`` (computed by ``fit_satellite``, not a panel column): ``index_change`` less its
  projection on GDP growth, c_k + g x gdp_growth (industry intercepts, one common slope; OLS over the
  fitted cells). The indices move with GDP (in the demo economy both follow the same macro factor), so
  next to GDP the raw index takes over the common cycle and leaves GDP with a meaningless sign; the
  residual carries only the industry's own part of the cycle, and GDP keeps the common part.

A window not fully inside the macro table gives NaN; such cells drop out of the fit.

**Model** (``fit_satellite``). Vasicek's one-factor model makes the probit of a conditional default rate
linear in the systematic factor: G(DR_t) = (G(PD) - sqrt(rho) Z_t) / sqrt(1 - rho). The satellite
replaces the unobserved factor by observed macro variables:

    G(DR_{k,t}) = a + a_k + b' x_{k,t}    (a_k: optional industry fixed effects)

estimated by maximum likelihood on the default counts: a binomial GLM with probit link (statsmodels
``GLM``, ``Binomial(link=Probit())``, fitted by IRLS / Fisher scoring; McCullagh & Nelder 1989, ch. 4),
which weights each cell by its obligor count. The cells are grouped binomial data, so the response is
the two-column [defaults, non-defaults] per cell (statsmodels' form for counts; the number of trials is
each row's sum). The alternative, the default rate with ``var_weights`` = obligors, gives the same
estimates, deviance and Pearson X^2, but its ``llf`` is not a binomial log-likelihood (statsmodels 0.15
then takes one trial per cell and multiplies a non-integer log-density by the weight). Convergence:
``tol_criterion="params"``, the largest coefficient change between iterations below ``tolerance``; a fit
that does not converge within ``max_iterations`` raises a RuntimeError (typically an industry without
defaults, whose effect runs to minus infinity).
The coefficients ``b`` move the probit index of PD: a scenario's ``shift`` for year y is
b' (x_scenario,y - x_as-of), positive = worse, and feeds ``term_structure.pd_term_structure(shift=...)``
as h' = N(G(h) + shift).

**Standard errors**: ``binomial`` (inverse Fisher information; statsmodels' default ``scale=1`` for the
binomial family); ``pearson`` (the default): scaled by the Pearson dispersion X^2 / (cells - parameters)
when it exceeds 1, because default counts vary more than binomially around any macro fit (the residual
systematic factor of the Vasicek model, which observed variables never capture fully), and never below
the binomial errors. The scale goes to ``GLM.fit`` as a number, max(1, ``pearson_chi2 / df_resid``), and
not as ``scale="X2"``: statsmodels 0.15 leaves the trials out of the "X2" estimate with two-column
counts (it comes out near X^2/df divided by the mean cell size, and the floor at 1 would then always
bind). ``hac`` for overlapping monthly cohorts: statsmodels' ``cov_type="hac-groupsum"`` (Driscoll &
Kraay 1998): the scores are summed per cohort date and those sums get Newey-West (Bartlett) weights over
``hac_lags`` lags of the sequence of cohort dates, with no small-sample correction. Plain
``cov_type="HAC"`` would instead take lags over the rows, where consecutive rows are industries of the
same cohort. The sandwich's bread is the observed Hessian, as statsmodels computes it. The expected
(Fisher) information used before the change to statsmodels differs from it under the probit link, a
non-canonical one, by the residual term; on the demo panels the HAC errors move by up to 2 % for it.

**Fit statistics**: McFadden's pseudo R^2 1 - lnL / lnL_0 on the obligor-level (Bernoulli)
log-likelihood against the intercept-only model (McFadden 1974), the deviance, AIC = -2 lnL + 2k, and
the correlation between fitted and realised default rates over cohorts (whole book per cohort) and
over cells. Pseudo R^2 is small by nature: most of the variance of single defaults is idiosyncratic;
the cohort correlation says how well the model tracks the cycle. statsmodels' ``llf`` and ``llnull`` on
the counts are the grouped binomial log-likelihoods, which add sum ln C(n, d), a constant that depends on
how the obligors are grouped into cells. So the lnL here is ``llf`` less that constant, and
``pseudo_rsquared(kind="mcf")`` and ``aic`` of the statsmodels results (built on the grouped ``llf``) are
not used: they would change with the grouping. The deviance and Pearson X^2 are statsmodels'.

**Scenario shifts** (``SatelliteModel.shifts``): for scenario s, year y and industry k the regressors
take the scenario's path in year y (the lags: year y - 1, for year 1 the as-of), and the shift is
b' (x_{s,y,k} - x_ref). By default x_ref is the probability-weighted path, sum_s w_s x_{s,y,k}
(``shift_from="weighted"``): the as-of's point-in-time PD is the model's expectation over the outcomes
the scenarios stand for, so the weighted shift is 0 and the probability-weighted ECL differs from the
PD's only by the non-linearity of the loss across the scenarios, which is what IFRS 9 5.5.17(a) and
B5.5.42 ask the weighting to capture; with a downside-skewed set (no upside scenario) the baseline then
has a negative shift. ``shift_from="baseline"`` takes the baseline's path instead (the PD expects the
most likely path, as the generator's true PD, a conditional expectation of the mean-reverting factors,
does; the baseline's shift is then 0 and a downside-only set puts the weighted ECL above the PD's);
``shift_from="as_of"`` the as-of's state (``current_macro_state``: the 12 months up to the as-of in the
outcome-year slots), which makes every industry's index momentum of the past year count against the
scenario's common index path: on the demo book at 2024-12 this alone moves industries by -0.4 to +0.6
in the baseline, more than the scenarios differ. Industry effects and
the projection's intercepts cancel in the difference.

**The synthetic portfolio** (``workbench.synthetic.latent``): monthly hazard N(-4.05 - z), with z
loading 0.55 x cyclicality_k on a macro factor M that also drives GDP growth (1.6 + 1.9 M + noise) and
the industry indices (monthly log change 0.002 + 0.012 (cyclicality_k M + 0.7 I_k), with the industry
factor I_k that loads 0.35 on z); so the GDP and index coefficients must come out negative (more
growth, fewer defaults). Through a heterogeneous book (obligor quality spread about 1.1 around the
mean) the generator implies roughly -0.55 x 0.55 (mean cyclicality) / 1.9 x 0.9 = -0.14 per GDP point
on the annual probit; fits on synthetic books of 4,000 obligors over 12 years (seeds 0-7) give -0.09 to
-0.18 (mean -0.13), the demo book (5,000 obligors, 9 annual cohorts) -0.08 (standard error 0.013). The policy rate follows M with a six-month lag (pro-cyclical, no
causal effect on defaults), so it is not among the default regressors: its fitted sign would be that
of the cycle, and a scenario raising rates would then lower PDs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from matplotlib.figure import Figure
from pydantic import Field, field_validator, model_validator
from scipy.special import gammaln, ndtr

from .. import format as fmt
from ..params import StrictModel
from .checks import need_columns
from .scenarios import BASELINE, ScenarioParams

__all__ = ["REGRESSORS", "SatelliteParams", "SatelliteModel", "default_rate_panel", "macro_regressors",
           "current_macro_state", "fit_satellite", "plot_fit"]

#: The macro regressors the panel carries, with what each one is.
REGRESSORS: dict[str, str] = {
    "gdp_growth": "GDP growth over the outcome year (%)",
    "gdp_growth_lag": "GDP growth over the year before (%)",
    "policy_rate": "policy rate, mean over the outcome year (%)",
    "policy_rate_lag": "policy rate, mean over the year before (%)",
    "index_change": "industry index log change over the outcome year (%)",
    "index_change_lag": "industry index log change over the year before (%)",
    "index_residual": "industry index change over the outcome year not explained by GDP growth (%)",
}

#: Regressors computed in the fit from the panel's columns (the others are panel columns).
DERIVED = ("index_residual",)

INTERCEPT = "intercept"


class SatelliteParams(StrictModel):
    """Which macro regressors explain the industry default rates, and how the errors are computed."""

    regressors: list[str] = Field(
        default_factory=lambda: ["gdp_growth", "index_residual"],
        description="Macro regressors of the probit (names in satellite.REGRESSORS). Default: GDP growth of the "
                    "outcome year (the common cycle) and the industry index's change net of GDP (the industry's "
                    "own cycle). Left out on the demo data: the GDP lag (insignificant, positive), the policy "
                    "rate (it only follows the cycle there) and the raw index next to GDP (collinear; see the "
                    "module doc)")
    industry_effects: bool = Field(True, description="Industry fixed effects a_k (industries differ in their "
                                   "through-the-cycle default rate)")
    covariance: Literal["binomial", "pearson", "hac"] = Field(
        "pearson", description="Standard errors: binomial information matrix; pearson = scaled by the Pearson "
                               "dispersion when above 1 (over-dispersion from the residual systematic factor); hac "
                               "= Newey-West over cohort dates, required for overlapping monthly cohorts")
    hac_lags: int = Field(11, ge=0, le=60, description="Bartlett-kernel lags (cohort dates) of the HAC errors: "
                          "11 for monthly cohorts, whose 12-month outcome windows overlap 11 months")
    shift_from: Literal["weighted", "baseline", "as_of"] = Field(
        "weighted", description="Scenario shifts measured from the probability-weighted path of the scenarios "
                                "(weighted: the point-in-time PD is the model's expectation over the outcomes the "
                                "scenarios stand for, so the weighted shift is 0 and the weighted ECL adds only "
                                "the non-linearity of the loss in the scenarios, unbiased as IFRS 9 5.5.17(a) asks "
                                "even for a downside-skewed set), from the baseline's path (the PD expects the "
                                "most likely path; with downside scenarios only, the weighted ECL then lies above "
                                "the PD's) or from the as-of's macro state (each industry's index momentum of the "
                                "past year counts against the scenario's path)")
    min_industry_defaults: int = Field(
        5, ge=0, le=1000, description="An industry with fewer defaults than this over all cohorts gets no effect of "
        "its own and shares the base level (the first industry with enough defaults): with none, its "
        "maximum-likelihood effect is minus infinity and the fit cannot converge; with a handful it is noise. "
        "Scenario shifts depend on the slopes only, not on the industry levels")
    max_iterations: int = Field(100, ge=1, le=10_000, description="IRLS (Fisher-scoring) iterations at most "
                                "(statsmodels GLM.fit maxiter); a fit not converged by then raises")
    tolerance: float = Field(1e-10, gt=0, lt=1e-3, description="Convergence: largest coefficient change between "
                             "iterations (GLM.fit tol with tol_criterion='params')")

    @field_validator("regressors")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in REGRESSORS]
        if unknown:
            raise ValueError(f"unknown regressor(s) {unknown}; known: {', '.join(REGRESSORS)}")
        if len(set(value)) != len(value):
            raise ValueError(f"regressors repeat a name: {value}")
        return value

    @model_validator(mode="after")
    def _something_to_fit(self) -> "SatelliteParams":
        if not self.regressors:
            raise ValueError("regressors must name at least one macro variable")
        return self


# --------------------------------------------------------------------------- panel


def _month_number(dates) -> np.ndarray:
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    return (d.year * 12 + d.month - 1).to_numpy(dtype=np.int64)


class _MonthlyMacro:
    """The macro table on a gap-free monthly grid (missing months NaN), with 12-month window statistics."""

    def __init__(self, macro: pd.DataFrame):
        need_columns(macro, ("month_end", "gdp_growth", "policy_rate"), "macro")
        months = _month_number(macro["month_end"])
        if len(np.unique(months)) != len(months):
            dup = pd.Series(months).duplicated(keep=False)
            raise ValueError(f"macro has more than one row for month(s) "
                             f"{sorted(set(macro['month_end'][dup.to_numpy()].astype(str)))[:5]}")
        self.first = int(months.min())
        self.n = int(months.max()) - self.first + 1
        self.pos = months - self.first
        self.macro = macro

    def column(self, name: str) -> np.ndarray:
        out = np.full(self.n, np.nan)
        out[self.pos] = self.macro[name].to_numpy(dtype=float)
        return out

    def _positions(self, month: np.ndarray) -> np.ndarray:
        return np.asarray(month, dtype=np.int64) - self.first

    def window_mean(self, name: str, month: np.ndarray, start: int, length: int) -> np.ndarray:
        """Mean of ``name`` over the months (m + start, ..., m + start + length - 1); NaN unless all are there."""
        values = self.column(name)
        finite = np.isfinite(values)
        csum = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
        ccount = np.concatenate([[0], np.cumsum(finite)])
        lo = self._positions(month) + start
        hi = lo + length
        ok = (lo >= 0) & (hi <= self.n)
        lo_c, hi_c = np.clip(lo, 0, self.n), np.clip(hi, 0, self.n)
        full = ok & (ccount[hi_c] - ccount[lo_c] == length)
        return np.where(full, (csum[hi_c] - csum[lo_c]) / length, np.nan)

    def log_change(self, name: str, month: np.ndarray, start: int, end: int) -> np.ndarray:
        """100 ln(x[m + end] / x[m + start]); NaN when either month is missing."""
        values = self.column(name)
        p = self._positions(month)
        a, b = p + start, p + end
        ok = (a >= 0) & (b >= 0) & (a < self.n) & (b < self.n)
        va = np.where(ok, values[np.clip(a, 0, self.n - 1)], np.nan)
        vb = np.where(ok, values[np.clip(b, 0, self.n - 1)], np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 100.0 * np.log(vb / va)


def macro_regressors(macro: pd.DataFrame, dates, industries, *, horizon_months: int = 12) -> pd.DataFrame:
    """The macro regressors (``REGRESSORS``) of cohorts at ``dates`` (month ends) in ``industries``, one row
    per date x industry (aligned arrays: the i-th date goes with the i-th industry). Outcome windows are
    (t, t + horizon], the lagged ones (t - horizon, t]. An industry without an ``idx_<industry>`` column
    raises a KeyError naming it."""
    dates = pd.DatetimeIndex(pd.to_datetime(dates))
    industries = np.asarray(industries, dtype=object)
    if len(dates) != len(industries):
        raise ValueError(f"dates ({len(dates)}) and industries ({len(industries)}) must have the same length")
    missing = sorted({f"idx_{k}" for k in industries} - set(macro.columns))
    if missing:
        raise KeyError(f"macro lacks the industry index column(s) {', '.join(missing)}")
    mm = _MonthlyMacro(macro)
    month = _month_number(dates)
    h = horizon_months
    out = pd.DataFrame({
        "gdp_growth": mm.window_mean("gdp_growth", month, 1, h),
        "gdp_growth_lag": mm.window_mean("gdp_growth", month, 1 - h, h),
        "policy_rate": mm.window_mean("policy_rate", month, 1, h),
        "policy_rate_lag": mm.window_mean("policy_rate", month, 1 - h, h),
    })
    index_change = np.full(len(dates), np.nan)
    index_lag = np.full(len(dates), np.nan)
    for k in np.unique(industries):
        rows = industries == k
        index_change[rows] = mm.log_change(f"idx_{k}", month[rows], 0, h)
        index_lag[rows] = mm.log_change(f"idx_{k}", month[rows], -h, 0)
    out["index_change"] = index_change
    out["index_change_lag"] = index_lag
    return out


def current_macro_state(macro: pd.DataFrame, as_of, industries: Sequence[str], *,
                        horizon_months: int = 12, regressors: Sequence[str] | None = None) -> pd.DataFrame:
    """The macro state at ``as_of`` in the satellite's terms, one row per industry (index: industry).

    The 12-month PD at the as-of is point in time: it reflects the conditions of the year just past.
    So the "outcome year" regressors take the 12 months ending at the as-of, (as_of - 12m, as_of], and
    the lagged ones the 12 months before those. With ``shift_from="as_of"`` a scenario's shift is measured
    from this state. ``regressors``: the ones the model uses (only their columns must be covered by the
    macro data); None: all of ``REGRESSORS``.
    """
    as_of = pd.Timestamp(as_of) + pd.offsets.MonthEnd(0)
    start = as_of - pd.offsets.MonthEnd(horizon_months)
    industries = list(dict.fromkeys(industries))
    state = macro_regressors(macro, [start] * len(industries), industries, horizon_months=horizon_months)
    state.index = pd.Index(industries, name="industry")
    needed = state.columns if regressors is None else [c for c in _raw_columns(regressors) if c in state.columns]
    bad = [c for c in needed if state[c].isna().any()]
    if bad:
        raise ValueError(f"macro does not cover the months up to {as_of.date()} that {', '.join(bad)} need")
    return state


def default_rate_panel(population: pd.DataFrame, defaults: pd.DataFrame, macro: pd.DataFrame, *,
                       horizon_months: int = 12, data_end, cohort_month: int | Literal["all"] | None = None
                       ) -> pd.DataFrame:
    """Realised default rates per industry x cohort with the cohort's macro regressors.

    ``population``: obligor_id, obs_date, industry - the performing obligors scored at each month end.
    ``defaults``: obligor_id, default_date. ``macro``: month_end, gdp_growth, policy_rate, idx_<industry>.
    ``data_end``: the last date whose defaults are known; only cohorts with obs_date + horizon <= data_end
    enter. ``cohort_month``: the calendar month (1-12) of the annual cohorts; None = the month of the
    latest matured cohort; ``"all"`` = every month end (overlapping; fit with ``covariance="hac"``).

    Returns one row per industry x cohort: industry, cohort (obs_date), obligors, defaults,
    default_rate and the ``REGRESSORS`` columns, sorted by cohort and industry.
    """
    need_columns(population, ("obligor_id", "obs_date", "industry"), "population")
    need_columns(defaults, ("obligor_id", "default_date"), "defaults")
    if horizon_months < 1:
        raise ValueError(f"horizon_months must be at least 1; got {horizon_months}")
    data_end = pd.Timestamp(data_end)
    pop = population[["obligor_id", "obs_date", "industry"]].copy()
    pop["obs_date"] = pd.to_datetime(pop["obs_date"]) + pd.offsets.MonthEnd(0)
    if pop["industry"].isna().any():
        raise ValueError(f"population has {int(pop['industry'].isna().sum())} row(s) without an industry")
    pop = pop.drop_duplicates(["obligor_id", "obs_date"])
    first_default = pd.to_datetime(defaults.groupby("obligor_id")["default_date"].min()).astype("datetime64[ns]")
    default_date = pd.Series(first_default.reindex(pop["obligor_id"].to_numpy()).to_numpy(), index=pop.index)
    # An obligor-month on or after the first default is not performing; NaT (never defaulted) compares False.
    pop = pop[~(default_date <= pop["obs_date"]).to_numpy()]
    default_date = default_date[pop.index]
    outcome_end = pop["obs_date"] + pd.offsets.MonthEnd(horizon_months)
    matured = (outcome_end <= data_end).to_numpy()
    if not matured.any():
        raise ValueError(f"no cohort's {horizon_months}-month outcome window ends by data_end {data_end.date()}")
    pop, default_date, outcome_end = pop[matured], default_date[matured], outcome_end[matured]

    if cohort_month is None:
        cohort_month = int(pop["obs_date"].max().month)
    if cohort_month != "all":
        if isinstance(cohort_month, bool) or not isinstance(cohort_month, (int, np.integer)) \
                or not 1 <= cohort_month <= 12:
            raise ValueError(f"cohort_month must be 1..12, 'all' or None; got {cohort_month!r}")
        keep = (pop["obs_date"].dt.month == cohort_month).to_numpy()
        pop, default_date, outcome_end = pop[keep], default_date[keep], outcome_end[keep]
        if pop.empty:
            raise ValueError(f"no matured cohort in calendar month {cohort_month}")

    flag = ((default_date > pop["obs_date"]) & (default_date <= outcome_end)).to_numpy()
    counts = (pop.assign(_d=flag.astype(np.int64))
              .groupby(["obs_date", "industry"], sort=True)["_d"].agg(["size", "sum"])
              .reset_index()
              .rename(columns={"obs_date": "cohort", "size": "obligors", "sum": "defaults"}))
    counts["industry"] = counts["industry"].astype(str)
    counts["default_rate"] = counts["defaults"] / counts["obligors"]
    x = macro_regressors(macro, counts["cohort"], counts["industry"], horizon_months=horizon_months)
    panel = pd.concat([counts.reset_index(drop=True), x], axis=1)
    panel.attrs["horizon_months"] = horizon_months
    panel.attrs["cohort_month"] = cohort_month
    return panel


# --------------------------------------------------------------------------- fit


def _design(frame: pd.DataFrame, regressors: Sequence[str], dummies: Sequence[str]
            ) -> tuple[np.ndarray, list[str]]:
    """Design matrix: intercept, a dummy per industry of ``dummies`` (the others form the base), regressors."""
    n = len(frame)
    columns = [np.ones(n)]
    names = [INTERCEPT]
    if dummies:
        ind = frame["industry"].astype(str).to_numpy()
        for k in dummies:
            columns.append((ind == k).astype(float))
            names.append(f"industry[{k}]")
    for r in regressors:
        columns.append(frame[r].to_numpy(dtype=float))
        names.append(r)
    return np.column_stack(columns), names


def _probit_glm(X: np.ndarray, d: np.ndarray, n: np.ndarray) -> sm.GLM:
    """The binomial probit GLM of the cells: endog [defaults, non-defaults] (grouped binomial data; module doc)."""
    family = sm.families.Binomial(link=sm.families.links.Probit())
    return sm.GLM(np.column_stack([d, n - d]), X, family=family)


def _fit_glm(glm: sm.GLM, params: SatelliteParams, cohort: np.ndarray, **kwargs):
    """IRLS fit of ``glm`` with the covariance of ``params.covariance``; a fit that does not converge raises."""
    fit = dict(maxiter=params.max_iterations, tol=params.tolerance, tol_criterion="params", use_t=False)
    if params.covariance == "hac":
        # Driscoll-Kraay: scores summed per cohort date, then Newey-West (Bartlett) over the sequence of dates.
        # ``time`` must be the position 0..T-1 of the cell's cohort date: statsmodels sums the scores with
        # bincount over these codes, so month numbers would (unless sparse enough for it to relabel them)
        # insert empty periods between annual cohorts and turn the lags into months.
        time = np.unique(cohort, return_inverse=True)[1]
        fit.update(cov_type="hac-groupsum", cov_kwds={"time": time, "maxlags": params.hac_lags,
                                                       "use_correction": False, "df_correction": False})
    result = glm.fit(**fit, **kwargs)
    history = result.fit_history["params"]
    change = float(np.max(np.abs(history[-1] - history[-2]))) if len(history) > 2 else float("nan")
    if not result.converged or not np.isfinite(result.params).all():
        raise RuntimeError(
            f"the probit satellite fit did not converge in {result.fit_history['iteration']} IRLS iteration(s) "
            f"(max_iterations {params.max_iterations}): the last one still moved a coefficient by {change:.3g}, "
            f"more than the tolerance {params.tolerance:g}. An industry without defaults in any cohort (or a "
            "regressor that separates the cells) drives a coefficient to infinity: drop it or the industry "
            "effects; otherwise raise max_iterations")
    return result


def _months_between(dates: np.ndarray) -> np.ndarray:
    m = np.unique(_month_number(dates))
    return np.diff(m)


def _raw_columns(regressors: Sequence[str]) -> list[str]:
    """Panel columns the regressors are made of (``index_residual``: index_change and gdp_growth)."""
    out: list[str] = []
    for r in regressors:
        for c in (("index_change", "gdp_growth") if r == "index_residual" else (r,)):
            if c not in out:
                out.append(c)
    return out


def _index_projection(frame: pd.DataFrame) -> dict:
    """OLS of index_change on industry intercepts and one GDP slope (the first stage of ``index_residual``)."""
    ind = frame["industry"].astype(str).to_numpy()
    industries = sorted(set(ind))
    X = np.column_stack([(ind == k).astype(float) for k in industries] + [frame["gdp_growth"].to_numpy(float)])
    coef = np.linalg.lstsq(X, frame["index_change"].to_numpy(float), rcond=None)[0]
    return {"intercepts": dict(zip(industries, coef[:-1].tolist())), "slope": float(coef[-1])}


def fit_satellite(panel: pd.DataFrame, params: SatelliteParams | None = None) -> "SatelliteModel":
    """Fit the probit satellite model on a ``default_rate_panel`` (module docstring: model and errors).

    Cells with no obligors or a missing regressor are left out (``fit_statistics()['cells_dropped']``).
    Overlapping cohorts (less than the outcome horizon apart) need ``covariance="hac"``: a ValueError
    otherwise. Collinear regressors (or an industry effect with one industry) raise a ValueError; a fit that
    does not converge within ``params.max_iterations`` raises a RuntimeError.
    """
    params = params or SatelliteParams()
    regs = list(params.regressors)
    raw = _raw_columns(regs)
    need_columns(panel, ("industry", "cohort", "obligors", "defaults", *raw), "panel")
    horizon = int(panel.attrs.get("horizon_months", 12))
    ok = (panel["obligors"] > 0) & panel[raw].notna().all(axis=1)
    df = panel[ok.to_numpy()].sort_values(["cohort", "industry"]).reset_index(drop=True)
    if df.empty:
        raise ValueError("panel has no cell with obligors and all regressors")
    gaps = _months_between(df["cohort"].to_numpy())
    if params.covariance != "hac" and len(gaps) and gaps.min() < horizon:
        raise ValueError(f"panel cohorts are {int(gaps.min())} month(s) apart, less than the {horizon}-month "
                         "outcome window: their outcomes overlap, so use covariance='hac' (or annual cohorts)")
    projection = _index_projection(df) if "index_residual" in regs else None
    df = _with_derived(df, projection)
    industries = sorted(df["industry"].astype(str).unique())
    totals = df.groupby(df["industry"].astype(str))["defaults"].sum()
    pooled = tuple(k for k in industries if totals.get(k, 0) < params.min_industry_defaults) \
        if params.industry_effects else ()
    own = [k for k in industries if k not in pooled]
    # The base level: the first industry with enough defaults, shared by the pooled ones.
    dummies = own[1:] if params.industry_effects else []
    X, names = _design(df, regs, dummies)
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        raise ValueError(f"the design ({', '.join(names)}) is collinear: rank {rank} < {X.shape[1]} columns; "
                         "drop a regressor or the industry effects")
    if X.shape[0] <= X.shape[1]:
        raise ValueError(f"{X.shape[0]} cell(s) cannot identify {X.shape[1]} coefficients")
    d = df["defaults"].to_numpy(dtype=float)
    n = df["obligors"].to_numpy(dtype=float)
    glm = _probit_glm(X, d, n)
    result = _fit_glm(glm, params, df["cohort"].to_numpy())
    iterations = int(result.fit_history["iteration"])
    cells, k = X.shape
    pearson = float(result.pearson_chi2)
    dispersion = pearson / float(result.df_resid)
    if params.covariance == "pearson" and dispersion > 1.0:
        # Never below the binomial errors: under-dispersion in a handful of cells is noise, not information.
        # The scale is passed as a number, not as scale="X2": with two-column endog statsmodels 0.15 leaves the
        # number of trials out of that estimate (about X2/df over the mean cell size), whereas
        # ``pearson_chi2`` counts them. The refit starts at the estimates, so only the scale changes.
        result = _fit_glm(glm, params, df["cohort"].to_numpy(), start_params=result.params, scale=dispersion)
    beta = np.asarray(result.params, dtype=float)
    eta = X @ beta
    fitted = ndtr(eta)
    cov = np.asarray(result.cov_params(), dtype=float)
    coefficients = pd.DataFrame({"coefficient": beta, "std_error": np.asarray(result.bse, dtype=float),
                                 "z": np.asarray(result.tvalues, dtype=float),
                                 "p_value": np.asarray(result.pvalues, dtype=float)},
                                index=pd.Index(names, name="term"))

    # statsmodels' llf / llnull are the grouped binomial log-likelihoods, which carry sum ln C(n, d); without it
    # they are the obligor-level (Bernoulli) ones the pseudo R^2 and AIC are defined on (module doc).
    log_binom = float(np.sum(gammaln(n + 1) - gammaln(d + 1) - gammaln(n - d + 1)))
    ll = float(result.llf) - log_binom
    ll0 = float(result.llnull) - log_binom
    rate0 = d.sum() / n.sum()
    deviance = float(result.deviance)
    df = df.assign(fitted_rate=fitted, probit_index=eta)
    by_cohort = df.assign(_fd=n * fitted).groupby("cohort")[["defaults", "obligors", "_fd"]].sum()
    realised_c = by_cohort["defaults"] / by_cohort["obligors"]
    fitted_c = by_cohort["_fd"] / by_cohort["obligors"]
    statistics = {
        "cells": float(cells), "cells_dropped": float(len(panel) - cells), "cohorts": float(len(by_cohort)),
        "industries": float(len(industries)), "obligor_months": float(n.sum()), "defaults": float(d.sum()),
        "default_rate": float(rate0), "parameters": float(k), "log_likelihood": ll, "null_log_likelihood": ll0,
        "mcfadden_r2": 1.0 - ll / ll0 if ll0 < 0 else float("nan"), "deviance": deviance,
        "pearson_chi2": pearson, "dispersion": dispersion, "aic": -2.0 * ll + 2.0 * k,
        "correlation_cohort": _corr(fitted_c.to_numpy(), realised_c.to_numpy()),
        "correlation_cell": _corr(fitted, d / n),
        "iterations": float(iterations), "converged": 1.0,
    }
    return SatelliteModel(params=params, coefficients=coefficients,
                          covariance=pd.DataFrame(cov, index=names, columns=names),
                          panel=df, industries=tuple(industries), statistics=statistics, horizon_months=horizon,
                          index_projection=projection, pooled_industries=pooled)


def _with_derived(frame: pd.DataFrame, projection: dict | None) -> pd.DataFrame:
    """``frame`` with ``index_residual`` added when there is a projection. An industry the projection has no
    intercept for takes their mean: the intercept cancels in every shift, only levels would use it."""
    if projection is None:
        return frame
    intercepts = projection["intercepts"]
    mean = float(np.mean(list(intercepts.values())))
    c = frame["industry"].astype(str).map(intercepts).fillna(mean).to_numpy(dtype=float)
    residual = frame["index_change"].to_numpy(dtype=float) - c - projection["slope"] * frame["gdp_growth"].to_numpy(
        dtype=float)
    return frame.assign(index_residual=residual)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class SatelliteModel:
    """A fitted probit satellite model: coefficients, fit statistics, scenario shifts of the PD's probit index.

    ``panel``: the fitted cells with ``fitted_rate`` and ``probit_index``; ``industries``: those of the fit
    (the first is the base of the fixed effects); ``index_projection``: the first stage of
    ``index_residual`` (industry intercepts and the GDP slope), None without it.
    """

    params: SatelliteParams
    coefficients: pd.DataFrame
    covariance: pd.DataFrame
    panel: pd.DataFrame
    industries: tuple[str, ...]
    statistics: dict[str, float] = field(default_factory=dict)
    horizon_months: int = 12
    index_projection: dict | None = None
    pooled_industries: tuple[str, ...] = ()  # industries without an effect of their own (too few defaults)

    @property
    def regressors(self) -> list[str]:
        return list(self.params.regressors)

    def slopes(self) -> pd.Series:
        """The macro coefficients b (per unit of each regressor, probit-index units)."""
        return self.coefficients.loc[self.regressors, "coefficient"]

    def table(self) -> pd.DataFrame:
        """Coefficients with standard error, z and p-value (display)."""
        return fmt.display_frame(self.coefficients, {
            "coefficient": ("coefficient", fmt.signed), "std_error": ("std error", fmt.number),
            "z": ("z", fmt.signed), "p_value": ("p-value", fmt.number)})

    def fit_statistics(self) -> dict[str, float]:
        """Cells, cohorts, obligor-months, defaults, log-likelihoods, McFadden pseudo R^2, deviance, Pearson
        dispersion, AIC and the correlation of fitted and realised default rates (per cohort, per cell)."""
        return dict(self.statistics)

    def fit_table(self) -> pd.DataFrame:
        """``fit_statistics`` for people."""
        s = self.statistics
        rows = [("cells (industry x cohort)", fmt.integer(s["cells"])), ("cohorts", fmt.integer(s["cohorts"])),
                ("industries", fmt.integer(s["industries"])), ("obligor-months", fmt.integer(s["obligor_months"])),
                ("defaults", fmt.integer(s["defaults"])), ("default rate", fmt.pd_percent(s["default_rate"])),
                ("McFadden pseudo R²", fmt.number(s["mcfadden_r2"])), ("deviance", fmt.number(s["deviance"])),
                ("Pearson dispersion", fmt.number(s["dispersion"])), ("AIC", fmt.number(s["aic"])),
                ("correlation fitted / realised, per cohort", fmt.number(s["correlation_cohort"])),
                ("correlation fitted / realised, per cell", fmt.number(s["correlation_cell"])),
                ("standard errors", self.params.covariance)]
        if self.index_projection is not None:
            rows.append(("index change per GDP point (first stage)", fmt.number(self.index_projection["slope"])))
        if self.pooled_industries:
            rows.append((f"industries in the base level (fewer than {self.params.min_industry_defaults} defaults)",
                         ", ".join(self.pooled_industries)))
        return pd.DataFrame(rows, columns=["figure", "value"]).set_index("figure")

    # -- prediction

    def _industry_effect(self, industries: Sequence[str]) -> np.ndarray:
        if not self.params.industry_effects:
            return np.zeros(len(industries))
        unknown = sorted(set(industries) - set(self.industries))
        if unknown:
            raise KeyError(f"the satellite was not fitted on industry(ies) {', '.join(unknown)} "
                           f"(fitted: {', '.join(self.industries)})")
        coef = self.coefficients["coefficient"]
        return np.array([float(coef.get(f"industry[{k}]", 0.0)) for k in industries])

    def _x(self, frame: pd.DataFrame) -> np.ndarray:
        need_columns(frame, ("industry", *_raw_columns(self.regressors)), "frame")
        return _with_derived(frame, self.index_projection)[self.regressors].to_numpy(dtype=float)

    def probit_index(self, frame: pd.DataFrame) -> np.ndarray:
        """a + a_k + b' x for rows with ``industry`` and the regressors' columns."""
        return (float(self.coefficients.loc[INTERCEPT, "coefficient"])
                + self._industry_effect(frame["industry"].astype(str).tolist())
                + self._x(frame) @ self.slopes().to_numpy())

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Fitted default rate N(a + a_k + b' x) of each row."""
        return ndtr(self.probit_index(frame))

    # -- scenarios

    def scenario_regressors(self, scenarios: ScenarioParams, current: Mapping | pd.DataFrame,
                            industries: Sequence[str]) -> pd.DataFrame:
        """The raw regressors of every scenario x year x industry: the scenario's path in its year; the lags take
        the year before (for year 1: the as-of's ``current`` state). Index changes are log changes,
        100 ln(1 + g / 100) of the scenario's % change g."""
        if self.horizon_months != 12:
            raise ValueError(f"scenario paths are yearly; the satellite was fitted on a {self.horizon_months}-month "
                             "horizon")
        industries = _unique(industries)
        state = _state_frame(current, industries, self.regressors)
        paths = scenarios.paths(industries)
        paths["index_change"] = 100.0 * np.log1p(paths["index_growth"].to_numpy(dtype=float) / 100.0)
        paths = paths.sort_values(["scenario", "industry", "year"], kind="stable")
        first = (paths["year"] == 1).to_numpy()
        for col in ("gdp_growth", "policy_rate", "index_change"):
            previous = paths.groupby(["scenario", "industry"], sort=False)[col].shift(1)
            now = paths["industry"].map(state[col]) if col in state.columns else np.nan
            paths[f"{col}_lag"] = np.where(first, now, previous)
        order = {name: i for i, name in enumerate(scenarios.names())}
        paths = paths.assign(_o=paths["scenario"].map(order), _k=paths["industry"].map(
            {k: i for i, k in enumerate(industries)}))
        paths = paths.sort_values(["_o", "year", "_k"]).drop(columns=["_o", "_k", "index_growth"])
        return paths.reset_index(drop=True)

    def shifts(self, scenarios: ScenarioParams, current: Mapping | pd.DataFrame,
               industries: Sequence[str]) -> pd.DataFrame:
        """Shift of the probit index of PD per scenario, year (1..horizon) and industry: b' (x_scenario,year -
        x_ref), positive = worse; x_ref per ``params.shift_from``: the probability-weighted path (default), the
        baseline's path or the as-of state.
        ``current``: the as-of's regressors (``current_macro_state``: a frame indexed by industry; or a
        mapping regressor -> value, or regressor -> {industry: value}). Rows: scenario (in order), year,
        industry."""
        industries = _unique(industries)
        x = self.scenario_regressors(scenarios, current, industries)
        b = self.slopes().to_numpy()
        xs = self._x(x)
        key = pd.MultiIndex.from_arrays([x["year"], x["industry"]])
        if self.params.shift_from == "baseline":
            base = x[x["scenario"] == BASELINE].set_index(["year", "industry"])
            ref = self._x(base.reset_index())[base.index.get_indexer(key)]
        elif self.params.shift_from == "weighted":
            # The probability-weighted path of the regressors, per year and industry.
            w = x["scenario"].map(scenarios.weights()).to_numpy(dtype=float)[:, None]
            mean = pd.DataFrame(xs * w, index=key).groupby(level=[0, 1]).sum()
            ref = mean.loc[key].to_numpy()
        else:
            state = _state_frame(current, industries, self.regressors)
            ref_frame = state.reset_index().rename(columns={state.index.name or "index": "industry"})
            ref_x = pd.DataFrame(self._x(ref_frame), index=industries)
            ref = ref_x.loc[x["industry"]].to_numpy()
        return pd.DataFrame({"scenario": x["scenario"], "year": x["year"].astype(np.int64),
                             "industry": x["industry"], "shift": (xs - ref) @ b})

    def scenario_default_rates(self, scenarios: ScenarioParams, current: Mapping | pd.DataFrame,
                               industries: Sequence[str]) -> pd.DataFrame:
        """Predicted default rate per scenario x year x industry (the model's level, fixed effects included),
        with the as-of's fitted rate (``current_rate``) and the shift."""
        industries = _unique(industries)
        x = self.scenario_regressors(scenarios, current, industries)
        state = _state_frame(current, industries, self.regressors)
        now = self.predict(state.reset_index().rename(columns={state.index.name or "index": "industry"}))
        out = x[["scenario", "year", "industry"]].copy()
        out["default_rate"] = self.predict(x)
        out["current_rate"] = out["industry"].map(dict(zip(industries, now)))
        out["shift"] = self.shifts(scenarios, current, industries)["shift"].to_numpy()
        return out

    def scenario_table(self, scenarios: ScenarioParams, current: Mapping | pd.DataFrame, industries: Sequence[str],
                       *, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
        """Book-level predicted default rate at the as-of and per scenario (rows) and year (columns) (display):
        the mean over ``industries``, weighted by ``weights`` (industry -> obligors or EAD; default equal)."""
        rates = self.scenario_default_rates(scenarios, current, industries)
        if weights is None:
            w = np.ones(len(rates))
        else:
            missing = sorted(set(rates["industry"]) - set(weights))
            if missing:
                raise KeyError(f"weights lack industry(ies) {', '.join(missing)}")
            w = rates["industry"].map(weights).to_numpy(dtype=float)
        rates = rates.assign(_w=w, _wr=w * rates["default_rate"], _wc=w * rates["current_rate"])
        g = rates.groupby(["scenario", "year"], sort=False)[["_w", "_wr", "_wc"]].sum()
        wide = (g["_wr"] / g["_w"]).unstack("year").loc[scenarios.names()]
        now = (g["_wc"] / g["_w"]).groupby("scenario").first().loc[scenarios.names()]
        wide.columns = [f"year {y}" for y in wide.columns]
        wide.insert(0, "as-of", now)
        return fmt.display_frame(wide, {c: (c, fmt.pd_percent) for c in wide.columns})

    def plot_fit(self) -> Figure:
        """Realised vs fitted default rate per cohort (whole book), and per cell."""
        return plot_fit(self)


def _unique(industries: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(str(k) for k in industries))


def _state_frame(current: Mapping | pd.DataFrame, industries: list[str], regressors: Sequence[str]) -> pd.DataFrame:
    """The as-of regressors as a frame indexed by industry (name "industry"), with every raw column needed."""
    if isinstance(current, pd.DataFrame):
        frame = current.set_index("industry") if "industry" in current.columns else current.copy()
        frame.index = frame.index.astype(str)
        missing = sorted(set(industries) - set(frame.index))
        if missing:
            raise KeyError(f"current lacks the macro state of industry(ies) {', '.join(missing)}")
        frame = frame.loc[industries]
    else:
        data = {}
        for name, value in current.items():
            if isinstance(value, Mapping):
                missing = sorted(set(industries) - set(map(str, value)))
                if missing:
                    raise KeyError(f"current[{name!r}] lacks industry(ies) {', '.join(missing)}")
                data[name] = [float(value[k]) for k in industries]
            else:
                data[name] = [float(value)] * len(industries)
        frame = pd.DataFrame(data, index=industries)
    frame.index.name = "industry"
    # Year 1's lag slots take the as-of's outcome-year values, so those are needed for the lags too.
    raw = _raw_columns(regressors)
    needed = list(dict.fromkeys(raw + [r.removesuffix("_lag") for r in raw if r.endswith("_lag")]))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise KeyError(f"current lacks regressor(s) {', '.join(missing)}")
    bad = [c for c in needed if frame[c].isna().any()]
    if bad:
        raise ValueError(f"current has missing values in {', '.join(bad)}")
    return frame


def plot_fit(model: SatelliteModel) -> Figure:
    """Left: the book's realised and fitted default rate per cohort; right: realised vs fitted per cell."""
    df = model.panel
    n = df["obligors"].to_numpy(dtype=float)
    by = df.assign(_fd=n * df["fitted_rate"]).groupby("cohort")[["defaults", "obligors", "_fd"]].sum()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax = axes[0]
    labels = pd.DatetimeIndex(by.index).strftime("%Y-%m")
    x = np.arange(len(by))
    ax.plot(x, by["defaults"] / by["obligors"], "o-", color="tab:red", label="realised")
    ax.plot(x, by["_fd"] / by["obligors"], "s--", color="tab:blue", label="fitted")
    step = max(1, len(x) // 10)
    ax.set_xticks(x[::step], labels[::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("12-month default rate")
    ax.set_xlabel("cohort (obligors scored at)")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt.percent(v, 1)))
    ax.set_title(f"Default rate per cohort (r = {fmt.number(model.statistics['correlation_cohort'])})")
    ax.legend()
    ax = axes[1]
    ax.scatter(df["fitted_rate"], df["default_rate"], s=8 + 40 * n / n.max(), alpha=0.6, color="tab:gray")
    top = float(max(df["fitted_rate"].max(), df["default_rate"].max())) * 1.05
    ax.plot([0, top], [0, top], color="black", lw=0.8)
    ax.set_xlabel("fitted default rate")
    ax.set_ylabel("realised default rate")
    ax.set_title("Industry x cohort cells (size: obligors)")
    for a in (ax.xaxis, ax.yaxis):
        a.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt.percent(v, 0)))
    fig.tight_layout()
    plt.close(fig)
    return fig
