"""Calibration back-testing of PDs: binomial and Jeffreys tests per grade, traffic lights, Hosmer-Lemeshow.

The tests and their sources:

* **Binomial test** (one-sided). H0: the true default probability of the grade is at most
  the PD assigned to it. Under H0 with independent defaults the number of defaults is
  Binomial(N, PD), so the p-value is P(X >= D) = ``binom.sf(D - 1, N, PD)``
  (BCBS Working Paper 14, 2005, "Studies on the validation of internal rating systems",
  section IV.2; Tasche 2008, "Validation of internal rating systems and PD estimates").
* **Jeffreys test** (ECB, "Instructions for reporting the validation results of internal
  models - IRB Pillar I models for credit risk", February 2019, section 2.5, pp. 20-21): with the
  Jeffreys prior Beta(1/2, 1/2) the posterior of the true PD is Beta(D + 1/2, N - D + 1/2);
  the p-value is that posterior's CDF evaluated at the PD of the grade or portfolio, i.e. the
  posterior probability that the true PD is below the assigned one. Small p = the PD is
  likely underestimated. Note that a grade with D = 0 and a very small PD can still get a low
  p-value (Folpmers, GARP 2022, "A critical deficiency in the Jeffreys test").
* **Traffic lights** on the confidence level 1 - p: green below 95 %, yellow from 95 % to
  below 99.9 %, red from 99.9 % (the usual three-zone convention, cf. BCBS WP 14, section
  IV.2, and Tasche 2003, "A traffic lights approach to PD validation"). The comparison is made
  on the p-value itself (p <= 0.05 is yellow, p <= 0.001 is red) so that the boundaries are
  exact in floating point: p = 0.05 is yellow and p = 0.001 is red.
* **Hosmer-Lemeshow**: obligors grouped by PD quantiles; with n_g obligors, o_g defaults and
  mean PD pbar_g in group g, C = sum_g (o_g - n_g pbar_g)^2 / (n_g pbar_g (1 - pbar_g)),
  compared with a chi-square with G - 2 degrees of freedom (Hosmer & Lemeshow 2000,
  "Applied Logistic Regression", 2nd ed., section 5.2.2). G is the number of non-empty
  groups after merging tied PD quantiles. G - 2 is the in-sample convention and the default;
  for PDs not fitted on the tested sample G degrees of freedom are appropriate (``ddof=0``;
  BCBS WP 14, 2005, gives G degrees of freedom for the test of given PDs).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas
from scipy import stats

from .metrics import _as_1d, _check_pd, _check_y

__all__ = [
    "binomial_test",
    "jeffreys_test",
    "traffic_light",
    "hosmer_lemeshow",
    "calibration_table",
    "grade_backtest",
]

YELLOW_P = 0.05  # confidence 95 %
RED_P = 0.001  # confidence 99.9 %


def _check_counts(n, defaults, pd) -> tuple[int, int, float]:
    if int(n) != n or int(defaults) != defaults:
        raise ValueError(f"n and defaults must be whole numbers, got {n!r} and {defaults!r}")
    n, defaults, pd = int(n), int(defaults), float(pd)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= defaults <= n:
        raise ValueError(f"defaults must lie in [0, n={n}], got {defaults}")
    if not 0 <= pd <= 1:  # also rejects NaN
        raise ValueError(f"pd must lie in [0, 1], got {pd}")
    return n, defaults, pd


def binomial_test(n: int, defaults: int, pd: float) -> float:
    """One-sided binomial p-value P(X >= defaults), X ~ Binomial(n, pd); H0: true PD <= pd."""
    n, defaults, pd = _check_counts(n, defaults, pd)
    return float(stats.binom.sf(defaults - 1, n, pd))


def jeffreys_test(n: int, defaults: int, pd: float) -> float:
    """ECB (2019) Jeffreys p-value: CDF of Beta(defaults + 1/2, n - defaults + 1/2) at pd."""
    n, defaults, pd = _check_counts(n, defaults, pd)
    return float(stats.beta.cdf(pd, defaults + 0.5, n - defaults + 0.5))


def traffic_light(p_value: float) -> str:
    """'green' if 1 - p < 95 %, 'yellow' if 95 % <= 1 - p < 99.9 %, 'red' if 1 - p >= 99.9 %.

    Boundaries: p = 0.05 is yellow, p = 0.001 is red.
    """
    p = float(p_value)
    if not 0 <= p <= 1:  # also rejects NaN
        raise ValueError(f"p_value must lie in [0, 1], got {p_value!r}")
    if p <= RED_P:
        return "red"
    if p <= YELLOW_P:
        return "yellow"
    return "green"


def calibration_table(y, pd, bins: int = 10) -> pandas.DataFrame:
    """Obligors grouped by PD quantiles (tied quantiles merged): n, defaults, mean_pd, default_rate.

    Groups are the ``pandas.qcut`` intervals of the PDs (right-closed), one row each, in
    increasing PD order; the index is the group number 0..G-1 and ``pd_low``/``pd_high``
    give the interval. This grouping is used by Hosmer-Lemeshow and the calibration plot.
    """
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    p = _check_pd(pd)
    yy = _check_y(y, len(p), "pd")
    codes, edges = pandas.qcut(p, int(bins), labels=False, retbins=True, duplicates="drop")
    codes = np.asarray(codes, dtype=int) if len(edges) > 1 else np.zeros(len(p), dtype=int)
    used = np.unique(codes)
    rows = []
    for g, code in enumerate(used):
        mask = codes == code
        rows.append({
            "group": g,
            "pd_low": float(edges[code]) if len(edges) > 1 else float(p.min()),
            "pd_high": float(edges[code + 1]) if len(edges) > 1 else float(p.max()),
            "n": int(mask.sum()),
            "defaults": int(yy[mask].sum()),
            "mean_pd": float(p[mask].mean()),
            "default_rate": float(yy[mask].mean()),
        })
    return pandas.DataFrame(rows).set_index("group")


def hosmer_lemeshow(y, pd, groups: int = 10, *, ddof: int = 2) -> tuple[float, float]:
    """Hosmer-Lemeshow statistic and p-value (chi-square with G - ``ddof`` degrees of freedom).

    ``ddof=2`` (default) is Hosmer & Lemeshow's convention for a model fitted on the same data.
    When back-testing PDs that were *not* estimated on the tested sample the statistic is
    approximately chi-square with G degrees of freedom, so ``ddof=0`` gives a test of the right
    size; with ``ddof=2`` a calibrated model is rejected too often (about 14 % instead of 5 %
    with 10 groups in a simulation with true PDs).

    Raises ``ValueError`` if fewer than 3 distinct PD groups remain after merging ties, or if a
    group's mean PD is 0 or 1 (its variance term would be zero).
    """
    table = calibration_table(y, pd, groups)
    g = len(table)
    if g < 3:
        raise ValueError(f"Hosmer-Lemeshow needs at least 3 PD groups, got {g} (too many tied PDs?)")
    n, o, pbar = table["n"].to_numpy(), table["defaults"].to_numpy(), table["mean_pd"].to_numpy()
    expected = n * pbar
    variance = expected * (1 - pbar)
    if (variance <= 0).any():
        raise ValueError("a PD group has mean PD 0 or 1; Hosmer-Lemeshow is undefined")
    statistic = float(np.sum((o - expected) ** 2 / variance))
    if int(ddof) != ddof or not 0 <= ddof < g:
        raise ValueError(f"ddof must be a whole number in [0, {g}), got {ddof!r}")
    return statistic, float(stats.chi2.sf(statistic, g - int(ddof)))


def _grade_order(grades: pandas.Series, pd_by_grade: pandas.Series, grade_pd: Mapping | None) -> list:
    present = set(pd_by_grade.index)
    if isinstance(grades.dtype, pandas.CategoricalDtype):
        return [c for c in grades.cat.categories if c in present]
    if grade_pd is not None:
        return [k for k in grade_pd if k in present]
    # master-scale order: increasing mean PD, ties by first appearance
    first_seen = {g: i for i, g in enumerate(pandas.unique(grades))}
    return sorted(present, key=lambda g: (pd_by_grade[g], first_seen[g]))


def grade_backtest(grades, pd, y, grade_pd: Mapping | None = None) -> pandas.DataFrame:
    """Back-test of default counts per grade, plus a final portfolio row labelled "all".

    One row per grade present in ``grades`` (index ``grade``), ordered by the categories of a
    categorical, else by the key order of ``grade_pd``, else by increasing mean PD. Columns: ``n``, ``defaults``,
    ``default_rate`` (observed), ``pd`` (mean PD of the grade's obligors, or ``grade_pd[grade]``
    when a mapping is given), ``binomial_p``, ``jeffreys_p``, ``binomial_light``,
    ``jeffreys_light``. The "all" row tests the whole portfolio against its mean PD (with a
    mapping: the obligor-weighted mean of the grade PDs). ``pd`` may be None when ``grade_pd``
    is given.
    """
    g = pandas.Series(grades).reset_index(drop=True)
    if g.isna().any():
        raise ValueError("grades contains missing values")
    yy = _check_y(y, len(g), "grades")
    if grade_pd is None:
        if pd is None:
            raise ValueError("give pd or grade_pd")
        p = _check_pd(pd)
        if len(p) != len(g):
            raise ValueError(f"pd and grades have different lengths: {len(p)} != {len(g)}")
    else:
        if pd is not None and len(_as_1d(pd, "pd")) != len(g):
            raise ValueError(f"pd and grades have different lengths: {len(_as_1d(pd, 'pd'))} != {len(g)}")
        missing = [k for k in g.unique() if k not in grade_pd]
        if missing:
            raise ValueError(f"grade_pd has no PD for grade(s): {', '.join(map(str, missing))}")
        p = _check_pd(np.array([grade_pd[k] for k in g], dtype=float))

    frame = pandas.DataFrame({"grade": g.astype(object), "y": yy, "p": p})
    stats_by_grade = frame.groupby("grade", sort=False).agg(
        n=("y", "size"), defaults=("y", "sum"), pd=("p", "mean")
    )
    order = _grade_order(g, stats_by_grade["pd"], grade_pd)
    stats_by_grade = stats_by_grade.loc[order]
    total = pandas.DataFrame(
        {"n": [len(frame)], "defaults": [int(yy.sum())], "pd": [float(p.mean())]}, index=["all"]
    )
    table = pandas.concat([stats_by_grade, total])
    table.index = pandas.Index(list(table.index), dtype=object, name="grade")
    table["n"] = table["n"].astype(int)
    table["defaults"] = table["defaults"].astype(int)
    table["default_rate"] = table["defaults"] / table["n"]
    table["binomial_p"] = [binomial_test(n, d, q) for n, d, q in zip(table["n"], table["defaults"], table["pd"])]
    table["jeffreys_p"] = [jeffreys_test(n, d, q) for n, d, q in zip(table["n"], table["defaults"], table["pd"])]
    table["binomial_light"] = table["binomial_p"].map(traffic_light)
    table["jeffreys_light"] = table["jeffreys_p"].map(traffic_light)
    return table[["n", "defaults", "default_rate", "pd", "binomial_p", "jeffreys_p",
                  "binomial_light", "jeffreys_light"]]
