"""Monte Carlo loss distribution of the performing book: multi-factor Gaussian copula, VaR, expected shortfall,
Euler contributions and the Monte Carlo's own standard errors.

**Model** (the multi-factor extension of Vasicek's one-factor model behind Basel IRB; e.g. Bluhm, Overbeck &
Wagner, "Introduction to Credit Risk Modeling", 2nd ed. 2010, ch. 2; Glasserman, "Monte Carlo Methods in
Financial Engineering", 2004, section 9.4). Obligor i (industry k(i)) defaults within the year when

    sqrt(rho_i) Z_k(i) + sqrt(1 - rho_i) eps_i < G(PD_i),   Z ~ N(0, C), eps_i iid N(0, 1),

with C the industry factor correlation (``industry_factor_correlation``; ``None``: one factor for everybody,
the Basel ASRF set-up). The one-year loss is ``L = sum EAD_i LGD_i 1{default_i}``; with ``random_lgd`` the
LGD of a defaulted obligor is drawn from a beta distribution with mean LGD_i and precision ``lgd_precision``
(variance LGD (1 - LGD) / (1 + precision)). ``rho_i``: the portfolio's ``rho`` column where given, else the
Basel asset correlation of the PD with the SME adjustment from ``sales`` (``pricing.capital.asset_correlation``,
BCBS June 2006 para 272-273) or one fixed number (``SimulationParams.correlation``).

**How it is computed** (exact, not an approximation of the model). Given the factors the defaults are
independent with ``p_i(z) = N(a_i - b_i z_k)``, ``a_i = G(PD_i) / sqrt(1 - rho_i)``, ``b_i = sqrt(rho_i /
(1 - rho_i))``. Obligors are sorted into buckets of one industry and similar (a, b); per scenario and bucket
an upper bound ``p_bar >= p_i(z)`` of the whole bucket costs one normal CDF, candidates are drawn at rate
``p_bar`` by geometric skipping and each is accepted with probability ``p_i(z) / p_bar`` (Bernoulli
thinning). A scenario thus costs about one CDF per bucket plus a few per default, not one per obligor, and
the result is exactly the copula model. Random numbers: each scenario has its own stream, a SplitMix64
sequence (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA) started at a
hash of (seed, scenario number), so scenario s is the same whatever the block size or number of threads,
and any scenario can be re-simulated on its own. Factor normals: Box-Muller; beta LGDs: two gammas
(Marsaglia & Tsang 2000).

**Streaming.** Scenarios run in blocks (numba, all cores); only the largest ``ceil((1 - min q) N)`` losses
plus a margin for the VaR interval, the first ``histogram_sample`` losses (a random sample: scenarios are
iid) and running sums are kept, so memory does not grow with obligors x scenarios.

**Risk measures** with the tail ``T_q`` = the ``k = ceil((1 - q) N)`` largest simulated losses (ties broken by
scenario number): VaR_q = the smallest of them, ES_q = their mean, economic capital = VaR_q - EL. The
Euler contributions to ES (Tasche 1999, "Risk contributions and performance measurement"; Tasche 2008,
"Capital allocation to business units and sub-portfolios: the Euler principle") are
``ES_i = mean over T_q of obligor i's loss``: the tail scenarios are re-simulated one by one, recording each
obligor's loss, so they add up to ES_q by construction (to rounding). Standard errors: of EL, UL / sqrt(N);
of VaR, the distribution-free order-statistic interval (David & Nagaraja, "Order Statistics", 3rd ed. 2003,
section 7.1: the number of losses below the true quantile is Binomial(N, q), so the order statistics at
ranks ``Nq -/+ 1.96 sqrt(N q (1 - q))`` bound a 95 % interval; SE = its half-width / 1.96); of ES, the
asymptotic formula of Manistre & Hancock (2005, "Variance of the CTE estimator", North American Actuarial
Journal 9(2)): ``Var(ES_hat) = [Var(L | L >= VaR) + q (ES - VaR)^2] / (N (1 - q))``.

``simulate_systematic_losses`` is the infinitely granular version of the same book, ``sum EAD_i LGD_i p_i(Z)``
(no idiosyncratic risk), on the same factor draws (common random numbers: scenario s has the same Z in
both), so ``granularity_effect`` shows the name-concentration part of the Monte Carlo VaR with little noise.
``simulate_losses_numpy`` is the plain blocked-numpy reference (conditional PDs of all obligors x a block of
scenarios, uniforms, compare) used by the benchmark and by a statistical agreement test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import matplotlib.pyplot as plt
import numba
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, field_validator
from scipy.special import ndtr, ndtri

from .. import format as fmt
from ..params import StrictModel
from ..pricing.capital import asset_correlation
from ..reference import metrics as mn

__all__ = ["SimulationParams", "LossDistribution", "industry_factor_correlation", "simulate_losses",
           "simulate_systematic_losses", "simulate_losses_numpy", "granularity_effect", "plot_loss_distribution",
           "plot_contributions", "tail_buffer_size", "PORTFOLIO_COLUMNS"]

#: Columns of the obligor-level portfolio (``industry``, ``tier``, ``rho``, ``sales`` are optional).
PORTFOLIO_COLUMNS = ("obligor_id", "industry", "tier", "ead", "lgd", "pd")

_Z95 = 1.959963984540054  # G(0.975): the two-sided 95 % interval of the VaR
_MARGIN_Z = 3.0  # the tail buffer holds the VaR rank + this many binomial sd (covers the 95 % interval)
# Buckets: a new one starts when the conditional PD at z = 0 falls below this share of the bucket's first
# obligor's, or the factor loadings b spread more than _BUCKET_B_SPREAD (both keep p_bar / p_i small).
_BUCKET_PD_RATIO = 0.5
_BUCKET_B_SPREAD = 0.08
_BUCKET_MAX = 512
# Above this bound every obligor of the bucket is tested directly (cheaper than skipping).
_DENSE = 0.4
# Systematic loss: cubic Hermite interpolation of each industry's conditional loss on this grid of z
# (error ~ h^4 / 384 |f''''|: below 1e-12 of EAD); the tail scenarios are then re-evaluated exactly.
_GRID_LO, _GRID_HI, _GRID_N = -9.0, 9.0, 2049
# Numpy reference: about this many obligor x scenario cells per block (32 MB a float64 matrix).
_NUMPY_CELLS = 4_000_000


class SimulationParams(StrictModel):
    """Monte Carlo settings of the portfolio loss distribution (``simulate_losses``)."""

    n_scenarios: int = Field(1_000_000, ge=100, description=(
        "Scenarios of the one-year loss. 1,000,000 puts 1,000 scenarios beyond the 99.9 % VaR (its relative "
        "standard error about 0.5 % on the demo book) and takes about 10 s for 5,000 obligors on 2 cores "
        "(benchmarks/bench_portfolio.py); 100,000 gives a few per cent in a second"))
    block_size: int = Field(50_000, ge=1, description=(
        "Scenarios simulated per block (memory ~ 16 bytes x block); results do not depend on it."))
    confidence: tuple[float, ...] = Field((0.99, 0.999), description=(
        "Confidence levels of VaR, ES and the ES contributions; 99.9 % is the Basel IRB level (BCBS June 2006 "
        "para 272), 99 % a common internal-capital / limit level."))
    correlation: Literal["irb"] | float = Field("irb", description=(
        "Asset correlation rho where the portfolio has no rho column: 'irb' = the Basel corporate correlation of "
        "the PD with the SME firm-size adjustment from sales (BCBS June 2006 para 272-273), or one number in "
        "[0, 1)."))
    random_lgd: bool = Field(False, description=(
        "Draw the LGD of each default from a beta distribution with mean LGD (else LGD is fixed)."))
    lgd_precision: float = Field(3.0, gt=0, description=(
        "Beta precision a + b of the random LGD: variance LGD (1 - LGD) / (1 + precision). 3 gives the "
        "variance 0.25 LGD (1 - LGD) of Gordy & Luetkebohmert (2013, J. of Credit Risk 9(4)), xi = 0.25."))
    seed: int = Field(0, ge=0, description="Seed of the scenario streams (same seed, same losses).")
    histogram_sample: int = Field(100_000, ge=0, description=(
        "Losses kept for the histogram: the first scenarios (iid, so a random sample)."))
    granular_scenarios: int | None = Field(None, ge=100, description=(
        "Scenarios of the systematic-only (infinitely granular) simulation; None = n_scenarios, on the same "
        "factor draws as the full simulation."))
    factor_horizon_months: int = Field(12, ge=1, description=(
        "Industry factor correlation: the horizon of the log changes of the industry indices (12 = the "
        "one-year horizon of the loss)."))
    factor_min_eigenvalue: float = Field(1e-4, gt=0, lt=1, description=(
        "Eigenvalue floor that makes the estimated factor correlation positive definite (eigenvalue clipping, "
        "Rebonato & Jaeckel 1999)."))

    @field_validator("confidence")
    @classmethod
    def _levels(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v:
            raise ValueError("give at least one confidence level")
        if any(not 0.5 < q < 1.0 for q in v):
            raise ValueError(f"confidence levels must lie in (0.5, 1); got {list(v)}")
        if list(v) != sorted(set(v)):
            raise ValueError(f"confidence levels must be increasing without repeats; got {list(v)}")
        return tuple(float(q) for q in v)

    @field_validator("correlation")
    @classmethod
    def _rho(cls, v: str | float) -> str | float:
        if not isinstance(v, str) and not 0.0 <= v < 1.0:
            raise ValueError(f"correlation must be 'irb' or a number in [0, 1); got {v}")
        return v


# --------------------------------------------------------------------------- factor correlation


def industry_factor_correlation(macro: pd.DataFrame, industries: Sequence[str],
                                params: SimulationParams | None = None, *, as_of=None) -> pd.DataFrame:
    """Correlation of the industry factors (industries x industries) from the macro table (its months up
    to ``as_of`` when given: a report dated in the past uses no later macro data).

    The factor of an industry is its activity index ``idx_<industry>``: the correlation of the indices'
    ``factor_horizon_months`` (12) log changes, from every month end (overlapping windows: more
    observations; the overlap makes the estimate noisier than its count suggests but not biased), repaired
    to be positive definite by clipping the eigenvalues at ``factor_min_eigenvalue`` and rescaling to a unit
    diagonal (Rebonato & Jaeckel 1999, "The most general methodology to create a valid correlation matrix";
    Higham 2002 gives the Frobenius-nearest one, to which this is close when the repair is small).
    """
    p = params or SimulationParams()
    inds = list(dict.fromkeys(str(i) for i in industries))
    if not inds:
        raise ValueError("industries is empty")
    if "month_end" not in macro.columns:
        raise KeyError("macro lacks column month_end")
    cols = [f"idx_{i}" for i in inds]
    missing = [c for c in cols if c not in macro.columns]
    if missing:
        raise KeyError(f"macro lacks the industry index column(s) {', '.join(missing)}")
    if as_of is not None:
        macro = macro[macro["month_end"] <= pd.Timestamp(as_of) + pd.offsets.MonthEnd(0)]
    levels = macro.sort_values("month_end")[cols].to_numpy(dtype=float)
    bad = ~(levels > 0)
    if bad.any():
        raise ValueError(f"industry indices must be positive; non-positive or missing values in "
                         f"{', '.join(sorted({cols[j] for j in np.nonzero(bad)[1]}))}")
    h = p.factor_horizon_months
    if len(levels) < h + 3:
        raise ValueError(f"macro has {len(levels)} months: need at least {h + 3} for {h}-month changes")
    changes = np.log(levels[h:]) - np.log(levels[:-h])
    sd = changes.std(axis=0)
    flat = [cols[j] for j in np.nonzero(~(sd > 0))[0]]
    if flat:
        raise ValueError(f"industry index without variation: {', '.join(flat)}")
    corr = np.atleast_2d(np.corrcoef(changes, rowvar=False))
    vals, vecs = np.linalg.eigh((corr + corr.T) / 2)
    fixed = (vecs * np.maximum(vals, p.factor_min_eigenvalue)) @ vecs.T
    d = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(d, d)
    np.fill_diagonal(fixed, 1.0)
    return pd.DataFrame(fixed, index=pd.Index(inds, name="industry"), columns=pd.Index(inds, name="industry"))


# --------------------------------------------------------------------------- the book, prepared


@dataclass(frozen=True, eq=False)
class _Book:
    frame: pd.DataFrame  # obligor_id, industry, tier, ead, lgd, pd, rho, el in the portfolio's row order
    perm: np.ndarray  # internal (sorted) position j holds portfolio row perm[j]
    factor: np.ndarray  # per internal obligor: index of its factor
    a: np.ndarray
    b: np.ndarray
    ead: np.ndarray
    el: np.ndarray  # EAD x mean LGD
    alpha: np.ndarray  # beta LGD parameters (alpha <= 0: LGD fixed)
    beta: np.ndarray
    bucket_start: np.ndarray
    bucket_factor: np.ndarray
    bucket_amax: np.ndarray
    bucket_bmin: np.ndarray
    bucket_bmax: np.ndarray
    chol: np.ndarray
    factors: tuple[str, ...]

    @property
    def total_ead(self) -> float:
        return float(self.ead.sum())

    @property
    def analytic_el(self) -> float:
        return float((self.frame["el"] * self.frame["pd"]).sum())


def _rows(ids: pd.Series, bad: np.ndarray, limit: int = 5) -> str:
    shown = [str(x) for x in ids[bad].tolist()[:limit]]
    more = int(bad.sum()) - len(shown)
    return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _prepare(portfolio: pd.DataFrame, params: SimulationParams, factor_correlation: pd.DataFrame | None) -> _Book:
    if not isinstance(portfolio, pd.DataFrame):
        raise TypeError("portfolio must be a DataFrame")
    missing = [c for c in ("obligor_id", "ead", "lgd", "pd") if c not in portfolio.columns]
    if factor_correlation is not None and "industry" not in portfolio.columns:
        missing.append("industry")
    if missing:
        raise KeyError(f"portfolio lacks column(s) {', '.join(missing)}")
    if len(portfolio) == 0:
        raise ValueError("portfolio has no rows")
    df = portfolio.reset_index(drop=True)
    ids = df["obligor_id"].astype(str)
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise ValueError(f"portfolio has more than one row for obligor(s) {_rows(ids, dup)}")
    ead = df["ead"].to_numpy(dtype=float)
    lgd = df["lgd"].to_numpy(dtype=float)
    pd_ = df["pd"].to_numpy(dtype=float)
    for name, ok in (("ead", np.isfinite(ead) & (ead >= 0)), ("lgd", (lgd >= 0) & (lgd <= 1)),
                     ("pd", (pd_ >= 0) & (pd_ < 1))):
        if not ok.all():
            hint = " (performing obligors only: a defaulted one, PD 1, belongs to the ECL)" if name == "pd" else ""
            raise ValueError(f"portfolio column {name} out of range{hint} for obligor(s) {_rows(ids, ~ok)}")
    if params.correlation == "irb":
        sales = df["sales"].to_numpy(dtype=float) if "sales" in df.columns else None
        base = np.asarray(asset_correlation(pd_, sales), dtype=float)
    else:
        base = np.full(len(df), float(params.correlation))
    if "rho" in df.columns:
        given = df["rho"].to_numpy(dtype=float)
        rho = np.where(np.isnan(given), base, given)
    else:
        rho = base
    ok = (rho >= 0) & (rho < 1)
    if not ok.all():
        raise ValueError(f"portfolio column rho must lie in [0, 1) for obligor(s) {_rows(ids, ~ok)}")
    industry = df["industry"].astype(str) if "industry" in df.columns else pd.Series("all", index=df.index)
    tier = df["tier"].astype(str) if "tier" in df.columns else pd.Series("", index=df.index)

    if factor_correlation is None:
        factors: tuple[str, ...] = ("all",)
        chol = np.ones((1, 1))
        fidx = np.zeros(len(df), dtype=np.int64)
    else:
        fc = factor_correlation
        if list(fc.index.astype(str)) != list(fc.columns.astype(str)):
            raise ValueError("factor_correlation must have the same industries as index and columns, in order")
        known = list(fc.index.astype(str))
        absent = sorted(set(industry) - set(known))
        if absent:
            raise KeyError(f"factor_correlation lacks the portfolio's industr(ies) {', '.join(absent)}")
        factors = tuple(k for k in known if k in set(industry))
        at = [known.index(k) for k in factors]
        sub = fc.to_numpy(dtype=float)[np.ix_(at, at)]
        if not np.allclose(sub, sub.T, atol=1e-10) or not np.allclose(np.diag(sub), 1.0, atol=1e-10):
            raise ValueError("factor_correlation must be symmetric with a unit diagonal")
        try:
            chol = np.linalg.cholesky(sub)
        except np.linalg.LinAlgError:
            raise ValueError("factor_correlation is not positive definite (repair it, e.g. with "
                             "industry_factor_correlation's eigenvalue floor)") from None
        pos = {k: i for i, k in enumerate(factors)}
        fidx = industry.map(pos).to_numpy(dtype=np.int64)

    with np.errstate(divide="ignore"):
        a = ndtri(pd_) / np.sqrt(1.0 - rho)
    b = np.sqrt(rho / (1.0 - rho))
    # Order: factor, then a descending (ties: b, then obligor_id), so buckets hold similar obligors and the
    # order does not depend on the portfolio's row order.
    perm = np.lexsort((ids.to_numpy(), -b, -a, fidx)).astype(np.int64)
    a_s, b_s, f_s = a[perm], b[perm], fidx[perm]
    p0 = ndtr(a_s)
    starts = [0]
    for j in range(1, len(perm)):
        s = starts[-1]
        if (f_s[j] != f_s[s] or p0[j] < _BUCKET_PD_RATIO * p0[s] or j - s >= _BUCKET_MAX
                or abs(b_s[j] - b_s[s]) > _BUCKET_B_SPREAD):
            starts.append(j)
    bstart = np.array(starts + [len(perm)], dtype=np.int64)
    nb = len(starts)
    amax = np.array([a_s[bstart[i]:bstart[i + 1]].max() for i in range(nb)])
    bmin = np.array([b_s[bstart[i]:bstart[i + 1]].min() for i in range(nb)])
    bmax = np.array([b_s[bstart[i]:bstart[i + 1]].max() for i in range(nb)])

    el = ead * lgd
    if params.random_lgd:
        inner = (lgd > 0) & (lgd < 1)
        alpha = np.where(inner, lgd * params.lgd_precision, 0.0)
        beta_ = np.where(inner, (1.0 - lgd) * params.lgd_precision, 0.0)
    else:
        alpha = beta_ = np.zeros(len(df))
    frame = pd.DataFrame({"obligor_id": ids, "industry": industry, "tier": tier, "ead": ead, "lgd": lgd,
                          "pd": pd_, "rho": rho})
    frame["el"] = ead * lgd
    return _Book(frame=frame, perm=perm, factor=np.ascontiguousarray(f_s), a=np.ascontiguousarray(a_s),
                 b=np.ascontiguousarray(b_s), ead=np.ascontiguousarray(ead[perm]), el=np.ascontiguousarray(el[perm]),
                 alpha=np.ascontiguousarray(alpha[perm]), beta=np.ascontiguousarray(beta_[perm]),
                 bucket_start=bstart, bucket_factor=np.ascontiguousarray(f_s[bstart[:-1]]), bucket_amax=amax,
                 bucket_bmin=bmin, bucket_bmax=bmax, chol=np.ascontiguousarray(chol), factors=factors)


# --------------------------------------------------------------------------- random numbers (numba)

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TWO_M53 = 2.0 ** -53
_MASK64 = (1 << 64) - 1


def _mix_int(z: int) -> int:
    """SplitMix64's finaliser in Python integers (the same bijection as ``_mix``)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _stream_key(seed: int) -> np.uint64:
    return np.uint64(_mix_int((_mix_int(int(seed) & _MASK64) + 0x632BE59BD9B4E019) & _MASK64))


@numba.njit(cache=True)
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@numba.njit(cache=True)
def _uniform(st):
    """Next uniform in (0, 1) of the stream whose state is ``st[0]`` (SplitMix64)."""
    st[0] += _GAMMA
    return (np.float64(_mix(st[0]) >> _S11) + 0.5) * _TWO_M53


@numba.njit(cache=True)
def _normal(st):
    return math.sqrt(-2.0 * math.log(_uniform(st))) * math.cos(2.0 * math.pi * _uniform(st))


@numba.njit(cache=True)
def _gamma(shape, st):
    """Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 via Gamma(shape + 1) U^(1 / shape)."""
    boost = 1.0
    if shape < 1.0:
        boost = _uniform(st) ** (1.0 / shape)
        shape += 1.0
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = _normal(st)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        if math.log(_uniform(st)) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v * boost


@numba.njit(cache=True)
def _ndtr(x):
    return 0.5 * math.erfc(-x * 0.7071067811865476)


@numba.njit(cache=True)
def _factors(s, key, chol, g, z, st):
    """Start scenario ``s``'s stream and draw its correlated factors into ``z`` (the first draws of the
    stream, so the full and the systematic simulation see the same factors)."""
    st[0] = _mix(np.uint64(s) * _GAMMA + key)
    nf = chol.shape[0]
    j = 0
    while j < nf:
        r = math.sqrt(-2.0 * math.log(_uniform(st)))
        t = 2.0 * math.pi * _uniform(st)
        g[j] = r * math.cos(t)
        if j + 1 < nf:
            g[j + 1] = r * math.sin(t)
        j += 2
    for i in range(nf):
        acc = 0.0
        for m in range(i + 1):
            acc += chol[i, m] * g[m]
        z[i] = acc


@numba.njit(cache=True)
def _default_loss(i, ead, el, alpha, beta, random_lgd, st):
    if random_lgd and alpha[i] > 0.0:
        x = _gamma(alpha[i], st)
        y = _gamma(beta[i], st)
        return ead[i] * (x / (x + y))
    return el[i]


@numba.njit(cache=True)
def _scenario(s, key, chol, bfac, bstart, amax, bmin, bmax, a, b, ead, el, alpha, beta, random_lgd, g, z, st,
              record, acc):
    """Loss of scenario ``s``; with ``record`` each defaulted obligor's loss is added to ``acc``."""
    _factors(s, key, chol, g, z, st)
    loss = 0.0
    for bk in range(bfac.shape[0]):
        zk = z[bfac[bk]]
        slope = bmin[bk] if zk > 0.0 else bmax[bk]
        pbar = _ndtr(amax[bk] - slope * zk)  # >= p_i(z) for every obligor of the bucket
        if pbar <= 0.0:
            continue
        lo = bstart[bk]
        hi = bstart[bk + 1]
        if pbar > _DENSE:
            for i in range(lo, hi):
                if _uniform(st) < _ndtr(a[i] - b[i] * zk):
                    x = _default_loss(i, ead, el, alpha, beta, random_lgd, st)
                    loss += x
                    if record:
                        acc[i] += x
        else:
            # Candidates at rate pbar by geometric skipping, each kept with probability p_i(z) / pbar.
            lq = math.log1p(-pbar)
            i = lo - 1
            while True:
                step = math.floor(math.log(_uniform(st)) / lq)
                if step >= hi - 1 - i:
                    break
                i += 1 + int(step)
                if _uniform(st) * pbar < _ndtr(a[i] - b[i] * zk):
                    x = _default_loss(i, ead, el, alpha, beta, random_lgd, st)
                    loss += x
                    if record:
                        acc[i] += x
    return loss


@numba.njit(cache=True, parallel=True, nogil=True)
def _block_kernel(first, key, chol, bfac, bstart, amax, bmin, bmax, a, b, ead, el, alpha, beta, random_lgd,
                  n_chunks, out):
    n = out.shape[0]
    nf = chol.shape[0]
    chunk = (n + n_chunks - 1) // n_chunks
    for c in numba.prange(n_chunks):
        g = np.empty(nf)
        z = np.empty(nf)
        st = np.zeros(1, dtype=np.uint64)
        acc = np.zeros(1)
        for j in range(c * chunk, min(n, (c + 1) * chunk)):
            out[j] = _scenario(first + j, key, chol, bfac, bstart, amax, bmin, bmax, a, b, ead, el, alpha, beta,
                               random_lgd, g, z, st, False, acc)


@numba.njit(cache=True, nogil=True)
def _tail_kernel(scenarios, cuts, key, chol, bfac, bstart, amax, bmin, bmax, a, b, ead, el, alpha, beta,
                 random_lgd, losses, contrib):
    """Re-simulate ``scenarios`` (largest loss first); ``contrib[c]`` = per-obligor loss summed over the
    first ``cuts[c]`` of them (``cuts`` increasing)."""
    nf = chol.shape[0]
    g = np.empty(nf)
    z = np.empty(nf)
    st = np.zeros(1, dtype=np.uint64)
    run = np.zeros(a.shape[0])
    c = 0
    for r in range(scenarios.shape[0]):
        losses[r] = _scenario(scenarios[r], key, chol, bfac, bstart, amax, bmin, bmax, a, b, ead, el, alpha, beta,
                              random_lgd, g, z, st, True, run)
        while c < cuts.shape[0] and cuts[c] == r + 1:
            contrib[c, :] = run
            c += 1


@numba.njit(cache=True, parallel=True, nogil=True)
def _systematic_kernel(first, key, chol, lo, h, fval, fder, n_chunks, out):
    n = out.shape[0]
    nf = chol.shape[0]
    ng = fval.shape[1]
    chunk = (n + n_chunks - 1) // n_chunks
    for c in numba.prange(n_chunks):
        g = np.empty(nf)
        z = np.empty(nf)
        st = np.zeros(1, dtype=np.uint64)
        for j in range(c * chunk, min(n, (c + 1) * chunk)):
            _factors(first + j, key, chol, g, z, st)
            loss = 0.0
            for k in range(nf):
                u = (z[k] - lo) / h
                if u < 0.0:
                    u = 0.0
                elif u > ng - 1.0:
                    u = ng - 1.0
                m = min(int(u), ng - 2)
                t = u - m
                t2 = t * t
                t3 = t2 * t
                loss += ((2.0 * t3 - 3.0 * t2 + 1.0) * fval[k, m] + (t3 - 2.0 * t2 + t) * h * fder[k, m]
                         + (-2.0 * t3 + 3.0 * t2) * fval[k, m + 1] + (t3 - t2) * h * fder[k, m + 1])
            out[j] = loss


@numba.njit(cache=True, nogil=True)
def _systematic_tail_kernel(scenarios, cuts, key, chol, factor, a, b, el, losses, contrib):
    nf = chol.shape[0]
    g = np.empty(nf)
    z = np.empty(nf)
    st = np.zeros(1, dtype=np.uint64)
    run = np.zeros(a.shape[0])
    c = 0
    for r in range(scenarios.shape[0]):
        _factors(scenarios[r], key, chol, g, z, st)
        loss = 0.0
        for i in range(a.shape[0]):
            x = el[i] * _ndtr(a[i] - b[i] * z[factor[i]])
            loss += x
            run[i] += x
        losses[r] = loss
        while c < cuts.shape[0] and cuts[c] == r + 1:
            contrib[c, :] = run
            c += 1


# --------------------------------------------------------------------------- streaming


def tail_buffer_size(n_scenarios: int, confidence: Sequence[float]) -> int:
    """Largest losses kept: the tail of the lowest level, ``ceil((1 - q) N)``, plus 3 binomial standard
    deviations of the VaR's rank (room for its 95 % order-statistic interval), at most N."""
    q = min(confidence)
    k = _tail_count(n_scenarios, q)
    return int(min(n_scenarios, k + math.ceil(_MARGIN_Z * math.sqrt(n_scenarios * q * (1.0 - q))) + 1))


def _tail_count(n: int, q: float) -> int:
    # The 1e-9 keeps (1 - 0.999) * 1e6 = 1000.0000000000009 at 1000.
    return max(1, int(math.ceil((1.0 - q) * n - 1e-9)))


class _Stream:
    """Running sums, the first losses (histogram sample) and the largest losses with their scenario numbers.

    The kept tail is the top ``m`` under the order (loss descending, scenario ascending), a strict total
    order, so it is the same whichever blocks the scenarios arrive in."""

    def __init__(self, n: int, m: int, sample: int, shift: float) -> None:
        self.m, self.n_sample, self.shift = m, sample, shift
        self.count = 0
        self.s1 = self.s2 = 0.0
        self.tail_loss = np.empty(0)
        self.tail_idx = np.empty(0, dtype=np.int64)
        self.samples: list[np.ndarray] = []
        self.sampled = 0

    def add(self, first: int, losses: np.ndarray) -> None:
        d = losses - self.shift
        self.s1 += float(d.sum())
        self.s2 += float(np.dot(d, d))
        self.count += len(losses)
        if self.sampled < self.n_sample:
            take = losses[: self.n_sample - self.sampled].copy()
            self.samples.append(take)
            self.sampled += len(take)
        loss = np.concatenate([self.tail_loss, losses])
        idx = np.concatenate([self.tail_idx, np.arange(first, first + len(losses), dtype=np.int64)])
        if len(loss) > self.m:
            v = np.partition(loss, len(loss) - self.m)[len(loss) - self.m]  # the m-th largest
            above = loss > v
            tied = np.nonzero(loss == v)[0]
            tied = tied[np.argsort(idx[tied], kind="stable")][: self.m - int(above.sum())]
            keep = np.concatenate([np.nonzero(above)[0], tied])
            loss, idx = loss[keep], idx[keep]
        self.tail_loss, self.tail_idx = loss, idx

    def result(self) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray]:
        n = self.count
        mean = self.shift + self.s1 / n
        var = max(self.s2 - self.s1 * self.s1 / n, 0.0) / max(n - 1, 1)
        order = np.lexsort((self.tail_idx, -self.tail_loss))
        sample = np.concatenate(self.samples) if self.samples else np.empty(0)
        return mean, math.sqrt(var), self.tail_loss[order], self.tail_idx[order], sample


def _progress_hook(progress: Any, total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """``progress``: None (silent), True (a tqdm bar), a tqdm-like object (``.update``) or a callable
    ``f(done, total)``; returns (advance by n scenarios, close)."""
    if progress is None or progress is False:
        return (lambda n: None), (lambda: None)
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="scenario", unit_scale=True, desc="loss scenarios")
        return bar.update, bar.close
    if hasattr(progress, "update"):
        return progress.update, (lambda: None)
    if callable(progress):
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            progress(done[0], total)

        return advance, (lambda: None)
    raise TypeError("progress must be None, True, a tqdm bar or a callable(done, total)")


def _n_chunks(n: int) -> int:
    # Several chunks per thread so that a slow chunk (a bad year: many defaults) does not idle a core.
    return max(1, min(n, numba.get_num_threads() * 8))


def _cuts(n: int, confidence: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Tail counts per level (in the order of ``confidence``) and the same counts increasing."""
    ks = np.array([_tail_count(n, q) for q in confidence], dtype=np.int64)
    return ks, np.unique(ks)


def _contribution_frame(book: _Book, confidence: Sequence[float], ks: np.ndarray, cuts: np.ndarray,
                        contrib_sorted: np.ndarray) -> pd.DataFrame:
    out = book.frame.copy()
    out["el"] = book.frame["el"] * book.frame["pd"]
    for q, k in zip(confidence, ks):
        row = contrib_sorted[int(np.searchsorted(cuts, k))] / k
        col = np.empty(len(book.perm))
        col[book.perm] = row
        out[_contribution_column(q)] = col
    return out


def _contribution_column(q: float) -> str:
    return "es_contribution_" + f"{round(q * 100, 8):g}".replace(".", "_")


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, eq=False)
class LossDistribution:
    """The simulated one-year loss distribution (EUR m, the unit of the portfolio's EAD).

    Raw numbers: ``expected_loss`` (simulated mean), ``unexpected_loss`` (standard deviation),
    ``analytic_expected_loss`` (sum EAD LGD PD, for comparison), ``tail_losses`` (the largest losses kept,
    descending) with their ``tail_scenarios``, ``sample`` (losses of the first scenarios, for the
    histogram), ``contributions`` (per obligor: ead, lgd, pd, rho, el = EAD LGD PD and
    ``es_contribution_<q>``, the Euler contribution E[L_i | tail], for each confidence level).
    ``method``: "numba" (``simulate_losses``), "numpy" (the reference) or "systematic" (infinitely granular).
    """

    n_scenarios: int
    seed: int
    confidence: tuple[float, ...]
    expected_loss: float
    unexpected_loss: float
    analytic_expected_loss: float
    total_ead: float
    n_obligors: int
    n_factors: int
    method: str
    tail_losses: np.ndarray = field(repr=False)
    tail_scenarios: np.ndarray = field(repr=False)
    sample: np.ndarray = field(repr=False)
    contributions: pd.DataFrame = field(repr=False)

    # ---- risk measures
    def _k(self, q: float) -> int:
        if not 0.0 < q < 1.0:
            raise ValueError(f"q must lie in (0, 1); got {q}")
        k = _tail_count(self.n_scenarios, q)
        if k > len(self.tail_losses):
            raise ValueError(f"q = {q} needs the {k} largest losses; only {len(self.tail_losses)} were kept "
                             f"(add {q} or a lower level to SimulationParams.confidence)")
        return k

    def var(self, q: float) -> float:
        """Value at risk: the smallest of the ``ceil((1 - q) N)`` largest losses."""
        return float(self.tail_losses[self._k(q) - 1])

    def expected_shortfall(self, q: float) -> float:
        """Expected shortfall: the mean of the ``ceil((1 - q) N)`` largest losses."""
        k = self._k(q)
        return float(self.tail_losses[:k].sum() / k)

    def economic_capital(self, q: float) -> float:
        """VaR_q - EL (the unexpected-loss capital)."""
        return self.var(q) - self.expected_loss

    def var_interval(self, q: float) -> tuple[float, float]:
        """Distribution-free 95 % interval of the VaR: the order statistics 1.96 binomial standard
        deviations of the rank either side of the VaR's (clipped to the kept tail for few scenarios)."""
        k = self._k(q)
        d = int(math.ceil(_Z95 * math.sqrt(self.n_scenarios * q * (1.0 - q))))
        low = self.tail_losses[min(k + d, len(self.tail_losses)) - 1]
        high = self.tail_losses[max(k - d, 1) - 1]
        return float(low), float(high)

    def var_standard_error(self, q: float) -> float:
        """Standard error of the VaR: the half-width of its 95 % order-statistic interval / 1.96."""
        low, high = self.var_interval(q)
        return (high - low) / (2.0 * _Z95)

    def es_standard_error(self, q: float) -> float:
        """Standard error of the ES (Manistre & Hancock 2005): sqrt([Var(tail) + q (ES - VaR)^2] / k).

        Asymptotic: with few tail scenarios (k below ~100) a heavy tail is under-sampled and this understates
        the error (at 10,000 scenarios, k = 10 at 99.9 %)."""
        k = self._k(q)
        tail = self.tail_losses[:k]
        spread = float(tail.var(ddof=1)) if k > 1 else 0.0
        return math.sqrt((spread + q * (self.expected_shortfall(q) - self.var(q)) ** 2) / k)

    @property
    def expected_loss_standard_error(self) -> float:
        return self.unexpected_loss / math.sqrt(self.n_scenarios)

    # ---- contributions
    def _column(self, q: float | None) -> str:
        q = self.confidence[-1] if q is None else q
        col = _contribution_column(q)
        if col not in self.contributions.columns:
            raise KeyError(f"no ES contributions at q = {q}; simulated levels: {list(self.confidence)}")
        return col

    def es_contributions(self, q: float | None = None) -> pd.Series:
        """Per obligor (by obligor_id) its Euler contribution to ES_q (default: the highest level)."""
        return self.contributions.set_index("obligor_id")[self._column(q)]

    def contributions_by(self, key: str = "industry") -> pd.DataFrame:
        """EAD, EL and the ES contributions summed by ``key`` (industry, tier or any column of
        ``contributions``), with each group's share of EAD and of ES at every level; largest last-level
        contribution first."""
        if key not in self.contributions.columns:
            raise KeyError(f"contributions have no column {key!r}; choose from "
                           f"{', '.join(c for c in ('industry', 'tier', 'obligor_id'))}")
        cols = ["ead", "el"] + [_contribution_column(q) for q in self.confidence]
        out = self.contributions.groupby(key)[cols].sum()
        out.insert(0, "obligors", self.contributions.groupby(key).size())
        out.insert(2, "ead_share", out["ead"] / self.total_ead if self.total_ead > 0 else np.nan)
        for q in self.confidence:
            col = _contribution_column(q)
            es = self.expected_shortfall(q)
            out[col.replace("es_contribution", "es_share")] = out[col] / es if es > 0 else np.nan
        return out.sort_values(_contribution_column(self.confidence[-1]), ascending=False)

    def top_contributors(self, n: int = 20, q: float | None = None) -> pd.DataFrame:
        """The ``n`` obligors with the largest ES contribution at ``q`` (default: the highest level), with their
        share of ES and the contribution per unit of EAD."""
        col = self._column(q)
        qq = self.confidence[-1] if q is None else q
        es = self.expected_shortfall(qq)
        top = self.contributions.nlargest(n, col).copy()
        top["es_share"] = top[col] / es if es > 0 else np.nan
        top["contribution_per_ead"] = top[col] / top["ead"].where(top["ead"] > 0)
        return top.reset_index(drop=True)

    def contributions_table(self, key: str = "industry") -> pd.DataFrame:
        """``contributions_by`` for people: obligors, EAD and its share, EL, and each level's ES contribution
        and share of the ES."""
        out = self.contributions_by(key)
        columns = {"obligors": ("obligors", fmt.integer), "ead": ("EAD (EUR m)", fmt.eur_m),
                   "ead_share": ("share of EAD", lambda v: fmt.percent(v, 1)), "el": ("EL (EUR m)", fmt.number)}
        for q in self.confidence:
            col, level = _contribution_column(q), _level(q)
            columns[col] = (f"ES {level} contribution (EUR m)", fmt.number)
            columns[col.replace("es_contribution", "es_share")] = (f"share of ES {level}",
                                                                   lambda v: fmt.percent(v, 1))
        return fmt.display_frame(out, columns)

    def top_contributors_table(self, n: int = 20, q: float | None = None) -> pd.DataFrame:
        """``top_contributors`` for people: the client, its industry and tier, EAD, PD, LGD, EL, its ES
        contribution, share of the ES and contribution per unit of EAD."""
        top = self.top_contributors(n, q).set_index("obligor_id")
        level = _level(self.confidence[-1] if q is None else q)
        return fmt.display_frame(top, {
            "industry": ("industry", fmt.text), "tier": ("tier", fmt.text), "ead": ("EAD (EUR m)", fmt.eur_m),
            "pd": ("PD", fmt.pd_percent), "lgd": ("LGD", lambda v: fmt.percent(v, 1)), "el": ("EL (EUR m)", fmt.number),
            self._column(q): (f"ES {level} contribution (EUR m)", fmt.number),
            "es_share": (f"share of ES {level}", lambda v: fmt.percent(v, 2)),
            "contribution_per_ead": ("contribution per unit of EAD", lambda v: fmt.percent(v, 2))})

    # ---- summaries
    @property
    def frame(self) -> pd.DataFrame:
        """Summary figures (EUR m): figure, value, standard error."""
        rows = [("expected loss (simulated)", self.expected_loss, self.expected_loss_standard_error),
                ("expected loss (analytic, EAD x LGD x PD)", self.analytic_expected_loss, np.nan),
                ("unexpected loss (standard deviation)", self.unexpected_loss, np.nan)]
        for q in self.confidence:
            label = fmt.percent(q, 1 if round(q * 1000) == q * 1000 else 2).replace(" ", "")
            rows += [(f"VaR {label}", self.var(q), self.var_standard_error(q)),
                     (f"ES {label}", self.expected_shortfall(q), self.es_standard_error(q)),
                     (f"economic capital {label} (VaR - EL)", self.economic_capital(q), np.nan)]
        rows += [("total EAD", self.total_ead, np.nan), ("obligors", float(self.n_obligors), np.nan),
                 ("scenarios", float(self.n_scenarios), np.nan)]
        return pd.DataFrame(rows, columns=["figure", "value", "standard_error"]).set_index("figure")

    def table(self) -> pd.DataFrame:
        """The summary as people read it: EL, UL, VaR / ES / EC at each level with standard errors (EUR m)."""
        raw = self.frame
        shown = fmt.display_frame(raw, {"value": ("value (EUR m)", fmt.eur_m),
                                        "standard_error": ("standard error (EUR m)", _se)})
        for name in ("obligors", "scenarios"):
            shown.loc[name, "value (EUR m)"] = fmt.integer(raw.loc[name, "value"])
        return shown

    def metrics(self) -> dict[str, float]:
        """Key figures for MLflow, keyed by ``workbench.reference.metrics`` names (99.9 % level)."""
        return {mn.PORTFOLIO_EXPECTED_LOSS: float(self.expected_loss),
                mn.PORTFOLIO_VAR_999: self.var(0.999),
                mn.PORTFOLIO_ES_999: self.expected_shortfall(0.999),
                mn.PORTFOLIO_ECONOMIC_CAPITAL: self.economic_capital(0.999),
                mn.PORTFOLIO_VAR_999_SE: self.var_standard_error(0.999),
                mn.PORTFOLIO_MC_SCENARIOS: float(self.n_scenarios)}


def _se(x: object) -> str:
    return "" if fmt.finite(x) is None else fmt.number(x)


# --------------------------------------------------------------------------- the simulations


def _resolve(params: SimulationParams | None, n_scenarios: int | None, seed: int | None) -> tuple[
        SimulationParams, int, int]:
    p = params or SimulationParams()
    n = p.n_scenarios if n_scenarios is None else int(n_scenarios)
    s = p.seed if seed is None else int(seed)
    if n < 100:
        raise ValueError(f"n_scenarios must be at least 100; got {n}")
    if s < 0:
        raise ValueError(f"seed must be >= 0; got {s}")
    return p, n, s


def _kernel_args(book: _Book, key: np.uint64, random_lgd: bool) -> tuple:
    return (key, book.chol, book.bucket_factor, book.bucket_start, book.bucket_amax, book.bucket_bmin,
            book.bucket_bmax, book.a, book.b, book.ead, book.el, book.alpha, book.beta, bool(random_lgd))


def _result(book: _Book, p: SimulationParams, n: int, seed: int, stream: _Stream, method: str,
            tail_fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]) -> LossDistribution:
    el, ul, tail, tail_idx, sample = stream.result()
    ks, cuts = _cuts(n, p.confidence)
    kmax = int(cuts[-1])
    resim, contrib = tail_fn(tail_idx[:kmax], cuts)
    # numba re-runs the very same code on the same stream: bitwise equal. The systematic pass interpolated
    # (1e-12) and the numpy reference sums in another order (rounding).
    same = np.array_equal(resim, tail[:kmax]) if method == "numba" else np.allclose(
        resim, tail[:kmax], rtol=1e-9, atol=1e-12 * max(book.total_ead, 1.0))
    if not same:
        raise RuntimeError("re-simulated tail losses differ from the first pass (internal error)")
    # The re-simulated totals are the sums of the recorded obligor losses: ES and its contributions come from
    # the same numbers.
    tail = np.concatenate([resim, tail[kmax:]])
    return LossDistribution(n_scenarios=n, seed=seed, confidence=p.confidence, expected_loss=el, unexpected_loss=ul,
                            analytic_expected_loss=book.analytic_el, total_ead=book.total_ead,
                            n_obligors=len(book.perm), n_factors=len(book.factors), method=method,
                            tail_losses=tail, tail_scenarios=tail_idx, sample=sample,
                            contributions=_contribution_frame(book, p.confidence, ks, cuts, contrib))


def _stream_blocks(n: int, p: SimulationParams, book: _Book, progress: Any,
                   fill: Callable[[int, np.ndarray], None]) -> _Stream:
    """Scenarios 0..n-1 in blocks of ``p.block_size``: ``fill(first, out)`` writes the losses of scenarios
    first, first + 1, ... into ``out``; each block goes to the stream (tail buffer, sample, sums) and the
    progress hook, so memory does not grow with ``n``."""
    stream = _Stream(n, tail_buffer_size(n, p.confidence), p.histogram_sample, book.analytic_el)
    advance, close = _progress_hook(progress, n)
    try:
        for first in range(0, n, p.block_size):
            out = np.empty(min(p.block_size, n - first))
            fill(first, out)
            stream.add(first, out)
            advance(len(out))
    finally:
        close()
    return stream


def simulate_losses(portfolio: pd.DataFrame, params: SimulationParams | None = None, n_scenarios: int | None = None,
                    seed: int | None = None, *, factor_correlation: pd.DataFrame | None = None,
                    progress: Any = None) -> LossDistribution:
    """Simulate the one-year loss of an obligor-level portfolio (multi-factor Gaussian copula, numba).

    ``portfolio``: obligor_id, ead (EUR m), lgd, pd (12-month, in [0, 1)), and optionally industry, tier,
    rho (asset correlation; NaN = from ``params.correlation``) and sales (EUR m, for the IRB SME adjustment).
    ``factor_correlation``: industries x industries (``industry_factor_correlation``); None = one factor.
    ``n_scenarios`` / ``seed`` override the params. ``progress``: None, True (tqdm bar), a tqdm bar or a
    callable(done, total), advanced after every block. Same seed, same result, whatever the block size
    or thread count.
    """
    p, n, seed = _resolve(params, n_scenarios, seed)
    book = _prepare(portfolio, p, factor_correlation)
    key = _stream_key(seed)
    args = _kernel_args(book, key, p.random_lgd)
    stream = _stream_blocks(n, p, book, progress, lambda first, out: _block_kernel(
        first, *args, _n_chunks(len(out)), out))

    def tail_fn(scen: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        losses = np.empty(len(scen))
        contrib = np.zeros((len(cuts), len(book.perm)))
        _tail_kernel(np.ascontiguousarray(scen, dtype=np.int64), cuts, *args, losses, contrib)
        return losses, contrib

    return _result(book, p, n, seed, stream, "numba", tail_fn)


def _systematic_grid(book: _Book) -> tuple[np.ndarray, np.ndarray, float]:
    """Each factor's conditional loss f_k(z) = sum EAD LGD p_i(z) and its derivative on the z grid."""
    zg = np.linspace(_GRID_LO, _GRID_HI, _GRID_N)
    fval = np.zeros((len(book.factors), _GRID_N))
    fder = np.zeros((len(book.factors), _GRID_N))
    for k in range(len(book.factors)):
        idx = np.nonzero(book.factor == k)[0]
        for part in np.array_split(idx, max(1, len(idx) // 256)):
            s = book.a[part, None] - book.b[part, None] * zg[None, :]
            w = book.el[part, None]
            fval[k] += (w * ndtr(s)).sum(axis=0)
            fder[k] -= (w * book.b[part, None] * np.exp(-0.5 * s * s)).sum(axis=0) / math.sqrt(2.0 * math.pi)
    return fval, fder, float(zg[1] - zg[0])


def simulate_systematic_losses(portfolio: pd.DataFrame, params: SimulationParams | None = None,
                               n_scenarios: int | None = None, seed: int | None = None, *,
                               factor_correlation: pd.DataFrame | None = None,
                               progress: Any = None) -> LossDistribution:
    """The infinitely granular version of the book: loss ``sum EAD_i LGD_i p_i(Z)`` (no idiosyncratic risk,
    mean LGD), on the same factor draws as ``simulate_losses`` with the same seed. Default scenario count:
    ``params.granular_scenarios`` (None: ``params.n_scenarios``). The conditional loss of each industry is
    interpolated (cubic Hermite, error below 1e-12 of EAD) for the pass over all scenarios; the tail
    scenarios are re-evaluated exactly, obligor by obligor, for VaR, ES and the contributions.
    """
    p = params or SimulationParams()
    default_n = p.granular_scenarios if p.granular_scenarios is not None else p.n_scenarios
    p, n, seed = _resolve(p, default_n if n_scenarios is None else n_scenarios, seed)
    book = _prepare(portfolio, p, factor_correlation)
    key = _stream_key(seed)
    fval, fder, h = _systematic_grid(book)
    stream = _stream_blocks(n, p, book, progress, lambda first, out: _systematic_kernel(
        first, key, book.chol, _GRID_LO, h, fval, fder, _n_chunks(len(out)), out))

    def tail_fn(scen: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        losses = np.empty(len(scen))
        contrib = np.zeros((len(cuts), len(book.perm)))
        _systematic_tail_kernel(np.ascontiguousarray(scen, dtype=np.int64), cuts, key, book.chol, book.factor,
                                book.a, book.b, book.el, losses, contrib)
        return losses, contrib

    return _result(book, p, n, seed, stream, "systematic", tail_fn)


def simulate_losses_numpy(portfolio: pd.DataFrame, params: SimulationParams | None = None,
                          n_scenarios: int | None = None, seed: int | None = None, *,
                          factor_correlation: pd.DataFrame | None = None, block_size: int | None = None,
                          contributions: bool = True) -> LossDistribution:
    """Plain blocked-numpy reference of ``simulate_losses`` (same model, other random numbers): per block of
    scenarios the factors, all obligors' conditional PDs, uniforms, a comparison and a matrix product.

    Random numbers: numpy's PCG64, one generator per block seeded by (seed, block number), so results
    depend on ``block_size`` (default: about 4 million obligor x scenario cells a block). With
    ``contributions`` the blocks holding tail scenarios are simulated again to record the obligors' losses
    (doubling the time); without, the contribution columns are NaN.
    """
    p, n, seed = _resolve(params, n_scenarios, seed)
    book = _prepare(portfolio, p, factor_correlation)
    n_obl = len(book.perm)
    bs = block_size or max(1, min(p.block_size, _NUMPY_CELLS // n_obl))
    sqrt_rho = np.sqrt(book.frame["rho"].to_numpy()[book.perm])
    thresh = ndtri(book.frame["pd"].to_numpy()[book.perm])
    idio = np.sqrt(1.0 - sqrt_rho ** 2)
    random = p.random_lgd and bool((book.alpha > 0).any())

    def block(bi: int) -> np.ndarray:
        """Per-obligor losses (scenarios x obligors) of block ``bi``."""
        rng = np.random.default_rng([seed, bi])
        m = min(bs, n - bi * bs)
        z = rng.standard_normal((m, len(book.factors))) @ book.chol.T
        with np.errstate(divide="ignore"):
            pz = ndtr((thresh[None, :] - sqrt_rho[None, :] * z[:, book.factor]) / idio[None, :])
        hit = rng.random((m, n_obl)) < pz
        if not random:
            return hit * book.el[None, :]
        draws = rng.beta(np.where(book.alpha > 0, book.alpha, 1.0), np.where(book.alpha > 0, book.beta, 1.0),
                         size=(m, n_obl))
        lgd = np.where(book.alpha[None, :] > 0, draws, (book.el / np.where(book.ead > 0, book.ead, 1.0))[None, :])
        return hit * (book.ead[None, :] * lgd)

    stream = _Stream(n, tail_buffer_size(n, p.confidence), p.histogram_sample, book.analytic_el)
    n_blocks = (n + bs - 1) // bs
    for bi in range(n_blocks):
        stream.add(bi * bs, block(bi).sum(axis=1))

    def tail_fn(scen: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        losses = np.full(len(scen), np.nan)
        contrib = np.zeros((len(cuts), n_obl))
        if not contributions:
            _, _, tail, _, _ = stream.result()
            return tail[: len(scen)], contrib * np.nan
        rank = np.arange(len(scen))
        for bi in np.unique(scen // bs):
            inside = (scen // bs) == bi
            rows = block(int(bi))[scen[inside] - bi * bs]
            losses[inside] = rows.sum(axis=1)
            for c, k in enumerate(cuts):
                contrib[c] += rows[rank[inside] < k].sum(axis=0)
        return losses, contrib

    return _result(book, p, n, seed, stream, "numpy", tail_fn)


def granularity_effect(full: LossDistribution, systematic: LossDistribution) -> pd.DataFrame:
    """Name concentration seen by the Monte Carlo: VaR and ES of the real book minus those of its infinitely
    granular version, per confidence level (EUR m and as a share of the real book's figure)."""
    rows = []
    for q in full.confidence:
        v_f, v_g = full.var(q), systematic.var(q)
        e_f, e_g = full.expected_shortfall(q), systematic.expected_shortfall(q)
        rows.append({"q": q, "var": v_f, "var_granular": v_g, "var_name_concentration": v_f - v_g,
                     "var_name_concentration_share": (v_f - v_g) / v_f if v_f > 0 else np.nan,
                     "es": e_f, "es_granular": e_g, "es_name_concentration": e_f - e_g})
    return pd.DataFrame(rows).set_index("q")


# --------------------------------------------------------------------------- plots


def _level(q: float) -> str:
    return fmt.percent(q, 1 if abs(round(q * 1000) - q * 1000) < 1e-9 else 2).replace(" ", fmt.NBSP)


def plot_loss_distribution(dist: LossDistribution) -> Figure:
    """Histogram of the simulated loss (the kept sample) with EL, VaR at each level and the highest level's
    ES marked; right: the tail beyond the lowest level's VaR (all kept tail losses)."""
    if len(dist.sample) == 0:
        raise ValueError("the distribution has no histogram sample (SimulationParams.histogram_sample = 0)")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    marks = [("EL", dist.expected_loss, "tab:green", "-")]
    styles = ["--", "-.", ":"]
    for i, q in enumerate(dist.confidence):
        marks.append((f"VaR {_level(q)}", dist.var(q), "tab:red", styles[i % len(styles)]))
    qh = dist.confidence[-1]
    marks.append((f"ES {_level(qh)}", dist.expected_shortfall(qh), "tab:purple", "--"))
    axes[0].hist(dist.sample, bins=80, color="tab:blue", alpha=0.75)
    axes[0].set_yscale("log")
    axes[0].set_title(f"Loss distribution ({fmt.integer(len(dist.sample))} of "
                      f"{fmt.integer(dist.n_scenarios)} scenarios)")
    q0 = dist.confidence[0]
    k0 = _tail_count(dist.n_scenarios, q0)
    axes[1].hist(dist.tail_losses[:k0], bins=40, color="tab:orange", alpha=0.8)
    axes[1].set_title(f"Tail: the {fmt.integer(k0)} largest losses (beyond VaR {_level(q0)})")
    for ax in axes:
        for label, x, colour, style in marks:
            ax.axvline(x, color=colour, linestyle=style, linewidth=1.2, label=f"{label} {fmt.eur_m(x)}")
        ax.set_xlabel("one-year loss (EUR m)")
        ax.set_ylabel("scenarios")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_contributions(dist: LossDistribution, by: str = "industry", q: float | None = None,
                       top: int = 20) -> Figure:
    """Share of ES at ``q`` (default: the highest level) against share of EAD, by ``by`` (industry, tier or
    obligor_id: the ``top`` largest contributors)."""
    qq = dist.confidence[-1] if q is None else q
    col = dist._column(qq)
    es = dist.expected_shortfall(qq)
    if by == "obligor_id":
        data = dist.top_contributors(top, qq).set_index("obligor_id")
        data = data.assign(ead_share=data["ead"] / dist.total_ead)
    else:
        data = dist.contributions_by(by).head(top)
    es_share = data[col] / es if es > 0 else data[col] * np.nan
    data = data.assign(es_share=es_share).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.32 * len(data) + 1.2)))
    y = np.arange(len(data))
    ax.barh(y + 0.2, data["es_share"], height=0.4, color="tab:red", label=f"share of ES {_level(qq)}")
    ax.barh(y - 0.2, data["ead_share"], height=0.4, color="tab:gray", label="share of EAD")
    ax.set_yticks(y, [str(i) for i in data.index])
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: fmt.percent(x, 0)))
    ax.set_title(f"Euler contributions to ES {_level(qq)} by {by.replace('_', ' ')}")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig
