"""The PD model's boosters trained with ``xgboost.dask`` on the active ``distributed`` cluster.

``fit_classifier_dask(settings, X, y, eval_set=None)`` is the ``engine: dask`` twin of
``xgboost.XGBClassifier(**settings).fit(X, y, eval_set=...)``: the rows are split into one partition
per worker (at least two), each partition is scattered to its own worker and kept there
(persisted), and ``xgboost.dask`` trains one booster across the workers (its tasks are named
``do_train``). The booster is handed back as a plain ``xgboost.XGBClassifier``, so everything
downstream (prediction, SHAP, calibration, pickling, the registry) sees the same type as on the
pandas path and no model keeps a reference to a cluster.

Distributed histogram training sketches its bins per worker, so the trees are not bit-identical to a
single-process fit; the scale test holds the model's quality equal within a stated tolerance
(``AUC_TOLERANCE``). The settings are those of ``tuning.xgb_settings``; each worker trains with its
own threads (the ``n_jobs`` of the settings is for the local predictions only).

The active cluster is the default ``distributed.Client`` (``workbench.scale.dask_client``, or any
client the caller opened); without one this refuses, naming what to do, rather than start a
cluster behind the caller's back.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import xgboost as xgb

__all__ = ["AUC_TOLERANCE", "MIN_PARTITIONS", "TRAINING_TASK_PREFIXES", "active_client", "fit_classifier_dask",
           "training_tasks"]

#: How far the Dask path's AUC may lie from the pandas path's on the same rows (tests/scale).
AUC_TOLERANCE = 0.01
#: Key prefixes of xgboost.dask's training tasks: ``do_train`` before xgboost 3, ``fn`` (the wrapper that
#: checks it runs on the worker holding the partitions) since.
TRAINING_TASK_PREFIXES = ("do_train", "fn-")
#: Partitions of the training rows, at least: one per worker, and never a single one.
MIN_PARTITIONS = 2


def active_client():
    """The default ``distributed.Client``; a RuntimeError naming the fix when there is none."""
    try:
        from distributed import get_client
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("engine='dask' needs the optional dask dependencies: pip install '.[scale]'") from exc
    try:
        return get_client()
    except ValueError as exc:
        raise RuntimeError("engine='dask' trains on a dask cluster, but no distributed client is active: open one "
                           "with workbench.scale.dask_client() (a LocalCluster, or a scheduler address), or set "
                           "engine to 'pandas'") from exc


def _scattered(client, X: pd.DataFrame, y: np.ndarray, workers: Sequence[str]):
    """X and y as dask collections of ``len(workers)`` (>= 2) row partitions, partition i on worker i."""
    import dask.dataframe as dd
    from distributed import wait

    n = max(MIN_PARTITIONS, len(workers))
    if len(X) < n:
        raise ValueError(f"engine='dask' needs at least {n} rows (one per partition), got {len(X)}")
    frame = X.reset_index(drop=True).assign(__target__=np.asarray(y).astype(np.int64))
    bounds = np.linspace(0, len(frame), n + 1).astype(int)
    parts = [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    futures = [client.scatter(part, workers=[workers[i % len(workers)]], direct=True) for i, part in enumerate(parts)]
    both = dd.from_delayed(futures, meta=frame.iloc[:0], divisions=(*bounds[:-1].tolist(), int(bounds[-1]) - 1))
    data, label = both.drop(columns="__target__"), both["__target__"]
    data, label = client.persist([data, label])
    wait([data, label])
    return data, label


def fit_classifier_dask(settings: dict, X: pd.DataFrame, y, eval_set: Sequence[tuple] | None = None,
                        client=None) -> xgb.XGBClassifier:
    """One booster with ``settings`` (``XGBClassifier`` keyword arguments) fitted by ``xgboost.dask`` on
    the workers of ``client`` (default: the active one); ``eval_set`` as in ``XGBClassifier.fit`` (early
    stopping on its last pair). Returned as a fitted ``xgboost.XGBClassifier`` (``best_iteration`` set
    when it early-stopped)."""
    import xgboost.dask as xgb_dask  # here: importing it pulls in distributed

    client = client or active_client()
    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
    if not workers:
        raise RuntimeError(f"the dask cluster at {client.scheduler.address} has no workers")
    data, label = _scattered(client, X, y, workers)
    evals = [_scattered(client, Xe, ye, workers) for Xe, ye in (eval_set or [])]
    # The workers' own threads train (xgboost.dask takes them from each worker); n_jobs stays for predictions.
    remote = xgb_dask.DaskXGBClassifier(**{**settings, "n_jobs": None})
    remote.client = client
    remote.fit(data, label, eval_set=evals or None, verbose=False)
    local = xgb.XGBClassifier(**settings)
    local.load_model(bytearray(remote.get_booster().save_raw("ubj")))
    return local


def training_tasks(task_stream: Sequence[dict]) -> list[dict]:
    """The training tasks among ``distributed.get_task_stream`` records (key, worker, ...): what shows that
    the boosters were trained on the workers."""
    def name(key) -> str:
        return str(key[0] if isinstance(key, tuple) else key)

    return [r for r in task_stream if name(r.get("key", "")).startswith(TRAINING_TASK_PREFIXES)]
