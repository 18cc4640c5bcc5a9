"""Where the Dask engine runs: a ``distributed`` client for the CLI, the notebooks and the tests.

``dask_client(address)`` is the client's whole lifecycle in one ``with``: it connects to the
scheduler at ``address`` (a cluster someone else runs; it is left running) or, without one, starts a
``LocalCluster`` sized for a small machine (``LOCAL_WORKERS`` worker processes of one thread each)
and stops it again. While it is open the client is dask's default scheduler, so ``build_panel(...,
engine="dask")``, the PD model's ``engine: dask`` boosters (``models.distributed``) and the
monitoring book's ``panel.engine: dask`` run on it without being handed it.

Notebooks run in their own kernel: ``workbench pipeline --engine dask`` opens one client and passes
the scheduler's address to every kernel in ``WORKBENCH_DASK_SCHEDULER`` (an environment variable,
not a param, so that the params, their hash and the run stay the same on any cluster). A notebook
calls ``session(engine)`` with its params' engine: nothing for ``pandas``; for ``dask`` a client of
that scheduler, or a LocalCluster of its own when the variable is unset (a notebook run alone).

Dask is an optional dependency (``pip install .[scale]``); this module imports it only when asked.
"""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack, contextmanager
from typing import Any, Iterator

__all__ = ["SCHEDULER_ENV", "LOCAL_WORKERS", "LOCAL_THREADS", "dask_client", "DaskSession", "session",
           "scheduler_env"]

#: The scheduler address a kernel connects to (set by `workbench pipeline --engine dask`).
SCHEDULER_ENV = "WORKBENCH_DASK_SCHEDULER"
#: The default LocalCluster: two single-threaded worker processes, what a 2-core machine holds
#: (threads would share the GIL in the pandas parts; more processes would only compete for the cores).
LOCAL_WORKERS = 2
LOCAL_THREADS = 1
#: Seconds to wait for a scheduler (and for the local workers) before saying it does not answer.
CONNECT_TIMEOUT_S = 10


def _distributed():
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("the dask engine needs the optional dask dependencies: pip install '.[scale]'") from exc
    return distributed


@contextmanager
def dask_client(address: str | None = None, *, n_workers: int = LOCAL_WORKERS,
                threads_per_worker: int = LOCAL_THREADS) -> Iterator[Any]:
    """A ``distributed.Client`` of the scheduler at ``address``, or of a LocalCluster started here
    (``n_workers`` processes x ``threads_per_worker`` threads, no dashboard) and stopped on exit.
    A scheduler that does not answer is an ``OSError`` naming the address."""
    distributed = _distributed()
    with ExitStack() as stack:
        if address:
            try:
                client = stack.enter_context(distributed.Client(address, timeout=CONNECT_TIMEOUT_S))
            except (OSError, TimeoutError) as exc:
                raise OSError(f"no dask scheduler answers at {address} ({exc}); start one "
                              f"(`dask scheduler` and `dask worker {address}`) or leave the address out for a "
                              "local cluster") from exc
        else:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(distributed.Client(cluster, timeout=CONNECT_TIMEOUT_S))
        yield client


@contextmanager
def scheduler_env(address: str) -> Iterator[None]:
    """``WORKBENCH_DASK_SCHEDULER=address`` for the kernels started inside the ``with`` (restored after)."""
    before = os.environ.get(SCHEDULER_ENV)
    os.environ[SCHEDULER_ENV] = address
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SCHEDULER_ENV, None)
        else:
            os.environ[SCHEDULER_ENV] = before


class DaskSession:
    """What a notebook's engine runs on: nothing (``pandas``) or a dask client (``dask``). ``close()``
    stops what the session started (a LocalCluster of its own), never a scheduler it connected to."""

    def __init__(self, engine: str):
        if engine not in ("pandas", "dask"):
            raise ValueError(f"unknown engine {engine!r}: 'pandas' or 'dask'")
        self.engine = engine
        self._stack = ExitStack()
        self.client = None
        self.address = ""
        if engine == "dask":
            address = os.environ.get(SCHEDULER_ENV, "").strip() or None
            self.client = self._stack.enter_context(dask_client(address))
            self.address = address or ""

    @property
    def n_workers(self) -> int:
        return 0 if self.client is None else len(self.client.scheduler_info(n_workers=-1)["workers"])

    def describe(self) -> str:
        if self.client is None:
            return "engine pandas: in this process"
        where = f"the scheduler at {self.address}" if self.address else "a LocalCluster started by this notebook"
        return f"engine dask: {self.n_workers} worker(s) of {where}"

    def tags(self) -> dict[str, str]:
        """Where the run computed, for its tags (not params: the result must not depend on it)."""
        out = {"workbench.engine": self.engine}
        if self.client is not None:
            out["workbench.dask_workers"] = str(self.n_workers)
            out["workbench.dask_scheduler"] = self.address or "LocalCluster"
        return out

    def close(self) -> None:
        self._stack.close()
        self.client = None

    def __enter__(self) -> "DaskSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return self.describe()


def session(engine: str) -> DaskSession:
    """The notebook's engine session: for ``dask`` a client of ``$WORKBENCH_DASK_SCHEDULER``, or of a
    LocalCluster of its own when that is unset; for ``pandas`` nothing to start."""
    return DaskSession(engine)
