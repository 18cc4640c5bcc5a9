"""Params of the pricing functions: capital, economics, F-IRB LGD, the grid layout, price response.

Each pricing function takes the narrowest of these it needs (``required_rate_from_params``
an ``EconomicsParams`` and a ``CapitalParams``, ``foundation_lgd`` an ``LGDParams``,
``plot_capital_curve`` a ``CapitalParams``, ``PriceResponseModel.from_params`` a
``PriceResponseParams``, ...). ``PricingParams`` groups them for the functions that build a
whole grid or quote a facility; the calibration job's params
(``workbench.jobs.params.CalibratePricingParams``) add the run ids and paths to it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..params import StrictModel
from ..reference import COLLATERAL_TYPES, NO_COLLATERAL

__all__ = [
    "CapitalParams",
    "EconomicsParams",
    "CollateralLGDParams",
    "LGDParams",
    "GridParams",
    "PriceResponseParams",
    "PricingParams",
]


class CapitalParams(StrictModel):
    """IRB capital: the regulatory PD floor and the treatment of defaulted exposures."""

    pd_floor: float = Field(0.0003, gt=0, lt=0.01, description="Regulatory PD floor: 0.03 % Basel II, 0.05 % Basel III")
    default_el_best_estimate: float = Field(0.35, ge=0, le=1, description="Best-estimate EL of a defaulted "
                                            "exposure (share of EAD): K = max(0, LGD - this)")


def _default_funding_curve() -> dict[float, float]:
    return {1: 60.0, 2: 75.0, 3: 90.0, 5: 115.0, 7: 135.0, 10: 160.0, 15: 185.0, 20: 200.0}


class EconomicsParams(StrictModel):
    """What a loan costs and must return: funding, operating cost, hurdle, capital return, tax."""

    funding_curve_bps: dict[float, float] = Field(
        default_factory=_default_funding_curve,
        description="Cost of funds by tenor in years (linear between points, flat beyond)")
    opex_bps: float = Field(40.0, ge=0, description="Operating cost per year, per unit of exposure")
    hurdle_rate: float = Field(0.12, gt=0, lt=1, description="Required return on economic capital (after tax)")
    capital_return_rate: float = Field(0.03, ge=0, lt=1, description="Return earned on the capital itself")
    tax_rate: float = Field(0.25, ge=0, lt=1)

    @model_validator(mode="after")
    def _consistent(self) -> "EconomicsParams":
        if self.hurdle_rate <= self.capital_return_rate:
            raise ValueError(f"hurdle_rate ({self.hurdle_rate}) must exceed capital_return_rate "
                             f"({self.capital_return_rate}), else capital would earn a negative charge")
        if not self.funding_curve_bps:
            raise ValueError("funding_curve_bps needs at least one tenor")
        return self


class CollateralLGDParams(StrictModel):
    """F-IRB treatment of one eligible collateral type (Basel II paragraphs 289-295)."""

    lgd: float = Field(..., ge=0, le=1, description="LGD of the secured part")
    c_min: float = Field(..., ge=0, description="C*: minimum coverage (value / exposure) for any recognition")
    c_full: float = Field(..., gt=0, description="C**: coverage needed to secure the whole exposure")

    @model_validator(mode="after")
    def _ordered(self) -> "CollateralLGDParams":
        if self.c_min > self.c_full:
            raise ValueError(f"c_min ({self.c_min}) must not exceed c_full ({self.c_full})")
        return self


def _default_collateral() -> dict[str, CollateralLGDParams]:
    # Basel II F-IRB: financial collateral after haircuts 0 %; receivables 35 % (C* 0, C** 125 %);
    # commercial/residential real estate 35 % (C* 30 %, C** 140 %); other physical 40 % (C* 30 %, C** 140 %).
    return {
        "financial": CollateralLGDParams(lgd=0.0, c_min=0.0, c_full=1.0),
        "receivables": CollateralLGDParams(lgd=0.35, c_min=0.0, c_full=1.25),
        "real_estate": CollateralLGDParams(lgd=0.35, c_min=0.30, c_full=1.40),
        "other_physical": CollateralLGDParams(lgd=0.40, c_min=0.30, c_full=1.40),
    }


class LGDParams(StrictModel):
    """Foundation IRB LGD: supervisory values and collateral recognition."""

    senior_unsecured: float = Field(0.45, ge=0, le=1, description="F-IRB senior unsecured LGD")
    subordinated: float = Field(0.75, ge=0, le=1, description="F-IRB subordinated LGD")
    collateral: dict[str, CollateralLGDParams] = Field(default_factory=_default_collateral)
    guarantee_substitution: bool = Field(True, description="Guaranteed part takes the guarantor's PD and LGD")


class GridParams(StrictModel):
    """The cells of the pricing grid and the relationship discounts."""

    tenor_buckets: list[float] = Field(default_factory=lambda: [1.0, 3.0, 5.0, 7.0, 10.0, 15.0],
                                       description="Representative tenors (years) of the grid's columns")
    collateral_types: list[str] = Field(default_factory=lambda: list(COLLATERAL_TYPES))
    collateral_coverage: float = Field(1.0, ge=0, description="Collateral value / exposure assumed in secured cells")
    exposure_eur_m: float = Field(10.0, gt=0, description="Representative ticket for expected profit")
    tier_discount_bps: dict[str, float] = Field(default_factory=lambda: {"A": 15.0, "B": 5.0, "C": 0.0},
                                                description="Relationship discount; never below the hurdle floor")


class PriceResponseParams(StrictModel):
    """The acceptance model fitted on the quotes table."""

    model: Literal["logistic", "xgboost"] = Field("logistic", description="Acceptance model; both are monotone "
                                                  "decreasing in the offered spread")
    min_quotes: int = Field(200, ge=20, description="Fewer quotes than this: no market layer, the floor is the price")
    spread_search_bps: tuple[float, float] = Field((0.0, 1500.0), description="Range searched for the best spread")


class PricingParams(StrictModel):
    """Everything a pricing grid is built from."""

    capital: CapitalParams = CapitalParams()
    economics: EconomicsParams = EconomicsParams()
    lgd: LGDParams = LGDParams()
    grid: GridParams = GridParams()
    tier_by_size_band: dict[str, str] = Field(
        default_factory=lambda: {"very_large_corporate": "A", "large_corporate": "B", "mid_corporate": "C"},
        description="Client tier per obligor size band, until tiering has its own model")
    response: PriceResponseParams = PriceResponseParams()

    @model_validator(mode="after")
    def _collateral_known(self) -> "PricingParams":
        unknown = [c for c in self.grid.collateral_types if c != NO_COLLATERAL and c not in self.lgd.collateral]
        if unknown:
            raise ValueError(f"grid.collateral_types {unknown} have no entry in lgd.collateral "
                             f"(known: {', '.join(self.lgd.collateral)})")
        return self
