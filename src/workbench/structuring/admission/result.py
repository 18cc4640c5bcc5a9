"""The outcome of an admission assessment: the decision, one reason row per check, the collateral position."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ...format import display_frame, text
from ...reference import NO_COLLATERAL
from .checks import SEVERITY
from .params import FacilityRequest

__all__ = ["Decision", "AdmissionResult"]

Decision = Literal["approve", "refer", "decline"]


@dataclass
class AdmissionResult:
    """The decision with its reasons (one row per check) and the collateral position."""

    decision: Decision
    reasons: pd.DataFrame
    industry_score: float
    collateral_required: float
    collateral_shortfall: float
    grade: str
    pd: float
    request: FacilityRequest
    industry_components: dict[str, float] = field(default_factory=dict)
    obligor: str = ""

    def table(self) -> pd.DataFrame:
        """The checks, failing and referring ones first (then in assessment order)."""
        order = self.reasons["status"].map(SEVERITY).fillna(0)
        return self.reasons.iloc[np.argsort(-order.to_numpy(), kind="stable")].reset_index(drop=True)

    def display_table(self) -> pd.DataFrame:
        """``table()`` for display: each check's status in capitals (FAIL / REFER / PASS), its
        group, threshold and explanation in full. The explanation states the value with its unit
        ("debt/EBITDA 12.40x above the limit 10.00x"); the raw value is in ``table()`` and the
        logged ``admission_checks.csv``."""
        t = self.table()
        return display_frame(t.set_index("check"), {
            "status": ("status", lambda v: text(v).upper()), "group": ("group", text),
            "explanation": ("explanation", text), "threshold": ("threshold", text),
        })

    @property
    def decision_text(self) -> str:
        """The decision in words with what drives it: "DECLINE: 3 checks fail (debt/EBITDA, ...)"."""
        if self.decision == "decline":
            return f"DECLINE: {len(self.failed)} check(s) fail ({', '.join(self.failed)})"
        if self.decision == "refer":
            return f"REFER to the credit committee: {', '.join(self.referred)} need(s) a decision"
        return "APPROVE: every check passes"

    @property
    def failed(self) -> list[str]:
        return self.reasons.loc[self.reasons["status"] == "fail", "check"].tolist()

    @property
    def referred(self) -> list[str]:
        return self.reasons.loc[self.reasons["status"] == "refer", "check"].tolist()

    def summary(self) -> str:
        """One paragraph for the credit committee."""
        r = self.request
        who = f"Obligor {self.obligor}" if self.obligor else "The obligor"
        pd_txt = f", PD {100 * self.pd:.2f} %" if np.isfinite(self.pd) else ""
        purpose = f" for {r.purpose}" if r.purpose else ""
        ind = (f"industry score {self.industry_score:.0f}/100" if np.isfinite(self.industry_score)
               else "industry score not available")
        coll = (f"collateral required {self.collateral_required:,.1f} against {_lending_text(self)}"
                + (f", shortfall {self.collateral_shortfall:,.1f}" if self.collateral_shortfall > 0 else ", covered"))
        n_pass = int((self.reasons["status"] == "pass").sum())
        text = (f"{who} (grade {self.grade}{pd_txt}) requests EUR {r.amount:,.1f} m over {r.tenor_years:g} years"
                f"{purpose}. Recommendation: {self.decision.upper()}. {ind.capitalize()}; {coll}. "
                f"{n_pass} of {len(self.reasons)} checks pass.")
        for status, verb in (("fail", "Failed"), ("refer", "Referred")):
            rows = self.reasons[self.reasons["status"] == status]
            if len(rows):
                text += f" {verb}: " + "; ".join(f"{c} ({e})" for c, e in zip(rows["check"], rows["explanation"])) + "."
        return text


def _lending_text(res: AdmissionResult) -> str:
    r = res.request
    if r.collateral_type == NO_COLLATERAL or r.collateral_value <= 0:
        return "no collateral offered"
    return f"{r.collateral_type} worth {r.collateral_value:,.1f}"
