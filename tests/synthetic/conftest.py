"""The portfolio most synthetic tests read: drawn once per session (tests only read it)."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.synthetic import GeneratorSettings, generate_portfolio


@pytest.fixture(scope="session")
def portfolio() -> dict[str, pd.DataFrame]:
    return generate_portfolio(GeneratorSettings(n_obligors=2500, years=8, seed=11))
