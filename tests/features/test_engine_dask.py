"""The Dask path gives the pandas panel, on a real distributed LocalCluster of two workers."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from workbench.features import PanelParams, build_panel
from workbench.params import load_params
from workbench.synthetic import GeneratorSettings, generate_portfolio

distributed = pytest.importorskip("distributed", reason="the [scale] extra is not installed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as c:
        yield c


def test_dask_panel_equals_pandas_panel_on_a_local_cluster(client):
    tables = generate_portfolio(GeneratorSettings(n_obligors=500, years=6, seed=8))
    params = load_params(PanelParams, None, {"split.train_end": "2017-12-31", "split.valid_end": "2018-12-31",
                                                     "dask_partitions": 5})
    expected = build_panel(tables, params)
    got = build_panel(tables, params, engine="dask")
    assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(got, expected)
    # Both engines exercised the sector fallback of thin peer groups, not only the industry groups.
    assert expected["default_12m"].sum() > 0 and expected["peer_fallback_sector"].sum() > 0


def test_unknown_engine_is_rejected():
    tables = generate_portfolio(GeneratorSettings(n_obligors=30, years=3, seed=1))
    with pytest.raises(ValueError, match="engine"):
        build_panel(tables, PanelParams(), engine="spark")
