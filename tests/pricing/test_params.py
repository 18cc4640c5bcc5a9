"""The pricing params: the base YAML is the defaults, sections validate on their own, cross-checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workbench.jobs.params import CalibratePricingParams
from workbench.params import read_params_file
from workbench.pricing.params import CapitalParams, EconomicsParams, GridParams, LGDParams, PricingParams

# What the calibration job's params add to PricingParams; the rest of the file is the pricing domain's.
JOB_KEYS = tuple(sorted(set(CalibratePricingParams.model_fields) - set(PricingParams.model_fields)))


def _pricing_part(path: str) -> dict:
    return {k: v for k, v in read_params_file(path).items() if k not in JOB_KEYS}


def test_the_defaults_are_the_base_params_file():
    assert PricingParams.model_validate(_pricing_part("params/calibrate_pricing.yaml")) == PricingParams()


def test_the_test_overlay_changes_no_pricing_param():
    assert _pricing_part("params/test/calibrate_pricing.yaml") == _pricing_part("params/calibrate_pricing.yaml")


def test_each_section_rejects_unknown_keys_and_inconsistent_values():
    with pytest.raises(ValidationError, match="hurdle_rate"):
        EconomicsParams(hurdle_rate=0.03, capital_return_rate=0.03)
    with pytest.raises(ValidationError, match="pd_floor"):
        CapitalParams(pd_floor=0.02)
    with pytest.raises(ValidationError, match="extra"):
        LGDParams(senior=0.45)
    with pytest.raises(ValidationError, match="gold"):
        PricingParams(grid=GridParams(collateral_types=["none", "gold"]))
    assert PricingParams(grid=GridParams(collateral_types=["none", "financial"])).grid.collateral_types == [
        "none", "financial"]
