"""PD term structure: a rating migration matrix estimated by the cohort method, each grade's cumulative
PD over the years from its powers, and every obligor's marginal PD per year for the lifetime ECL.

**Migration matrix** (``estimate_migration_matrix``), the cohort method (Jafry and Schuermann 2004,
"Measurement, estimation and comparison of credit migration matrices", J. Banking & Finance 28):
every scored obligor-month (obligor, obs_date t, grade g) is one observation; its state at
t + h (h = ``horizon_months``, 12) is

* ``D`` if the obligor defaulted in (t, t + h] (the first default date after t, ``defaults`` table),
* else its grade at the month end t + h, if it was scored then,
* else it is *withdrawn* (repaid, left the bank, not scored that month): neither a migration nor a
  default, it is left out (the usual treatment of withdrawn ratings, which assumes they carry no
  information on credit quality; counted in ``MigrationMatrix.withdrawn``).

Only cohorts whose horizon has matured by ``data_end`` (default: the last obs_date) count. Every month
end is a cohort, so the cohorts overlap: the counts are not independent draws (do not read binomial
standard errors off them) but the probabilities are the pooled average one-year migration rates.
P[g, j] = N[g, j] / N[g]; the default state is absorbing (P[D, D] = 1). A grade row with fewer than
``min_observations`` observations is replaced by the master scale (stay with probability 1 - grade PD,
default with the grade PD) and named in ``MigrationMatrix.fallback``. The duration (continuous-time)
estimator of Lando and Skodeberg (2002, "Analyzing rating transitions and rating drift with continuous
observations", J. Banking & Finance 26) would also count the migrations within the year, and so give
a positive default probability to grades that only default after first migrating down; the cohort
method is kept because every entry is a count a reviewer can check.

**Cumulative PD** of grade g after t years (``MigrationMatrix.cumulative_pd``): C_g(t) = (P^t)[g, D],
with P the one-year matrix (the h-month matrix to the power 12 / h), i.e. a time-homogeneous Markov
chain.

**Marginal PD per obligor** (``pd_term_structure``): the grade's forward (conditional) hazard
h_g(t) = (C_g(t) - C_g(t - 1)) / (1 - C_g(t - 1)), floored at ``hazard_floor`` (grades without an
observed one-year default), is moved so that year 1 equals the obligor's own 12-month PD p_i. By default
in probit space, G(h_i(t)) = G(h_g(t)) + G(p_i) - G(h_g(1)) (G the standard normal quantile): the
curve's shape is kept as a constant shift of the probit index, the same form as the macro scenarios'
shift, and hazards stay in (0, 1) with no cap. ``scaling="ratio"`` instead multiplies,
h_i(t) = min(1, h_g(t) p_i / h_g(1)). A macro ``shift`` s_t then moves every year's index:
h'_i(t) = N(G(h_i(t)) + s_t) (positive = worse). The unconditional marginal PD is
m_i(t) = S_i(t - 1) h'_i(t) with survival S_i(t) = prod_{u <= t} (1 - h'_i(u)), S_i(0) = 1; so
sum_t m_i(t) = 1 - S_i(T) is the cumulative PD. Defaulted obligors (PD 1) have m = (1, 0, 0, ...).

**Partial years** (``live_marginal_pd``): a facility live for a share f of year t can default only
in that part of it; with a constant hazard within the year the PD of that stub is
S(t - 1) (1 - (1 - h(t))^f).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, field_validator
from scipy.special import ndtr, ndtri

from .. import format as fmt
from ..params import StrictModel
from ..reference.master_scale import MASTER_SCALE, MasterScale

__all__ = ["TermStructureParams", "MigrationMatrix", "estimate_migration_matrix", "pd_term_structure",
           "grade_hazards", "live_marginal_pd", "survival_from_marginal", "plot_pd_term_structure"]

_PROB_EPS = 1e-12  # keeps G(p) finite at p = 0 or 1


class TermStructureParams(StrictModel):
    """How the migration matrix is estimated and the PD term structure built from it."""

    horizon_months: int = Field(12, ge=1, le=12, description="Migration horizon in months: 12, the one-year "
                                                             "matrix of rating agencies and IFRS 9 PD term "
                                                             "structures; must divide 12")
    max_years: int = Field(30, ge=1, le=50, description="Longest horizon of the lifetime PD curve (and of the EAD "
                                                        "profile); losses beyond it are cut off. 30 years covers "
                                                        "the longest project loans with room")
    min_observations: int = Field(
        30, ge=1, description="A grade row with fewer obligor-month observations than this falls back to the "
                              "master scale (stay, or default with the grade PD): 30 gives each row of the "
                              "matrix a usable estimate of the commonest transitions")
    hazard_floor: float = Field(
        0.0003, gt=0, lt=0.1, description="Floor of each grade's yearly forward hazard: a grade with no default "
                                          "seen within a year would otherwise have hazard 0 in year 1; 0.03 % is the "
                                          "Basel PD floor (BCBS June 2006 para 285) and the master scale's floor")
    scaling: Literal["probit", "ratio"] = Field(
        "probit", description="How the grade curve is moved to the obligor's 12-month PD: probit (a constant shift "
                              "of G(hazard), the form of the macro shifts) or ratio (hazards times PD / grade "
                              "hazard, capped at 1)")

    @field_validator("horizon_months")
    @classmethod
    def _divides_year(cls, v: int) -> int:
        if 12 % v:
            raise ValueError(f"horizon_months must divide 12 (1, 2, 3, 4, 6 or 12); got {v}")
        return v


@dataclass(frozen=True)
class MigrationMatrix:
    """A rating migration matrix over ``horizon_months``: states "1".."K" and "D" (rows from, columns to)."""

    matrix: pd.DataFrame  # probabilities, rows sum to 1, D absorbing
    counts: pd.DataFrame  # observations per (from, to); the D row is 0
    horizon_months: int
    data_end: pd.Timestamp
    cohorts: int  # cohort dates (month ends) that matured by data_end
    withdrawn: int  # observations left out: neither scored at t + h nor defaulted
    fallback: tuple[str, ...] = field(default=())  # grade rows taken from the master scale

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.matrix.index]

    @property
    def n_grades(self) -> int:
        return len(self.matrix) - 1

    @property
    def observations(self) -> pd.Series:
        """Observations per grade row (the D row is 0)."""
        return self.counts.sum(axis=1)

    def annual(self) -> np.ndarray:
        """The one-year matrix: the horizon matrix to the power 12 / horizon_months."""
        return np.linalg.matrix_power(self.matrix.to_numpy(dtype=float), 12 // self.horizon_months)

    def cumulative_pd(self, years: int) -> pd.DataFrame:
        """Cumulative PD C_g(t) = (P^t)[g, D] per grade (rows "1".."K") and year t = 1..years (columns)."""
        curve = _cumulative(self.annual(), _whole_years(years))
        out = pd.DataFrame(curve, index=pd.Index(self.labels[:-1], name="grade"),
                           columns=pd.Index(range(1, years + 1), name="year"))
        return out

    def default_rates(self) -> pd.Series:
        """One-year default probability per grade (the D column of the one-year matrix)."""
        return pd.Series(self.annual()[:-1, -1], index=pd.Index(self.labels[:-1], name="grade"),
                         name="default_rate")

    def table(self) -> pd.DataFrame:
        """The matrix for people: every probability as a percentage, with each row's observations."""
        shown = self.matrix.copy()
        shown.insert(0, "observations", self.observations)
        columns = {"observations": ("observations", fmt.integer)}
        columns.update({c: (f"to {c}", lambda v: fmt.percent(v, 2)) for c in self.matrix.columns})
        out = fmt.display_frame(shown, columns)
        out.index = pd.Index([f"{g}{' (master scale)' if g in self.fallback else ''}" for g in self.labels],
                             name="from grade")
        return out

    def plot_heatmap(self) -> Figure:
        """The matrix as a heat map (log colour scale), each cell's probability written in it."""
        p = self.matrix.to_numpy(dtype=float)
        fig, ax = plt.subplots(figsize=(8, 6.5))
        shown = np.log10(np.maximum(p, 1e-4))
        image = ax.imshow(shown, cmap="Blues", vmin=-4, vmax=0)
        labels = self.labels
        ax.set_xticks(range(len(labels)), labels)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel(f"grade after {self.horizon_months} months")
        ax.set_ylabel("grade at the start")
        for i in range(p.shape[0]):
            for j in range(p.shape[1]):
                if p[i, j] >= 0.0005:
                    ax.text(j, i, f"{100 * p[i, j]:.1f}", ha="center", va="center", fontsize=7,
                            color="white" if shown[i, j] > -1.6 else "black")
        bar = fig.colorbar(image, ax=ax, shrink=0.8)
        bar.set_label("probability (log10)")
        ax.set_title(f"Migration matrix, % (cohort method, {self.cohorts} cohorts to {fmt.date(self.data_end)})")
        fig.tight_layout()
        plt.close(fig)
        return fig

    def plot_term_structure(self, years: int = 10) -> Figure:
        """Each grade's cumulative PD over ``years`` (log scale)."""
        curve = self.cumulative_pd(years)
        fig, ax = plt.subplots(figsize=(8, 4.5))
        cmap = plt.get_cmap("viridis", len(curve))
        for k, (grade, row) in enumerate(curve.iterrows()):
            ax.plot(curve.columns, np.maximum(row.to_numpy(dtype=float), 1e-5), marker="o", ms=3,
                    color=cmap(k), label=f"grade {grade}")
        ax.set_yscale("log")
        ax.set_xlabel("years")
        ax.set_ylabel("cumulative PD")
        ax.set_title("Cumulative PD by grade from the migration matrix's powers")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        plt.close(fig)
        return fig


def _whole_years(years) -> int:
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or years < 1:
        raise ValueError(f"years must be a whole number >= 1; got {years!r}")
    return int(years)


def _cumulative(annual: np.ndarray, years: int) -> np.ndarray:
    """(K, years): (P^t)[g, D] for t = 1..years."""
    out = np.empty((annual.shape[0] - 1, years))
    power = np.eye(annual.shape[0])
    for t in range(years):
        power = power @ annual
        out[:, t] = power[:-1, -1]
    return out


def _month_index(dates: pd.Series) -> np.ndarray:
    return (dates.dt.year * 12 + dates.dt.month - 1).to_numpy(dtype=np.int64)


def _month_end(index: np.ndarray) -> np.ndarray:
    years, months = np.divmod(index, 12)
    first = pd.to_datetime(pd.DataFrame({"year": years, "month": months + 1, "day": 1}))
    return (first + pd.offsets.MonthEnd(0)).to_numpy(dtype="datetime64[ns]")


def estimate_migration_matrix(grades: pd.DataFrame, defaults: pd.DataFrame, *, horizon_months: int | None = None,
                              data_end=None, params: TermStructureParams | None = None,
                              scale: MasterScale = MASTER_SCALE) -> MigrationMatrix:
    """The cohort-method migration matrix (module docstring) of ``grades`` (obligor_id, obs_date month
    ends, grade 1..K of the performing obligor-months) with ``defaults`` (obligor_id, default_date).

    ``horizon_months``: overrides ``params.horizon_months``. ``data_end``: the last date the data
    covers (default: the last obs_date); cohorts whose horizon ends after it are left out. ``scale``:
    the master scale (K grades, the fallback rows' grade PDs).
    """
    params = params or TermStructureParams()
    h = params.horizon_months if horizon_months is None else TermStructureParams(horizon_months=horizon_months
                                                                                 ).horizon_months
    for name, frame, cols in (("grades", grades, ("obligor_id", "obs_date", "grade")),
                              ("defaults", defaults, ("obligor_id", "default_date"))):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise KeyError(f"{name} lacks column(s) {', '.join(missing)}")
    k = scale.n_grades
    g = grades[["obligor_id", "obs_date", "grade"]].copy()
    g["obs_date"] = pd.to_datetime(g["obs_date"])
    grade = g["grade"].to_numpy(dtype=float)
    bad = ~((grade >= 1) & (grade <= k) & (grade == np.round(grade)))
    if bad.any():
        raise ValueError(f"grades.grade must be a whole grade 1..{k}; got {sorted(set(g['grade'][bad].tolist()))[:5]}"
                         f" in {int(bad.sum())} rows (obligors {g['obligor_id'][bad].astype(str).unique()[:5].tolist()})")
    g["grade"] = grade.astype(np.int64)
    dup = g.duplicated(["obligor_id", "obs_date"])
    if dup.any():
        raise ValueError(f"grades has more than one grade per obligor and obs_date for "
                         f"{g.loc[dup, 'obligor_id'].astype(str).unique()[:5].tolist()}")
    if g.empty:
        raise ValueError("grades is empty: no obligor-month to estimate a migration matrix from")
    end = pd.Timestamp(g["obs_date"].max() if data_end is None else data_end)

    g["month"] = _month_index(g["obs_date"])
    g["horizon_end"] = _month_end(g["month"].to_numpy() + h)
    cohort = g[g["horizon_end"] <= end.to_datetime64()].copy()
    if cohort.empty:
        raise ValueError(f"no cohort has matured by data_end {fmt.date(end)}: the data must cover more than "
                         f"{h} months")
    # The grade h months later, where the obligor was scored then.
    later = g[["obligor_id", "month", "grade"]].rename(columns={"grade": "grade_after"})
    later["month"] -= h
    cohort = cohort.merge(later, on=["obligor_id", "month"], how="left")
    # The first default strictly after the cohort date.
    d = defaults[["obligor_id", "default_date"]].dropna().copy()
    d["default_date"] = pd.to_datetime(d["default_date"])
    d = d[d["obligor_id"].isin(cohort["obligor_id"].unique())]
    cohort["_row"] = np.arange(len(cohort))
    left = cohort[["_row", "obligor_id", "obs_date"]].sort_values("obs_date", kind="stable")
    right = d.rename(columns={"default_date": "next_default"}).sort_values("next_default", kind="stable")
    right["obs_date"] = right["next_default"]
    nxt = pd.merge_asof(left, right, on="obs_date", by="obligor_id", direction="forward", allow_exact_matches=False)
    cohort["next_default"] = nxt.sort_values("_row")["next_default"].to_numpy()
    defaulted = (cohort["next_default"] <= cohort["horizon_end"]).to_numpy()
    to_state = np.where(defaulted, k + 1, cohort["grade_after"].fillna(-1).to_numpy(dtype=np.int64))
    known = to_state > 0
    withdrawn = int((~known).sum())

    counts = np.zeros((k + 1, k + 1), dtype=np.int64)
    np.add.at(counts, (cohort["grade"].to_numpy()[known] - 1, to_state[known] - 1), 1)
    n_row = counts[:k].sum(axis=1)
    probs = np.zeros((k + 1, k + 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        probs[:k] = counts[:k] / n_row[:, None]
    probs[k, k] = 1.0
    grade_pd = scale.bands()["grade_pd"].to_numpy(dtype=float)[:k]
    labels = scale.labels
    sparse = np.flatnonzero(n_row < params.min_observations)
    for r in sparse:
        # h-month PD of the grade from its one-year PD at a constant hazard.
        pd_h = 1.0 - (1.0 - grade_pd[r]) ** (h / 12)
        probs[r] = 0.0
        probs[r, r], probs[r, k] = 1.0 - pd_h, pd_h
    index = pd.Index(labels, name="from")
    columns = pd.Index(labels, name="to")
    return MigrationMatrix(matrix=pd.DataFrame(probs, index=index, columns=columns),
                           counts=pd.DataFrame(counts, index=index, columns=columns), horizon_months=h,
                           data_end=end, cohorts=int(cohort["obs_date"].nunique()), withdrawn=withdrawn,
                           fallback=tuple(labels[r] for r in sparse))


def _annual_matrix(matrix) -> np.ndarray:
    if isinstance(matrix, MigrationMatrix):
        return matrix.annual()
    p = np.asarray(matrix.to_numpy() if isinstance(matrix, pd.DataFrame) else matrix, dtype=float)
    if p.ndim != 2 or p.shape[0] != p.shape[1] or p.shape[0] < 2:
        raise ValueError(f"matrix must be a square one-year migration matrix with the default state last; got "
                         f"shape {p.shape}")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("matrix rows must be probabilities summing to 1")
    if not np.isclose(p[-1, -1], 1.0):
        raise ValueError("matrix's last state (default) must be absorbing: P[D, D] = 1")
    return p


def grade_hazards(matrix, years: int, *, hazard_floor: float = 0.0003) -> np.ndarray:
    """(K, years) forward hazard h_g(t) = (C_g(t) - C_g(t - 1)) / (1 - C_g(t - 1)) of each grade,
    floored at ``hazard_floor`` (and kept below 1)."""
    cum = _cumulative(_annual_matrix(matrix), _whole_years(years))
    before = np.concatenate([np.zeros((cum.shape[0], 1)), cum[:, :-1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(before < 1.0, (cum - before) / (1.0 - before), 1.0)
    return np.clip(h, hazard_floor, 1.0 - _PROB_EPS)


def survival_from_marginal(marginal_pd: np.ndarray) -> np.ndarray:
    """Survival to the start of each year, S(t - 1) = 1 - sum_{u < t} m(u) (same shape)."""
    m = np.asarray(marginal_pd, dtype=float)
    cum = np.cumsum(m, axis=-1)
    return np.clip(1.0 - np.concatenate([np.zeros(m.shape[:-1] + (1,)), cum[..., :-1]], axis=-1), 0.0, 1.0)


def pd_term_structure(pd_12m, grade, matrix, years: int, shift=None, *,
                      params: TermStructureParams | None = None) -> np.ndarray:
    """(n, years) unconditional marginal PD of each obligor in years 1..years (module docstring).

    Args:
        pd_12m: the obligors' calibrated 12-month PDs (n,), in [0, 1]; 1 = defaulted.
        grade: their grades 1..K (n,); ignored (may be 0) where pd_12m is 1.
        matrix: a ``MigrationMatrix``, or a square one-year matrix (array / DataFrame) with the
            default state last.
        years: number of years.
        shift: probit-index shift per year from a macro scenario, (years,) or (n, years); None = 0.
        params: ``scaling`` and ``hazard_floor`` (default ``TermStructureParams()``).
    """
    params = params or TermStructureParams()
    years = _whole_years(years)
    p = np.atleast_1d(np.asarray(pd_12m, dtype=float))
    gr = np.atleast_1d(np.asarray(grade, dtype=float))
    if p.ndim != 1 or gr.shape != p.shape:
        raise ValueError(f"pd_12m and grade must be 1-d arrays of the same length; got shapes {p.shape} and "
                         f"{gr.shape}")
    bad = ~((p >= 0) & (p <= 1))
    if bad.any():
        raise ValueError(f"pd_12m must lie in [0, 1]; not so at positions {np.flatnonzero(bad)[:5].tolist()}")
    hz = grade_hazards(matrix, years, hazard_floor=params.hazard_floor)
    k = hz.shape[0]
    defaulted = p >= 1.0
    bad = ~defaulted & ~((gr >= 1) & (gr <= k) & (gr == np.round(gr)))
    if bad.any():
        raise ValueError(f"grade must be a whole grade 1..{k} for performing obligors (pd_12m < 1); not so at "
                         f"positions {np.flatnonzero(bad)[:5].tolist()}")
    g_idx = np.where(defaulted, 1, gr).astype(np.intp) - 1  # defaulted rows: any grade, overwritten below
    curve = hz[g_idx]  # (n, years)
    if params.scaling == "probit":
        lift = ndtri(np.clip(p, _PROB_EPS, 1 - _PROB_EPS))[:, None] - ndtri(curve[:, :1])
        z = ndtri(curve) + lift
    else:
        h = np.minimum(1.0, curve * (p / curve[:, 0])[:, None])
        z = ndtri(np.clip(h, 0.0, 1.0))
    if shift is not None:
        s = np.asarray(shift, dtype=float)
        try:
            s = np.broadcast_to(s, (len(p), years))
        except ValueError:
            raise ValueError(f"shift must have shape ({years},) or ({len(p)}, {years}); got {s.shape}") from None
        if not np.isfinite(s).all():
            raise ValueError("shift must be finite")
        z = z + s
    hazard = ndtr(z)
    survival = np.cumprod(1.0 - hazard, axis=1)
    before = np.concatenate([np.ones((len(p), 1)), survival[:, :-1]], axis=1)
    marginal = before * hazard
    marginal[defaulted] = 0.0
    marginal[defaulted, 0] = 1.0
    return marginal


def live_marginal_pd(marginal_pd, year_fraction) -> np.ndarray:
    """The marginal PD of the part of each year the facility is live (``exposure.live_year_fraction``):
    S(t - 1) (1 - (1 - h(t))^f(t)) with h(t) = m(t) / S(t - 1) the year's hazard (constant within the
    year). f = 1 keeps the year, f = 0 drops it. Same shape as the inputs."""
    m = np.asarray(marginal_pd, dtype=float)
    f = np.asarray(year_fraction, dtype=float)
    if m.shape != f.shape:
        raise ValueError(f"marginal_pd and year_fraction must have the same shape; got {m.shape} and {f.shape}")
    if ((f < 0) | (f > 1)).any():
        raise ValueError("year_fraction must lie in [0, 1]")
    before = survival_from_marginal(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(before > 0, np.clip(m / before, 0.0, 1.0), 0.0)
    return before * _stub_pd(h, f)


def _stub_pd(h: np.ndarray, f: np.ndarray) -> np.ndarray:
    """1 - (1 - h)^f, exact for h = 1 (certain default: any live part of the year defaults)."""
    certain = h >= 1.0
    with np.errstate(divide="ignore"):
        stub = -np.expm1(f * np.log1p(-np.where(certain, 0.0, h)))
    return np.where(certain, (f > 0).astype(float), stub)


def plot_pd_term_structure(marginal_pd, labels=None, *, max_lines: int = 12) -> Figure:
    """Cumulative PD (left) and marginal PD (right) per year of up to ``max_lines`` rows of ``marginal_pd``."""
    m = np.atleast_2d(np.asarray(marginal_pd, dtype=float))[:max_lines]
    names = [str(x) for x in (labels if labels is not None else range(1, len(m) + 1))][:len(m)]
    years = np.arange(1, m.shape[1] + 1)
    fig, (ax_c, ax_m) = plt.subplots(1, 2, figsize=(11, 4))
    for row, name in zip(m, names):
        (line,) = ax_c.plot(years, np.cumsum(row), marker="o", ms=3, label=name)
        ax_m.plot(years, row, marker="o", ms=3, color=line.get_color())
    ax_c.set(title="Cumulative PD", xlabel="year", ylabel="PD")
    ax_m.set(title="Marginal (unconditional) PD", xlabel="year", ylabel="PD")
    for ax in (ax_c, ax_m):
        ax.grid(alpha=0.3)
    ax_c.legend(fontsize=7)
    fig.tight_layout()
    plt.close(fig)
    return fig
