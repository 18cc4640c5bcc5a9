"""The proposal's figures reconciled: what was asked, what the cash flow carries, what must be funded.

A proposal has four amounts that a credit paper must put side by side, because each answers a
different question:

* the **requested amount**: the facility the client asks for;
* the **sculpted debt**: the debt the CFADS carries at the target DSCR over the tenor
  (``sculpt_debt``);
* the **debt capacity**: the smaller of the sculpted debt and the gearing limit
  (``max_gearing`` x the project cost; ``debt_capacity``), with the constraint that binds;
* the **financing need**: what the financing mix must fund (the project's total cost for a
  project-finance obligor, else the requested amount; ``financing_need``).

``reconcile_financing`` puts them in one table with the two gaps that matter (the headroom of
the request under the debt capacity, and the part of the need that debt cannot carry and
equity or junior debt must), and the outcome of the financing mix: the debt and equity it
found and its blended cost, or that no feasible mix was found and why. ``summary()`` says the
same in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..format import eur_m, text
from .admission import FacilityRequest
from .financing_mix import MixResult
from .financing_mix.params import DEBT_KINDS
from .sculpting import DebtCapacity, SculptResult

__all__ = ["FinancingReconciliation", "reconcile_financing"]


def _amount(x: float) -> str:
    return f"EUR {eur_m(x)} m"


def _pct(x: float) -> str:
    """0.8 -> "80 %", 0.4133 -> "41.3 %"."""
    return f"{100 * x:.3g} %"


@dataclass(frozen=True)
class FinancingReconciliation:
    """The requested amount, sculpted debt, debt capacity and financing need of one proposal
    (EUR m), how they relate, and what the financing mix made of the need."""

    requested: float
    sculpted_debt: float
    target_dscr: float
    tenor_years: float
    gearing_limit: float
    max_gearing: float
    capacity: float
    binding: str  # "dscr" or "gearing"
    need: float
    need_is_project_cost: bool
    mix_feasible: bool
    mix_debt: float
    mix_equity: float
    mix_wacc: float
    mix_reason: str

    @property
    def request_headroom(self) -> float:
        """Debt capacity less the requested amount: negative when the request exceeds what the
        cash flow and the gearing limit carry."""
        return self.capacity - self.requested

    @property
    def need_beyond_capacity(self) -> float:
        """The part of the financing need debt capacity does not cover (0 when it covers all):
        what equity or junior debt must fund."""
        return max(self.need - self.capacity, 0.0)

    @property
    def capacity_share_of_need(self) -> float:
        return min(self.capacity / self.need, 1.0) if self.need > 0 else float("nan")

    def _binding_text(self) -> str:
        if self.binding == "gearing":
            return (f"gearing-bound: {_pct(self.max_gearing)} of the project cost; the cash flow alone "
                    f"would carry {_amount(self.sculpted_debt)}")
        return (f"DSCR-bound: the sculpted debt; the {_pct(self.max_gearing)} gearing limit would allow "
                f"{_amount(self.gearing_limit)}")

    def table(self) -> pd.DataFrame:
        """One row per figure (index ``figure``): ``amount_eur_m`` (NaN where the mix found
        nothing) and ``note``, what the figure is and how it follows from the others."""
        need_what = "the project's total cost" if self.need_is_project_cost else "the requested amount (no project)"
        headroom = self.request_headroom
        rows = [
            ("requested amount", self.requested, "the facility the client asks for"),
            (f"sculpted debt at {self.target_dscr:.2f}x DSCR", self.sculpted_debt,
             f"what the CFADS of the {self.tenor_years:g}-year tenor carries: PV of CFADS / target DSCR"),
            (f"gearing limit ({_pct(self.max_gearing)} of the project cost)", self.gearing_limit,
             "the most debt the gearing policy allows"),
            ("debt capacity", self.capacity, f"the smaller of the two, {self._binding_text()}"),
            ("financing need", self.need, f"what the financing mix must fund: {need_what}"),
            ("request headroom under debt capacity", headroom,
             "the request fits within the debt capacity" if headroom >= 0
             else f"the request exceeds the debt capacity by {_amount(-headroom)}"),
            ("need beyond debt capacity", self.need_beyond_capacity,
             "to be funded by equity or junior debt" if self.need_beyond_capacity > 0
             else "debt capacity covers the whole need"),
        ]
        if self.mix_feasible:
            rows += [("financing mix: debt", self.mix_debt, "senior debt and mezzanine in the cheapest mix"),
                     ("financing mix: equity", self.mix_equity,
                      f"equity in the cheapest mix; blended cost {_pct(self.mix_wacc)}")]
        else:
            rows.append(("financing mix", float("nan"), f"no feasible mix: {self.mix_reason}"))
        return pd.DataFrame(rows, columns=["figure", "amount_eur_m", "note"]).set_index("figure")

    def display_table(self) -> pd.DataFrame:
        """``table()`` for display: amounts in EUR m with one decimal, every note in full."""
        t = self.table()
        return pd.DataFrame({"EUR m": [eur_m(v) if np.isfinite(v) else "none" for v in t["amount_eur_m"]],
                             "what it is": t["note"].map(text).to_numpy()}, index=t.index)

    def summary(self) -> str:
        """The reconciliation in words, for the credit paper: the request against the debt
        capacity, the need against it, and whether a feasible financing mix was found (and why not)."""
        headroom = self.request_headroom
        fits = (f"with {_amount(headroom)} of headroom" if headroom >= 0
                else f"which it exceeds by {_amount(-headroom)}")
        where = "within" if headroom >= 0 else "above"
        text_ = (f"The request of {_amount(self.requested)} is {where} the debt capacity of "
                 f"{_amount(self.capacity)} ({self._binding_text()}), {fits}. ")
        need_what = "the project's total cost" if self.need_is_project_cost else "the requested amount"
        if self.need_beyond_capacity > 0:
            text_ += (f"The financing need is {_amount(self.need)} ({need_what}); debt capacity covers "
                      f"{_pct(self.capacity_share_of_need)} of it, leaving {_amount(self.need_beyond_capacity)} "
                      "to equity or junior debt. ")
        else:
            text_ += f"The financing need is {_amount(self.need)} ({need_what}), within the debt capacity. "
        if self.mix_feasible:
            text_ += (f"A feasible financing mix was found: {_amount(self.mix_debt)} of debt and "
                      f"{_amount(self.mix_equity)} of equity at a blended cost of {_pct(self.mix_wacc)}.")
        else:
            text_ += f"No feasible financing mix was found: {self.mix_reason}."
        return text_


def reconcile_financing(request: FacilityRequest, sculpted: SculptResult, capacity: DebtCapacity, need: float,
                        mix: MixResult) -> FinancingReconciliation:
    """Reconcile a proposal's amounts (module docstring). ``need`` is ``financing_need``'s
    amount, the project cost ``debt_capacity`` was given; it is the project's total cost unless
    it equals the requested amount (a corporate without a project)."""
    if not need > 0:
        raise ValueError(f"the financing need must be positive, got {need!r}")
    if not np.isclose(capacity.dscr_debt, sculpted.debt, rtol=1e-9):
        raise ValueError(f"the debt capacity was sized on other cash flows than the sculpted debt "
                         f"(DSCR-sized debt {capacity.dscr_debt:,.1f} vs sculpted {sculpted.debt:,.1f}): "
                         "give debt_capacity the CFADS, DSCR and rate given to sculpt_debt")
    channels = mix.channels
    if mix.feasible and not channels.empty:
        is_debt = channels["kind"].isin(DEBT_KINDS)
        debt = float(channels.loc[is_debt, "amount"].sum())
        equity = float(channels.loc[~is_debt, "amount"].sum())
    else:
        debt = equity = float("nan")
    return FinancingReconciliation(
        requested=float(request.amount), sculpted_debt=float(sculpted.debt), target_dscr=float(sculpted.target_dscr),
        tenor_years=len(sculpted.schedule) / sculpted.periods_per_year, gearing_limit=float(capacity.gearing_debt),
        max_gearing=float(capacity.gearing_debt) / float(need), capacity=float(capacity.debt), binding=capacity.binding,
        need=float(need), need_is_project_cost=not np.isclose(need, request.amount), mix_feasible=bool(mix.feasible),
        mix_debt=debt, mix_equity=equity, mix_wacc=float(mix.wacc) if mix.feasible else float("nan"),
        mix_reason=mix.reason.rstrip(".") if not mix.feasible else "")
