"""Params of the whole-portfolio checks of the data contract."""

from __future__ import annotations

from pydantic import Field

from ..params import StrictModel

__all__ = ["ContractParams"]


class ContractParams(StrictModel):
    """Tolerances of the checks that look at a portfolio as a whole (``validate_portfolio``)."""

    balance_tolerance: float = Field(0.01, ge=0, lt=1, description="Largest |assets - (liabilities + equity)| "
                                     "allowed, as a share of total assets")
    future_days: int = Field(366, ge=0, description="A date more than this many days after today is an error")
