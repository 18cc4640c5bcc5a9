"""How well the early warnings work: hit rate, lead time, false alarms and volume, against the grade alone.

Measured over month ends whose outcomes the model never saw (the caller passes them). A *flag* is
an alert at the level(s) of a variant (red; red or amber) on an obligor that was below
``dpd_exclusion`` days past due at that month: a 30-DPD trigger a month before a 90-DPD default is
no early warning, so such alerts count for the volume but never as a hit or a false alarm.

- **Defaulters evaluated:** each first default of an obligor after an evaluated month t with
  1 <= months(default) - months(t) <= horizon, for an obligor with at least one such row.
- **Hit rate at lead L:** share of them flagged at some t with L <= months to default <= horizon.
- **Median lead:** months from the first flag within the horizon to the default, over hit defaulters.
- **False-alarm rate:** flagged obligor-months not followed by a default within the horizon / flagged
  obligor-months, over months whose horizon has matured (month + horizon <= ``data_end``).
- **Alerts per month:** mean obligors at the variant's level(s) per month (all of them, what the desk sees).

The grade-only benchmark flags, each month, as many obligors as the EWS did at that level (the
same volume), those with the highest PD (ties by obligor id), and is measured the same way. By
default (``volume_basis="eligible"``) the volume is matched among the obligors below
``dpd_exclusion``, and both carry the EWS's flags of the obligors at or above it: the 30-DPD
backstop is mandatory and can never be a hit, so spending the grade's volume on it or not would
decide the comparison instead of the early warnings. ``"all"`` matches the total count instead. Intervals
come from a bootstrap over obligors (the same resamples for every variant, so their differences are
paired), with numpy's seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, model_validator

from .. import format as fmt
from ..params import StrictModel

__all__ = ["EffectivenessParams", "EffectivenessResult", "ews_effectiveness", "plot_hit_rates",
           "effectiveness_metric", "VARIANTS", "VARIANT_LEVELS", "SOURCES",
           "EWS_HIT_RATE_3M_RED", "EWS_HIT_RATE_6M_RED", "EWS_HIT_RATE_3M_RED_AMBER", "EWS_HIT_RATE_6M_RED_AMBER",
           "GRADE_HIT_RATE_3M_RED", "GRADE_HIT_RATE_6M_RED", "GRADE_HIT_RATE_3M_RED_AMBER",
           "GRADE_HIT_RATE_6M_RED_AMBER", "EWS_MEDIAN_LEAD_RED", "EWS_MEDIAN_LEAD_RED_AMBER",
           "EWS_FALSE_ALARM_RATE_RED", "EWS_FALSE_ALARM_RATE_RED_AMBER", "EWS_ALERTS_PER_MONTH_RED",
           "EWS_ALERTS_PER_MONTH_RED_AMBER", "EWS_DEFAULTS_EVALUATED", "EWS_BEATS_GRADE_AT_6M"]

#: Volumes compared: the alert levels that count as flagged.
VARIANT_LEVELS: dict[str, tuple[str, ...]] = {"red": ("red",), "red_amber": ("red", "amber")}
VARIANTS: tuple[str, ...] = tuple(VARIANT_LEVELS)
#: Metric scopes: the EWS's alerts and the PD grade alone at the same volume.
SOURCES: tuple[str, ...] = ("ews", "grade_only")


def effectiveness_metric(source: str, figure: str, variant: str | None = None) -> str:
    """``effectiveness_metric("ews", "hit_rate_6m", "red") == "ews/hit_rate_6m_red"``."""
    if source not in (*SOURCES, "ews_minus_grade"):
        raise ValueError(f"unknown source {source!r}; sources are {SOURCES} and 'ews_minus_grade'")
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; variants are {VARIANTS}")
    return f"{source}/{figure}" + (f"_{variant}" if variant else "")


EWS_HIT_RATE_3M_RED = effectiveness_metric("ews", "hit_rate_3m", "red")
EWS_HIT_RATE_6M_RED = effectiveness_metric("ews", "hit_rate_6m", "red")
EWS_HIT_RATE_3M_RED_AMBER = effectiveness_metric("ews", "hit_rate_3m", "red_amber")
EWS_HIT_RATE_6M_RED_AMBER = effectiveness_metric("ews", "hit_rate_6m", "red_amber")
GRADE_HIT_RATE_3M_RED = effectiveness_metric("grade_only", "hit_rate_3m", "red")
GRADE_HIT_RATE_6M_RED = effectiveness_metric("grade_only", "hit_rate_6m", "red")
GRADE_HIT_RATE_3M_RED_AMBER = effectiveness_metric("grade_only", "hit_rate_3m", "red_amber")
GRADE_HIT_RATE_6M_RED_AMBER = effectiveness_metric("grade_only", "hit_rate_6m", "red_amber")
EWS_MEDIAN_LEAD_RED = effectiveness_metric("ews", "median_lead_months", "red")
EWS_MEDIAN_LEAD_RED_AMBER = effectiveness_metric("ews", "median_lead_months", "red_amber")
EWS_FALSE_ALARM_RATE_RED = effectiveness_metric("ews", "false_alarm_rate", "red")
EWS_FALSE_ALARM_RATE_RED_AMBER = effectiveness_metric("ews", "false_alarm_rate", "red_amber")
EWS_ALERTS_PER_MONTH_RED = effectiveness_metric("ews", "alerts_per_month", "red")
EWS_ALERTS_PER_MONTH_RED_AMBER = effectiveness_metric("ews", "alerts_per_month", "red_amber")
EWS_DEFAULTS_EVALUATED = effectiveness_metric("ews", "defaults_evaluated")
EWS_BEATS_GRADE_AT_6M = "ews/beats_grade_at_6m_passed"  # 1 / 0 (a flag: "passed" reads as yes/no)


class EffectivenessParams(StrictModel):
    """How the early warnings are scored against later defaults."""

    horizon_months: int = Field(12, ge=1, le=60, description="A flag counts for a default within this many months "
                                                             "(the 12-month PD horizon).")
    leads: tuple[int, ...] = Field((3, 6), min_length=1, description="Minimum lead times (months before default) "
                                                                     "at which hit rates are reported.")
    dpd_exclusion: float = Field(30.0, gt=0, description="Flags on obligors at or above this many days past due "
                                                         "are no early warning (IFRS 9 30-DPD backstop).")
    volume_basis: Literal["eligible", "all"] = Field(
        "eligible", description="How the grade-only benchmark matches the EWS's volume each month. 'eligible': "
                                "the same number of flags among obligors below dpd_exclusion (the highest PDs "
                                "there), and the EWS's own flags on those at or above it, so both carry the same "
                                "30-DPD backstop and are compared on the early warnings alone; 'all': the same "
                                "total count, the highest PDs of the whole book (a backstop flag then costs the "
                                "EWS volume the grade may spend on earlier warnings).")
    n_boot: int = Field(500, ge=0, description="Bootstrap resamples of obligors for the intervals (0: none).")
    seed: int = Field(0, description="Seed of the bootstrap.")
    confidence: float = Field(0.90, gt=0, lt=1, description="Two-sided confidence of the percentile intervals.")

    @model_validator(mode="after")
    def _check(self) -> EffectivenessParams:
        bad = [x for x in self.leads if not 1 <= x <= self.horizon_months]
        if bad:
            raise ValueError(f"leads {bad} must lie between 1 and horizon_months ({self.horizon_months})")
        if len(set(self.leads)) != len(self.leads):
            raise ValueError(f"leads {self.leads} repeat a value")
        return self


def _month_index(dates) -> np.ndarray:
    d = pd.DatetimeIndex(dates)
    return d.year.to_numpy(np.int64) * 12 + d.month.to_numpy(np.int64) - 1


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{name} lacks column(s) {', '.join(missing)}")


@dataclass
class _PerObligor:
    """Per-obligor sums of one variant: what the point estimates and the bootstrap add up."""

    events: np.ndarray  # defaulters evaluated (0/1 per obligor; first default only)
    hits: dict[int, np.ndarray]  # per lead
    lead: np.ndarray  # months from first flag to default, 0 when not hit
    flags_matured: np.ndarray
    false_matured: np.ndarray
    volume: np.ndarray  # alerts at the level(s), all months (the desk's volume)


def _per_obligor(rows: pd.DataFrame, flagged: np.ndarray, n_obligors: int, params: EffectivenessParams) -> _PerObligor:
    code = rows["_code"].to_numpy()
    lead = rows["_lead"].to_numpy()
    eligible = flagged & rows["_eligible"].to_numpy()
    in_window = rows["_in_window"].to_numpy()
    events = np.bincount(code[in_window], minlength=n_obligors).clip(max=1)
    hits = {}
    for L in params.leads:
        hit_rows = eligible & in_window & (lead >= L)
        hits[L] = np.bincount(code[hit_rows], minlength=n_obligors).clip(max=1)
    first = np.zeros(n_obligors, dtype=np.int64)
    h = eligible & in_window
    np.maximum.at(first, code[h], lead[h])  # earliest flag = the longest lead
    matured = rows["_matured"].to_numpy() & eligible
    return _PerObligor(events=events, hits=hits, lead=first,
                       flags_matured=np.bincount(code[matured], minlength=n_obligors),
                       false_matured=np.bincount(code[matured & ~in_window], minlength=n_obligors),
                       volume=np.bincount(code[flagged], minlength=n_obligors))


def _figures(p: _PerObligor, w: np.ndarray, n_months: int, params: EffectivenessParams) -> dict[str, np.ndarray]:
    """Figures for weights ``w`` (n_resamples x n_obligors; one row of ones is the point estimate)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        events = w @ p.events
        out = {f"hit_rate_{L}m": (w @ p.hits[L]) / events for L in params.leads}
        flags = w @ p.flags_matured
        out["false_alarm_rate"] = (w @ p.false_matured) / flags
        out["alerts_per_month"] = (w @ p.volume) / max(n_months, 1)
        # Weighted median of the integer leads: histogram per resample, then the middle.
        hist = w @ (p.lead[:, None] == np.arange(1, params.horizon_months + 1)[None, :]).astype(float)
        total = hist.sum(axis=1, keepdims=True)
        cum = np.cumsum(hist, axis=1) / total
        lo = np.argmax(cum >= 0.5, axis=1)
        hi = np.argmax(cum > 0.5, axis=1)
        med = (lo + hi) / 2 + 1.0  # midway when the cumulative share sits exactly at 1/2
        out["median_lead_months"] = np.where(total[:, 0] > 0, med, np.nan)
        out["defaults_evaluated"] = events
    return out


@dataclass
class EffectivenessResult:
    """Point estimates and bootstrap intervals per source (``ews``, ``grade_only``) and variant."""

    estimates: pd.DataFrame  # index (source, variant); figures as columns, with _low / _high
    params: EffectivenessParams
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)  # EWS minus grade-only hit rates (paired)
    #: Per evaluated row: level, the four flag columns (``ews_red``, ``grade_only_red_amber``, ...), whether the
    #: row may count (``eligible``: below the DPD exclusion) and months to the next default (0: none in horizon).
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    months: list[pd.Timestamp] = field(default_factory=list)
    data_end: pd.Timestamp | None = None

    @property
    def beats_grade_at_6m(self) -> bool:
        """The EWS hits a larger share of defaulters than the grade alone at the same volume, at the 6-month
        lead (or the longest lead below it), for both red and red-or-amber."""
        lead = max(x for x in self.params.leads if x <= 6) if any(x <= 6 for x in self.params.leads) \
            else min(self.params.leads)
        col = f"hit_rate_{lead}m"
        e = self.estimates[col]
        return bool(all(e[("ews", v)] > e[("grade_only", v)] for v in VARIANTS))

    def metrics(self) -> dict[str, float]:
        """Flat names (``ews/hit_rate_6m_red``, ``grade_only/false_alarm_rate_red_amber``, ...) to values."""
        out: dict[str, float] = {}
        for (source, variant), row in self.estimates.iterrows():
            for col, value in row.items():
                if col.startswith("defaults_evaluated"):
                    if source == "ews" and variant == VARIANTS[0] and col == "defaults_evaluated":
                        out[EWS_DEFAULTS_EVALUATED] = float(value)
                    continue
                suffix = "_low" if col.endswith("_low") else "_high" if col.endswith("_high") else ""
                out[effectiveness_metric(source, col.removesuffix(suffix), variant) + suffix] = float(value)
        for variant, row in self.differences.iterrows():
            for col, value in row.items():
                suffix = "_low" if col.endswith("_low") else "_high" if col.endswith("_high") else ""
                out[effectiveness_metric("ews_minus_grade", col.removesuffix(suffix), str(variant)) + suffix] = \
                    float(value)
        out[EWS_BEATS_GRADE_AT_6M] = float(self.beats_grade_at_6m)
        return out

    def table(self) -> pd.DataFrame:
        """One row per source and volume; hit rates with their intervals, lead, false alarms, volume."""
        level = int(round(100 * self.params.confidence))
        names = {("ews", "red"): "EWS red", ("ews", "red_amber"): "EWS red + amber",
                 ("grade_only", "red"): "grade only, same volume as red",
                 ("grade_only", "red_amber"): "grade only, same volume as red + amber"}
        e = self.estimates

        def with_interval(col: str, show) -> list[str]:
            out = []
            for key in e.index:
                point = show(e.at[key, col])
                if f"{col}_low" in e.columns and np.isfinite(e.at[key, f"{col}_low"]):
                    point += f" ({show(e.at[key, f'{col}_low'])} to {show(e.at[key, f'{col}_high'])})"
                out.append(point)
            return out

        def pct(v):
            return fmt.percent(v, 1)

        cols: dict[str, list[str]] = {}
        for L in self.params.leads:
            cols[f"hit rate {L}m ({level} % CI)"] = with_interval(f"hit_rate_{L}m", pct)
        cols[f"median lead, months ({level} % CI)"] = with_interval("median_lead_months", fmt.number)
        cols[f"false-alarm rate ({level} % CI)"] = with_interval("false_alarm_rate", pct)
        cols["alerts per month"] = [fmt.number(v) for v in e["alerts_per_month"]]
        cols["defaulters evaluated"] = [fmt.integer(v) for v in e["defaults_evaluated"]]
        out = pd.DataFrame(cols, index=pd.Index([names[k] for k in e.index], name="alerts"))
        return out.apply(lambda c: c.str.replace(" %", fmt.NBSP + "%", regex=False))


def ews_effectiveness(alerts: pd.DataFrame, scored: pd.DataFrame, defaults: pd.DataFrame,
                      months: Sequence, params: EffectivenessParams, *, data_end) -> EffectivenessResult:
    """Hit rates, lead, false alarms and volume of the EWS alerts and of the grade alone at the same volume.

    ``alerts``: ``EWSResult.alerts`` (``obligor_id``, ``obs_date``, ``level``); ``scored``: the scored
    snapshot rows of those months (``obligor_id``, ``obs_date``, ``pd``, ``dpd``; the population, a row
    without an alert counts as green); ``defaults``: ``obligor_id``, ``default_date``; ``months``: the
    out-of-time month ends evaluated; ``data_end``: the last date whose defaults are known.
    """
    _require(alerts, "alerts", ["obligor_id", "obs_date", "level"])
    _require(scored, "scored", ["obligor_id", "obs_date", "pd", "dpd"])
    _require(defaults, "defaults", ["obligor_id", "default_date"])
    month_ends = pd.DatetimeIndex(pd.to_datetime(list(months))) + pd.offsets.MonthEnd(0)
    if len(month_ends) == 0:
        raise ValueError("months is empty: no month end to evaluate")
    data_end = pd.Timestamp(data_end)
    rows = scored.loc[scored["obs_date"].isin(month_ends), ["obligor_id", "obs_date", "pd", "dpd"]]
    if rows.empty:
        raise ValueError(f"scored has no rows at the {len(month_ends)} month ends evaluated "
                         f"({month_ends.min():%Y-%m-%d} to {month_ends.max():%Y-%m-%d})")
    dup = rows.duplicated(["obligor_id", "obs_date"])
    if dup.any():
        raise ValueError(f"scored has {int(dup.sum())} duplicate (obligor_id, obs_date) rows")
    levels = alerts[["obligor_id", "obs_date", "level"]].drop_duplicates(["obligor_id", "obs_date"])
    rows = rows.merge(levels, on=["obligor_id", "obs_date"], how="left")
    rows["level"] = rows["level"].fillna("green")
    rows["_m"] = _month_index(rows["obs_date"])

    # The next default after each row (first default date later than the month end).
    d = defaults[["obligor_id", "default_date"]].dropna()
    d = d.assign(_dm=_month_index(d["default_date"])).sort_values("_dm")
    rows = rows.sort_values("_m", kind="stable")
    rows = pd.merge_asof(rows, d[["obligor_id", "_dm"]], left_on="_m", right_on="_dm", by="obligor_id",
                         direction="forward", allow_exact_matches=False)
    lead = (rows["_dm"] - rows["_m"]).to_numpy(float)
    rows["_lead"] = np.nan_to_num(lead, nan=0).astype(np.int64)
    rows["_in_window"] = (lead >= 1) & (lead <= params.horizon_months)
    # Each obligor counts its first default in the window only (a second one would be a new client case).
    first_dm = rows.loc[rows["_in_window"]].groupby("obligor_id")["_dm"].min()
    rows["_in_window"] &= (rows["_dm"] == rows["obligor_id"].map(first_dm)).to_numpy()
    rows["_matured"] = rows["_m"] + params.horizon_months <= _month_index([data_end])[0]
    rows["_eligible"] = ~(rows["dpd"].to_numpy(float) >= params.dpd_exclusion)
    codes, ids = pd.factorize(rows["obligor_id"], sort=True)
    rows["_code"] = codes
    n_ob, n_months = len(ids), len(month_ends)

    # Grade-only: per month the N highest PDs, N = the EWS's count at that level that month; with the
    # "eligible" basis among the rows below the DPD exclusion only, N their EWS count, and on the rows at or
    # above it the EWS's own flags (the 30-DPD backstop both carry; they never count as hit or false alarm).
    rows = rows.sort_values(["_m", "pd", "obligor_id"], ascending=[True, False, True], kind="stable")
    eligible = rows["_eligible"].to_numpy()
    by_month = rows["_m"].to_numpy()
    if params.volume_basis == "eligible":
        rank = rows.groupby(["_m", "_eligible"]).cumcount().to_numpy()
    else:
        rank = rows.groupby("_m").cumcount().to_numpy()
    per_obligor: dict[tuple[str, str], _PerObligor] = {}
    flags = rows[["obligor_id", "obs_date", "level", "pd", "dpd"]].copy()
    for variant, lvls in VARIANT_LEVELS.items():
        ews_flag = rows["level"].isin(lvls).to_numpy()
        if params.volume_basis == "eligible":
            volume = pd.Series(ews_flag & eligible).groupby(by_month).transform("sum").to_numpy()
            grade_flag = np.where(eligible, rank < volume, ews_flag)
        else:
            volume = pd.Series(ews_flag).groupby(by_month).transform("sum").to_numpy()
            grade_flag = rank < volume
        per_obligor[("ews", variant)] = _per_obligor(rows, ews_flag, n_ob, params)
        per_obligor[("grade_only", variant)] = _per_obligor(rows, grade_flag, n_ob, params)
        flags[f"ews_{variant}"], flags[f"grade_only_{variant}"] = ews_flag, grade_flag
    flags["eligible"] = rows["_eligible"].to_numpy()
    flags["months_to_default"] = np.where(rows["_in_window"], rows["_lead"], 0)
    flags = flags.sort_values(["obligor_id", "obs_date"]).reset_index(drop=True)

    ones = np.ones((1, n_ob))
    rng = np.random.default_rng(params.seed)
    weights = rng.multinomial(n_ob, np.full(n_ob, 1.0 / n_ob), size=params.n_boot).astype(float) \
        if params.n_boot > 0 else None
    alpha = (1 - params.confidence) / 2

    def interval(v: np.ndarray) -> tuple[float, float]:
        if not np.isfinite(v).any():
            return np.nan, np.nan
        lo, hi = np.nanquantile(v, [alpha, 1 - alpha])
        return float(lo), float(hi)

    records, boots = {}, {}
    for key, p in per_obligor.items():
        rec = {k: float(v[0]) for k, v in _figures(p, ones, n_months, params).items()}
        if weights is not None:
            boots[key] = _figures(p, weights, n_months, params)
            for k, v in boots[key].items():
                if k not in ("defaults_evaluated", "alerts_per_month"):
                    rec[f"{k}_low"], rec[f"{k}_high"] = interval(v)
        records[key] = rec
    estimates = pd.DataFrame.from_dict(records, orient="index")
    estimates.index = pd.MultiIndex.from_tuples(estimates.index, names=["source", "variant"])
    diffs = {}
    for variant in VARIANTS:
        rec = {}
        for L in params.leads:
            col = f"hit_rate_{L}m"
            rec[col] = records[("ews", variant)][col] - records[("grade_only", variant)][col]
            if weights is not None:
                # Paired: the same resampled obligors for both sources.
                rec[f"{col}_low"], rec[f"{col}_high"] = interval(boots[("ews", variant)][col]
                                                                 - boots[("grade_only", variant)][col])
        diffs[variant] = rec
    return EffectivenessResult(estimates=estimates, params=params,
                               differences=pd.DataFrame.from_dict(diffs, orient="index"),
                               flags=flags, months=list(month_ends), data_end=data_end)


def plot_hit_rates(result: EffectivenessResult) -> Figure:
    """Hit rate per lead, EWS against the grade alone at the same volume, with the bootstrap intervals."""
    e = result.estimates
    leads = result.params.leads
    keys = [("ews", "red"), ("grade_only", "red"), ("ews", "red_amber"), ("grade_only", "red_amber")]
    labels = ["EWS red", "grade, red volume", "EWS red + amber", "grade, red + amber volume"]
    colours = ["#c0392b", "#7f8c8d", "#f0a202", "#34495e"]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = 0.8 / len(keys)
    x = np.arange(len(leads))
    for i, (key, label, colour) in enumerate(zip(keys, labels, colours)):
        vals = np.array([e.at[key, f"hit_rate_{L}m"] for L in leads]) * 100
        bars = ax.bar(x + (i - (len(keys) - 1) / 2) * width, vals, width, label=label, color=colour)
        if f"hit_rate_{leads[0]}m_low" in e.columns:
            lo = np.array([e.at[key, f"hit_rate_{L}m_low"] for L in leads]) * 100
            hi = np.array([e.at[key, f"hit_rate_{L}m_high"] for L in leads]) * 100
            ax.errorbar([b.get_x() + b.get_width() / 2 for b in bars], vals,
                        yerr=[np.maximum(vals - lo, 0), np.maximum(hi - vals, 0)], fmt="none", ecolor="black",
                        capsize=3, lw=1)
    ax.set_xticks(x, [f"at least {L} months before default" for L in leads])
    ax.set_ylabel("defaulters flagged (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Early-warning hit rate against the grade alone at the same volume")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    plt.close(fig)
    return fig
