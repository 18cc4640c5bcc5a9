"""The PD model: gradient-boosted trees (xgboost) on the point-in-time panel.

``PDModel`` follows scikit-learn's conventions: ``__init__`` only stores its
arguments, ``fit`` validates, fitted attributes end in ``_``, and using an unfitted
model raises ``NotFittedError``. ``evaluate_splits`` gives the discrimination and
accuracy figures per split that the training notebook logs as ``split/metric``.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xgboost as xgb
from matplotlib.figure import Figure
from sklearn.exceptions import NotFittedError
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

from ..config import XGBParams

__all__ = ["PDModel", "evaluate_splits", "plot_roc_by_split"]


class PDModel:
    """xgboost binary classifier whose ``predict_pd`` returns 12-month PDs."""

    def __init__(self, params: XGBParams | None = None, seed: int = 42, n_jobs: int = 2):
        self.params = params
        self.seed = seed
        self.n_jobs = n_jobs

    def _check_X(self, X: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if non_numeric:
            raise TypeError(f"X has non-numeric columns: {', '.join(non_numeric)}")
        if not fitting:
            missing = [c for c in self.feature_names_in_ if c not in X.columns]
            if missing:
                raise ValueError(f"X lacks columns the model was fitted on: {', '.join(missing)}")
            X = X[self.feature_names_in_]
        # inf from a user's own ratios would be read as a huge number; treat it as missing.
        return X.astype(float).replace([np.inf, -np.inf], np.nan)

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray, X_valid: pd.DataFrame | None = None,
            y_valid: pd.Series | np.ndarray | None = None) -> "PDModel":
        X = self._check_X(X, fitting=True)
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if not np.isin(y, [0, 1]).all():
            raise ValueError("y must be binary 0/1")
        if y.sum() == 0 or y.sum() == len(y):
            raise ValueError("y has a single class; a PD model needs defaults and non-defaults")
        p = self.params or XGBParams()
        use_valid = X_valid is not None and y_valid is not None and len(np.unique(y_valid)) == 2
        self.feature_names_in_ = list(X.columns)
        self.classifier_ = xgb.XGBClassifier(
            n_estimators=p.n_estimators, max_depth=p.max_depth, learning_rate=p.learning_rate,
            subsample=p.subsample, colsample_bytree=p.colsample_bytree, min_child_weight=p.min_child_weight,
            reg_lambda=p.reg_lambda, objective="binary:logistic", eval_metric="logloss", tree_method="hist",
            early_stopping_rounds=p.early_stopping_rounds if use_valid else None,
            random_state=self.seed, n_jobs=self.n_jobs,
        )
        eval_set = [(self._check_X(X_valid, fitting=False), np.asarray(y_valid))] if use_valid else None
        self.classifier_.fit(X, y, eval_set=eval_set, verbose=False)
        self.best_iteration_ = int(getattr(self.classifier_, "best_iteration", p.n_estimators - 1) or 0)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "classifier_"):
            raise NotFittedError("PDModel is not fitted yet; call fit(X, y) first")

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of default within the target horizon, one per row."""
        self._check_fitted()
        return self.classifier_.predict_proba(self._check_X(X, fitting=False))[:, 1]

    def feature_importance(self) -> pd.DataFrame:
        """Total gain per feature, largest first."""
        self._check_fitted()
        gain = self.classifier_.get_booster().get_score(importance_type="total_gain")
        table = pd.DataFrame({"feature": self.feature_names_in_})
        table["total_gain"] = table["feature"].map(gain).fillna(0.0)
        table["share"] = table["total_gain"] / max(table["total_gain"].sum(), 1e-12)
        return table.sort_values("total_gain", ascending=False).reset_index(drop=True)

    def save(self, directory: str | Path) -> Path:
        """Write ``model.json`` (the booster) and ``features.json`` into ``directory``."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.classifier_.save_model(directory / "model.json")
        (directory / "features.json").write_text(json.dumps(
            {"features": self.feature_names_in_, "best_iteration": self.best_iteration_, "seed": self.seed}, indent=2))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "PDModel":
        directory = Path(directory)
        meta = json.loads((directory / "features.json").read_text())
        model = cls(seed=meta.get("seed", 42))
        model.classifier_ = xgb.XGBClassifier()
        model.classifier_.load_model(directory / "model.json")
        model.feature_names_in_ = meta["features"]
        model.best_iteration_ = meta.get("best_iteration", 0)
        return model


def _ks(y: np.ndarray, p: np.ndarray) -> float:
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def evaluate_splits(y: pd.Series, pd_pred: np.ndarray, split: pd.Series) -> pd.DataFrame:
    """Per split: rows, defaults, default rate, mean PD, AUC, Gini (2 AUC - 1), KS and Brier score."""
    df = pd.DataFrame({"y": np.asarray(y, int), "p": np.asarray(pd_pred, float), "split": np.asarray(split)})
    rows = []
    for name in [s for s in ("train", "valid", "oot") if s in set(df["split"])]:
        part = df[df["split"] == name]
        two_classes = part["y"].nunique() == 2
        auc = roc_auc_score(part["y"], part["p"]) if two_classes else np.nan
        rows.append({
            "split": name, "rows": len(part), "defaults": int(part["y"].sum()),
            "default_rate": part["y"].mean(), "mean_pd": part["p"].mean(),
            "auc": auc, "gini": 2 * auc - 1, "ks": _ks(part["y"], part["p"]) if two_classes else np.nan,
            "brier": brier_score_loss(part["y"], part["p"]),
        })
    return pd.DataFrame(rows).set_index("split")


def plot_roc_by_split(y: pd.Series, pd_pred: np.ndarray, split: pd.Series) -> Figure:
    """ROC curves of each split on one axis, AUC in the legend."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    y, p, split = np.asarray(y, int), np.asarray(pd_pred, float), np.asarray(split)
    for name in ("train", "valid", "oot"):
        mask = split == name
        if mask.any() and len(np.unique(y[mask])) == 2:
            fpr, tpr, _ = roc_curve(y[mask], p[mask])
            ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y[mask], p[mask]):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("False positive rate (non-defaulters flagged)")
    ax.set_ylabel("True positive rate (defaulters caught)")
    ax.set_title("ROC by split")
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig
