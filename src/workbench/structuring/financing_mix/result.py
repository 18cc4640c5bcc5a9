"""The outcome of the financing mix: the amounts per channel and what decided them, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ... import format as fmt
from ...format import display_frame, eur_m, text, yes_no
from ._format import amt, pct

__all__ = ["MixResult"]


def _blank_or(formatter):
    return lambda v: "" if pd.isna(v) else formatter(v)


def _years(v) -> str:
    return f"{float(v):g}"


@dataclass
class MixResult:
    """The optimised mix (or why there is none).

    ``amounts``/``costs`` hold every channel given (0 / NaN for excluded ones); ``binding`` names the
    constraints with (near) zero slack; ``constraints`` has every constraint with its value, limit and
    slack; ``excluded`` maps an ineligible channel to its reason; ``reason`` explains infeasibility.
    """

    feasible: bool
    need: float
    grade: str
    amounts: dict[str, float]
    costs: dict[str, float]
    wacc: float
    binding: list[str]
    excluded: dict[str, str]
    reason: str = ""
    status: str = ""
    cfads: float | None = None
    debt_service: float = float("nan")
    dscr: float = float("nan")
    constraints: pd.DataFrame = field(default_factory=pd.DataFrame)
    channels: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def shares(self) -> dict[str, float]:
        return {k: v / self.need for k, v in self.amounts.items()}

    def table(self) -> pd.DataFrame:
        """One row per channel (kind, cost, tenor, annuity factor, ticket, cap, amount, share, WACC
        contribution, status) and a ``total`` row with the need, 100 % and the WACC."""
        t = self.channels.copy()
        if t.empty:
            return t
        total = {c: np.nan for c in t.columns}
        total.update(channel="total", kind="", amount=float(t["amount"].sum()),
                     share=float(t["share"].sum()), cost=self.wacc, wacc_contribution=float(t["wacc_contribution"]
                                                                                          .sum()),
                     status="feasible" if self.feasible else f"infeasible: {self.reason}")
        return pd.concat([t, pd.DataFrame([total])], ignore_index=True)

    def display_table(self) -> pd.DataFrame:
        """``table()`` for display: costs, shares and WACC contributions as percentages, tenors in
        years, tickets, caps and amounts in EUR m, every status in full (an excluded channel says
        why, the total row whether a mix was found and why not); blank where a figure does not
        apply (an equity channel's tenor, the total row's ticket)."""
        t = self.table()
        if t.empty:
            return t
        return display_frame(t.set_index("channel"), {
            "kind": ("kind", text), "eligible": ("eligible", _blank_or(yes_no)),
            "cost": ("cost a year", _blank_or(fmt.percent)), "tenor_years": ("tenor (years)", _blank_or(_years)),
            "annuity_factor": ("annuity factor", _blank_or(lambda v: "" if v == 0 else fmt.number(v))),
            "min_ticket": ("minimum ticket (EUR m)", _blank_or(eur_m)), "cap": ("cap (EUR m)", _blank_or(eur_m)),
            "amount": ("amount (EUR m)", eur_m), "share": ("share of the need", fmt.percent),
            "wacc_contribution": ("WACC contribution", fmt.percent), "status": ("status", text),
        })

    def summary(self) -> str:
        """One sentence for a credit paper."""
        if not self.feasible:
            return f"No feasible mix for a need of {amt(self.need)} at grade {self.grade}: {self.reason}"
        parts = [f"{k} {amt(v)} ({pct(v / self.need, 1)})" for k, v in self.amounts.items() if v > 0]
        text = (f"Need {amt(self.need)} at grade {self.grade}: {', '.join(parts)}; blended cost "
                f"{pct(self.wacc, 2)}")
        if np.isfinite(self.dscr):
            text += f"; DSCR {self.dscr:.2f}x"
        text += f". Binding: {', '.join(self.binding) if self.binding else 'none'}."
        return text
