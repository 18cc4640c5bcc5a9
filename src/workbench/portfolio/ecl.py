"""IFRS 9 expected credit loss (ECL): per facility by year, 12-month and lifetime, by stage, weighted
over macro scenarios, and summarised by stage, tier and industry.

**The formula** (``expected_credit_loss``; IFRS 9 5.5.17-5.5.20 and B5.5.28-B5.5.33: the
probability-weighted present value of the cash shortfalls, discounted at the effective interest rate)::

    ECL_lifetime = sum_{t=1..T} EAD_t x PD_t x LGD_t / (1 + EIR)^t
    ECL_12m      = EAD_1 x PD_1 x LGD_1 / (1 + EIR)

with EAD_t the exposure at the start of year t (``exposure.ead_profile``), PD_t the *unconditional*
marginal PD of year t (the probability of surviving to the start of year t and defaulting in it,
``term_structure.pd_term_structure``) and a default in year t discounted from the end of the year
(t whole years). The 12-month ECL is the ECL of defaults in the 12 months after the reporting date
(IFRS 9 Appendix A); for a facility maturing within the year it is the ECL of its remaining life, which
the caller passes as the marginal PD of the live part of the year (``term_structure.live_marginal_pd``).

**Per facility** (``facility_ecl``): stage 1 takes the 12-month ECL, stages 2 and 3 the lifetime ECL
(IFRS 9 5.5.3, 5.5.5). A credit-impaired (stage 3) facility has defaulted already, so its PD is 1 and
its ECL is EAD x LGD on today's exposure, *not discounted* by default: the LGD is an economic loss that
already includes the discounting of the recoveries (BCBS June 2006 para 460; F-IRB's supervisory LGD
stands for it), so discounting it once more would count the time value twice. ``discount_stage3``
discounts it by one year instead (the loss recognised at the end of the first year), for comparison.

**Scenarios** (``weighted_ecl``): IFRS 9 5.5.17(a) asks for an unbiased, probability-weighted amount;
the ECL of each macro scenario (its own shifted PD term structure, ``scenarios`` / ``satellite``) is
weighted by the scenario's probability.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import format as fmt
from .checks import need_columns
from .term_structure import live_marginal_pd

__all__ = ["ECL", "expected_credit_loss", "facility_ecl", "weighted_ecl", "ecl_summary", "ecl_summary_table",
           "ecl_by_stage", "ecl_table", "plot_ecl_by_stage", "ECL_FRAME_COLUMNS"]

#: Columns every facility ECL frame has (``facility_ecl``, ``weighted_ecl``; ``movement.ecl_movement`` reads them).
ECL_FRAME_COLUMNS = ("facility_id", "obligor_id", "stage", "ead", "ecl_12m", "ecl_lifetime", "ecl", "coverage")
_CARRIED = ("obligor_id", "tier", "industry", "product", "group")  # copied from the facility frame when present
_WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ECL:
    """Expected credit loss of one facility (floats) or many (arrays over the leading axes)."""

    twelve_month: float | np.ndarray
    lifetime: float | np.ndarray
    by_year: np.ndarray  # discounted ECL of each year, trailing axis of years
    discount: np.ndarray  # discount factor 1 / (1 + eir)^t per year (broadcast shape)


def _per_facility(name: str, x: np.ndarray, shape: tuple[int, ...], *, per_year: bool) -> np.ndarray:
    """``x`` laid out against (..., T): scalar, per facility (the leading shape) or, if allowed, per year."""
    laid = None
    if x.ndim == 0 or (per_year and x.ndim == len(shape)):
        laid = x
    elif x.ndim == len(shape) - 1:
        laid = x[..., None]
    if laid is not None:
        try:
            np.broadcast_shapes(laid.shape, shape)
            return laid
        except ValueError:
            pass
    what = "a scalar, one value per facility" + (" or one per facility and year" if per_year else "")
    raise ValueError(f"{name} must be {what} (years on the last axis of ead / marginal_pd, shape {shape}); "
                     f"got shape {x.shape}")


def expected_credit_loss(ead, marginal_pd, lgd, eir) -> ECL:
    """ECL of defaults in year 1 (``.twelve_month``) and over all years (``.lifetime``), module docstring.

    Args:
        ead: EAD at the start of each year, year 1 first: (T,) for one facility, (..., T) for many.
        marginal_pd: the unconditional marginal PD of each year, same layout (broadcast with ``ead``).
        lgd: scalar, one per facility (the leading shape) or one per facility and year (..., T).
        eir: effective interest rate (decimal), scalar or one per facility.

    Returns an ``ECL``: floats for one facility, arrays of the leading shape for many.
    """
    e = np.asarray(ead, dtype=float)
    m = np.asarray(marginal_pd, dtype=float)
    try:
        shape = np.broadcast_shapes(e.shape, m.shape)
    except ValueError:
        raise ValueError(f"ead {e.shape} and marginal_pd {m.shape} must have the same layout (years last)") from None
    if len(shape) == 0:
        raise ValueError("ead and marginal_pd need an axis of years (year 1 first); got scalars")
    loss_rate = _per_facility("lgd", np.asarray(lgd, dtype=float), shape, per_year=True)
    rate = _per_facility("eir", np.asarray(eir, dtype=float), shape, per_year=False)
    checks = (("ead", e, ~(e >= 0)), ("marginal_pd", m, ~((m >= 0) & (m <= 1))),
              ("lgd", loss_rate, ~((loss_rate >= 0) & (loss_rate <= 1))), ("eir", rate, ~(rate > -1)))
    for name, x, bad in checks:
        if np.any(bad):
            rule = {"ead": ">= 0", "eir": "> -1"}.get(name, "in [0, 1]")
            raise ValueError(f"{name} must be {rule}; got {np.unique(np.asarray(x)[bad])[:5].tolist()}")
    total_pd = np.broadcast_to(m, shape).sum(axis=-1)
    if np.any(total_pd > 1 + 1e-9):
        raise ValueError(f"marginal_pd must be unconditional (summing to at most 1 over the years); sums reach "
                         f"{float(total_pd.max()):.6g}")
    t = np.arange(1, shape[-1] + 1, dtype=float)
    discount = (1.0 + rate) ** -t
    by_year = e * m * loss_rate * discount
    by_year = np.broadcast_to(by_year, shape).copy()
    twelve, life = by_year[..., 0], by_year.sum(axis=-1)
    if by_year.ndim == 1:
        return ECL(twelve_month=float(twelve), lifetime=float(life), by_year=by_year,
                   discount=np.broadcast_to(discount, shape).copy())
    return ECL(twelve_month=twelve, lifetime=life, by_year=by_year, discount=np.broadcast_to(discount, shape).copy())


def _stage_of(frame: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    need_columns(stages, ("facility_id", "stage"), "stages")
    if stages["facility_id"].duplicated().any():
        raise ValueError(f"stages has more than one row for facilities "
                         f"{stages.loc[stages['facility_id'].duplicated(), 'facility_id'].astype(str).tolist()[:5]}")
    keep = [c for c in ("facility_id", "stage", "trigger") if c in stages.columns]
    merged = frame[["facility_id"]].merge(stages[keep], on="facility_id", how="left")
    missing = merged["stage"].isna().to_numpy()
    if missing.any():
        raise KeyError(f"stages has no stage for facilities {merged.loc[missing, 'facility_id'].astype(str).tolist()[:5]}")
    bad = ~merged["stage"].isin(list((1, 2, 3))).to_numpy()
    if bad.any():
        raise ValueError(f"stage must be 1, 2 or 3; got {sorted(set(merged.loc[bad, 'stage'].tolist()))}")
    return merged


def facility_ecl(frame: pd.DataFrame, stages: pd.DataFrame, marginal_pd, ead_profile, *, year_fraction=None,
                 discount_stage3: bool = False) -> pd.DataFrame:
    """ECL of every facility of ``frame`` (in its order), module docstring.

    Args:
        frame: facility_id, obligor_id, lgd, eir (tier, industry, product, group are carried along).
        stages: facility_id, stage (``staging.assign_stages``; its trigger is carried along).
        marginal_pd: (n, T') unconditional marginal PD per year of each row of ``frame`` (T' >= T: the
            first T years are used).
        ead_profile: (n, T) EAD at the start of each year (``exposure.ead_profile``).
        year_fraction: (n, T) live share of each year (``exposure.live_year_fraction``): the marginal
            PD of a partial year is cut to the live part (``term_structure.live_marginal_pd``). None =
            every year counts in full (right when the profile already ends at whole years).
        discount_stage3: discount the stage 3 loss by one year (default: undiscounted EAD x LGD).

    Returns facility_id, the carried columns, stage, [trigger], ead (EAD now), lgd, lifetime_pd (the
    cumulative PD over the profile), ecl_12m, ecl_lifetime, ecl (12-month in stage 1, lifetime in 2 and
    3; stage 3 at PD 1), coverage (ecl / ead; NaN at zero EAD). Amounts in the frame's unit (EUR m).
    """
    need_columns(frame, ("facility_id", "obligor_id", "lgd", "eir"), "facility frame")
    n = len(frame)
    ead = np.asarray(ead_profile, dtype=float)
    m = np.asarray(marginal_pd, dtype=float)
    if ead.ndim != 2 or ead.shape[0] != n:
        raise ValueError(f"ead_profile must be (facilities, years) = ({n}, T); got shape {ead.shape}")
    years = ead.shape[1]
    if m.ndim != 2 or m.shape[0] != n or m.shape[1] < years:
        raise ValueError(f"marginal_pd must be (facilities, years >= {years}) = ({n}, {years}); got shape {m.shape}")
    m = m[:, :years]
    if year_fraction is not None:
        f = np.asarray(year_fraction, dtype=float)
        if f.shape != ead.shape:
            raise ValueError(f"year_fraction must have the shape of ead_profile {ead.shape}; got {f.shape}")
        m = live_marginal_pd(m, f)
    merged = _stage_of(frame, stages)
    stage = merged["stage"].to_numpy(dtype=np.int64)
    lgd = frame["lgd"].to_numpy(dtype=float)
    eir = frame["eir"].to_numpy(dtype=float)
    for name, x in (("lgd", lgd), ("eir", eir)):
        bad = np.isnan(x)
        if bad.any():
            raise ValueError(f"{name} is missing for facilities {frame.loc[bad, 'facility_id'].astype(str).tolist()[:5]}")
    result = expected_credit_loss(ead, m, lgd, eir)
    ead_now = ead[:, 0]
    impaired_loss = ead_now * lgd / ((1.0 + eir) if discount_stage3 else 1.0)
    impaired = stage == 3
    ecl_12m = np.where(impaired, impaired_loss, result.twelve_month)
    ecl_life = np.where(impaired, impaired_loss, result.lifetime)
    ecl = np.where(stage == 1, ecl_12m, ecl_life)
    out = pd.DataFrame({"facility_id": frame["facility_id"].to_numpy()})
    for column in _CARRIED:
        if column in frame.columns:
            out[column] = frame[column].to_numpy()
    out["stage"] = stage
    if "trigger" in merged.columns:
        out["trigger"] = merged["trigger"].to_numpy()
    out["ead"] = ead_now
    out["lgd"] = lgd
    out["lifetime_pd"] = np.where(impaired, 1.0, m.sum(axis=1))
    out["ecl_12m"] = ecl_12m
    out["ecl_lifetime"] = ecl_life
    out["ecl"] = ecl
    out["coverage"] = _coverage(ecl, ead_now)
    return out


def _coverage(ecl, ead) -> np.ndarray:
    ecl, ead = np.asarray(ecl, dtype=float), np.asarray(ead, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ead > 0, ecl / ead, np.nan)


def weighted_ecl(per_scenario: Mapping[str, pd.DataFrame], weights: Mapping[str, float]) -> pd.DataFrame:
    """Probability-weighted ECL per facility over the macro scenarios (IFRS 9 5.5.17(a)).

    ``per_scenario``: scenario name -> ``facility_ecl`` frame, all of the same facilities; ``weights``:
    scenario name -> probability, the same names, >= 0, summing to 1 (within 1e-9). Returns the first
    scenario's identifying columns (facility_id, obligor_id, tier, ..., stage, ead), the weighted
    ecl_12m, ecl_lifetime and ecl, coverage, ``ecl_<scenario>`` for each scenario and, when the stage
    differs between scenarios for some facility, stage_varies (the stage column is then the first
    scenario's; each scenario's ECL uses its own stage).
    """
    if not per_scenario:
        raise ValueError("per_scenario must hold at least one scenario's facility ECL frame")
    names = list(per_scenario)
    if set(names) != set(weights):
        raise KeyError(f"weights must name exactly the scenarios {sorted(names)}; got {sorted(weights)}")
    w = {k: float(v) for k, v in weights.items()}
    negative = sorted(k for k, v in w.items() if not v >= 0)
    if negative:
        raise ValueError(f"scenario weights must be >= 0; not so for {negative}")
    if abs(math.fsum(w.values()) - 1.0) > _WEIGHT_TOLERANCE:
        raise ValueError(f"scenario weights must sum to 1 (within {_WEIGHT_TOLERANCE:g}); they sum to "
                         f"{math.fsum(w.values()):.12g}")
    first = per_scenario[names[0]]
    for name, frame in per_scenario.items():
        need_columns(frame, ("facility_id", "stage", "ead", "ecl_12m", "ecl_lifetime", "ecl"), f"scenario {name!r}'s frame")
        if frame["facility_id"].duplicated().any():
            raise ValueError(f"scenario {name!r} has more than one row for some facilities")
        extra = sorted(set(frame["facility_id"]) ^ set(first["facility_id"]))
        if extra:
            raise ValueError(f"scenario {name!r} does not hold the same facilities as {names[0]!r}; differing: "
                             f"{[str(x) for x in extra[:5]]}")
    ids = first["facility_id"]
    aligned = {k: f.set_index("facility_id").loc[ids.to_numpy()] for k, f in per_scenario.items()}
    ident = [c for c in first.columns if c not in ("ecl_12m", "ecl_lifetime", "ecl", "coverage", "lifetime_pd")
             and not c.startswith("ecl_")]
    out = first[ident].reset_index(drop=True).copy()
    for column in ("ecl_12m", "ecl_lifetime", "ecl"):
        out[column] = sum(w[k] * aligned[k][column].to_numpy(dtype=float) for k in names)
    out["coverage"] = _coverage(out["ecl"], out["ead"])
    for k in names:
        out[f"ecl_{k}"] = aligned[k]["ecl"].to_numpy(dtype=float)
    stages = np.column_stack([aligned[k]["stage"].to_numpy() for k in names])
    varies = (stages != stages[:, :1]).any(axis=1)
    if varies.any():
        out["stage_varies"] = varies
    return out


_STAGE_COLUMNS = {"facilities": ("facilities", fmt.integer), "ead": ("EAD (EUR m)", fmt.eur_m),
                  "share_of_ead": ("share of EAD", lambda v: fmt.percent(v, 1)),
                  "ecl": ("ECL (EUR m)", lambda v: fmt.number(v)),
                  "share_of_ecl": ("share of ECL", lambda v: fmt.percent(v, 1)),
                  "coverage": ("coverage (ECL / EAD)", lambda v: fmt.percent(v, 2))}


def ecl_by_stage(frame: pd.DataFrame) -> pd.DataFrame:
    """Per stage (1, 2, 3, then "total"): facilities, EAD, share of EAD, ECL, share of ECL, coverage."""
    need_columns(frame, ("stage", "ead", "ecl"), "ECL frame")
    g = frame.groupby("stage")
    out = pd.DataFrame({"facilities": g.size(), "ead": g["ead"].sum(), "ecl": g["ecl"].sum()}).reindex(
        list((1, 2, 3)), fill_value=0)
    out.loc["total"] = [len(frame), frame["ead"].sum(), frame["ecl"].sum()]
    out["facilities"] = out["facilities"].astype(int)
    total_ead, total_ecl = float(frame["ead"].sum()), float(frame["ecl"].sum())
    out.insert(2, "share_of_ead", out["ead"] / total_ead if total_ead > 0 else np.nan)
    out["share_of_ecl"] = out["ecl"] / total_ecl if total_ecl > 0 else np.nan
    out["coverage"] = _coverage(out["ecl"], out["ead"])
    out.index.name = "stage"
    return out


def ecl_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``ecl_by_stage`` for people."""
    summary = ecl_by_stage(frame)
    return fmt.display_frame(summary, _STAGE_COLUMNS,
                             index=("stage", lambda s: s if s == "total" else f"stage {s}"))


def ecl_summary(frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """EAD, ECL and coverage per stage, and per ``by`` (e.g. "tier", "industry") x stage.

    ``by=None``: ``ecl_by_stage``. Otherwise one row per value of ``by`` (sorted, then "total") with
    facilities, ead_stage_1..3, ead, ecl_stage_1..3, ecl, coverage_stage_1..3 and coverage."""
    if by is None:
        return ecl_by_stage(frame)
    need_columns(frame, ("stage", "ead", "ecl", by), "ECL frame")
    keys = frame[by].astype(object).where(frame[by].notna(), "n/a")
    df = frame.assign(_by=keys)
    ead = df.pivot_table(index="_by", columns="stage", values="ead", aggfunc="sum", fill_value=0.0).reindex(
        columns=list((1, 2, 3)), fill_value=0.0)
    ecl = df.pivot_table(index="_by", columns="stage", values="ecl", aggfunc="sum", fill_value=0.0).reindex(
        columns=list((1, 2, 3)), fill_value=0.0)
    ead.loc["total"] = ead.sum()
    ecl.loc["total"] = ecl.sum()
    out = pd.DataFrame(index=ead.index)
    counts = df.groupby("_by").size()
    out["facilities"] = counts.reindex(ead.index).fillna(0).astype(int)
    out.loc["total", "facilities"] = len(df)
    for s in (1, 2, 3):
        out[f"ead_stage_{s}"] = ead[s]
    out["ead"] = ead.sum(axis=1)
    for s in (1, 2, 3):
        out[f"ecl_stage_{s}"] = ecl[s]
    out["ecl"] = ecl.sum(axis=1)
    for s in (1, 2, 3):
        out[f"coverage_stage_{s}"] = _coverage(ecl[s], ead[s])
    out["coverage"] = _coverage(out["ecl"], out["ead"])
    out.index.name = by
    return out


def ecl_summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """An ``ecl_summary`` (with or without ``by``) for people."""
    if "share_of_ead" in summary.columns:
        return fmt.display_frame(summary, _STAGE_COLUMNS,
                                 index=("stage", lambda s: s if s == "total" else f"stage {s}"))
    columns = {"facilities": ("facilities", fmt.integer)}
    for s in (1, 2, 3):
        columns[f"ead_stage_{s}"] = (f"EAD stage {s} (EUR m)", fmt.eur_m)
    columns["ead"] = ("EAD (EUR m)", fmt.eur_m)
    for s in (1, 2, 3):
        columns[f"ecl_stage_{s}"] = (f"ECL stage {s} (EUR m)", fmt.number)
    columns["ecl"] = ("ECL (EUR m)", fmt.number)
    for s in (1, 2, 3):
        columns[f"coverage_stage_{s}"] = (f"coverage stage {s}", lambda v: fmt.percent(v, 2))
    columns["coverage"] = ("coverage", lambda v: fmt.percent(v, 2))
    return fmt.display_frame(summary, columns)


_STAGE_COLOURS = {1: "tab:green", 2: "tab:orange", 3: "tab:red"}


def plot_ecl_by_stage(frame: pd.DataFrame, by: str | None = None) -> Figure:
    """ECL (EUR m) by stage with each stage's coverage written on its bar, and EAD by stage beside it;
    with ``by`` (e.g. "tier") the ECL is stacked by stage for each value of ``by``."""
    if by is None:
        summary = ecl_by_stage(frame).drop(index="total")
        fig, (ax_ecl, ax_ead) = plt.subplots(1, 2, figsize=(10, 4))
        labels = [f"stage {s}" for s in summary.index]
        colours = [_STAGE_COLOURS[s] for s in summary.index]
        ax_ecl.bar(labels, summary["ecl"], color=colours)
        for i, (value, cover) in enumerate(zip(summary["ecl"], summary["coverage"])):
            ax_ecl.text(i, value, fmt.percent(cover, 2), ha="center", va="bottom", fontsize=8)
        ax_ecl.set(title="ECL by stage (coverage on the bars)", ylabel="ECL (EUR m)")
        ax_ead.bar(labels, summary["ead"], color=colours)
        for i, (value, share) in enumerate(zip(summary["ead"], summary["share_of_ead"])):
            ax_ead.text(i, value, fmt.percent(share, 1), ha="center", va="bottom", fontsize=8)
        ax_ead.set(title="EAD by stage (share on the bars)", ylabel="EAD (EUR m)")
    else:
        summary = ecl_summary(frame, by).drop(index="total")
        fig, ax_ecl = plt.subplots(figsize=(max(6, 0.6 * len(summary) + 3), 4.5))
        bottom = np.zeros(len(summary))
        labels = [str(x) for x in summary.index]
        for s in (1, 2, 3):
            values = summary[f"ecl_stage_{s}"].to_numpy(dtype=float)
            ax_ecl.bar(labels, values, bottom=bottom, color=_STAGE_COLOURS[s], label=f"stage {s}")
            bottom += values
        ax_ecl.set(title=f"ECL by {by} and stage", ylabel="ECL (EUR m)", xlabel=by)
        ax_ecl.legend(fontsize=8)
        if len(labels) > 6:
            ax_ecl.tick_params(axis="x", labelrotation=45)
    fig.tight_layout()
    plt.close(fig)
    return fig
