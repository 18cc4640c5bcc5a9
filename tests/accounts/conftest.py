"""Shared fixtures of the monthly-monitoring tests: a small synthetic portfolio, a stand-in PD model and
the monitoring book built from them once per session (the book is the expensive part)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.accounts.monthly import MonitoringBook, monitoring_book
from workbench.accounts.params import MonitoringParams
from workbench.reference.master_scale import MASTER_SCALE
from workbench.synthetic import GeneratorSettings, generate_portfolio


class FakePDModel:
    """A stand-in for the champion: a logistic of three panel features. These tests check the monitoring
    plumbing (slices, outcomes, writes, report frames), not the model, so no xgboost is trained."""

    feature_names_in_ = ["leverage", "dpd_max_12m", "interest_cover"]
    master_scale_ = MASTER_SCALE

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        x = X[self.feature_names_in_].astype("float64").fillna(0.0)
        z = -4.0 + 0.8 * x["leverage"] + 0.05 * x["dpd_max_12m"] - 0.1 * x["interest_cover"].clip(-10, 10)
        return np.clip(1.0 / (1.0 + np.exp(-z.to_numpy())), MASTER_SCALE.pd_floor, 1.0)


@pytest.fixture(scope="session")
def portfolio() -> dict[str, pd.DataFrame]:
    return generate_portfolio(GeneratorSettings(n_obligors=300, years=5, seed=4))


@pytest.fixture(scope="session")
def fake_model() -> FakePDModel:
    return FakePDModel()


@pytest.fixture(scope="session")
def monitoring_params() -> MonitoringParams:
    return MonitoringParams()


@pytest.fixture(scope="session")
def book(portfolio, fake_model, monitoring_params) -> MonitoringBook:
    """Every month end of the portfolio, scored with the stand-in model."""
    return monitoring_book(portfolio, fake_model, monitoring_params)
