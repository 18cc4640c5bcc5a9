"""What a job's notebook reads before its first library call: one call per input, so that the
notebook holds no branching (e.g. the training rows come from a flat table or the upstream panel)."""

from __future__ import annotations

import pandas as pd

from ..models import flat_table_panel
from ..tracking import RunHandle
from .params import TrainPDParams

__all__ = ["training_panel"]


def training_panel(cfg: TrainPDParams, run: RunHandle) -> pd.DataFrame:
    """The rows the PD model is trained and judged on: the bring-your-own flat table when
    ``cfg.table_path`` is set, else the panel of the upstream 10_build_features run (its id
    recorded on ``run`` as lineage)."""
    if cfg.table_path:
        return flat_table_panel(cfg.table_path, target=cfg.target, id_column=cfg.id_column,
                                time_column=cfg.time_column, seed=cfg.seed)
    return pd.read_parquet(run.upstream_output(cfg.features_run_id, notebook="10_build_features", name="panel"))
