"""Fitting the PD model on a feature panel with its time split, in one call for the notebook."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import TrainPDParams
from ..data.io import write_parquet_atomic
from ..features.panel import feature_columns
from .pd_model import PDModel, evaluate_splits, fit_pd_model

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
        """Write the fitted model (pickle: booster, calibrator and master scale together) and the
        predictions; returns the paths by output name."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model_path = directory / "pd_model.pkl"
        tmp = model_path.with_suffix(".pkl.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(self.model, fh)
        os.replace(tmp, model_path)
        preds = write_parquet_atomic(self.predictions, directory / "predictions.parquet")
        return {"model": model_path, "predictions": preds}


def fit_on_panel(panel: pd.DataFrame, params: TrainPDParams, callbacks=()) -> TrainingResult:
    """Tune and fit on ``split == train``, early-stop and calibrate on ``valid``; score every row.

    Folds inside the training rows run forward in time and keep each obligor's rows together.
    """
    if params.target not in panel.columns:
        raise KeyError(f"panel has no target column '{params.target}'")
    if "split" not in panel.columns:
        raise KeyError("panel has no 'split' column; build it with workbench.features.build_panel")
    features = [c for c in feature_columns(panel) if c != params.target]
    fit_rows = panel["split"].isin(["train", "valid"]).to_numpy()
    if not (panel["split"] == "train").any() or not (panel["split"] == "valid").any():
        raise ValueError("panel needs training and validation rows (split == 'train' / 'valid')")
    part = panel[fit_rows]
    model = fit_pd_model(part[features], part[params.target], params, groups=part["obligor_id"].to_numpy(),
                         time=part["obs_date"].to_numpy(), holdout=(part["split"] == "valid").to_numpy(),
                         callbacks=callbacks)
    keys = [c for c in ("obligor_id", "obs_date", "industry", "segment", "split") if c in panel.columns]
    predictions = panel[keys].copy()
    predictions[params.target] = panel[params.target].astype(np.int8)
    predictions["pd_raw"] = model.predict_raw(panel[features])
    predictions["pd"] = model.predict_pd(panel[features])
    predictions["grade"] = model.master_scale_.grade(predictions["pd"])
    metrics = evaluate_splits(panel[params.target], predictions["pd"].to_numpy(), panel["split"])
    return TrainingResult(model=model, predictions=predictions, metrics=metrics, features=features)
