"""Tables for people in the structuring report: display-ready copies of what it shows.

Amounts in EUR m with one decimal (the header says so), cover ratios as ``1.30x``, rates and
shares as percentages, counts as whole numbers, dates as dates (``workbench.format``,
numbers through ``workbench.format``): no ``1.219560e+03``. The numeric frames stay what is
logged; the result objects have ``display_table`` methods built from the same pieces
(``SculptResult``, ``AdmissionResult``, ``MixResult``, ``FinancingReconciliation``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import format as fmt
from ..format import date, display_frame, eur_m, multiple, pd_percent, text
from ..reference import metrics as m

__all__ = ["client_table", "request_table", "display_schedule_comparison", "display_cfads",
           "display_sensitivities", "breakeven_summary", "proposal_key_figures", "decision_words"]


def _rows(rows: Mapping[str, str], name: str) -> pd.DataFrame:
    return pd.DataFrame({"value": pd.Series(dict(rows), dtype=object)}).rename_axis(name)


def client_table(profile: pd.Series) -> pd.DataFrame:
    """The obligor a proposal is for (its id, never its name: the table is logged): industry, segment, size band, sales (EUR m), the
    observation date of its latest panel row, the model's grade and PD, and four key ratios."""
    def get(key: str) -> Any:
        return profile[key] if key in profile.index else np.nan

    rows = {
        "obligor": text(get("obligor_id")), "industry": text(get("industry")),
        "segment": text(get("segment")), "size band": text(get("size_band")),
        "sales (EUR m)": eur_m(get("sales")), "latest observation": date(get("obs_date")),
        "grade": text(get("grade")), "PD": pd_percent(get("pd")), "leverage (debt / assets)": fmt.number(get("leverage")),
        "interest cover": multiple(get("interest_cover")), "current ratio": multiple(get("current_ratio")),
        "debt / EBITDA": multiple(get("debt_to_ebitda")),
    }
    return _rows(rows, "client")


def request_table(request) -> pd.DataFrame:
    """The facility request (``FacilityRequest``): amount and collateral value in EUR m, tenor in years."""
    rows = {"amount (EUR m)": eur_m(request.amount), "tenor": f"{request.tenor_years:g} years",
            "collateral": text(request.collateral_type), "collateral value (EUR m)": eur_m(request.collateral_value),
            "purpose": text(request.purpose) or "(not given)"}
    return _rows(rows, "request")


def display_schedule_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """``compare_schedules``: per schedule its kind, total interest and total paid, first,
    largest and last payment (EUR m) and weighted average life (years)."""
    return display_frame(comparison, {
        "kind": ("kind", text), "total_interest": ("total interest (EUR m)", eur_m),
        "total_paid": ("total paid (EUR m)", eur_m), "first_payment": ("first payment (EUR m)", eur_m),
        "max_payment": ("largest payment (EUR m)", eur_m), "last_payment": ("last payment (EUR m)", eur_m),
        "wal_years": ("average life (years)", lambda v: f"{float(v):.2f}"),
    })


def display_cfads(cfads: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """``obligor_cfads``: per period its end date, the CFADS (EUR m) and where it comes from;
    ``top``: the first periods only."""
    part = cfads if top is None else cfads.head(top)
    return display_frame(part.set_index("period"), {
        "period_end": ("period end", date), "cfads": ("CFADS (EUR m)", eur_m), "source": ("source", text),
    })


def _shock(row: pd.Series) -> str:
    if row["type"] == "haircut":
        return f"CFADS {fmt.percent(row['shock'], 0)} lower"
    if row["type"] == "delay":
        return f"CFADS {int(row['shock'])} period(s) later"
    return "as forecast"


def _change(value: Any) -> str:
    if pd.isna(value):
        return "n/a"
    return "0.00x" if abs(float(value)) < 0.005 else f"{float(value):+.2f}x"


def display_sensitivities(sensitivities: pd.DataFrame) -> pd.DataFrame:
    """``cfads_sensitivities``: per scenario the shock, minimum and average DSCR, the change of
    the minimum against the base and the periods below 1.00x."""
    part = sensitivities.assign(what=sensitivities.apply(_shock, axis=1))
    return display_frame(part, {
        "what": ("shock", text), "min_dscr": ("minimum DSCR", multiple), "avg_dscr": ("average DSCR", multiple),
        "min_dscr_change": ("change of the minimum", _change),
        "periods_below_1x": ("periods below 1.00x", fmt.integer),
    })


def breakeven_summary(breakeven: float, min_dscr: float) -> str:
    """The breakeven haircut in words: how far the CFADS can fall before the minimum DSCR is 1.00x."""
    if not np.isfinite(breakeven):
        return f"The minimum DSCR is {multiple(min_dscr)}: no haircut of the CFADS brings it to 1.00x."
    if breakeven < 0:
        return (f"The minimum DSCR is already below 1.00x ({multiple(min_dscr)}): the CFADS would have to be "
                f"{fmt.percent(-breakeven, 1)} higher to reach it.")
    return (f"The CFADS can fall by {fmt.percent(breakeven, 1)} in every period before the minimum DSCR "
            f"(now {multiple(min_dscr)}) reaches 1.00x.")


def decision_words(decision: str) -> str:
    """An admission decision as the credit committee reads it."""
    return {"approve": "APPROVE", "refer": "REFER to the credit committee", "decline": "DECLINE"}.get(
        str(decision), str(decision))


def proposal_key_figures(admission, sculpted, capacity, mix, breakeven: float) -> pd.DataFrame:
    """The proposal's headline figures in words and units: the admission decision in words (the
    run logs it as the number in ``ADMISSION_DECISION_CODES``), the industry score, the collateral
    shortfall, the sculpted debt and its cover ratios, the breakeven haircut, the debt capacity
    and what binds it, and the financing mix (its blended cost, or that there is none). The
    metric each figure is logged under is beside it."""
    rows = [
        ("admission decision", getattr(admission, "decision_text", None) or decision_words(admission.decision),
         m.ADMISSION_DECISION),
        ("industry score", "n/a" if pd.isna(admission.industry_score) else f"{admission.industry_score:.0f} / 100",
         m.ADMISSION_INDUSTRY_SCORE),
        ("collateral shortfall (EUR m)", eur_m(admission.collateral_shortfall), m.ADMISSION_COLLATERAL_SHORTFALL),
        ("sculpted debt (EUR m)", eur_m(sculpted.debt), m.SCULPTING_DEBT),
        ("minimum DSCR", multiple(sculpted.min_dscr), m.SCULPTING_MIN_DSCR),
        ("LLCR", multiple(sculpted.llcr), m.SCULPTING_LLCR),
        ("PLCR", multiple(sculpted.plcr), m.SCULPTING_PLCR),
        ("breakeven CFADS haircut", fmt.percent(breakeven, 1), m.SCULPTING_BREAKEVEN_HAIRCUT),
        ("debt capacity (EUR m)", eur_m(capacity.debt), m.CAPACITY_DEBT),
        ("debt capacity bound by", "gearing" if capacity.binding == "gearing" else "DSCR", m.CAPACITY_GEARING_BINDS),
        ("feasible financing mix", "yes" if mix.feasible else f"no: {mix.reason}", m.MIX_FEASIBLE),
    ]
    if mix.feasible:
        rows.append(("blended cost of the mix (WACC)", fmt.percent(mix.wacc), m.MIX_WACC))
    return pd.DataFrame(rows, columns=["figure", "value", "logged as"]).set_index("figure")
