"""Client tiering A / B / C: what each key account is worth to the bank, how risky it is, which tier
that puts it in by the desk's rules, and the service strategy of each tier.

**Value** of an obligor at one month end, from its live facilities and its scored snapshot row:

- exposure: EAD (``accounts.exposure.obligor_exposure``: drawn, or the limit of an undrawn line);
- revenue: booked revenue a year, drawn x spread + undrawn x commitment fee (EUR m);
- RAROC at the *booked* spreads (``pricing.portfolio_raroc`` with ``grid=None``, capital-weighted over
  the obligor's facilities) less the hurdle rate (``pricing.params.EconomicsParams.hurdle_rate``);
- relationship length (``relationship_years`` of the snapshot);
- growth: the client's revenue growth (``revenue_growth`` of its latest statement) and the growth of
  the bank's exposure to it over a year (``exposure_growth``).

Each component becomes a percentile rank within the book (0-1, 1 = best; a missing component, e.g.
RAROC of a fully cash-secured obligor or growth without a statement, takes the neutral 0.5) and the
value score is their weighted mean (weights in params). ``value_percentile`` ranks the value score
itself: 0.93 means the obligor is worth more than 93 % of the book.

**Risk** is the grade of the scored snapshot (1 best .. 10).

**Rules** (``TieringParams.rules``) are an ordered list, first match wins; each has a name, a
readable description and conditions on the columns above, all or any of which must hold (a missing
value never satisfies a condition). The last rule has no condition and places everyone left. The
defaults: A "top_value" when the value score is in the top 10 % of the book and the grade is 7 or
better (PD below about 3.8 %); C "high_risk_or_low_value" for grade 9 or worse (PD above about 7.5 %)
or value in the bottom 40 %; B for the rest. Every row says which rule placed it and why in words.

Tiering never reads the calibrated pricing grid: the grid prices by tier, so a tier that depended on
grid prices would be a loop. ``assign_tiers`` has no grid argument and prices at booked spreads only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, model_validator

from .. import format as fmt
from ..params import StrictModel
from ..pricing.grid import portfolio_raroc
from ..pricing.params import PricingParams
from .exposure import ExposureParams, obligor_exposure

__all__ = [
    "VALUE_COMPONENTS",
    "RULE_FIELDS",
    "SNAPSHOT_COLUMNS",
    "TierCondition",
    "TierRule",
    "ServiceStrategy",
    "TieringParams",
    "assign_tiers",
    "service_strategy_table",
    "rules_table",
    "tiers_table",
    "tier_summary",
    "tier_migration",
    "plot_exposure_by_tier",
]

#: Value component -> the column of ``assign_tiers``' output it ranks (higher is more valuable).
VALUE_COMPONENTS: dict[str, str] = {
    "exposure": "exposure",
    "revenue": "revenue",
    "raroc": "raroc_vs_hurdle",
    "relationship": "relationship_years",
    "client_growth": "revenue_growth",
    "exposure_growth": "exposure_growth",
}

#: Columns a tier rule may test.
RuleField = Literal["value_score", "value_percentile", "grade", "pd", "exposure", "revenue", "raroc",
                    "raroc_vs_hurdle", "relationship_years", "revenue_growth", "exposure_growth"]
RULE_FIELDS: tuple[str, ...] = RuleField.__args__  # type: ignore[attr-defined]

#: Columns ``assign_tiers`` needs in the scored snapshot.
SNAPSHOT_COLUMNS = ("obligor_id", "obs_date", "industry", "relationship_years", "revenue_growth", "pd", "grade")

_OPS: dict[str, Callable[[pd.Series, float], pd.Series]] = {
    "<": lambda s, t: s < t, "<=": lambda s, t: s <= t, ">": lambda s, t: s > t, ">=": lambda s, t: s >= t,
    "==": lambda s, t: s == t, "!=": lambda s, t: s != t,
}


def _fixed(digits: int) -> Callable[[object], str]:
    def show(x) -> str:
        v = fmt.finite(x)
        return "n/a" if v is None else f"{v:,.{digits}f}"
    return show


_two = _fixed(2)


def _pct(x) -> str:
    return fmt.percent(x, 1)


def _signed_pct(x) -> str:
    shown = fmt.percent(x, 1)
    return shown if shown.startswith("-") or shown == "n/a" else "+" + shown


# How a tested column reads in a reason: its label and how its value and threshold are written.
_FIELD_WORDS: dict[str, tuple[str, Callable]] = {
    "value_score": ("value score", _two),
    "value_percentile": ("value percentile", _two),
    "grade": ("grade", fmt.integer),
    "pd": ("PD", fmt.pd_percent),
    "exposure": ("exposure EUR m", fmt.eur_m),
    "revenue": ("revenue EUR m", _two),
    "raroc": ("RAROC", _pct),
    "raroc_vs_hurdle": ("RAROC vs hurdle", _signed_pct),
    "relationship_years": ("relationship years", _fixed(1)),
    "revenue_growth": ("revenue growth", _signed_pct),
    "exposure_growth": ("exposure growth", _signed_pct),
}


class TierCondition(StrictModel):
    """One test of a tier rule: ``field op threshold``, e.g. grade <= 7."""

    field: RuleField = Field(..., description="Column of the tier table tested")
    op: Literal["<", "<=", ">", ">=", "==", "!="] = Field(..., description="Comparison")
    threshold: float = Field(..., description="Value compared against")

    def words(self, values: pd.Series) -> pd.Series:
        """``"grade 4 <= 7"`` for each value."""
        label, show = _FIELD_WORDS[self.field]
        return f"{label} " + values.map(show) + f" {self.op} {show(self.threshold)}"


class TierRule(StrictModel):
    """A named rule placing obligors in a tier when all (or any) of its conditions hold."""

    name: str = Field(..., min_length=1, description="Short name shown in the tier table (column rule)")
    tier: str = Field(..., min_length=1, description="Tier the rule places an obligor in")
    description: str = Field(..., min_length=1, description="What the rule means, for the reader")
    match: Literal["all", "any"] = Field("all", description="all: every condition must hold; any: one suffices")
    conditions: list[TierCondition] = Field(default_factory=list,
                                            description="Tests; none = catch-all (only as the last rule)")


class ServiceStrategy(StrictModel):
    """How the desk serves a tier."""

    review_frequency_months: int = Field(..., ge=1, le=36, description="Months between relationship reviews")
    rm_seniority: Literal["senior director", "director", "manager"] = Field(
        ..., description="Seniority of the relationship manager owning the client")
    pricing_latitude_bps: float = Field(..., ge=0, le=200, description="How far the relationship manager may price "
                                        "below the grid's recommendation without escalation (never below the "
                                        "hurdle floor)")
    description: str = Field(..., min_length=1, description="The strategy in words")


def _default_weights() -> dict[str, float]:
    # Exposure and revenue carry most of the value (what the client brings today); RAROC says whether it
    # earns its capital; relationship and growth are the potential (DOMAIN.md, "Tiering").
    return {"exposure": 0.30, "revenue": 0.30, "raroc": 0.20, "relationship": 0.10,
            "client_growth": 0.05, "exposure_growth": 0.05}


def _default_rules() -> list[TierRule]:
    return [
        TierRule(name="top_value", tier="A",
                 description="value score in the top 10 % of the book and grade 7 or better (PD below ~3.8 %)",
                 match="all", conditions=[TierCondition(field="value_percentile", op=">", threshold=0.90),
                                          TierCondition(field="grade", op="<=", threshold=7)]),
        TierRule(name="high_risk_or_low_value", tier="C",
                 description="grade 9 or worse (PD above ~7.5 %) or value score in the bottom 40 % of the book",
                 match="any", conditions=[TierCondition(field="grade", op=">=", threshold=9),
                                          TierCondition(field="value_percentile", op="<=", threshold=0.40)]),
        TierRule(name="core", tier="B", description="every other client: medium value, acceptable risk"),
    ]


def _default_strategies() -> dict[str, ServiceStrategy]:
    # Latitude follows the grid's relationship discounts (GridParams.tier_discount_bps A 15, B 5, C 0) with
    # room above them; credit reviews of high-risk names are driven by the watchlist, not by the tier.
    return {
        "A": ServiceStrategy(review_frequency_months=3, rm_seniority="senior director", pricing_latitude_bps=25.0,
                             description="quarterly relationship review, senior coverage, tailored structures "
                                         "and pricing latitude to win the client's wallet"),
        "B": ServiceStrategy(review_frequency_months=6, rm_seniority="director", pricing_latitude_bps=10.0,
                             description="semi-annual review, grow share of wallet where RAROC clears the hurdle"),
        "C": ServiceStrategy(review_frequency_months=12, rm_seniority="manager", pricing_latitude_bps=0.0,
                             description="annual review, standard products at grid prices, reduce exposure "
                                         "where risk is high"),
    }


class TieringParams(StrictModel):
    """Value weights, the ordered tier rules and each tier's service strategy."""

    value_weights: dict[str, float] = Field(
        default_factory=_default_weights,
        description=f"Weight of each value component's percentile rank in the value score (normalised to sum "
                    f"to 1); components: {', '.join(VALUE_COMPONENTS)}")
    rules: list[TierRule] = Field(default_factory=_default_rules,
                                  description="Ordered tier rules, first match wins; the last has no condition")
    strategies: dict[str, ServiceStrategy] = Field(default_factory=_default_strategies,
                                                   description="Service strategy per tier")
    exposure: ExposureParams = Field(default_factory=ExposureParams,
                                     description="How exposure and booked revenue are measured")

    @model_validator(mode="after")
    def _consistent(self) -> "TieringParams":
        unknown = sorted(set(self.value_weights) - set(VALUE_COMPONENTS))
        if unknown:
            raise ValueError(f"value_weights has unknown component(s) {unknown} (known: {', '.join(VALUE_COMPONENTS)})")
        negative = sorted(k for k, w in self.value_weights.items() if w < 0)
        if negative:
            raise ValueError(f"value_weights must be >= 0; negative for {negative}")
        if sum(self.value_weights.values()) <= 0:
            raise ValueError("value_weights must give some component a positive weight")
        if not self.rules:
            raise ValueError("rules needs at least one rule (a catch-all last)")
        names = [r.name for r in self.rules]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"rule names must be unique; repeated: {dup}")
        catch_all = [r.name for r in self.rules[:-1] if not r.conditions]
        if catch_all:
            raise ValueError(f"rule(s) {catch_all} have no condition and would place everyone: only the last rule "
                             "may be a catch-all")
        if self.rules[-1].conditions:
            raise ValueError(f"the last rule ({self.rules[-1].name!r}) must have no condition, so that every "
                             "obligor is placed by a named rule")
        no_strategy = sorted({r.tier for r in self.rules} - set(self.strategies))
        if no_strategy:
            raise ValueError(f"tier(s) {no_strategy} of the rules have no service strategy "
                             f"(strategies: {', '.join(sorted(self.strategies))})")
        return self

    @property
    def tiers(self) -> list[str]:
        """The tiers of the rules, sorted, then any tier that has a strategy but no rule."""
        ruled = sorted({r.tier for r in self.rules})
        return ruled + sorted(set(self.strategies) - set(ruled))


def _check_snapshot(snapshot: pd.DataFrame) -> pd.Timestamp:
    missing = [c for c in SNAPSHOT_COLUMNS if c not in snapshot.columns]
    if missing:
        raise KeyError(f"scored snapshot lacks column(s) {', '.join(missing)} (needed: {', '.join(SNAPSHOT_COLUMNS)})")
    dates = pd.to_datetime(snapshot["obs_date"]).unique()
    if len(dates) != 1:
        raise ValueError(f"assign_tiers needs a snapshot of one month end; got {len(dates)} obs_date values "
                         f"({', '.join(str(pd.Timestamp(d).date()) for d in sorted(dates)[:5])})")
    dup = snapshot.loc[snapshot["obligor_id"].duplicated(), "obligor_id"]
    if len(dup):
        raise ValueError(f"scored snapshot has more than one row for obligor(s) {sorted(set(dup))[:5]}")
    bad = snapshot["grade"].isna() | snapshot["pd"].isna()
    if bad.any():
        raise ValueError(f"scored snapshot has no grade or PD for obligor(s) "
                         f"{snapshot.loc[bad, 'obligor_id'].tolist()[:5]}")
    return pd.Timestamp(dates[0])


def _obligor_raroc(facilities: pd.DataFrame, snapshot: pd.DataFrame, pricing: PricingParams,
                   as_of: pd.Timestamp) -> pd.DataFrame:
    """Capital-weighted RAROC at booked spreads and capital per obligor (no grid: no loop)."""
    # portfolio_raroc wants size bands only for the size-band tier proxy of the grid look-up; without a
    # grid the tier is unused, so a frame of the snapshot's industries suffices.
    obligors = snapshot[["obligor_id", "industry"]].assign(size_band=None)
    per = portfolio_raroc(facilities, obligors, snapshot[["obligor_id", "grade", "pd"]], None, pricing, as_of)
    ok = (per["capital"] > 0) & np.isfinite(per["raroc_today"])
    w = per.assign(capital_ok=per["capital"].where(ok, 0.0), weighted=(per["raroc_today"] * per["capital"]).where(ok, 0.0))
    g = w.groupby("obligor_id")
    out = pd.DataFrame({"capital": g["capital"].sum(), "weighted": g["weighted"].sum(), "capital_ok": g["capital_ok"].sum()})
    out["raroc"] = out["weighted"] / out["capital_ok"].where(out["capital_ok"] > 0)
    return out[["capital", "raroc"]]


def assign_tiers(snapshot: pd.DataFrame, facilities: pd.DataFrame, params: TieringParams | None = None,
                 pricing: PricingParams | None = None) -> pd.DataFrame:
    """Tier of every obligor of a scored snapshot at one month end, the rule that placed it and why.

    ``snapshot``: the scored snapshot (``SNAPSHOT_COLUMNS``: obligor_id, obs_date (one month end),
    industry, relationship_years, revenue_growth, pd, grade). ``facilities``: the facilities table
    (live ones at obs_date count). ``pricing``: for the RAROC at booked spreads and the hurdle.

    One row per snapshot obligor, sorted by obligor_id: obligor_id, obs_date, industry, tier, rule,
    reason, value_score, value_rank (1 = most valuable), value_percentile, top_share (value_rank / n),
    exposure (EAD, EUR m), revenue (EUR m a year), capital (IRB, EUR m), raroc, raroc_vs_hurdle,
    relationship_years, revenue_growth, exposure_growth, grade, pd, and the tier's service strategy:
    review_frequency_months, rm_seniority, pricing_latitude_bps, service. An obligor without a live
    facility has exposure and revenue 0 (and ranks low on them).
    """
    params = params or TieringParams()
    pricing = pricing or PricingParams()
    as_of = _check_snapshot(snapshot)
    snap = snapshot.sort_values("obligor_id").reset_index(drop=True)
    exposure = obligor_exposure(facilities, as_of, params.exposure).set_index("obligor_id")
    econ = _obligor_raroc(facilities, snap, pricing, as_of)
    ids = snap["obligor_id"]
    df = pd.DataFrame({
        "obligor_id": ids.to_numpy(),
        "obs_date": as_of,
        "industry": snap["industry"].to_numpy(),
        "exposure": ids.map(exposure["ead"]).fillna(0.0).to_numpy(),
        "revenue": ids.map(exposure["revenue"]).fillna(0.0).to_numpy(),
        "capital": ids.map(econ["capital"]).fillna(0.0).to_numpy(),
        "raroc": ids.map(econ["raroc"]).to_numpy(dtype=float),
        "relationship_years": snap["relationship_years"].to_numpy(dtype=float),
        "revenue_growth": snap["revenue_growth"].to_numpy(dtype=float),
        "exposure_growth": ids.map(exposure["exposure_growth"]).to_numpy(dtype=float),
        "grade": snap["grade"].astype(int).to_numpy(),
        "pd": snap["pd"].to_numpy(dtype=float),
    })
    df["raroc_vs_hurdle"] = df["raroc"] - pricing.economics.hurdle_rate
    n = len(df)
    total = sum(params.value_weights.values())
    score = np.zeros(n)
    for component, weight in params.value_weights.items():
        ranks = df[VALUE_COMPONENTS[component]].replace([np.inf, -np.inf], np.nan).rank(pct=True)
        score += weight / total * ranks.fillna(0.5).to_numpy()
    df["value_score"] = score
    df["value_rank"] = df["value_score"].rank(ascending=False, method="min").astype(int) if n else 0
    df["value_percentile"] = df["value_score"].rank(pct=True, method="max")
    df["top_share"] = df["value_rank"] / max(n, 1)
    _apply_rules(df, params.rules)
    strategy = pd.DataFrame({t: s.model_dump() for t, s in params.strategies.items()}).T
    for column, name in (("review_frequency_months", "review_frequency_months"), ("rm_seniority", "rm_seniority"),
                         ("pricing_latitude_bps", "pricing_latitude_bps"), ("description", "service")):
        df[name] = df["tier"].map(strategy[column])
    df["review_frequency_months"] = df["review_frequency_months"].astype(int)
    df["pricing_latitude_bps"] = df["pricing_latitude_bps"].astype(float)
    return df[["obligor_id", "obs_date", "industry", "tier", "rule", "reason", "value_score", "value_rank",
               "value_percentile", "top_share", "exposure", "revenue", "capital", "raroc", "raroc_vs_hurdle",
               "relationship_years", "revenue_growth", "exposure_growth", "grade", "pd", "review_frequency_months",
               "rm_seniority", "pricing_latitude_bps", "service"]]


def _apply_rules(df: pd.DataFrame, rules: Sequence[TierRule]) -> None:
    """Adds tier, rule and reason in place: the first rule that matches each row, and in words the
    conditions that held, then the value score, the row's place in the book and its grade."""
    n = len(df)
    placed = np.zeros(n, dtype=bool)
    tier = np.empty(n, dtype=object)
    rule = np.empty(n, dtype=object)
    why = pd.Series("", index=df.index, dtype=object)
    for r in rules:
        if r.conditions:
            held = [_OPS[c.op](df[c.field], c.threshold).fillna(False).to_numpy(dtype=bool) for c in r.conditions]
            stack = np.vstack(held)
            match = stack.all(axis=0) if r.match == "all" else stack.any(axis=0)
        else:
            held, match = [], np.ones(n, dtype=bool)
        new = match & ~placed
        if new.any():
            rows = df.index[new]
            if held:
                joiner = " and " if r.match == "all" else " or "
                parts = pd.Series("", index=rows, dtype=object)
                for c, h in zip(r.conditions, held):
                    words = c.words(df.loc[rows, c.field]).where(h[new], "")
                    sep = np.where((parts != "") & (words != ""), joiner, "")
                    parts = parts + sep + words
                why.loc[rows] = f"rule {r.name} (" + parts + ")"
            else:
                why.loc[rows] = f"rule {r.name} (no earlier rule applies)"
            tier[new], rule[new] = r.tier, r.name
        placed |= new
    top = np.maximum(np.ceil(100 * df["top_share"].to_numpy()), 1).astype(int).astype(str)
    context = (": value score " + df["value_score"].map(_two) + " (top " + pd.Series(top, index=df.index) + " %)"
               + ", grade " + df["grade"].astype(str))
    df["tier"], df["rule"], df["reason"] = tier, rule, why + context


def service_strategy_table(params: TieringParams | None = None) -> pd.DataFrame:
    """The service strategy of each tier, with the rules that place clients in it (display)."""
    params = params or TieringParams()
    rows = []
    for t in params.tiers:
        s = params.strategies[t]
        rules = "; ".join(f"{r.name}: {r.description}" for r in params.rules if r.tier == t)
        rows.append({"tier": t, "review every (months)": str(s.review_frequency_months),
                     "relationship manager": s.rm_seniority, "pricing latitude (bps)": fmt.bps(s.pricing_latitude_bps),
                     "strategy": s.description, "placed by": rules})
    return pd.DataFrame(rows).set_index("tier")


def rules_table(params: TieringParams | None = None) -> pd.DataFrame:
    """The tier rules in the order they are tried (display)."""
    params = params or TieringParams()
    rows = []
    for i, r in enumerate(params.rules, start=1):
        joiner = " and " if r.match == "all" else " or "
        tests = joiner.join(f"{_FIELD_WORDS[c.field][0]} {c.op} {_FIELD_WORDS[c.field][1](c.threshold)}"
                            for c in r.conditions) or "(always: catch-all)"
        rows.append({"order": i, "rule": r.name, "tier": r.tier, "conditions": tests, "meaning": r.description})
    return pd.DataFrame(rows).set_index("order")


def tiers_table(tiers: pd.DataFrame) -> pd.DataFrame:
    """The tier table as a reviewer reads it, one row per obligor (best value first)."""
    ordered = tiers.sort_values(["tier", "value_rank"]).set_index("obligor_id")
    return fmt.display_frame(ordered, {
        "tier": ("tier", fmt.text), "rule": ("rule", fmt.text), "reason": ("reason", fmt.text),
        "value_score": ("value score", _two), "value_rank": ("value rank", fmt.integer),
        "exposure": ("exposure (EUR m)", fmt.eur_m), "revenue": ("revenue (EUR m a year)", _two),
        "raroc": ("RAROC", _pct), "raroc_vs_hurdle": ("vs hurdle", _signed_pct),
        "relationship_years": ("relationship (years)", _fixed(1)),
        "revenue_growth": ("revenue growth", _signed_pct), "exposure_growth": ("exposure growth", _signed_pct),
        "grade": ("grade", fmt.integer), "pd": ("PD", fmt.pd_percent),
        "review_frequency_months": ("review (months)", fmt.integer), "rm_seniority": ("RM", fmt.text),
        "pricing_latitude_bps": ("latitude (bps)", fmt.bps),
    })


def tier_summary(tiers: pd.DataFrame) -> pd.DataFrame:
    """Per tier: obligors and their share, exposure and its share, revenue, capital-weighted RAROC at
    booked spreads and the mean grade (numbers; for display pass through ``workbench.format``)."""
    g = tiers.assign(weighted=tiers["raroc"].fillna(0.0) * tiers["capital"],
                     capital_ok=tiers["capital"].where(tiers["raroc"].notna(), 0.0)).groupby("tier")
    out = pd.DataFrame({"obligors": g.size(), "exposure": g["exposure"].sum(), "revenue": g["revenue"].sum(),
                        "capital": g["capital"].sum()})
    out.insert(1, "share_of_obligors", out["obligors"] / max(int(out["obligors"].sum()), 1))
    out.insert(3, "share_of_exposure", out["exposure"] / out["exposure"].sum() if out["exposure"].sum() else np.nan)
    out["raroc"] = g["weighted"].sum() / g["capital_ok"].sum().where(g["capital_ok"].sum() > 0)
    out["mean_grade"] = g["grade"].mean()
    return out


def tier_migration(before: pd.DataFrame, after: pd.DataFrame, tiers: Sequence[str] = ("A", "B", "C")) -> pd.DataFrame:
    """Counts of obligors by tier at the earlier date (rows, plus ``new``: not tiered then) and at the
    later date (columns, plus ``left``: not tiered any more, e.g. defaulted or repaid). Both frames need
    obligor_id and tier; tiers beyond ``tiers`` are added in sorted order."""
    for name, frame in (("before", before), ("after", after)):
        missing = [c for c in ("obligor_id", "tier") if c not in frame.columns]
        if missing:
            raise KeyError(f"{name} lacks column(s) {', '.join(missing)}")
        dup = frame.loc[frame["obligor_id"].duplicated(), "obligor_id"]
        if len(dup):
            raise ValueError(f"{name} has more than one tier for obligor(s) {sorted(set(dup))[:5]}")
    both = pd.merge(before[["obligor_id", "tier"]], after[["obligor_id", "tier"]], on="obligor_id", how="outer",
                    suffixes=("_before", "_after"))
    both["tier_before"] = both["tier_before"].fillna("new")
    both["tier_after"] = both["tier_after"].fillna("left")
    seen = set(both["tier_before"]) | set(both["tier_after"])
    order = list(tiers) + sorted(seen - set(tiers) - {"new", "left"})
    matrix = pd.crosstab(both["tier_before"], both["tier_after"]).reindex(
        index=order + ["new"], columns=order + ["left"], fill_value=0).astype(int)
    matrix.index.name, matrix.columns.name = "tier before", "tier after"
    return matrix


def plot_exposure_by_tier(tiers: pd.DataFrame) -> Figure:
    """Exposure (EUR m) and number of obligors per tier, side by side."""
    summary = tier_summary(tiers)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    labels = summary.index.astype(str)
    axes[0].bar(labels, summary["exposure"], color="tab:blue")
    axes[0].set_ylabel("exposure (EAD, EUR m)")
    axes[0].set_title("Exposure by tier")
    for i, s in enumerate(summary["share_of_exposure"]):
        axes[0].text(i, summary["exposure"].iloc[i], fmt.percent(s, 0), ha="center", va="bottom", fontsize=8)
    axes[1].bar(labels, summary["obligors"], color="tab:gray")
    axes[1].set_ylabel("obligors")
    axes[1].set_title("Obligors by tier")
    for i, s in enumerate(summary["share_of_obligors"]):
        axes[1].text(i, summary["obligors"].iloc[i], fmt.percent(s, 0), ha="center", va="bottom", fontsize=8)
    for ax in axes:
        ax.set_xlabel("tier")
    fig.tight_layout()
    plt.close(fig)
    return fig
