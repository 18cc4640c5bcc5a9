"""Fixtures of the Dask scale tests: one real two-worker LocalCluster per module (processes, one thread
each, as `workbench pipeline --engine dask` starts it on a 2-core machine)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def dask_cluster():
    """A distributed client of a fresh LocalCluster of two single-threaded worker processes, the default
    client while the module runs."""
    pytest.importorskip("distributed", reason="the [scale] extra is not installed")
    from workbench.scale import dask_client

    with dask_client(n_workers=2, threads_per_worker=1) as client:
        yield client
