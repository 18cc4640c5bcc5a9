"""Fitting the PD model on a feature panel with its time split, in one call for the notebook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import TrainPDParams
from ..data.io import write_parquet_atomic
from ..features.panel import feature_columns
from .pd_model import PDModel, evaluate_splits

__all__ = ["TrainingResult", "fit_on_panel"]


@dataclass
class TrainingResult:
    """A fitted model, its predictions on every panel row and the metrics per split."""

    model: PDModel
    predictions: pd.DataFrame
    metrics: pd.DataFrame
    features: list[str]

    def metric_dict(self) -> dict[str, float]:
        """``{"oot/auc": ..., "valid/brier": ...}`` as logged to MLflow."""
        out = {}
        for split, row in self.metrics.iterrows():
            for name, value in row.items():
                if pd.notna(value):
                    out[f"{split}/{name}"] = float(value)
        return out

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write the model and the predictions; returns the paths by output name."""
        directory = Path(directory)
        model_dir = self.model.save(directory / "model")
        preds = write_parquet_atomic(self.predictions, directory / "predictions.parquet")
        return {"model": model_dir / "model.json", "model_features": model_dir / "features.json",
                "predictions": preds}


def fit_on_panel(panel: pd.DataFrame, params: TrainPDParams) -> TrainingResult:
    """Fit on ``split == train`` with early stopping on ``valid``; score every row."""
    if params.target not in panel.columns:
        raise KeyError(f"panel has no target column '{params.target}'")
    if "split" not in panel.columns:
        raise KeyError("panel has no 'split' column; build it with workbench.features.build_panel")
    features = [c for c in feature_columns(panel) if c != params.target]
    train, valid = panel["split"] == "train", panel["split"] == "valid"
    if not train.any():
        raise ValueError("panel has no training rows (split == 'train')")
    model = PDModel(params.xgb, seed=params.seed).fit(
        panel.loc[train, features], panel.loc[train, params.target],
        panel.loc[valid, features] if valid.any() else None,
        panel.loc[valid, params.target] if valid.any() else None,
    )
    pd_pred = model.predict_pd(panel[features])
    keys = [c for c in ("obligor_id", "obs_date", "industry", "segment", "split") if c in panel.columns]
    predictions = panel[keys].copy()
    predictions[params.target] = panel[params.target].astype(np.int8)
    predictions["pd"] = pd_pred
    metrics = evaluate_splits(panel[params.target], pd_pred, panel["split"])
    return TrainingResult(model=model, predictions=predictions, metrics=metrics, features=features)
