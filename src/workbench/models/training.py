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
from ..validation import discrimination_table
from .pd_model import PDModel, fit_pd_model

__all__ = ["TrainingResult", "fit_on_panel", "flat_table_panel", "load_pd_model", "score_panel"]


@dataclass
class TrainingResult:
    """A fitted model, its predictions on every panel row and the metrics per split."""

    model: PDModel
    predictions: pd.DataFrame
    metrics: pd.DataFrame
    features: list[str]

    def validation_metrics(self, target: str) -> dict[str, float]:
        """Back-test and stability figures on the out-of-time rows, named ``oot/...``:
        Hosmer-Lemeshow p (G degrees of freedom: the PDs were not fitted there), grades red or
        yellow in the Jeffreys test, PSI of the PD between train and oot, mean PD / default rate."""
        from ..validation import grade_backtest, hosmer_lemeshow, psi

        p = self.predictions
        oot, train = p[p["split"] == "oot"], p[p["split"] == "train"]
        if oot.empty:
            return {}
        table = grade_backtest(oot["grade"], oot["pd"], oot[target], grade_pd=self.model.master_scale_.grade_pd())
        grades = table.drop(index="all", errors="ignore")
        _, hl_p = hosmer_lemeshow(oot[target], oot["pd"], ddof=0)
        return {
            "oot/hosmer_lemeshow_p": float(hl_p),
            "oot/jeffreys_red_grades": float((grades["jeffreys_light"] == "red").sum()),
            "oot/jeffreys_yellow_grades": float((grades["jeffreys_light"] == "yellow").sum()),
            "oot/psi_pd_vs_train": float(psi(train["pd"], oot["pd"])),
            "oot/mean_pd_over_default_rate": float(oot["pd"].mean() / max(oot[target].mean(), 1e-12)),
        }

    def metric_dict(self) -> dict[str, float]:
        """``{"oot/auc": ..., "valid/brier": ...}`` as logged to MLflow."""
        out = {}
        for split, row in self.metrics.iterrows():
            for name, value in row.items():
                if pd.notna(value):
                    out[f"{split}/{name}"] = float(value)
        return out

    def save(self, directory: str | Path, panel: pd.DataFrame | None = None) -> dict[str, Path]:
        """Write the fitted model (pickle: booster, calibrator and master scale together), the
        predictions and, when given, the panel it was trained and judged on (a reviewer
        recomputes the metrics from exactly these rows); returns the paths by output name."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model_path = directory / "pd_model.pkl"
        tmp = model_path.with_suffix(".pkl.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(self.model, fh)
        os.replace(tmp, model_path)
        out = {"model": model_path,
               "predictions": write_parquet_atomic(self.predictions, directory / "predictions.parquet")}
        if panel is not None:
            out["panel"] = write_parquet_atomic(panel, directory / "panel.parquet")
        return out


def load_pd_model(path: str | Path) -> PDModel:
    """A PD model written by ``TrainingResult.save`` (the training run's ``model`` output)."""
    with open(path, "rb") as fh:
        model = pickle.load(fh)
    if not isinstance(model, PDModel):
        raise TypeError(f"{path} holds a {type(model).__name__}, not a PDModel")
    return model


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
    has_time = "obs_date" in part.columns and part["obs_date"].notna().all()
    repeated = "obligor_id" in part.columns and part["obligor_id"].duplicated().any()
    model = fit_pd_model(part[features], part[params.target], params,
                         groups=part["obligor_id"].to_numpy() if repeated else None,
                         time=part["obs_date"].to_numpy() if has_time else None,
                         holdout=(part["split"] == "valid").to_numpy(), callbacks=callbacks)
    return score_panel(model, panel, params.target, features)


def score_panel(model: PDModel, panel: pd.DataFrame, target: str, features: list[str] | None = None) -> TrainingResult:
    """Score every panel row with a fitted model: raw and calibrated PD, grade, metrics per split.

    The training run and an independent review call this same function, so a reviewer's
    recomputation of the logged metrics must agree to the last digit.
    """
    features = list(model.feature_names_in_ if features is None else features)
    missing = [c for c in [*features, target, "split"] if c not in panel.columns]
    if missing:
        raise KeyError(f"panel lacks column(s) the model needs: {', '.join(missing)}")
    keys = [c for c in ("obligor_id", "obs_date", "industry", "segment", "split") if c in panel.columns]
    predictions = panel[keys].copy()
    predictions[target] = panel[target].astype(np.int8)
    predictions["pd_raw"] = model.predict_raw(panel[features])
    predictions["pd"] = model.predict_pd(panel[features])
    predictions["grade"] = model.master_scale_.grade(predictions["pd"])
    metrics = discrimination_table(panel[target], predictions["pd"].to_numpy(), panel["split"])
    return TrainingResult(model=model, predictions=predictions, metrics=metrics, features=features)


def flat_table_panel(params: TrainPDParams, shares: tuple[float, float] = (0.6, 0.2)) -> pd.DataFrame:
    """A bring-your-own flat table (``params.table_path``) shaped like a panel: ``obligor_id``,
    ``obs_date`` (NaT without a time column), ``split`` and the target, then the features.

    With a time column the split is by time (the earliest 60 % train, the next 20 % valid,
    the latest 20 % oot); without one it is a stratified random 60/20/20 (seeded).
    """
    from sklearn.model_selection import train_test_split

    from ..config import resolve_path
    from ..data.adapters import load_flat_table

    if not params.table_path:
        raise ValueError("params.table_path is empty: no flat table to load")
    table = load_flat_table(resolve_path(params.table_path), target=params.target,
                            id_column=params.id_column or None, date_column=params.time_column or None)
    panel = table.X.astype(np.float32)
    panel.insert(0, "obligor_id", table.ids.astype(str).to_numpy())
    panel.insert(1, "obs_date", table.dates.to_numpy() if table.dates is not None else pd.NaT)
    if table.dates is not None:
        rank = table.dates.rank(method="first", pct=True).to_numpy()
        split = np.select([rank <= shares[0], rank <= shares[0] + shares[1]], ["train", "valid"], "oot")
    else:
        idx = np.arange(len(panel))
        rest, oot = train_test_split(idx, test_size=1 - shares[0] - shares[1], stratify=table.y, random_state=params.seed)
        train, valid = train_test_split(rest, test_size=shares[1] / (shares[0] + shares[1]),
                                        stratify=table.y.iloc[rest], random_state=params.seed)
        split = np.empty(len(panel), dtype=object)
        split[train], split[valid], split[oot] = "train", "valid", "oot"
    panel.insert(2, "split", split)
    panel.insert(3, params.target, table.y.to_numpy().astype(np.int8))
    return panel
