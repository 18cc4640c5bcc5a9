"""The PD model: tuned, monotone-constrained gradient-boosted trees, calibrated, on a master scale.

``fit_pd_model(X, y, params=None, groups=None, time=None)`` is the stable public entry
point. X may hold numeric, boolean and text (string, object, ``category``) columns: a
``FeatureEncoder`` learnt on the training rows codes categories for xgboost's native
categorical splits and turns bureau special values into missing plus an indicator
(``workbench.models.encoding``); the encoder travels inside the model, so ``predict_pd``
takes the raw table again. ``PDModel`` follows scikit-learn's conventions: ``__init__`` only stores its
arguments, ``fit`` validates, fitted attributes end in ``_``, and using an unfitted
model raises ``NotFittedError``. Validation figures live in ``workbench.validation``.
"""

from __future__ import annotations

import time as clock
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.exceptions import NotFittedError

from ..features.dictionary import lookup
from ..reference import MasterScale
from .calibration import Calibrator
from .encoding import CATEGORICAL, FeatureEncoder
from .params import PDModelParams
from .tuning import tune_xgboost, xgb_settings

__all__ = ["PDModel", "fit_pd_model", "monotone_directions_or_zero"]


class PDModel:
    """Calibrated 12-month PD model: tuned xgboost, monotone where the dictionary says so,
    a calibrator fitted on held-out rows, and the master scale; all travel together.

    ``predict_pd`` gives calibrated PDs (floored at the master scale's floor),
    ``grade`` master-scale grades. Build it with ``fit_pd_model`` or ``PDModel(params).fit``.
    """

    def __init__(self, params: PDModelParams | None = None):
        self.params = params

    # -- fitting

    @staticmethod
    def _check_frame(X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        return X

    def encode(self, X: pd.DataFrame) -> pd.DataFrame:
        """X as the boosters see it (float32, ``encoded_names_``): categories as codes, special values
        missing with their indicator columns, inf missing. Extra columns of X are ignored."""
        self._check_fitted()
        return self.encoder_.transform(self._check_frame(X))

    @property
    def encoded_names_(self) -> list[str]:
        """The columns the boosters split on (input columns plus special-value indicators)."""
        return list(self.encoder_.encoded_names_)

    def fit(self, X: pd.DataFrame, y, *, groups=None, time=None, holdout=None,
            callbacks: Sequence[Callable] = ()) -> "PDModel":
        """Tune (if enabled) on folds of the training rows, fit with the number of trees the best trial's
        folds early-stopped at (``tuning.trees_from: cv``; or early stopping on the held-out rows),
        calibrate on the held-out rows, attach the master scale.

        ``holdout`` marks the held-out rows; without it the latest ``holdout_share`` by
        ``time`` (or a stratified random share) is held out. ``callbacks`` go to optuna.
        """
        p = self.params or PDModelParams()
        X = self._check_frame(X)
        y = np.asarray(y).astype(int)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if not np.isin(y, [0, 1]).all():
            raise ValueError("y must be binary 0/1")
        if y.sum() == 0 or y.sum() == len(y):
            raise ValueError("y has a single class; a PD model needs defaults and non-defaults")
        hold = self._holdout_mask(y, time, holdout, p)
        train_idx, hold_idx = np.flatnonzero(~hold), np.flatnonzero(hold)
        timings: dict[str, float] = {}
        # Categories and special codes are learnt on the training rows only: the held-out rows, which
        # early-stop and calibrate the model, must not shape it.
        self.encoder_ = FeatureEncoder(p.special_values, p.max_categories).fit(X.iloc[train_idx])
        self.feature_names_in_ = list(self.encoder_.feature_names_in_)
        E = self.encoder_.transform(X)
        types = self.encoder_.feature_types_
        feature_types = types if CATEGORICAL in types else None
        # Monotone constraints only where the dictionary gives a direction: never on a category or an indicator.
        directions = ([0 if t == CATEGORICAL or name not in self.feature_names_in_ else d for name, t, d in
                       zip(E.columns, types, monotone_directions_or_zero(list(E.columns)))] if p.monotone else None)
        self.monotone_constraints_ = directions

        values = {k: getattr(p.xgb, k) for k, _ in p.tuning.search_space}
        self.tuning_ = None
        started = clock.perf_counter()
        if p.tuning.enabled:
            self.tuning_ = tune_xgboost(
                E.iloc[train_idx], y[train_idx], p.tuning, p.xgb, seed=p.seed, n_jobs=p.n_jobs, monotone=directions,
                time=None if time is None else np.asarray(time)[train_idx],
                groups=None if groups is None else np.asarray(groups)[train_idx], callbacks=callbacks,
                feature_types=feature_types)
            values = self.tuning_.best_values
        timings["tuning"] = clock.perf_counter() - started
        self.booster_params_ = values
        settings = xgb_settings(values, p.xgb, seed=p.seed, n_jobs=p.n_jobs, monotone=directions,
                                feature_types=feature_types)
        started = clock.perf_counter()
        if self.tuning_ is not None and p.tuning.trees_from == "cv":
            # The number of trees the folds agreed on: early stopping on the held-out rows alone is noisy
            # where they hold few defaults (a small table stopped after one or two trees).
            trees = self.tuning_.trees_for(len(train_idx))
            early = _fit_booster(p, {**settings, "n_estimators": trees, "early_stopping_rounds": None},
                                 E.iloc[train_idx], y[train_idx])
            self.best_iteration_ = trees - 1
        else:
            early = _fit_booster(p, settings, E.iloc[train_idx], y[train_idx],
                                 eval_set=[(E.iloc[hold_idx], y[hold_idx])])
            self.best_iteration_ = int(early.best_iteration)
        raw = early.predict_proba(E)[:, 1]
        timings["early_stopping_fit"] = clock.perf_counter() - started
        started = clock.perf_counter()
        # The calibrator learns from scores the booster has not seen: the held-out rows.
        self.calibrator_ = Calibrator(p.calibration.method, p.calibration.central_tendency).fit(
            raw[hold_idx], y[hold_idx], population=raw)
        timings["calibration"] = clock.perf_counter() - started
        # The final boosters: on all rows (the held-out ones are data too) with the early-stopped number
        # of trees scaled to the larger sample, several seeds averaged; the calibration map above is kept.
        started = clock.perf_counter()
        refit = p.refit_full if p.refit_full is not None else time is None
        rows = np.arange(len(y)) if refit else train_idx
        n_trees = int(np.ceil((self.best_iteration_ + 1) * len(rows) / len(train_idx)))
        settings = {**settings, "n_estimators": n_trees, "early_stopping_rounds": None}
        self.boosters_ = [_fit_booster(p, {**settings, "random_state": p.seed + k}, E.iloc[rows], y[rows])
                          for k in range(p.n_bags)]
        timings["final_fit"] = clock.perf_counter() - started
        self.n_trees_ = n_trees
        self.refit_rows_ = int(len(rows))
        ms = p.master_scale
        self.master_scale_ = MasterScale(ms.n_grades, ms.pd_floor, ms.pd_cap)
        self.holdout_share_ = float(hold.mean())
        self.holdout_rows_ = hold
        self.timings_ = timings
        return self

    @staticmethod
    def _holdout_mask(y: np.ndarray, time, holdout, p: PDModelParams) -> np.ndarray:
        if holdout is not None:
            hold = np.asarray(holdout, dtype=bool)
        elif time is not None:
            t = sortable_time(time)
            hold = t > np.quantile(t, 1 - p.calibration.holdout_share)
        else:
            from sklearn.model_selection import train_test_split

            _, test = train_test_split(np.arange(len(y)), test_size=p.calibration.holdout_share, stratify=y,
                                       random_state=p.seed)
            hold = np.zeros(len(y), dtype=bool)
            hold[test] = True
        if len(hold) != len(y):
            raise ValueError("holdout mask must have one entry per row")
        for name, part in (("held-out", y[hold]), ("training", y[~hold])):
            if len(np.unique(part)) < 2:
                raise ValueError(f"the {name} rows need defaults and non-defaults")
        return hold

    # -- using

    def __setstate__(self, state: dict) -> None:
        # Models pickled before the encoder existed were numeric-only: give them the identity encoding.
        self.__dict__.update(state)
        if "feature_names_in_" in state and "encoder_" not in state:
            self.encoder_ = FeatureEncoder().fit(pd.DataFrame(columns=state["feature_names_in_"], dtype=np.float32))

    def _check_fitted(self) -> None:
        if not hasattr(self, "calibrator_"):
            raise NotFittedError("PDModel is not fitted yet; call fit(X, y) or fit_pd_model(X, y)")

    def predict_margin(self, X: pd.DataFrame) -> np.ndarray:
        """The bag's log-odds score: the mean of the boosters' margins. It is what SHAP values
        decompose exactly (``workbench.explain``); the calibrator maps it monotonically to a PD."""
        return self.margin_of_encoded(self.encode(X))

    def margin_of_encoded(self, E: pd.DataFrame) -> np.ndarray:
        """``predict_margin`` of a frame already encoded by ``encode``."""
        self._check_fitted()
        arr = np.ascontiguousarray(E[self.encoded_names_].to_numpy(dtype=np.float32))
        return np.mean([b.get_booster().inplace_predict(arr, predict_type="margin") for b in self.boosters_], axis=0)

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:
        """The boosters' uncalibrated probability: the logistic of the bag's mean margin (averaging
        in log-odds keeps the score an exact sum of per-feature contributions)."""
        return 1.0 / (1.0 + np.exp(-self.predict_margin(X)))

    def pd_from_margin(self, margin: np.ndarray) -> np.ndarray:
        """The calibrated PD of bag margins (floored at the master scale's floor)."""
        self._check_fitted()
        pd_ = self.calibrator_.transform(1.0 / (1.0 + np.exp(-np.asarray(margin, dtype=float))))
        return np.clip(pd_, self.master_scale_.pd_floor, 1.0)

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of default within the horizon, floored at the master scale's floor."""
        return self.pd_from_margin(self.predict_margin(X))

    def grade(self, X: pd.DataFrame) -> np.ndarray:
        """Master-scale grade label of each row ("1" best .. "n")."""
        return self.master_scale_.grade(self.predict_pd(X))

    def fitted_params(self) -> dict[str, float | int | str]:
        """The settings the final model was fitted with (tuned where tuning ran), as ``model.*``:
        what a validator must see beside the configured params, which only hold the starting point."""
        self._check_fitted()
        out: dict[str, float | int | str] = {f"model.{k}": v for k, v in sorted(self.booster_params_.items())}
        out.update({
            "model.early_stopped_trees": self.best_iteration_ + 1,
            "model.trees_from": "cv" if self.tuning_ is not None and (self.params or PDModelParams()).tuning.trees_from
            == "cv" else "holdout",
            "model.trees_per_booster": getattr(self, "n_trees_", self.best_iteration_ + 1),
            "model.boosters": len(self.boosters_),
            "model.fit_rows": getattr(self, "refit_rows_", 0),
            "model.monotone_features": int(sum(1 for d in (self.monotone_constraints_ or []) if d)),
            "model.categorical_features": len(self.encoder_.categorical_),
            "model.special_value_indicators": len(self.encoder_.special_),
            "model.calibration": self.calibrator_.method,
            "model.tuned": "yes" if self.tuning_ is not None else "no",
        })
        return out

    def tuning_summary(self) -> dict[str, str | int | float]:
        """How the search went (best trial, trials asked / completed / pruned, why it stopped);
        empty when tuning was off."""
        self._check_fitted()
        return {} if self.tuning_ is None else self.tuning_.summary()

    def feature_importance(self) -> pd.DataFrame:
        """Total gain per feature, largest first, with its share and monotone constraint."""
        self._check_fitted()
        gains = pd.Series(0.0, index=self.encoded_names_)
        for booster in self.boosters_:
            gains += pd.Series(booster.get_booster().get_score(importance_type="total_gain")).reindex(
                gains.index).fillna(0.0)
        # A special-value indicator's gain belongs to the column it describes.
        by_feature = gains.groupby(gains.index.map(self.encoder_.parent_)).sum()
        table = pd.DataFrame({"feature": self.feature_names_in_,
                              "total_gain": by_feature.reindex(self.feature_names_in_).to_numpy()})
        table["share"] = table["total_gain"] / max(table["total_gain"].sum(), 1e-12)
        if self.monotone_constraints_ is not None:
            direction = dict(zip(self.encoded_names_, self.monotone_constraints_))
            table["monotone"] = [direction[f] for f in self.feature_names_in_]
        return table.sort_values("total_gain", ascending=False).reset_index(drop=True)


def _fit_booster(p: PDModelParams, settings: dict, X: pd.DataFrame, y: np.ndarray,
                 eval_set: list | None = None) -> xgb.XGBClassifier:
    """One booster with ``settings``: in this process, or with xgboost.dask on the active cluster when
    ``p.engine`` is ``dask`` (``models.distributed``; the same ``XGBClassifier`` type comes back). The
    tuning trials always train in this process."""
    if p.engine == "dask":
        from .distributed import fit_classifier_dask

        return fit_classifier_dask(settings, X, y, eval_set=eval_set)
    if eval_set is None:
        return xgb.XGBClassifier(**settings).fit(X, y, verbose=False)
    return xgb.XGBClassifier(**settings).fit(X, y, eval_set=eval_set, verbose=False)


def sortable_time(time) -> np.ndarray:
    """Dates (any pandas-readable form) or numbers as one sortable float array."""
    arr = np.asarray(time)
    if np.issubdtype(arr.dtype, np.number):
        return arr.astype(float)
    return pd.to_datetime(pd.Series(arr)).to_numpy().astype("datetime64[ns]").astype(np.int64).astype(float)


def monotone_directions_or_zero(features: list[str]) -> list[int]:
    """The dictionary's expected direction per feature; 0 (free) for features it does not know."""
    out = []
    for f in features:
        try:
            out.append(int(lookup(f).direction))
        except KeyError:
            out.append(0)
    return out


def fit_pd_model(X: pd.DataFrame, y, params: PDModelParams | None = None, groups=None, time=None, *,
                 holdout=None, callbacks: Sequence[Callable] = ()) -> PDModel:
    """Fit the calibrated PD model with the repository defaults (tuning included) or ``params``.

    Works on numeric and categorical tables with missing values, special codes and heavy tails. ``time`` makes the
    validation folds and the held-out share respect time; ``groups`` (e.g. obligor ids)
    keep a group's rows in one fold.
    """
    return PDModel(params).fit(X, y, groups=groups, time=time, holdout=holdout, callbacks=callbacks)
