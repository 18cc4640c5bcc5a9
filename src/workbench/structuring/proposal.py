"""The client and the request a structuring proposal starts from.

``obligor_profile`` puts together what the desk knows of one obligor as of its latest
observation: the latest panel row (ratios, behaviour, peers, macro), the model's grade and PD
for it, and the obligor's static data. ``facility_request`` turns the params into the
request the admission step judges. ``obligor_cfads`` gives the cash flow available for debt
service a repayment is sized on: the project's CFADS forecast for a project-finance obligor,
the latest operating cash flow held flat for a corporate (the conservative reading without a
business plan).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..reference import NO_COLLATERAL
from ..reference import metrics as m
from .admission import FacilityRequest

__all__ = ["obligor_profile", "facility_request", "obligor_cfads", "default_obligor", "financing_need",
           "proposal_obligor", "structuring_metrics"]


def default_obligor(obligors: pd.DataFrame, projects: pd.DataFrame, panel: pd.DataFrame) -> str:
    """The obligor a proposal is drawn up for when none is named: the first project-finance
    obligor (by id) with a project and a row in the panel, else the first obligor in the panel."""
    with_project = set(projects["obligor_id"]) & set(panel["obligor_id"])
    pf = obligors[(obligors["segment"] == "project_finance") & obligors["obligor_id"].isin(with_project)]
    if len(pf):
        return str(pf["obligor_id"].sort_values().iloc[0])
    if panel.empty:
        raise ValueError("the panel is empty: no obligor to structure for")
    return str(panel["obligor_id"].sort_values().iloc[0])


def proposal_obligor(obligor_id: str, project_id: str, obligors: pd.DataFrame, projects: pd.DataFrame,
                     panel: pd.DataFrame) -> str:
    """The obligor a proposal is for: the project's obligor when ``project_id`` is given, else
    ``obligor_id``, else ``default_obligor``. An unknown project or a project of another obligor
    than the one named raises a ValueError saying so."""
    if project_id:
        match = projects[projects["project_id"] == project_id]
        if match.empty:
            raise ValueError(f"unknown project {project_id!r}; e.g. {', '.join(projects['project_id'].head(3))}")
        owner = str(match["obligor_id"].iloc[0])
        if obligor_id and obligor_id != owner:
            raise ValueError(f"project {project_id} belongs to {owner}, not to {obligor_id}")
        return owner
    return obligor_id or default_obligor(obligors, projects, panel)


def obligor_profile(obligor_id: str, panel: pd.DataFrame, predictions: pd.DataFrame,
                    obligors: pd.DataFrame) -> pd.Series:
    """The obligor's latest panel row with the model's ``grade`` and ``pd`` for that row and its
    static data (name, industry, segment, size band, sales). Raises a LookupError naming the
    obligor when it has no panel row (not a performing client at any observation date)."""
    rows = panel[panel["obligor_id"] == obligor_id]
    if rows.empty:
        raise LookupError(f"obligor {obligor_id!r} has no row in the panel (unknown, or never a performing "
                          f"client at an observation date); e.g. {', '.join(panel['obligor_id'].head(3))}")
    latest = rows.loc[rows["obs_date"].idxmax()]
    scored = predictions[(predictions["obligor_id"] == obligor_id) & (predictions["obs_date"] == latest["obs_date"])]
    if scored.empty:
        raise LookupError(f"the predictions have no score for obligor {obligor_id!r} at {latest['obs_date']:%Y-%m-%d}")
    static = obligors.set_index("obligor_id").loc[obligor_id]
    profile = latest.copy()
    profile["grade"] = scored["grade"].iloc[0]
    profile["pd"] = float(scored["pd"].iloc[0])
    # Not the client's name: proposals are logged to MLflow and read by people outside the desk; the
    # obligor id identifies the client there (the desk's own dossier may show names, unlogged).
    for col in ("region", "size_band", "sales", "relationship_start"):
        if col in static.index:
            profile[col] = static[col]
    return profile


def facility_request(profile: pd.Series, amount_eur_m: float | None, tenor_years: float,
                     collateral_type: str = NO_COLLATERAL,
                     collateral_value_eur_m: float = 0.0, purpose: str = "") -> FacilityRequest:
    """The request to assess; without an amount, a quarter of the obligor's annual sales (a
    typical term-loan ticket for a key account)."""
    amount = amount_eur_m if amount_eur_m is not None else 0.25 * float(profile.get("sales", np.nan))
    if not np.isfinite(amount):
        raise ValueError("no amount given and the obligor's sales are unknown: pass amount_eur_m")
    return FacilityRequest(amount=float(amount), tenor_years=float(tenor_years), collateral_type=collateral_type,
                           collateral_value=float(collateral_value_eur_m), purpose=purpose or None)


def obligor_cfads(obligor_id: str, financials: pd.DataFrame, projects: pd.DataFrame,
                  project_cashflows: pd.DataFrame, as_of, years: int, project_id: str = "") -> pd.DataFrame:
    """CFADS per year from ``as_of`` on, with the source named in column ``source``.

    Project-finance obligor: the project's forecast periods ending after ``as_of`` (the whole
    remaining project life: the loan is sized on its first ``years``, PLCR uses the rest); the
    latest project by financial close unless ``project_id`` names one.
    Corporate: the latest usable statement's operating cash flow less capex held flat for
    ``years`` years (no forecast growth: the conservative reading without a business plan).
    """
    as_of = pd.Timestamp(as_of)
    proj = projects[projects["obligor_id"] == obligor_id]
    if project_id:
        proj = proj[proj["project_id"] == project_id]
        if proj.empty:
            raise ValueError(f"obligor {obligor_id} has no project {project_id!r}")
    if len(proj):
        pid = proj.sort_values("financial_close")["project_id"].iloc[-1]
        cf = project_cashflows[(project_cashflows["project_id"] == pid) & (project_cashflows["period_end"] > as_of)]
        cf = cf.sort_values("period")
        if cf.empty:
            raise ValueError(f"project {pid} of obligor {obligor_id} has no CFADS forecast after {as_of:%Y-%m-%d}")
        return pd.DataFrame({"period": np.arange(1, len(cf) + 1), "period_end": cf["period_end"].to_numpy(),
                             "cfads": cf["cfads"].to_numpy(dtype=float), "source": f"project {pid} forecast"})
    fin = financials[(financials["obligor_id"] == obligor_id) & (financials["reported_date"] <= as_of)]
    if fin.empty:
        raise ValueError(f"obligor {obligor_id} has neither a project nor a statement reported by {as_of:%Y-%m-%d}")
    last = fin.sort_values("period_end").iloc[-1]
    ocf = last["operating_cash_flow"] if pd.notna(last["operating_cash_flow"]) else last["ebitda"]
    capex = last["capex"] if pd.notna(last["capex"]) else 0.0
    cfads = float(ocf) - float(capex)
    ends = pd.date_range(as_of + pd.offsets.YearEnd(0), periods=years, freq="YE")
    return pd.DataFrame({"period": np.arange(1, years + 1), "period_end": ends, "cfads": np.full(years, cfads),
                         "source": f"statement {last['period_end']:%Y-%m-%d}: operating cash flow - capex, flat"})


def financing_need(obligor_id: str, projects: pd.DataFrame, requested_amount: float, project_id: str = "") -> float:
    """What the financing mix has to fund: the project's total cost for a project-finance
    obligor (``project_id``, else its latest project), else the requested amount."""
    proj = projects[projects["obligor_id"] == obligor_id]
    if project_id:
        proj = proj[proj["project_id"] == project_id]
    if len(proj):
        return float(proj.sort_values("financial_close")["total_cost"].iloc[-1])
    return float(requested_amount)


def structuring_metrics(admission, sculpted, capacity, mix, breakeven: float) -> dict[str, float]:
    """Headline figures of a proposal for MLflow, named ``admission/...``, ``sculpting/...``,
    ``mix/...`` (``workbench.reference.metrics``); the admission decision as its code in
    ``ADMISSION_DECISION_CODES`` (1 approve / 0.5 refer / 0 decline)."""
    out = {
        m.ADMISSION_DECISION: m.ADMISSION_DECISION_CODES.get(str(admission.decision), float("nan")),
        m.ADMISSION_INDUSTRY_SCORE: float(admission.industry_score),
        m.ADMISSION_COLLATERAL_SHORTFALL: float(admission.collateral_shortfall),
        m.SCULPTING_DEBT: float(sculpted.debt),
        m.SCULPTING_MIN_DSCR: float(sculpted.min_dscr),
        m.SCULPTING_LLCR: float(sculpted.llcr),
        m.SCULPTING_PLCR: float(sculpted.plcr),
        m.SCULPTING_BREAKEVEN_HAIRCUT: float(breakeven),
        m.CAPACITY_DEBT: float(capacity.debt),
        m.CAPACITY_GEARING_BINDS: float(capacity.binding == "gearing"),
        m.MIX_FEASIBLE: float(mix.feasible),
    }
    if mix.feasible:
        out[m.MIX_WACC] = float(mix.wacc)
    return out
