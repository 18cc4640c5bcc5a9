"""The feature dictionary: every column of the modelling panel, in one place.

Each entry has a name, group, description, formula, unit, the expected monotone
direction with PD (+1 riskier when higher, -1 safer when higher, 0 no prior), a
business label that reason codes show ("High leverage versus industry peers") and a
``role``, what the feature is about:

* ``obligor``: the obligor's own finances, behaviour, standing among its peers, answers to
  the questionnaire and relationship. Only these can be an obligor's *reasons* (adverse
  drivers, mitigating factors): they are what a relationship manager can discuss with the client.
* ``macro``: the economy and the obligor's industry (GDP growth, the policy rate, the industry
  activity index): the same for every obligor of an industry at a date.
* ``meta``: about the data the bank holds rather than the obligor's credit: the peer group's
  size and the sector fallback, how old the statement or the survey is, whether there is a
  survey, how many statements there are, the segment flag.
* ``identifier`` / ``target``: identifiers, the split and the target; not model inputs.

Macro and meta features still move the score, so reason codes show them labelled as
*context*, never as the obligor's reasons. Models read ``direction`` for monotone
constraints; the explainability layer reads ``label`` and ``role``. A test checks that every
panel column has an entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from ..reference import QUESTION_THEMES
from .behaviour import SPIKE
from .peers import LEADER_QUANTILE, PEER_RATIOS
from .ratios import RATIOS
from .statements import HISTORY, TREND_RATIOS

__all__ = ["FeatureSpec", "FEATURES", "ROLES", "REASON_ROLES", "CONTEXT_ROLES", "feature_dictionary", "lookup",
           "monotone_directions", "feature_role"]

#: What a feature is about (see the module docstring).
ROLES = ("obligor", "macro", "meta", "identifier", "target")
#: Roles whose features may be an obligor's reasons.
REASON_ROLES = ("obligor",)
#: Roles whose features reason codes show as context, never as reasons.
CONTEXT_ROLES = ("macro", "meta")


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    group: str
    description: str
    formula: str
    unit: str
    direction: int
    label: str
    role: str = "obligor"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"feature {self.name!r}: role must be one of {', '.join(ROLES)}, not {self.role!r}")


_RATIO_DESCRIPTIONS = {
    "leverage": "Debt financing of the balance sheet",
    "debt_to_ebitda": "Years of EBITDA needed to repay all debt",
    "net_debt_to_ebitda": "Years of EBITDA needed to repay debt net of cash",
    "interest_cover": "Operating profit per unit of interest",
    "dscr_proxy": "Operating cash flow per unit of debt service (interest plus straight-line principal)",
    "equity_ratio": "Share of assets financed by book equity",
    "ocf_to_debt": "Operating cash flow relative to debt",
    "retained_earnings_to_assets": "Accumulated profits relative to assets",
    "current_ratio": "Short-term assets per unit of short-term liabilities",
    "quick_ratio": "Liquid short-term assets (excluding inventory) per unit of short-term liabilities",
    "cash_ratio": "Cash per unit of short-term liabilities",
    "cash_to_assets": "Cash relative to total assets",
    "working_capital_to_assets": "Net working capital relative to total assets",
    "ebitda_margin": "EBITDA per unit of revenue",
    "ebit_margin": "Operating profit per unit of revenue",
    "net_margin": "Net profit per unit of revenue",
    "roa": "Return on assets",
    "roe": "Return on book equity (undefined for negative equity)",
    "asset_turnover": "Revenue per unit of assets",
    "dso": "Days sales outstanding: how long customers take to pay",
    "dio": "Days inventory outstanding: how long stock is held",
    "dpo": "Days payables outstanding: how long the company takes to pay suppliers",
    "capex_to_revenue": "Capital expenditure per unit of revenue",
}


def _entries() -> list[FeatureSpec]:
    e: list[FeatureSpec] = []
    add = lambda *a, role="obligor": e.append(FeatureSpec(*a, role=role))  # noqa: E731

    # Identifiers, target and split (not model inputs).
    add("obligor_id", "id", "Obligor identifier", "obligors.obligor_id", "id", 0, "", role="identifier")
    add("obs_date", "id", "Observation date: month end at which the row's statement became usable",
        "month_end(max(reported_date, period_end + reporting_lag_days))", "date", 0, "", role="identifier")
    add("period_end", "id", "Period end of the statement the row uses", "financials.period_end", "date", 0, "",
        role="identifier")
    add("industry", "id", "Industry of the obligor", "obligors.industry", "category", 0, "", role="identifier")
    add("segment", "id", "Corporate or project finance", "obligors.segment", "category", 0, "", role="identifier")
    add("split", "id", "Time split of the row (train / valid / oot)", "obs_date vs split.train_end / valid_end",
        "category", 0, "", role="identifier")
    add("default_12m", "target", "Default within the horizon after the observation date",
        "default_date in (obs_date, obs_date + horizon_months]", "0/1", 0, "", role="target")

    by_name = {r.name: r for r in RATIOS}
    for r in RATIOS:
        add(r.name, "ratio", _RATIO_DESCRIPTIONS[r.name], r.formula, r.unit, r.direction, r.label)
        if r.flag:
            flag_dir = +1 if "loss" in r.undefined_means or "insolvent" in r.undefined_means else -1
            add(f"{r.name}__undefined", "ratio_flag", f"{r.name} is undefined: {r.undefined_means}",
                f"denominator of {r.name} <= 0 or missing while the numerator is known", "0/1", flag_dir,
                f"{r.name.replace('_', ' ')} undefined ({r.undefined_means})")
    add("cash_conversion_cycle", "ratio", "Days from paying suppliers to collecting from customers",
        "dso + dio - dpo", "days", +1, "Long cash conversion cycle")
    add("log_revenue", "ratio", "Size: natural log of revenue (EUR m)", "ln(revenue)", "ln EUR m", -1, "Small size")
    add("log_assets", "ratio", "Size: natural log of total assets (EUR m)", "ln(total_assets)", "ln EUR m", -1,
        "Small balance sheet")
    add("altman_z2", "ratio", "Altman Z'' score for non-manufacturers (distress < 1.10, safe > 2.60)",
        "6.56 WC/TA + 3.26 RE/TA + 6.72 EBIT/TA + 1.05 equity/TL", "score", -1, "Low Altman Z'' score")

    add("revenue_growth", "trend", "Revenue growth against the previous year's usable statement",
        "revenue_t / revenue_{t-1} - 1", "ratio", -1, "Shrinking revenue")
    add("revenue_cagr_3y", "trend", "Compound annual revenue growth over three years",
        "(revenue_t / revenue_{t-3})^(1/3) - 1", "ratio", -1, "Revenue declining over three years")
    for name in TREND_RATIOS:
        r = by_name[name]
        add(f"{name}_yoy", "trend", f"Year-on-year change of {name}", f"{name}_t - {name}_(t-1)", r.unit,
            r.direction, f"{r.label}: worsening year on year")
    add("ebitda_margin_volatility", "trend", f"Standard deviation of the EBITDA margin over up to {HISTORY + 1} "
        "usable statements (at least 3)", "std(ebitda_margin_t..t-3)", "ratio", +1, "Volatile margins")
    add("leverage_trend", "trend", "Slope of leverage per year over up to 4 usable statements (at least 3)",
        "OLS slope of leverage on years", "ratio per year", +1, "Leverage rising over several years")
    add("years_of_history", "history", "Number of the obligor's statements usable at the observation date",
        "count(available_date <= obs_date)", "count", -1, "Short financial history", role="meta")
    add("audited", "history", "Statement audited (1) or management accounts (0)", "financials.audited", "0/1", -1,
        "Unaudited financial statements")
    add("statement_age_days", "history", "Days from the statement's period end to the observation date",
        "obs_date - period_end", "days", +1, "Stale financial statements", role="meta")

    add("dpd", "behaviour", "Days past due at the observation month end", "days_past_due[t]", "days", +1,
        "Payments overdue")
    for w in (3, 6, 12):
        add(f"dpd_max_{w}m", "behaviour", f"Maximum days past due over the last {w} months",
            f"max(days_past_due[t-{w - 1}..t])", "days", +1, f"Arrears in the last {w} months")
        add(f"dpd_mean_{w}m", "behaviour", f"Mean days past due over the last {w} months",
            f"mean(days_past_due[t-{w - 1}..t])", "days", +1, f"Persistent arrears over {w} months")
    add("months_dpd30_12m", "behaviour", "Months with more than 30 days past due in the last 12",
        "count(days_past_due[t-11..t] > 30)", "months", +1, "Repeated serious arrears")
    add("utilisation", "behaviour", "Credit line utilisation at the observation month", "utilisation[t]", "ratio",
        +1, "High utilisation of credit lines")
    add("utilisation_mean_3m", "behaviour", "Mean utilisation over 3 months", "mean(utilisation[t-2..t])", "ratio",
        +1, "High utilisation of credit lines")
    add("utilisation_vs_12m_mean", "behaviour", "Recent utilisation against the client's own 12-month average",
        "mean(utilisation[t-2..t]) - mean(utilisation[t-11..t])", "ratio", +1, "Drawing more than usual on credit lines")
    add("utilisation_max_12m", "behaviour", "Peak utilisation over 12 months", "max(utilisation[t-11..t])",
        "ratio", +1, "Credit lines drawn to the limit")
    add("utilisation_trend_6m", "behaviour", "Slope of utilisation per month over 6 months (at least 3 months)",
        "OLS slope of utilisation[t-5..t]", "ratio per month", +1, "Rising utilisation")
    add("utilisation_spikes_12m", "behaviour", f"Month-on-month utilisation rises of at least {SPIKE:.0%} "
        "in 12 months", f"count(diff(utilisation[t-11..t]) >= {SPIKE})", "count", +1, "Sudden drawings on credit lines")
    add("overdue_amount", "behaviour", "Overdue amount at the observation month", "overdue_amount[t]", "EUR m", +1,
        "Overdue amounts")
    add("overdue_amount_max_12m", "behaviour", "Largest overdue amount in 12 months",
        "max(overdue_amount[t-11..t])", "EUR m", +1, "Overdue amounts in the last year")
    add("credit_turnover_vs_12m", "behaviour", "Receipts through the client's accounts in the last 3 months "
        "against its own 12-month average (log ratio)", "mean(ln turnover[t-2..t]) - mean(ln turnover[t-11..t])",
        "log ratio", -1, "Falling receipts through the accounts")
    add("credit_turnover_trend_6m", "behaviour", "Slope of log receipts per month over 6 months (at least 3 months)",
        "OLS slope of ln credit_turnover[t-5..t]", "log per month", -1, "Receipts trending down")
    add("covenant_breaches_12m", "behaviour", "Covenant breaches in the last 12 months",
        "sum(covenant_breach[t-11..t])", "count", +1, "Covenant breaches")

    for name in PEER_RATIOS:
        r = by_name[name]
        leader_q = LEADER_QUANTILE if r.direction > 0 else 1 - LEADER_QUANTILE
        add(f"{name}_peer_pct", "peers", f"Percentile of {name} among industry peers usable at the observation date",
            "mid-rank of value among the industry x fiscal-year peer group", "percentile", r.direction,
            f"{r.label} versus industry peers")
        add(f"{name}_vs_peer_median", "peers", f"{name} minus the peer-group median", f"{name} - median(peers)",
            r.unit, r.direction, f"{r.label} versus the industry median")
        add(f"{name}_vs_peer_leaders", "peers", f"{name} minus the industry leaders' level "
            f"(the {leader_q:.0%} quantile, the best decile)", f"{name} - quantile(peers, {leader_q})", r.unit,
            r.direction, f"{r.label} versus industry leaders")
    add("peer_group_size", "peers", "Statements in the peer group used (own included)",
        "count of usable statements in industry (or sector) x fiscal year", "count", 0, "", role="meta")
    add("peer_fallback_sector", "peers", "Peer group widened from the industry to the sector (too few peers)",
        "industry group size < min_peer_group", "0/1", 0, "", role="meta")

    for theme, qs in QUESTION_THEMES.items():
        add(f"q_{theme}", "questionnaire", f"Questionnaire score, {theme.replace('_', ' ')} ({', '.join(qs)}); "
            "5 is favourable", "mean of oriented answers", "score 1-5", -1,
            f"Weak {theme.replace('_', ' ')} in the client questionnaire")
    add("questionnaire_score", "questionnaire", "Mean oriented answer over all questions of the latest survey",
        "mean of oriented answers", "score 1-5", -1, "Weak client questionnaire")
    add("survey_age_days", "questionnaire", "Days since the latest survey", "obs_date - survey_date", "days", +1,
        "Outdated client questionnaire", role="meta")
    add("has_questionnaire", "questionnaire", "A survey was answered on or before the observation date",
        "survey_date <= obs_date exists", "0/1", -1, "No client questionnaire", role="meta")

    add("gdp_growth", "macro", "GDP growth (published value, lagged)", "macro.gdp_growth[t - lag]", "%", -1,
        "Weak economy", role="macro")
    add("gdp_growth_change_12m", "macro", "Change of GDP growth over 12 months", "gdp_growth[t-lag] - gdp_growth[t-lag-12]",
        "pp", -1, "Slowing economy", role="macro")
    add("policy_rate", "macro", "Central-bank policy rate (lagged)", "macro.policy_rate[t - lag]", "%", +1,
        "High interest rates", role="macro")
    add("policy_rate_change_12m", "macro", "Change of the policy rate over 12 months",
        "policy_rate[t-lag] - policy_rate[t-lag-12]", "pp", +1, "Rising interest rates", role="macro")
    add("industry_index_yoy", "macro", "Change of the obligor's industry activity index over 12 months",
        "idx_<industry>[t-lag] / idx_<industry>[t-lag-12] - 1", "ratio", -1, "Industry downturn", role="macro")

    add("industry_index_3m", "macro", "Change of the obligor's industry activity index over the last 3 months, "
        "annualised", "(idx_<industry>[t-lag] / idx_<industry>[t-lag-3])^4 - 1", "ratio", -1, "Industry turning down",
        role="macro")
    add("relationship_years", "relationship", "Years since the relationship started", "obs_date - relationship_start",
        "years", -1, "New client relationship")
    add("project_finance", "relationship", "Project-finance obligor (1) or corporate (0)", "segment == project_finance",
        "0/1", 0, "", role="meta")
    return e


FEATURES: dict[str, FeatureSpec] = {f.name: f for f in _entries()}


def feature_dictionary(columns: list[str] | None = None) -> pd.DataFrame:
    """The dictionary as a table (optionally only ``columns``, in that order)."""
    names = list(FEATURES) if columns is None else list(columns)
    missing = [c for c in names if c not in FEATURES]
    if missing:
        raise KeyError(f"no dictionary entry for: {', '.join(missing)}")
    return pd.DataFrame([asdict(FEATURES[n]) for n in names]).set_index("name")


def lookup(name: str) -> FeatureSpec:
    if name not in FEATURES:
        raise KeyError(f"no dictionary entry for feature '{name}'")
    return FEATURES[name]


def feature_role(name: str) -> str:
    """The dictionary's role of ``name``; ``obligor`` for a column it does not know (a
    bring-your-own-data feature is taken to describe the obligor)."""
    spec = FEATURES.get(name)
    return spec.role if spec is not None else "obligor"


def monotone_directions(features: list[str]) -> dict[str, int]:
    """Expected sign of each feature's effect on PD, for monotone constraints."""
    return {f: lookup(f).direction for f in features}
