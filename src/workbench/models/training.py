"""Fitting the PD model on a feature panel with its time split, in one call for the notebook."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import format as fmt
from ..data.io import write_parquet_atomic, write_pickle_atomic
from ..features import feature_columns
from ..paths import resolve_path
from ..reference import SPLITS, metrics
from ..validation import ModelComparison, discrimination_table, oot_backtest_summary
from .params import PDModelParams
from .pd_model import PDModel, fit_pd_model

__all__ = ["TrainingResult", "fit_on_panel", "flat_table_panel", "load_pd_model", "score_panel", "champion_comparison"]


@dataclass
class TrainingResult:
    """A fitted model, its predictions on every panel row and the metrics per split."""

    model: PDModel
    predictions: pd.DataFrame
    metrics: pd.DataFrame
    features: list[str]

    def validation_metrics(self, target: str) -> dict[str, float]:
        """The out-of-time back-test summary (``workbench.validation.oot_backtest_summary``), the
        figures the independent review recomputes and the sign-off gate reads."""
        return oot_backtest_summary(self.predictions, target, self.model.master_scale_.grade_pd())

    def describe(self, target: str) -> str:
        """A paragraph for the model version's page: what the model is and its out-of-time figures."""
        figures = {**self.metric_dict(), **self.validation_metrics(target)}
        shown = (metrics.OOT_AUC, metrics.OOT_GINI, metrics.OOT_KS, metrics.OOT_BRIER, metrics.OOT_DEFAULT_RATE,
                 metrics.OOT_MEAN_PD_OVER_DEFAULT_RATE, metrics.OOT_RED_GRADES, metrics.OOT_YELLOW_GRADES)
        tuning = self.model.tuning_summary()
        searched = (f"tuned over {tuning['trials_asked']} optuna trials (best trial {tuning['best_trial']}, "
                    f"stopped by its {tuning['stopped_by']})" if tuning else "not tuned")
        return (f"Calibrated xgboost 12-month PD model ({len(self.model.boosters_)} boosters, "
                f"{len(self.features)} features, master scale of {self.model.master_scale_.n_grades} grades + D), "
                f"{searched}. Out of time: {fmt.metrics_line(figures, shown)}. "
                "Its review run (validation experiment) and sign-off decisions are linked from the version's tags.")

    def metric_dict(self) -> dict[str, float]:
        """``{"oot/auc": ..., "valid/brier": ...}`` as logged to MLflow."""
        out = {}
        for split, row in self.metrics.iterrows():
            for name, value in row.items():
                if pd.notna(value):
                    out[metrics.split_metric(str(split), str(name))] = float(value)
        return out

    def save(self, directory: str | Path, panel: pd.DataFrame | None = None) -> dict[str, Path]:
        """Write the fitted model (pickle: booster, calibrator and master scale together), the
        predictions and, when given, the panel it was trained and judged on (a reviewer
        recomputes the metrics from exactly these rows); returns the paths by output name."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        out = {"model": write_pickle_atomic(self.model, directory / "pd_model.pkl"),
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


def fit_on_panel(panel: pd.DataFrame, params: PDModelParams, target: str, callbacks=()) -> TrainingResult:
    """Tune and fit on ``split == train``, early-stop and calibrate on ``valid``; score every row.

    Folds inside the training rows run forward in time and keep each obligor's rows together.
    """
    if target not in panel.columns:
        raise KeyError(f"panel has no target column '{target}'")
    if "split" not in panel.columns:
        raise KeyError("panel has no 'split' column; build it with workbench.features.build_panel")
    features = [c for c in feature_columns(panel) if c != target]
    fit_rows = panel["split"].isin(["train", "valid"]).to_numpy()
    if not (panel["split"] == "train").any() or not (panel["split"] == "valid").any():
        raise ValueError("panel needs training and validation rows (split == 'train' / 'valid')")
    part = panel[fit_rows]
    has_time = "obs_date" in part.columns and part["obs_date"].notna().all()
    repeated = "obligor_id" in part.columns and part["obligor_id"].duplicated().any()
    model = fit_pd_model(part[features], part[target], params,
                         groups=part["obligor_id"].to_numpy() if repeated else None,
                         time=part["obs_date"].to_numpy() if has_time else None,
                         holdout=(part["split"] == "valid").to_numpy(), callbacks=callbacks)
    return score_panel(model, panel, target, features)


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


def flat_table_panel(path: str | Path, *, target: str, id_column: str = "", time_column: str = "", seed: int = 0,
                     shares: tuple[float, float] = (0.6, 0.2), encoding: str | None = None,
                     drop_columns: Sequence[str] = (), max_categories: int = 50) -> pd.DataFrame:
    """A bring-your-own flat table shaped like a panel: ``obligor_id``, ``obs_date`` (NaT
    without a time column), ``split`` and the target, then the features.

    ``path`` is relative to the state dir unless absolute. With a time column the split is
    by time (the earliest 60 % train, the next 20 % valid, the latest 20 % oot); without one
    it is a stratified random 60/20/20 (seeded). Numeric features are float32, categorical ones
    stay text (the model's encoder codes them).
    """
    from sklearn.model_selection import train_test_split

    from ..data.adapters import load_flat_table

    if not str(path):
        raise ValueError("no flat table to load: the path is empty")
    table = load_flat_table(resolve_path(path), target=target, id_column=id_column or None,
                            date_column=time_column or None, encoding=encoding, drop_columns=drop_columns,
                            max_categories=max_categories)
    panel = table.X.astype({c: np.float32 for c in table.X.columns if pd.api.types.is_numeric_dtype(table.X[c])})
    panel.insert(0, "obligor_id", table.ids.astype(str).to_numpy())
    panel.insert(1, "obs_date", table.dates.to_numpy() if table.dates is not None else pd.NaT)
    train_label, valid_label, oot_label = SPLITS
    if table.dates is not None:
        rank = table.dates.rank(method="first", pct=True).to_numpy()
        split = np.select([rank <= shares[0], rank <= shares[0] + shares[1]], [train_label, valid_label], oot_label)
    else:
        idx = np.arange(len(panel))
        rest, oot = train_test_split(idx, test_size=1 - shares[0] - shares[1], stratify=table.y, random_state=seed)
        train, valid = train_test_split(rest, test_size=shares[1] / (shares[0] + shares[1]),
                                        stratify=table.y.iloc[rest], random_state=seed)
        split = np.empty(len(panel), dtype=object)
        split[train], split[valid], split[oot] = train_label, valid_label, oot_label
    panel.insert(2, "split", split)
    panel.insert(3, target, table.y.to_numpy().astype(np.int8))
    return panel


def champion_comparison(reviewed: TrainingResult, version: str, champion: PDModel | None,
                        champion_version: str | None, panel: pd.DataFrame, target: str) -> ModelComparison:
    """The reviewed version (already scored on ``panel``) beside the champion, scored on the same
    rows; with no champion the comparison holds the reviewed version alone."""
    scored = {f"v{version} (reviewed)": (reviewed.predictions, reviewed.model)}
    if champion is not None:
        scored[f"v{champion_version} (champion)"] = (score_panel(champion, panel, target).predictions, champion)
    return ModelComparison({label: frame for label, (frame, _) in scored.items()}, target=target,
                           grade_pd={label: model.master_scale_.grade_pd() for label, (_, model) in scored.items()})
