"""SHAP values of the PD model (and exact contributions of the scorecard), global importance
and its stability across the bag.

``shap_values(model, X)`` decomposes the model's log-odds score, row by row, into a base value
plus one contribution per feature (exact path-dependent TreeSHAP, Lundberg et al. 2020). For a
``PDModel`` the score is the bag's mean margin, so its SHAP values are the mean of the
boosters' SHAP values (SHAP is linear in the model). A positive contribution raises the PD.
The calibrator maps the score to a PD monotonically, so the ranking of drivers carries over.

Two engines give the same numbers (to float32 rounding, ~1e-7):

* ``"fast"`` (default): this package's compiled TreeSHAP (``_treeshap``), several times faster
  than xgboost's own routine on the shallow trees the PD model uses;
* ``"xgboost"``: ``Booster.predict(pred_contribs=True)`` on a ``DMatrix``, also what
  ``shap.TreeExplainer`` calls for xgboost models. ``"auto"`` uses it for boosters the fast
  engine does not handle (categorical splits, dart, multi-output).

Every result is checked: base value + contributions must equal the model's margin within
``ADDITIVITY_TOL`` on every row, else ``AdditivityError`` says how many rows fail.

``scorecard_contributions`` does the same for the WOE scorecard, where the decomposition is
the logistic regression itself: ``coef_j * WOE_j(x)``, the intercept as base value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy import stats

# The text bar: tqdm.auto would need ipywidgets in the kernel and warns without them.
from tqdm import tqdm

from ..features.dictionary import FEATURES
from ..models.pd_model import PDModel
from ..reference import metrics as metric_names
from . import _treeshap

if TYPE_CHECKING:
    from ..models.scorecard import ScorecardModel

__all__ = [
    "ADDITIVITY_TOL",
    "AdditivityError",
    "ShapResult",
    "ImportanceStability",
    "shap_values",
    "scorecard_contributions",
    "importance_stability",
    "bag_importance_stability",
    "feature_label",
    "feature_direction",
]

ADDITIVITY_TOL = 1e-4
Engine = Literal["auto", "fast", "xgboost"]
TreeModel = Union[PDModel, xgb.XGBModel, xgb.Booster]


class AdditivityError(ValueError):
    """Contributions that do not add up to the model's score: the explanation is not of this model."""


def feature_label(name: str) -> str:
    """The dictionary's business label, or the column name for features it does not know."""
    spec = FEATURES.get(name)
    return spec.label if spec is not None and spec.label else name


def feature_direction(name: str) -> int:
    """The dictionary's expected direction with PD (+1, -1, 0); 0 for features it does not know."""
    spec = FEATURES.get(name)
    return int(spec.direction) if spec is not None else 0


@dataclass(frozen=True)
class ShapResult:
    """Per-row decomposition of a model's log-odds score.

    ``values``: rows x features (float64), same index as the X explained; ``base_value``: the
    bias (a float, or one per row); ``margin``: the model's log-odds per row, which
    ``base_value + values.sum(axis=1)`` equals; ``data``: the feature values explained (the
    model's view: float, inf as NaN, a category as its code, a special code as NaN); ``prob_default``:
    the model's PD per row (calibrated for a ``PDModel``), or None; ``model_kind``: what was explained.
    For a model with categories or special codes ``extra`` holds ``value_text`` (those values in
    words, e.g. ``business`` or ``special value -9``) and ``categories`` (each column's names in code
    order). A ``PDModel``'s values are per input column: a special-value indicator's contribution is
    added to its column's.
    """

    values: pd.DataFrame
    base_value: float | np.ndarray
    margin: np.ndarray
    data: pd.DataFrame
    prob_default: np.ndarray | None = None
    model_kind: str = "xgboost"
    engine: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return list(self.values.columns)

    def base_values(self) -> np.ndarray:
        """The base value of every row (the bias is the same for all rows of a tree model)."""
        return np.broadcast_to(np.asarray(self.base_value, dtype=float), (len(self.values),)).copy()

    def importance(self) -> pd.Series:
        """Mean absolute SHAP value per feature (log-odds), in column order."""
        return self.values.abs().mean(axis=0).rename("mean_abs_shap")

    def table(self) -> pd.DataFrame:
        """Global importance: ``feature``, ``label``, ``mean_abs_shap``, ``share`` (of the total) and
        ``rank`` (1 = most important; ties share the lower rank), largest first."""
        imp = self.importance()
        total = float(imp.sum())
        out = pd.DataFrame({
            "feature": imp.index.astype(str),
            "label": [feature_label(f) for f in imp.index],
            "mean_abs_shap": imp.to_numpy(dtype=float),
            "share": imp.to_numpy(dtype=float) / total if total > 0 else 0.0,
        })
        out = out.sort_values(["mean_abs_shap", "feature"], ascending=[False, True], kind="stable")
        out["rank"] = out["mean_abs_shap"].rank(ascending=False, method="min").astype(int)
        return out.reset_index(drop=True)

    def to_frame(self, ids: pd.DataFrame | pd.Series | None = None,
                 format: Literal["wide", "long"] = "wide") -> pd.DataFrame:
        """A flat table for Parquet.

        ``wide``: one row per explained row: the ``ids`` columns (matched by position), then
        ``base_value``, ``margin``, ``pd`` (when known) and ``shap_<feature>`` per feature.
        ``long``: one row per (row, feature): ids, ``feature``, ``value`` (the feature's value)
        and ``shap``. Without ids, a ``row`` column holds the index labels.
        """
        n = len(self.values)
        if ids is None:
            id_frame = pd.DataFrame({"row": self.values.index.to_numpy()})
        else:
            id_frame = ids.to_frame() if isinstance(ids, pd.Series) else ids
            if len(id_frame) != n:
                raise ValueError(f"ids has {len(id_frame)} rows but the SHAP values have {n}")
            id_frame = id_frame.reset_index(drop=True)
        clash = [c for c in id_frame.columns if c in ("base_value", "margin", "pd", "feature", "value", "shap")
                 or str(c).startswith("shap_")]
        if clash:
            raise ValueError(f"id columns clash with SHAP output columns: {', '.join(map(str, clash))}")
        if format == "wide":
            parts = {"base_value": self.base_values(), "margin": np.asarray(self.margin, dtype=float)}
            if self.prob_default is not None:
                parts["pd"] = np.asarray(self.prob_default, dtype=float)
            body = pd.DataFrame(parts)
            shap_cols = pd.DataFrame(self.values.to_numpy(dtype=float),
                                     columns=[f"shap_{c}" for c in self.values.columns])
            return pd.concat([id_frame, body, shap_cols], axis=1)
        if format == "long":
            p = self.values.shape[1]
            out = id_frame.loc[id_frame.index.repeat(p)].reset_index(drop=True)
            out["feature"] = np.tile(np.asarray(self.values.columns, dtype=object), n)
            out["value"] = self.data.to_numpy(dtype=float).reshape(-1)
            out["shap"] = self.values.to_numpy(dtype=float).reshape(-1)
            return out
        raise ValueError(f"format must be 'wide' or 'long', got {format!r}")


# --------------------------------------------------------------------------- tree models


def _boosters_of(model: TreeModel) -> tuple[list[xgb.Booster], list[str] | None, str]:
    """The boosters to average, the feature names they expect and what kind of model it is."""
    if isinstance(model, PDModel):
        model._check_fitted()
        return [b.get_booster() for b in model.boosters_], model.encoded_names_, "PDModel"
    if isinstance(model, xgb.XGBModel):
        booster = model.get_booster()
        return [booster], (list(booster.feature_names) if booster.feature_names else None), type(model).__name__
    if isinstance(model, xgb.Booster):
        return [model], (list(model.feature_names) if model.feature_names else None), "Booster"
    raise TypeError(f"cannot explain a {type(model).__name__}: expected a PDModel, an xgboost model or Booster "
                    "(for the scorecard use scorecard_contributions)")


def _model_matrix(model: TreeModel, X: pd.DataFrame | np.ndarray, features: list[str] | None) -> pd.DataFrame:
    """X as the model sees it: its columns in its order, float32, inf as missing (for a ``PDModel``
    its encoding: category codes, special values as missing plus their indicators)."""
    if isinstance(model, PDModel):
        if isinstance(X, np.ndarray):
            if X.ndim != 2 or X.shape[1] != len(model.feature_names_in_):
                raise ValueError(f"X must be 2-d with {len(model.feature_names_in_)} columns, got shape {X.shape}")
            X = pd.DataFrame(X, columns=model.feature_names_in_)
        return model.encode(X)
    if isinstance(X, np.ndarray):
        if features is None:
            features = [f"f{i}" for i in range(X.shape[1])]
        if X.ndim != 2 or X.shape[1] != len(features):
            raise ValueError(f"X must be 2-d with {len(features)} columns, got shape {X.shape}")
        X = pd.DataFrame(X, columns=features)
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    if features is None:
        features = [str(c) for c in X.columns]
    missing = [c for c in features if c not in X.columns]
    if missing:
        raise ValueError(f"X lacks columns the model was fitted on: {', '.join(missing)}")
    # Extra columns (ids, industry, target) are allowed: only the model's columns are explained.
    sub = X[features]
    non_numeric = [c for c in features if not pd.api.types.is_numeric_dtype(sub[c])]
    if non_numeric:
        raise TypeError(f"X has non-numeric columns: {', '.join(non_numeric)}")
    return sub.astype(np.float32).replace([np.inf, -np.inf], np.nan)


def _margin(model: TreeModel, boosters: list[xgb.Booster], Xc: pd.DataFrame) -> np.ndarray:
    if isinstance(model, PDModel):
        return np.asarray(model.margin_of_encoded(Xc), dtype=float)
    arr = np.ascontiguousarray(Xc.to_numpy(dtype=np.float32))
    return np.mean([b.inplace_predict(arr, predict_type="margin") for b in boosters], axis=0).astype(float)


def _xgboost_contribs(boosters: list[xgb.Booster], arr: np.ndarray,
                      features: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Mean over boosters of xgboost's own TreeSHAP; returns (contributions, bias per row)."""
    types = boosters[0].feature_types
    categorical = types is not None and "c" in types
    dm = xgb.DMatrix(arr, nthread=-1, feature_names=features if boosters[0].feature_names else None,
                     feature_types=list(types) if categorical else None, enable_categorical=categorical)
    total = None
    for booster in boosters:
        # A copy so that asking for every core does not change the caller's booster.
        b = booster.copy()
        b.set_param({"nthread": os.cpu_count() or 1})
        c = b.predict(dm, pred_contribs=True, validate_features=False).astype(np.float64)
        total = c if total is None else total + c
    total /= len(boosters)
    return total[:, :-1], total[:, -1]


def _check_additivity(values: np.ndarray, base: np.ndarray | float, margin: np.ndarray, index: pd.Index,
                      tol: float = ADDITIVITY_TOL) -> None:
    diff = np.asarray(base, dtype=float) + values.sum(axis=1) - margin
    bad = ~(np.abs(diff) <= tol)  # NaN counts as a failure
    if bad.any():
        worst = int(np.nanargmax(np.where(np.isnan(diff), np.inf, np.abs(diff))))
        raise AdditivityError(
            f"SHAP values do not add up to the model's margin on {int(bad.sum())} of {len(diff)} rows "
            f"(tolerance {tol:g}); worst row {index[worst]!r}: base + contributions - margin = {diff[worst]:.3g}. "
            "The explanation does not describe this model (wrong columns, changed boosters or an unsupported "
            "booster feature); try engine='xgboost'.")


def shap_values(model: TreeModel, X: pd.DataFrame, batch_size: int = 20_000, progress: bool = True,
                check_additivity: bool = True, *, engine: Engine = "auto") -> ShapResult:
    """Exact TreeSHAP values in log-odds of a ``PDModel`` (mean over its bag), an
    ``xgboost.XGBModel`` or an ``xgboost.Booster``.

    X may hold extra columns (ids, industry); the model's columns are taken in its order.
    Rows are processed in batches of ``batch_size`` with a progress bar (shown when
    ``progress`` and there is more than one batch); all cores are used.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if engine not in ("auto", "fast", "xgboost"):
        raise ValueError(f"engine must be 'auto', 'fast' or 'xgboost', got {engine!r}")

    boosters, features, kind = _boosters_of(model)
    Xc = _model_matrix(model, X, features)
    features = list(Xc.columns)
    arr = np.ascontiguousarray(Xc.to_numpy(dtype=np.float32))
    n = len(arr)

    ensemble = None
    if engine in ("auto", "fast"):
        try:
            ensemble = _treeshap.compile_ensemble(boosters)
        except _treeshap.UnsupportedModel:
            if engine == "fast":
                raise
        if ensemble is not None and ensemble.n_features != len(features):
            raise ValueError(f"the boosters expect {ensemble.n_features} features, X provides {len(features)}")
    used = "fast" if ensemble is not None else "xgboost"

    values = np.empty((n, len(features)), dtype=np.float64)
    bias = np.empty(n, dtype=np.float64)
    n_batches = max(1, -(-n // batch_size))
    with tqdm(total=n, desc="SHAP", unit="rows", disable=not progress or n_batches <= 1) as bar:
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            if ensemble is not None:
                values[start:stop] = _treeshap.ensemble_contribs(ensemble, arr[start:stop])
                bias[start:stop] = ensemble.bias
            else:
                values[start:stop], bias[start:stop] = _xgboost_contribs(boosters, arr[start:stop], features)
            bar.update(stop - start)

    margin = _margin(model, boosters, Xc)
    base: float | np.ndarray = float(bias[0]) if n and np.all(bias == bias[0]) else bias
    if check_additivity and n:
        _check_additivity(values, base, margin, Xc.index)
    frame = pd.DataFrame(values, index=Xc.index, columns=features)
    data, extra = Xc.astype(np.float64), {}
    if isinstance(model, PDModel):
        prob = model.pd_from_margin(margin)
        frame = _fold_to_inputs(model, frame)
        data = data[model.feature_names_in_]
        extra = _value_words(model, X, Xc.index)
    else:
        prob = 1.0 / (1.0 + np.exp(-margin))
    return ShapResult(values=frame, base_value=base, margin=margin, data=data,
                      prob_default=np.asarray(prob, dtype=float), model_kind=kind, engine=used, extra=extra)


def _fold_to_inputs(model: PDModel, values: pd.DataFrame) -> pd.DataFrame:
    """Contributions per input column: a special-value indicator's contribution is added to the column
    it describes (SHAP values of a group of features are the sum of theirs), so the explanation speaks
    of the table the modeller gave, not of the encoding."""
    if list(values.columns) == list(model.feature_names_in_):
        return values
    parent = model.encoder_.parent_
    folded = values.T.groupby(values.columns.map(parent), sort=False).sum().T
    return folded[model.feature_names_in_]


def _value_words(model: PDModel, X, index: pd.Index) -> dict[str, Any]:
    """``value_text`` (categories and special codes in words, for reason codes and plots) and the
    categories of each categorical column, when the model has any."""
    encoder = model.encoder_
    if encoder.is_trivial or not isinstance(X, pd.DataFrame):
        return {}
    text = encoder.value_text(X)
    text.index = index
    return {"value_text": text, "categories": dict(encoder.categories_)}


# --------------------------------------------------------------------------- scorecard


def scorecard_contributions(scorecard: ScorecardModel, X: pd.DataFrame, check_additivity: bool = True) -> ShapResult:
    """Exact contributions of the WOE logistic scorecard: ``coef_j * WOE_j(x)`` per selected
    feature, the intercept as base value; they add up to the scorecard's log-odds of default.

    optbinning's WOE is ``ln(non-default share / default share)`` (high = safe), so useful
    features have negative coefficients and a risky bin (negative WOE) gives a positive
    contribution: positive raises the PD, as for the tree model.
    """
    # Imported here: optbinning (and its solver) is slow to import and only the scorecard needs it.
    from ..models.scorecard import ScorecardModel

    if not isinstance(scorecard, ScorecardModel):
        raise TypeError(f"expected a ScorecardModel, got {type(scorecard).__name__}")
    scorecard._check_fitted()
    Xc = scorecard._check_X(X, fitting=False)
    sc = scorecard.scorecard_
    bp = scorecard.binning_process_
    # The same transform the scorecard's predict_proba applies (missing/special bins: empirical WOE).
    woe = bp.transform(Xc[bp.variable_names], metric="woe",
                       metric_special=getattr(sc, "_metric_special", "empirical"),
                       metric_missing=getattr(sc, "_metric_missing", "empirical"))
    est = scorecard.estimator_
    columns = list(getattr(est, "feature_names_in_", scorecard.selected_features_))
    coef = np.asarray(est.coef_, dtype=float).ravel()
    values = woe[columns].to_numpy(dtype=float) * coef
    intercept = float(np.asarray(est.intercept_, dtype=float).ravel()[0])
    margin = np.asarray(sc.decision_function(Xc), dtype=float)
    if check_additivity and len(values):
        _check_additivity(values, intercept, margin, Xc.index)
    extra = {"woe": pd.DataFrame(woe[columns].to_numpy(dtype=float), index=Xc.index, columns=columns),
             "coefficients": pd.Series(coef, index=columns)}
    # Categories and special codes in words (reason codes cite them by sign) and category names for plots.
    text = scorecard.value_text(X)  # the raw X: it names unseen categories
    text = text[[c for c in text.columns if c in columns]]
    if text.shape[1]:
        text.index = Xc.index
        extra.update(value_text=text,
                     categories={c: list(scorecard.categories_[c]) for c in columns if c in scorecard.categories_})
    return ShapResult(values=pd.DataFrame(values, index=Xc.index, columns=columns), base_value=intercept,
                      margin=margin, data=scorecard.numeric_view(Xc)[columns],
                      prob_default=scorecard.predict_pd(Xc), model_kind="ScorecardModel", engine="linear",
                      extra=extra)


# --------------------------------------------------------------------------- stability


@dataclass(frozen=True)
class ImportanceStability:
    """Spearman rank correlation of global importance (mean |SHAP|) between runs.

    ``importance``: features x runs; ``correlations``: runs x runs; ``pairs``: one row per pair
    (``a``, ``b``, ``spearman``); ``min`` and ``mean`` over the pairs.
    """

    importance: pd.DataFrame
    correlations: pd.DataFrame
    pairs: pd.DataFrame
    min: float
    mean: float

    def summary(self) -> dict[str, float]:
        """``{"spearman_min", "spearman_mean", "n_runs"}``."""
        return {"spearman_min": self.min, "spearman_mean": self.mean, "n_runs": float(self.importance.shape[1])}

    def metrics(self) -> dict[str, float]:
        """``summary()`` under the names it is logged with (``explain/bag_spearman_min``, ...)."""
        return {metric_names.explain_metric(k): v for k, v in self.summary().items()}


def _as_importance(item) -> pd.Series:
    if isinstance(item, ShapResult):
        return item.importance()
    if isinstance(item, pd.DataFrame):
        if {"feature", "mean_abs_shap"} <= set(item.columns):
            return item.set_index("feature")["mean_abs_shap"]
        raise ValueError("an importance table needs columns 'feature' and 'mean_abs_shap' (ShapResult.table())")
    if isinstance(item, pd.Series):
        return item
    raise TypeError(f"cannot read importance from a {type(item).__name__}: pass ShapResults, importance tables "
                    "or Series of mean |SHAP| by feature")


def importance_stability(results: Sequence | Mapping[str, Any]) -> ImportanceStability:
    """How stable the ranking of features is across bags or retrains.

    ``results``: ShapResults, ``ShapResult.table()`` frames or Series (feature -> mean |SHAP|),
    as a list or a mapping name -> item. Features missing from a run count as importance 0.
    """
    items = dict(results) if isinstance(results, Mapping) else {f"run_{k}": r for k, r in enumerate(results)}
    if len(items) < 2:
        raise ValueError(f"importance stability needs at least two runs, got {len(items)}")
    imp = pd.DataFrame({name: _as_importance(item).astype(float) for name, item in items.items()}).fillna(0.0)
    names = list(imp.columns)
    corr = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            rho = float(stats.spearmanr(imp[a], imp[b]).statistic)
            corr.loc[a, b] = corr.loc[b, a] = rho
            rows.append({"a": a, "b": b, "spearman": rho})
    pairs = pd.DataFrame(rows)
    return ImportanceStability(importance=imp, correlations=corr, pairs=pairs,
                               min=float(pairs["spearman"].min()), mean=float(pairs["spearman"].mean()))


def bag_importance_stability(model: PDModel, X: pd.DataFrame, batch_size: int = 20_000,
                             progress: bool = False) -> ImportanceStability:
    """Importance stability between the boosters of one ``PDModel``'s bag (each explained alone on X)."""
    if not isinstance(model, PDModel):
        raise TypeError(f"expected a PDModel, got {type(model).__name__}")
    model._check_fitted()
    if len(model.boosters_) < 2:
        raise ValueError("the model's bag has a single booster; fit with n_bags >= 2")
    Xc = _model_matrix(model, X, None)
    runs = {f"bag_{k}": _fold_to_inputs(model, shap_values(b, Xc, batch_size=batch_size, progress=progress).values)
            .abs().mean(axis=0).rename("mean_abs_shap") for k, b in enumerate(model.boosters_)}
    return importance_stability(runs)


def shap_importance_side_by_side(models: Mapping[str, TreeModel | None], X: pd.DataFrame,
                                 progress: bool = False) -> pd.DataFrame:
    """Global SHAP importance of several models on the same rows, side by side
    (``workbench.validation.importance_comparison``); models given as None (no champion yet)
    are left out."""
    from ..validation import importance_comparison

    present = {label: model for label, model in models.items() if model is not None}
    return importance_comparison({label: shap_values(model, X, progress=progress).table()
                                  for label, model in present.items()})
