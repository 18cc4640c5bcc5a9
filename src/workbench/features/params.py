"""Params of the feature panel: reporting lag, target horizon, time split, peers, macro lag, engine."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from ..params import StrictModel

__all__ = ["TimeSplit", "PanelParams"]


class TimeSplit(StrictModel):
    """Time-based split of observation dates: train <= train_end < valid <= valid_end < oot."""

    train_end: date = date(2020, 12, 31)
    valid_end: date = date(2021, 12, 31)

    @model_validator(mode="after")
    def _ordered(self) -> "TimeSplit":
        if self.valid_end <= self.train_end:
            raise ValueError(f"valid_end ({self.valid_end}) must be after train_end ({self.train_end})")
        return self


class PanelParams(StrictModel):
    """How ``build_panel`` turns the portfolio tables into a point-in-time modelling panel."""

    reporting_lag_days: int = Field(120, ge=0, le=730, description="Days after period end before a statement is usable")
    horizon_months: int = Field(12, ge=1, le=60, description="Default horizon of the target")
    split: TimeSplit = TimeSplit()
    min_peer_group: int = Field(10, ge=2, description="Fewest peers for an industry benchmark; else the sector")
    macro_lag_months: int = Field(1, ge=0, le=12, description="Publication lag of macro data")
    engine: Literal["pandas", "dask"] = Field("pandas", description="Where the panel is computed")
    dask_partitions: int = Field(8, ge=1, description="Obligor partitions when engine is dask")
    chunk_obligors: int = Field(10_000, ge=100, description="Obligors processed at once by the pandas engine "
                                "(bounds memory; the panel does not depend on it)")
