"""Params of the financing mix: the funding channels and the structuring policy.

``FinancingMixParams`` is the ``financing`` block of the structuring params (``ProposalParams``):
the channels (``ChannelSpec``, defaults in ``default_channels``) and the policy
(``MixConstraints``). Every default is documented on its field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ChannelKind",
    "DEBT_KINDS",
    "ChannelSpec",
    "MixConstraints",
    "FinancingMixParams",
    "default_channels",
    "check_unique_names",
]

ChannelKind = Literal["senior_debt", "mezzanine", "equity"]

#: The kinds that are debt (for leverage and the debt service); equity is the rest.
DEBT_KINDS: tuple[ChannelKind, ...] = ("senior_debt", "mezzanine")


class ChannelSpec(BaseModel):
    """One funding channel: what it costs by grade, how much of the need it may take, who may use it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, description="Channel name, unique within a mix (e.g. bank_loan)")
    kind: ChannelKind = Field(..., description="senior_debt, mezzanine (junior debt) or equity")
    base_cost: float = Field(..., ge=0, le=1, description="Annual cost at grade 1 (decimal); for equity the "
                             "investors' required return")
    spread_per_notch: float = Field(0.0, ge=0, le=0.2, description="Cost added per grade notch below grade 1: "
                                    "cost(g) = base_cost + spread_per_notch * (g - 1)")
    cost_by_grade: dict[int, float] | None = Field(None, description="Explicit annual cost per grade; when given, "
                                                   "it replaces the base + spread formula and a grade missing "
                                                   "from it makes the channel ineligible")
    tenor_years: float | None = Field(None, gt=0, le=50, description="Amortisation tenor for the debt service "
                                      "(required for debt channels, ignored for equity)")
    min_ticket: float = Field(0.0, ge=0, description="Smallest amount (EUR m) if the channel is used at all")
    max_share: float = Field(1.0, gt=0, le=1, description="Largest share of the need the channel may fund")
    min_need: float = Field(0.0, ge=0, description="Eligibility: the need (EUR m) must be at least this")
    max_grade: int | None = Field(None, ge=1, description="Eligibility: grades worse (higher) than this are "
                                  "excluded; None = any performing grade")
    enabled: bool = Field(True, description="False excludes the channel (recorded as the reason)")

    @model_validator(mode="after")
    def _debt_needs_tenor(self) -> ChannelSpec:
        if self.kind in DEBT_KINDS and self.tenor_years is None:
            raise ValueError(f"channel {self.name!r} ({self.kind}) needs tenor_years for its debt service")
        if self.cost_by_grade is not None:
            bad = {g: c for g, c in self.cost_by_grade.items() if not (0 <= c <= 1) or g < 1}
            if bad:
                raise ValueError(f"channel {self.name!r}: cost_by_grade needs grades >= 1 and costs in [0, 1]; "
                                 f"got {bad}")
        return self

    def cost(self, grade: int) -> float | None:
        """Annual cost at ``grade`` (None when ``cost_by_grade`` has no entry for it)."""
        if self.cost_by_grade is not None:
            return self.cost_by_grade.get(int(grade))
        return self.base_cost + self.spread_per_notch * (int(grade) - 1)


def default_channels() -> list[ChannelSpec]:
    """The desk's default channels (illustrative EUR large-corporate levels; maintained in the params file).

    * bank_loan: 3.50 % at grade 1 + 0.40 % per notch (grade 10: 7.10 %), 5-year annuity, ticket 5,
      up to 60 % of the need (single-bank concentration).
    * bond: 3.30 % + 0.30 % per notch, 7 years, ticket 50 (a marketable issue), up to 60 % of the
      need; eligible for needs >= 100 and grades <= 4 (PD below ~0.5 %: BBB- or better on the
      default 10-grade scale).
    * private_equity: 12 % required return + 0.50 % per notch, ticket 10, up to 50 % of the need.
    * mezzanine: 8 % + 0.50 % per notch, 6 years, ticket 10, up to 20 % of the need.
    """
    return [
        ChannelSpec(name="bank_loan", kind="senior_debt", base_cost=0.035, spread_per_notch=0.004,
                    tenor_years=5, min_ticket=5.0, max_share=0.60),
        ChannelSpec(name="bond", kind="senior_debt", base_cost=0.033, spread_per_notch=0.003,
                    tenor_years=7, min_ticket=50.0, max_share=0.60, min_need=100.0, max_grade=4),
        ChannelSpec(name="private_equity", kind="equity", base_cost=0.12, spread_per_notch=0.005,
                    min_ticket=10.0, max_share=0.50),
        ChannelSpec(name="mezzanine", kind="mezzanine", base_cost=0.08, spread_per_notch=0.005,
                    tenor_years=6, min_ticket=10.0, max_share=0.20),
    ]


class MixConstraints(BaseModel):
    """The desk's structuring policy for a mix."""

    model_config = ConfigDict(extra="forbid")

    min_equity_share: float = Field(0.20, ge=0, le=1, description="Equity (private equity) >= this share of the "
                                    "need; 20 % is a common sponsor-equity floor")
    max_leverage: float | None = Field(0.80, ge=0, le=1, description="(senior debt + mezzanine) / need <= this; "
                                       "None = no limit. Equals 1 - min_equity_share by default")
    dscr_floor: float | None = Field(1.30, gt=0, description="CFADS / annual debt service >= this when CFADS is "
                                     "given; None = no DSCR constraint. 1.30x is a typical project-finance floor")
    dscr_includes_mezzanine: bool = Field(True, description="Mezzanine debt service counts in the DSCR (total-debt "
                                          "DSCR); False gives a senior-only DSCR")


class FinancingMixParams(BaseModel):
    """Channels and policy for :func:`optimise_financing_mix` (the ``financing_mix`` block of the params file)."""

    model_config = ConfigDict(extra="forbid")

    channels: list[ChannelSpec] = Field(default_factory=default_channels, description="Funding channels "
                                        "(see default_channels)")
    constraints: MixConstraints = Field(default_factory=MixConstraints, description="Structuring policy")

    @model_validator(mode="after")
    def _unique_names(self) -> FinancingMixParams:
        check_unique_names([c.name for c in self.channels])
        return self


def check_unique_names(names: list[str]) -> None:
    """ValueError naming the duplicated channel names, if any."""
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"channel names must be unique; duplicated: {dup}")
