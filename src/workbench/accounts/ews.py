"""The early-warning system: indicators on each scored snapshot row, their signals, and an alert level.

Each indicator (``INDICATORS``: what it measures, why it matters, where its threshold comes from)
turns one value per obligor-month into a signal when it crosses its amber or red threshold
(``EWSParams``, one ``IndicatorParams`` each). The alert level of a row follows the level rules:
red if an indicator that sets the level is red or the weighted score reaches ``red_score``; amber
if one is amber or the score reaches ``amber_score``; green otherwise. The rating is an indicator
itself (``grade_level``: the watch grades amber, the worst grade red), as in supervisory early-warning
lists, so the EWS is the grade plus what it does not yet show: arrears (current and cured), covenant
breaches, the PD's migration since origination. The statement trends, interest cover, utilisation,
turnover, industry momentum and stale statements only add to the score: the PD model reads the same
inputs every month, so on their own they repeat the rating (or, for the industry index, say nothing
about the client) and would flood the watchlist.

How well that works against the PD alone at the same volume is measured by
``accounts.effectiveness`` (and ``benchmarks/bench_ews.py``); weights and the two score thresholds
were chosen on the in-time months (2015-2021) only and are reported on the out-of-time ones.

Lookbacks (PD at origination, grade ``review_lookback_months`` earlier, covenant breaches
``breach_lookback_months`` earlier) read the union of ``history`` and ``snapshot`` laid out as a
dense obligor x month array, so one call covers one month end or all 120 of a backfill alike, and
both give the same alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, model_validator

from .. import format as fmt
from ..params import StrictModel
from ..reference.codes import ALERT_LEVELS

__all__ = ["IndicatorParams", "EWSParams", "IndicatorSpec", "INDICATORS", "INDICATOR_NAMES", "LEVELS",
           "EWSResult", "early_warnings", "indicator_table", "plot_alert_counts", "plot_level_by"]

#: Alert levels, mildest first.
LEVELS = ALERT_LEVELS  # one list, in workbench.reference
_SEVERITY_FACTOR = {"amber": 1.0, "red": 2.0}  # a red signal weighs twice an amber one in the score


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator of the catalogue. ``direction`` ``"above"``: fires when the value is at or above
    the threshold; ``"below"``: at or below it. ``column`` is the snapshot column read (before any
    lookback or sign change), ``unit`` how its value and thresholds read."""

    name: str
    what: str
    why: str
    direction: Literal["above", "below"]
    column: str
    unit: str


INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("days_past_due", "Days past due on any facility (dpd).",
                  "Arrears are the most direct sign of payment difficulty; 30 DPD is the IFRS 9 SICR backstop, "
                  "90 DPD the default definition.", "above", "dpd", "days"),
    IndicatorSpec("overdue_amount", "Amount overdue, EUR m (overdue_amount).",
                  "Size of the arrears: a technical EUR 5k delay is not a EUR 2 m one.", "above", "overdue_amount",
                  "EUR m"),
    IndicatorSpec("dso_increase", "Change in days sales outstanding over a year (dso_yoy).",
                  "Receivables collected more slowly: customers pay late, or revenue is booked that is not cash.",
                  "above", "dso_yoy", "days"),
    IndicatorSpec("ebitda_margin_decline", "Fall in EBITDA margin over a year (-ebitda_margin_yoy).",
                  "Falling operating profitability erodes debt service capacity before arrears appear.",
                  "above", "ebitda_margin_yoy", "margin points"),
    IndicatorSpec("leverage_increase", "Rise in debt / assets over a year (leverage_yoy).",
                  "Rising indebtedness against a shrinking or static asset base.", "above", "leverage_yoy",
                  "ratio points"),
    IndicatorSpec("interest_cover_floor", "EBIT / interest expense (interest_cover).",
                  "Below 1x the operating profit does not pay the interest; debt-free clients have none (no signal).",
                  "below", "interest_cover", "x"),
    IndicatorSpec("covenant_breach", "Covenant breaches in the last 3 months (covenant_breaches_12m now minus "
                  "3 months earlier; the current 12-month count when the earlier month is unknown).",
                  "A breach is a contractual early-warning trigger and gives the bank the right to renegotiate.",
                  "above", "covenant_breaches_12m", "breaches"),
    IndicatorSpec("pd_multiple_origination", "PD now / PD at origination (the obligor's first scored month in "
                  "history and snapshot).",
                  "The IFRS 9 significant increase in credit risk is measured against origination.",
                  "above", "pd", "x"),
    IndicatorSpec("grade_notches_review", "Grade now minus grade review_lookback_months earlier (notches worse).",
                  "A downgrade of several notches since the last annual review calls for a fresh review.",
                  "above", "grade", "notches"),
    IndicatorSpec("grade_level", "The current grade on the master scale (grade, 1 best, 10 worst).",
                  "Supervisory early-warning lists start from the rating: a client in the watch grades is reviewed "
                  "whatever else is seen; the other indicators add what the rating does not yet show.",
                  "above", "grade", "grade"),
    IndicatorSpec("arrears_history", "Worst days past due in the last 12 months (dpd_max_12m) of a client with no "
                  "arrears now (dpd 0); NaN while arrears are current (days_past_due covers them).",
                  "Cured arrears: clients who were 30+ days late in the last year default again far more often than "
                  "their current figures suggest.", "above", "dpd_max_12m", "days"),
    IndicatorSpec("utilisation_spike", "Utilisation of the last 3 months above its 12-month mean "
                  "(utilisation_vs_12m_mean).",
                  "Clients drawing their lines up are often covering a liquidity gap.", "above",
                  "utilisation_vs_12m_mean", "utilisation points"),
    IndicatorSpec("turnover_drop", "Fall of the receipts through the client's accounts against their 12-month "
                  "habit (-credit_turnover_vs_12m, log points).",
                  "Less money coming in (lost customers, or receipts redirected to another bank).", "above",
                  "credit_turnover_vs_12m", "log points"),
    IndicatorSpec("industry_momentum", "Annualised change of the client's industry index over the last quarter "
                  "(industry_index_3m).",
                  "A falling industry drags its weaker members; a context signal, not evidence on the client.",
                  "below", "industry_index_3m", "annualised change"),
    IndicatorSpec("stale_statements", "Age of the latest usable financial statement (statement_age_days); "
                  "none on file counts as stale.",
                  "The rating rests on old figures; late filing is itself a warning sign and often a covenant.",
                  "above", "statement_age_days", "days"),
)
INDICATOR_NAMES: tuple[str, ...] = tuple(s.name for s in INDICATORS)
_SPEC = {s.name: s for s in INDICATORS}


class IndicatorParams(StrictModel):
    """Thresholds and weight of one indicator (units as in ``INDICATORS``)."""

    enabled: bool = Field(True, description="Whether the indicator is evaluated at all.")
    amber: float | None = Field(None, description="Amber threshold (inclusive); None: no amber level.")
    red: float | None = Field(None, description="Red threshold (inclusive); None: no red level.")
    weight: float = Field(1.0, ge=0, description="Weight in the alert score (an amber signal adds the weight, "
                                                 "a red one twice it).")
    sets_level: bool = Field(True, description="A signal sets the alert level on its own; if false it only adds "
                                               "to the score (context indicators).")
    source: str = Field("", description="Why this threshold: the regulation, practice or data behind it.")


def _ind(name: str, amber: float | None, red: float | None, weight: float, source: str, sets_level: bool = True):
    return Field(default=IndicatorParams(amber=amber, red=red, weight=weight, sets_level=sets_level, source=source),
                 description=f"{name}: {_SPEC[name].what}")


class EWSParams(StrictModel):
    """Thresholds, weights and level rules of the early-warning system."""

    days_past_due: IndicatorParams = _ind(
        "days_past_due", 1, 30, 3.0,
        "Any arrears amber; 30 DPD red: IFRS 9 5.5.11 rebuttable presumption of a significant increase in credit "
        "risk, well ahead of the 90 DPD default of CRR art. 178(1)(b).")
    overdue_amount: IndicatorParams = _ind(
        "overdue_amount", 1.0, 10.0, 1.0,
        "EUR 1 m overdue amber, EUR 10 m red: far above the EUR 500 absolute materiality of Reg. (EU) 2018/171 "
        "for corporates, because a key account's EUR 50k technical delay is not a warning; on the synthetic "
        "book about 2 % / 1 % of obligor-months.")
    dso_increase: IndicatorParams = _ind(
        "dso_increase", 15.0, 30.0, 1.0,
        "DSO up 15 days (half a month of sales) in a year amber, 30 red: EBA GL/2020/06 annex on monitoring "
        "lists deteriorating receivables; about the worst 3 % / under 1 % of statements on the synthetic book. "
        "Score only: the PD model reads the same statement monthly, and in-time (2015-2021) clients of a given "
        "grade with the signal defaulted no more often than those without.", sets_level=False)
    ebitda_margin_decline: IndicatorParams = _ind(
        "ebitda_margin_decline", 0.08, 0.15, 1.0,
        "Margin down 8 pp amber, 15 pp red in a year: half to all of a typical 10-20 % corporate margin "
        "(EBA GL/2020/06 sec. 8 lists falling profitability); below 8 pp the synthetic margins are mostly noise. "
        "Score only, for the reason given for dso_increase.", sets_level=False)
    leverage_increase: IndicatorParams = _ind(
        "leverage_increase", 0.08, 0.15, 1.0,
        "Debt/assets up 8 points amber, 15 red in a year: material re-leveraging (the ECB guidance on leveraged "
        "transactions treats fast debt growth as a risk indicator); about the worst 4 % of statements. Score "
        "only, for the reason given for dso_increase.", sets_level=False)
    interest_cover_floor: IndicatorParams = _ind(
        "interest_cover_floor", 1.0, 0.0, 0.5,
        "EBIT/interest at 1.0x or less amber (operating profit no longer pays the interest), 0 or less red (an "
        "operating loss); a small weight in the score only, because about 14 % of the book sits below 1x for a "
        "year at a time (annual statements) and the PD already prices it.", sets_level=False)
    covenant_breach: IndicatorParams = _ind(
        "covenant_breach", 1.0, 2.0, 2.0,
        "Any new breach in 3 months amber, repeated breaches red: a breach is a contractual early-warning event "
        "(EBA GL/2020/06 sec. 8.4).")
    pd_multiple_origination: IndicatorParams = _ind(
        "pd_multiple_origination", 3.0, 10.0, 2.5,
        "PD x3 since origination amber: the common SICR quantitative threshold (EBA/ECB practice, IFRS 9 "
        "B5.5.17), i.e. stage 2 = watch; x10 (about 3 notches) red.")
    grade_notches_review: IndicatorParams = _ind(
        "grade_notches_review", 3.0, 5.0, 1.0,
        "3 notches worse than at the last (annual) review amber, 5 red: on the 10-grade scale a notch is about "
        "x2 in PD; adds to the score only, because it mostly repeats the PD multiple.", sets_level=False)
    grade_level: IndicatorParams = _ind(
        "grade_level", 8.0, 10.0, 2.0,
        "Grade 8 or worse amber (PD above about 3.8 %, the watch grades; about 15 % of the book), grade 10 red "
        "(PD above about 15 %, the worst grade; about 2.5 %): supervisory EWS lists start from rating "
        "thresholds (ECB NPL guidance 2017; EBA GL/2020/06 sec. 8). Weight 2 so that a watch grade with one "
        "more amber signal reaches amber_score 4 and a red grade plus two amber ones red_score 8; chosen on "
        "the in-time months (2015-2021) only.")
    arrears_history: IndicatorParams = _ind(
        "arrears_history", 30.0, 60.0, 1.5,
        "30 DPD in the last 12 months and cured now amber, 60 red: the IFRS 9 backstop seen in the past year; "
        "a cured exposure is watched through a probation period (EBA/GL/2018/06 on forborne exposures: a year). "
        "Score only; in-time clients of a given grade with cured 30+ DPD arrears defaulted 1.3-1.8 times as "
        "often as those without.", sets_level=False)
    utilisation_spike: IndicatorParams = _ind(
        "utilisation_spike", 0.10, 0.20, 1.0,
        "Drawn 10 points above the 12-month habit amber, 20 red (the behaviour features count 15-point monthly "
        "rises as spikes, features.behaviour.SPIKE); context for the score.", sets_level=False)
    turnover_drop: IndicatorParams = _ind(
        "turnover_drop", 0.15, 0.30, 1.0,
        "Receipts 14 % (0.15 log points) below the 12-month habit amber, 26 % (0.30) red: a lost customer or "
        "receipts moved to another bank; context for the score.", sets_level=False)
    industry_momentum: IndicatorParams = _ind(
        "industry_momentum", -0.10, -0.20, 0.5,
        "Industry index falling 10 % a year (annualised over the quarter) amber, 20 % red (recession-size; at "
        "-5 % it fired on 43 % of the book, 70 % in 2022-2024); context with a small weight, never a level: it "
        "says nothing about the client itself and the PD model already reads the industry index.",
        sets_level=False)
    stale_statements: IndicatorParams = _ind(
        "stale_statements", 540.0, 730.0, 0.5,
        "Statement older than 18 months amber (a year-end plus the 6-month filing deadline passed), 24 months "
        "red: the rating rests on figures the bank should have replaced. A small weight in the score only: on "
        "the synthetic book a missing statement occurs only at the start of the data (2015-2016), where those "
        "clients defaulted less often than their grade says.", sets_level=False)

    no_statement_severity: Literal["none", "amber", "red"] = Field(
        "amber", description="Severity of stale_statements when no statement is on file at all.")
    low_risk_pd: float = Field(
        0.002, ge=0, lt=1, description="PD-multiple and grade-notch signals are not raised while the PD now is "
                                       "below this, and the origination PD is floored at it: IFRS 9 5.5.10 "
                                       "low-credit-risk exemption (about BBB-); tripling 0.03 % is no "
                                       "deterioration a desk acts on.")
    review_lookback_months: int = Field(12, ge=1, description="Grade notches are counted against this many months "
                                                              "earlier (the annual review).")
    breach_lookback_months: int = Field(3, ge=1, description="Covenant breaches newer than this many months fire.")
    amber_score: float = Field(4.0, gt=0, description="Score (weights of amber signals, twice for red) from which "
                                                      "a row is at least amber: two ordinary amber signals, or a "
                                                      "watch grade and one more; set on the in-time months "
                                                      "(2015-2021), never on the out-of-time ones.")
    red_score: float = Field(8.0, gt=0, description="Score from which a row is red, even with no red signal: "
                                                    "twice amber_score, e.g. a watch grade, arrears and a "
                                                    "covenant breach together; set on the in-time months only.")

    @model_validator(mode="after")
    def _check(self) -> EWSParams:
        if self.red_score < self.amber_score:
            raise ValueError(f"red_score ({self.red_score}) must be >= amber_score ({self.amber_score})")
        for name in INDICATOR_NAMES:
            p: IndicatorParams = getattr(self, name)
            if p.amber is None or p.red is None:
                continue
            worse = p.red >= p.amber if _SPEC[name].direction == "above" else p.red <= p.amber
            if not worse:
                raise ValueError(f"{name}: the red threshold ({p.red}) must be beyond the amber one ({p.amber}) "
                                 f"in the indicator's direction ({_SPEC[name].direction})")
        return self

    def indicator(self, name: str) -> IndicatorParams:
        return getattr(self, name)


# --------------------------------------------------------------------------- catalogue table


def indicator_table(params: EWSParams) -> pd.DataFrame:
    """The catalogue as the report shows it: what, why, direction, thresholds, weight, source."""
    rows = []
    for spec in INDICATORS:
        p = params.indicator(spec.name)
        rows.append({"indicator": spec.name, "what": spec.what, "why": spec.why,
                     "fires when": f"{spec.direction} threshold", "unit": spec.unit,
                     "amber": "" if p.amber is None else f"{p.amber:g}", "red": "" if p.red is None else f"{p.red:g}",
                     "weight": f"{p.weight:g}", "sets level": fmt.yes_no(p.sets_level),
                     "enabled": fmt.yes_no(p.enabled), "threshold source": p.source})
    return pd.DataFrame(rows).set_index("indicator")


# --------------------------------------------------------------------------- computation

_KEYS = ("obligor_id", "obs_date")
_LOOKBACK_COLUMNS = ("pd", "grade", "covenant_breaches_12m")


def _month_index(dates: pd.Series) -> np.ndarray:
    d = pd.DatetimeIndex(dates)
    return (d.year.to_numpy(np.int64) * 12 + d.month.to_numpy(np.int64) - 1)


def _check_frame(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{name} lacks column(s) {', '.join(missing)} needed by the early-warning indicators")
    dup = frame.duplicated(list(_KEYS))
    if dup.any():
        first = frame.loc[dup, list(_KEYS)].head(3).to_dict("records")
        raise ValueError(f"{name} has {int(dup.sum())} duplicate (obligor_id, obs_date) rows, e.g. {first}")


def _lookbacks(snapshot: pd.DataFrame, history: pd.DataFrame, params: EWSParams) -> dict[str, np.ndarray]:
    """PD at origination, grade ``review_lookback_months`` earlier and breaches ``breach_lookback_months``
    earlier for each snapshot row, from history and snapshot as one dense obligor x month array."""
    cols = [*_KEYS, *_LOOKBACK_COLUMNS]
    parts = [history[cols]] if len(history) else []
    both = pd.concat([*parts, snapshot[cols]], ignore_index=True)
    # A month in both frames: the snapshot's row is the one being evaluated, so it wins.
    both = both.drop_duplicates(list(_KEYS), keep="last")
    codes, ids = pd.factorize(both["obligor_id"])
    m = _month_index(both["obs_date"])
    m0 = int(m.min())
    n_m = int(m.max()) - m0 + 1
    dense = {}
    for c in _LOOKBACK_COLUMNS:
        a = np.full((len(ids), n_m), np.nan)
        a[codes, m - m0] = both[c].to_numpy(np.float64)
        dense[c] = a
    s_code = pd.Index(ids).get_indexer(snapshot["obligor_id"])
    s_m = _month_index(snapshot["obs_date"]) - m0

    def earlier(c: str, k: int) -> np.ndarray:
        ok = s_m - k >= 0
        out = np.full(len(snapshot), np.nan)
        out[ok] = dense[c][s_code[ok], s_m[ok] - k]
        return out

    scored = ~np.isnan(dense["pd"])
    first = np.argmax(scored, axis=1)  # the first scored month of each obligor (origination, documented)
    pd_orig = np.where(scored.any(axis=1), dense["pd"][np.arange(len(ids)), first], np.nan)[s_code]
    return {"pd_origination": pd_orig, "grade_review": earlier("grade", params.review_lookback_months),
            "breaches_earlier": earlier("covenant_breaches_12m", params.breach_lookback_months)}


def _values(snapshot: pd.DataFrame, look: dict[str, np.ndarray], params: EWSParams) -> dict[str, np.ndarray]:
    def col(c: str) -> np.ndarray:
        return snapshot[c].to_numpy(np.float64)

    pd_now, grade = col("pd"), col("grade")
    low_risk = pd_now < params.low_risk_pd
    with np.errstate(divide="ignore", invalid="ignore"):
        # Against at least the low-risk PD: tripling 0.01 % says nothing; from there upwards it does.
        multiple = pd_now / np.maximum(look["pd_origination"], params.low_risk_pd)
    breaches = col("covenant_breaches_12m")
    new_breaches = np.where(np.isnan(look["breaches_earlier"]), breaches, breaches - look["breaches_earlier"])
    return {
        "days_past_due": col("dpd"),
        "overdue_amount": col("overdue_amount"),
        "dso_increase": col("dso_yoy"),
        "ebitda_margin_decline": -col("ebitda_margin_yoy"),
        "leverage_increase": col("leverage_yoy"),
        "interest_cover_floor": col("interest_cover"),
        "covenant_breach": new_breaches,
        "pd_multiple_origination": np.where(low_risk, np.nan, multiple),
        "grade_notches_review": np.where(low_risk, np.nan, grade - look["grade_review"]),
        "grade_level": grade,
        "arrears_history": np.where(col("dpd") > 0, np.nan, col("dpd_max_12m")),
        "utilisation_spike": col("utilisation_vs_12m_mean"),
        "turnover_drop": -col("credit_turnover_vs_12m"),
        "industry_momentum": col("industry_index_3m"),
        "stale_statements": col("statement_age_days"),
    }


def _reason_texts(name: str, v: np.ndarray, t: np.ndarray, sev: np.ndarray) -> list[str]:
    """Words for each fired signal of one indicator (only signal rows get here: few, not 600k)."""
    def pct(x):
        return f"{100 * x:.1f}"

    look = {
        "days_past_due": lambda v, t, s: f"{v:.0f} days past due ({s} from {t:.0f})",
        "overdue_amount": lambda v, t, s: f"EUR {v:.2f} m overdue ({s} from EUR {t:.2f} m)",
        "dso_increase": lambda v, t, s: f"DSO up {v:.0f} days in a year ({s} from {t:.0f})",
        "ebitda_margin_decline": lambda v, t, s: f"EBITDA margin down {pct(v)} pp in a year ({s} from {pct(t)} pp)",
        "leverage_increase": lambda v, t, s: f"leverage up {v:.2f} in a year ({s} from {t:.2f})",
        "interest_cover_floor": lambda v, t, s: f"interest cover {v:.2f}x ({s} at {t:.2f}x or less)",
        "covenant_breach": lambda v, t, s: f"{v:.0f} new covenant breach(es) in 3 months ({s} from {t:.0f})",
        "pd_multiple_origination": lambda v, t, s: f"PD {v:.1f}x its origination level ({s} from {t:.1f}x)",
        "grade_notches_review": lambda v, t, s: f"{v:.0f} notches worse than at the last review ({s} from {t:.0f})",
        "grade_level": lambda v, t, s: f"grade {v:.0f} ({s} at grade {t:.0f} or worse)",
        "arrears_history": lambda v, t, s: f"{v:.0f} days past due in the last 12 months, cured now ({s} from {t:.0f})",
        "utilisation_spike": lambda v, t, s: f"utilisation {pct(v)} pp above its 12-month mean ({s} from {pct(t)} pp)",
        "turnover_drop": lambda v, t, s: (f"account turnover {100 * (1 - np.exp(-v)):.0f} % below its 12-month habit "
                                          f"({s} from {100 * (1 - np.exp(-t)):.0f} %)"),
        "industry_momentum": lambda v, t, s: (f"industry index falling, {pct(v)} % a year over the quarter "
                                              f"({s} at {pct(t)} % or less)"),
        "stale_statements": lambda v, t, s: (f"latest statement {v:.0f} days old ({s} from {t:.0f})"
                                             if np.isfinite(v) else "no financial statement on file"),
    }[name]
    return [look(a, b, c) for a, b, c in zip(v.tolist(), t.tolist(), sev.tolist())]


def _crossed(v: np.ndarray, threshold: float | None, direction: str) -> np.ndarray:
    if threshold is None:
        return np.zeros(len(v), bool)
    with np.errstate(invalid="ignore"):  # NaN (not known) never fires
        return v >= threshold if direction == "above" else v <= threshold


def _signals(values: dict[str, np.ndarray], params: EWSParams) -> pd.DataFrame:
    """One row per fired (snapshot row, indicator): its worst severity and the threshold crossed."""
    parts = []
    for order, spec in enumerate(INDICATORS):
        p = params.indicator(spec.name)
        if not p.enabled:
            continue
        v = values[spec.name]
        red, amber = _crossed(v, p.red, spec.direction), _crossed(v, p.amber, spec.direction)
        amber &= ~red
        if spec.name == "stale_statements" and params.no_statement_severity != "none":
            missing = np.isnan(v)
            (red if params.no_statement_severity == "red" else amber)[missing] = True
        rows = np.flatnonzero(red | amber)
        if not len(rows):
            continue
        is_red = red[rows]
        threshold = np.where(is_red, np.nan if p.red is None else p.red, np.nan if p.amber is None else p.amber)
        parts.append(pd.DataFrame({"row": rows, "indicator": spec.name, "order": order, "value": v[rows],
                                   "threshold": threshold, "severity": np.where(is_red, "red", "amber"),
                                   "weight": p.weight, "sets_level": p.sets_level}))
    if not parts:
        return pd.DataFrame({"row": np.array([], np.int64), "indicator": pd.Series([], dtype=object),
                             "order": np.array([], np.int64), "value": np.array([], float),
                             "threshold": np.array([], float), "severity": pd.Series([], dtype=object),
                             "weight": np.array([], float), "sets_level": np.array([], bool)})
    return pd.concat(parts, ignore_index=True)


@dataclass
class EWSResult:
    """Signals (one row per fired indicator and snapshot row) and alerts (one row per snapshot row)."""

    signals: pd.DataFrame
    alerts: pd.DataFrame
    params: EWSParams

    def table(self, level: tuple[str, ...] | str = ("red", "amber")) -> pd.DataFrame:
        """The alerts of the given level(s), worst first, formatted for a reader."""
        levels = (level,) if isinstance(level, str) else tuple(level)
        unknown = [x for x in levels if x not in LEVELS]
        if unknown:
            raise ValueError(f"unknown alert level(s) {unknown}; levels are {LEVELS}")
        a = self.alerts[self.alerts["level"].isin(levels)]
        rank = a["level"].map({x: i for i, x in enumerate(reversed(LEVELS))})
        a = a.assign(_rank=rank).sort_values(["obs_date", "_rank", "score", "obligor_id"],
                                             ascending=[False, True, False, True])
        return fmt.display_frame(a.reset_index(drop=True), {
            "obs_date": ("as of", fmt.date), "obligor_id": ("obligor", fmt.text), "level": ("level", fmt.text),
            "score": ("score", fmt.number), "n_signals": ("signals", fmt.integer), "grade": ("grade", fmt.integer),
            "pd": ("PD", fmt.pd_percent), "dpd": ("DPD", fmt.integer), "reasons": ("reasons", fmt.text)})

    def counts(self) -> pd.DataFrame:
        """Rows per month end and level (columns green, amber, red)."""
        c = pd.crosstab(self.alerts["obs_date"], self.alerts["level"])
        return c.reindex(columns=list(LEVELS), fill_value=0).rename_axis(columns=None)


def early_warnings(snapshot: pd.DataFrame, history: pd.DataFrame | None, params: EWSParams) -> EWSResult:
    """Signals and alerts for every row of ``snapshot`` (scored; one or many month ends).

    ``history``: scored snapshots of earlier month ends (may be empty or None), read only for the
    lookbacks. The result covers the snapshot's rows, in its order.
    """
    needed = sorted({*_KEYS, "pd", "grade", "dpd"} | {_SPEC[n].column for n in INDICATOR_NAMES
                                                      if params.indicator(n).enabled}
                    | {"covenant_breaches_12m"})
    _check_frame(snapshot, "snapshot", needed)
    history = history if history is not None else snapshot.iloc[:0]
    if len(history):
        _check_frame(history, "history", [*_KEYS, *_LOOKBACK_COLUMNS])
    snapshot = snapshot.reset_index(drop=True)
    n = len(snapshot)
    if n == 0:
        raise ValueError("snapshot has no rows: nothing to evaluate")
    look = _lookbacks(snapshot, history, params)
    values = _values(snapshot, look, params)
    sig = _signals(values, params)

    factor = sig["severity"].map(_SEVERITY_FACTOR).to_numpy(float)
    score = np.bincount(sig["row"], weights=sig["weight"].to_numpy() * factor, minlength=n)
    n_signals = np.bincount(sig["row"], minlength=n)
    decisive = sig["sets_level"].to_numpy(bool)
    any_red = np.bincount(sig["row"], weights=(decisive & (sig["severity"] == "red").to_numpy()), minlength=n) > 0
    any_amber = np.bincount(sig["row"], weights=decisive.astype(float), minlength=n) > 0
    red = any_red | (score >= params.red_score)
    amber = ~red & (any_amber | (score >= params.amber_score))
    level = np.where(red, "red", np.where(amber, "amber", "green"))

    # Words only for signal rows, then one join per row: worst first (red, heavier, catalogue order).
    reasons = np.full(n, "", dtype=object)
    if len(sig):
        texts = np.empty(len(sig), dtype=object)
        for name, idx in sig.groupby("indicator", sort=False).indices.items():
            part = sig.iloc[idx]
            texts[idx] = _reason_texts(name, part["value"].to_numpy(), part["threshold"].to_numpy(),
                                       part["severity"].to_numpy())
        row = sig["row"].to_numpy()
        is_red = (sig["severity"] == "red").to_numpy()
        order = np.lexsort((sig["order"].to_numpy(), -sig["weight"].to_numpy(), ~is_red, row))
        row, words = row[order], texts[order].tolist()
        starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        ends = np.r_[starts[1:], len(row)]
        # A plain join per row over a sorted list: a pandas groupby-join is 50x slower at 300k rows.
        reasons[row[starts]] = ["; ".join(words[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]

    keys = snapshot[list(_KEYS)]
    alerts = pd.DataFrame({"obligor_id": keys["obligor_id"].to_numpy(), "obs_date": keys["obs_date"].to_numpy(),
                           "level": level, "score": score, "n_signals": n_signals.astype(np.int64),
                           "reasons": reasons, "dpd": snapshot["dpd"].to_numpy(np.float64),
                           "pd": snapshot["pd"].to_numpy(np.float64), "grade": snapshot["grade"].to_numpy()})
    sig = sig.sort_values(["row", "order"], kind="stable")
    signals = pd.DataFrame({"obligor_id": keys["obligor_id"].to_numpy()[sig["row"].to_numpy()],
                            "obs_date": keys["obs_date"].to_numpy()[sig["row"].to_numpy()],
                            "indicator": sig["indicator"].to_numpy(), "value": sig["value"].to_numpy(),
                            "threshold": sig["threshold"].to_numpy(), "severity": sig["severity"].to_numpy(),
                            "weight": sig["weight"].to_numpy()})
    return EWSResult(signals=signals, alerts=alerts, params=params)


# --------------------------------------------------------------------------- plots

_COLOURS = {"green": "#4c9a2a", "amber": "#f0a202", "red": "#c0392b"}


def plot_alert_counts(result: EWSResult, levels: tuple[str, ...] = ("red", "amber")) -> Figure:
    """Obligors per alert level and month end, stacked (red at the bottom)."""
    counts = result.counts()
    fig, ax = plt.subplots(figsize=(8, 3.8))
    bottom = np.zeros(len(counts))
    x = counts.index
    for lvl in levels:
        ax.fill_between(x, bottom, bottom + counts[lvl].to_numpy(), step="mid", color=_COLOURS[lvl], label=lvl,
                        alpha=0.85)
        bottom = bottom + counts[lvl].to_numpy()
    ax.set_ylabel("obligors")
    ax.set_xlabel("month end")
    ax.set_title("Early-warning alerts per month")
    ax.legend(loc="upper left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_level_by(result: EWSResult, by: pd.Series, title: str | None = None) -> Figure:
    """Share of rows per alert level within each value of ``by`` (aligned with ``result.alerts``' rows,
    e.g. the snapshot's ``industry`` or ``grade``), as stacked horizontal bars."""
    if len(by) != len(result.alerts):
        raise ValueError(f"by has {len(by)} values, the alerts {len(result.alerts)} rows")
    share = pd.crosstab(np.asarray(by), result.alerts["level"].to_numpy(), normalize="index")
    share = share.reindex(columns=list(LEVELS), fill_value=0.0)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(share) + 1.5))
    left = np.zeros(len(share))
    for lvl in LEVELS:
        ax.barh(share.index.astype(str), 100 * share[lvl], left=left, color=_COLOURS[lvl], label=lvl)
        left += 100 * share[lvl].to_numpy()
    ax.set_xlabel("share of obligor-months (%)")
    ax.set_title(title or f"Alert level by {by.name or 'group'}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig
