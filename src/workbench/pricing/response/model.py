"""The price-response model: P(accept | spread, cell), guaranteed decreasing in the spread.

The model follows scikit-learn's conventions: ``__init__`` only stores its arguments, ``fit``
validates, fitted attributes end in ``_``, and using an unfitted model raises ``NotFittedError``.
Pure: no file I/O, no tracking.
"""

from __future__ import annotations

from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from ... import format as fmt
from ...format import display_frame, text
from ..params import PriceResponseParams
from .quotes import CELL_COLUMNS, FEATURE_COLUMNS, TARGET, check_frame, first_values

__all__ = ["PriceResponseModel"]

_CHUNK = 50_000  # rows per design-matrix block: bounds memory when optimal_spread scores a whole grid


class PriceResponseModel(BaseEstimator):
    """P(accept | spread, grade, tenor, collateral, tier, relationship), decreasing in the spread.

    The spread enters as the *relative spread* x = spread / reference(grade, collateral), where the
    reference is the median offered spread of that grade and collateral in the quotes fitted on
    (the grade's median when the cell has fewer than ``min_reference_quotes`` quotes). Why: a
    cell's going price scales with PD x LGD, and so does the noise around it; on raw spreads the
    expensive high-risk cells dominate and the estimated price sensitivity collapses (on synthetic
    portfolios of 3,000-11,000 quotes the logistic model's held-out AUC falls from 0.60-0.65 to
    0.56-0.59 on raw spreads). The reference is fixed and positive per cell, so x increases
    strictly with the spread, which keeps monotonicity provable:

    ``kind="logistic"``: a scikit-learn ``LogisticRegression`` (L2, strength ``1/C``) on the
    standardised relative spread, tenor and log(1 + relationship years), one-hot grade, collateral
    and tier, and with ``interactions=True`` one-hot grade x collateral cells (off by default: the
    reference already carries the cell's price level, and on synthetic quotes they add no
    discrimination). The relative spread is
    the only spread-dependent term, so P = expit(beta * x + g(cell)) is strictly decreasing in the
    spread if and only if beta < 0; ``fit`` raises ``ValueError`` when the estimated beta is not
    negative rather than price off a curve that rewards dearer offers. ``spread_coef_`` is beta per
    unit of relative spread (per 100 % of the cell's reference).

    ``kind="xgboost"``: an ``XGBClassifier`` on the relative spread, grade (ordinal), tenor,
    log(1 + relationship years), one-hot collateral and tier, with ``monotone_constraints`` -1 on
    the relative spread (the raw spread is not a feature): non-increasing in the spread by
    construction (flat steps are possible).

    ``fit`` first fits on a training share and scores the held-out share (``holdout_share``,
    stratified at random, or the latest quotes by ``quote_date`` with ``holdout="latest"``) into
    ``metrics_`` (AUC, log loss, mean predicted vs observed acceptance); with ``refit=True`` the
    final model is then refitted on every quote. Grades, collateral types and tiers unseen in
    ``fit`` are rejected by ``predict_acceptance``; an unseen grade x collateral cell falls back to
    the grade's reference spread and the grade and collateral main effects.
    """

    def __init__(self, kind: Literal["logistic", "xgboost"] = "logistic", *, min_quotes: int = 200,
                 holdout_share: float = 0.25, holdout: Literal["random", "latest"] = "random",
                 refit: bool = True, C: float = 1.0, interactions: bool = False, min_reference_quotes: int = 20,
                 n_estimators: int = 200, max_depth: int = 3, learning_rate: float = 0.05,
                 random_state: int = 0, n_jobs: int = 1):
        self.kind = kind
        self.min_quotes = min_quotes
        self.holdout_share = holdout_share
        self.holdout = holdout
        self.refit = refit
        self.C = C
        self.interactions = interactions
        self.min_reference_quotes = min_reference_quotes
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.n_jobs = n_jobs

    @classmethod
    def from_params(cls, response: PriceResponseParams, **kwargs: Any) -> "PriceResponseModel":
        """Unfitted model of ``response.model`` kind needing ``response.min_quotes`` quotes; ``kwargs``
        set the other arguments of ``__init__``."""
        return cls(kind=response.model, min_quotes=response.min_quotes, **kwargs)

    # -- fitting

    def fit(self, features: pd.DataFrame, y: Any = None) -> "PriceResponseModel":
        """Fit on ``quote_features`` output (FEATURE_COLUMNS and ``accepted``); ``y`` is ignored."""
        if self.kind not in ("logistic", "xgboost"):
            raise ValueError(f"kind must be 'logistic' or 'xgboost', got {self.kind!r}")
        if self.holdout not in ("random", "latest"):
            raise ValueError(f"holdout must be 'random' or 'latest', got {self.holdout!r}")
        if not 0 < self.holdout_share < 1:
            raise ValueError(f"holdout_share must be in (0, 1), got {self.holdout_share}")
        check_frame(features, FEATURE_COLUMNS + (TARGET,), "features")
        n = len(features)
        if n < self.min_quotes:
            raise ValueError(f"{n} quotes, fewer than min_quotes={self.min_quotes}: too few to estimate a price "
                             "response (use the hurdle floor as the price)")
        y_all = features[TARGET].to_numpy().astype(bool).astype(int)
        if y_all.min() == y_all.max():
            raise ValueError(f"every quote is {'accepted' if y_all[0] else 'rejected'}: a price response needs both")
        spreads = features["spread_bps"].to_numpy(float)
        if np.any(spreads <= 0):
            raise ValueError("features column 'spread_bps' must be positive (offered spreads in bps)")

        frame = features.reset_index(drop=True)
        # Category levels are fixed on all quotes so the held-out fit and the refit share one design.
        self.grades_ = np.sort(frame["grade"].astype(int).unique())
        self.collateral_types_ = np.sort(frame["collateral_type"].astype(str).unique())
        self.tiers_ = np.sort(frame["tier"].astype(str).unique())
        self.cells_ = (np.sort(_cell_key(frame["grade"].to_numpy().astype(int),
                                         frame["collateral_type"].astype(str).to_numpy()).unique())
                       if self.kind == "logistic" and self.interactions else np.array([], dtype=str))
        self.spread_range_ = (float(spreads.min()), float(np.quantile(spreads, 0.99)))

        train, hold = self._split(frame, y_all)
        self._fit_estimator(frame.iloc[train], y_all[train])
        p_hold = self.predict_acceptance(frame.iloc[hold])
        y_hold = y_all[hold]
        self.metrics_ = {
            "auc": float(roc_auc_score(y_hold, p_hold)) if y_hold.min() != y_hold.max() else float("nan"),
            "log_loss": float(log_loss(y_hold, np.clip(p_hold, 1e-12, 1 - 1e-12), labels=[0, 1])),
            "mean_predicted": float(p_hold.mean()),
            "observed_rate": float(y_hold.mean()),
            "n_train": int(len(train)),
            "n_holdout": int(len(hold)),
            "holdout": self.holdout,
        }
        if self.refit:
            self._fit_estimator(frame, y_all)
        self.n_quotes_ = n
        return self

    def _split(self, frame: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(frame)
        if self.holdout == "latest":
            if "quote_date" not in frame.columns:
                raise ValueError("holdout='latest' needs a 'quote_date' column in features")
            # Latest quotes last (stable sort keeps ties in input order): an out-of-time check.
            order = np.argsort(pd.to_datetime(frame["quote_date"]).to_numpy(), kind="stable")
            cut = n - max(1, int(round(self.holdout_share * n)))
            return np.sort(order[:cut]), np.sort(order[cut:])
        rng = np.random.default_rng(self.random_state)
        hold = np.zeros(n, dtype=bool)
        for cls in (0, 1):  # stratified: both outcomes in both parts
            idx = np.flatnonzero(y == cls)
            k = max(1, int(round(self.holdout_share * len(idx))))
            hold[rng.choice(idx, size=min(k, len(idx) - 1), replace=False)] = True
        return np.flatnonzero(~hold), np.flatnonzero(hold)

    def _fit_estimator(self, frame: pd.DataFrame, y: np.ndarray) -> None:
        # The reference comes from the quotes being fitted only, so the held-out share stays unseen.
        self.spread_reference_ = self._reference(frame)
        numeric = self._numeric(frame)
        if self.kind == "logistic":
            # Standardise on the data being fitted so the L2 penalty treats the terms alike.
            self.numeric_center_ = numeric.mean(axis=0)
            scale = numeric.std(axis=0)
            self.numeric_scale_ = np.where(scale > 0, scale, 1.0)
        self.feature_names_ = self._names()
        # Where the model has seen quotes, in relative terms: beyond it a tree model is flat and
        # a logistic one pure extrapolation, so optimal_spread does not search past it.
        self.relative_spread_support_ = (float(np.quantile(numeric[:, 0], 0.005)),
                                         float(np.quantile(numeric[:, 0], 0.995)))
        X = self._design(frame, numeric)
        if self.kind == "logistic":
            est = LogisticRegression(C=self.C, max_iter=5000)
            est.fit(X, y)
            beta = float(est.coef_[0][0]) / float(self.numeric_scale_[0])
            if not beta < 0:
                raise ValueError(
                    f"the fitted relative-spread coefficient is {beta:+.4f} (>= 0): on these quotes acceptance does "
                    "not fall as the spread rises once grade, tenor, collateral, tier and relationship are held "
                    "fixed, so no decreasing price response can be estimated. Check that spreads are in bps and "
                    "that 'accepted' is not inverted, or supply more quotes.")
            self.spread_coef_ = beta
        else:
            import xgboost as xgb

            constraints = tuple(-1 if name == "relative_spread" else 0 for name in self.feature_names_)
            est = xgb.XGBClassifier(
                n_estimators=self.n_estimators, max_depth=self.max_depth, learning_rate=self.learning_rate,
                objective="binary:logistic", tree_method="hist", monotone_constraints=constraints,
                random_state=self.random_state, n_jobs=self.n_jobs, subsample=0.8, min_child_weight=5,
            )
            est.fit(X, y, verbose=False)
        self.estimator_ = est

    def _reference(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Reference spread per grade x collateral: the cell's median, else the grade's, else all quotes'."""
        df = pd.DataFrame({"grade": frame["grade"].to_numpy().astype(int),
                           "collateral_type": frame["collateral_type"].astype(str).to_numpy(),
                           "spread_bps": frame["spread_bps"].to_numpy(float)})
        overall = float(df["spread_bps"].median())
        by_grade = df.groupby("grade")["spread_bps"].agg(["median", "size"])
        by_cell = df.groupby(["grade", "collateral_type"])["spread_bps"].agg(["median", "size"])
        rows = []
        for g in self.grades_:
            for c in self.collateral_types_:
                n_cell = int(by_cell["size"].get((g, c), 0))
                n_grade = int(by_grade["size"].get(g, 0))
                if n_cell >= self.min_reference_quotes:
                    rows.append((g, c, float(by_cell["median"][(g, c)]), n_cell, "grade x collateral"))
                elif n_grade >= self.min_reference_quotes:
                    rows.append((g, c, float(by_grade["median"][g]), n_grade, "grade"))
                else:
                    rows.append((g, c, overall, len(df), "all quotes"))
        return pd.DataFrame(rows, columns=["grade", "collateral_type", "reference_bps", "n_quotes", "source"])

    # -- design

    def _numeric(self, frame: pd.DataFrame) -> np.ndarray:
        grade, coll, _ = self._levels(frame)
        ref = self.spread_reference_.set_index(["grade", "collateral_type"])["reference_bps"]
        reference = ref.reindex(pd.MultiIndex.from_arrays([grade, coll])).to_numpy(float)
        # Relationship enters as log(1 + years): the first years of a relationship matter most.
        return np.column_stack([
            frame["spread_bps"].to_numpy(float) / reference,
            frame["tenor_years"].to_numpy(float),
            np.log1p(np.maximum(frame["relationship_years"].to_numpy(float), 0.0)),
        ])

    def _names(self) -> list[str]:
        numeric = ["relative_spread", "tenor_years", "log1p_relationship_years"]
        coll = [f"collateral={c}" for c in self.collateral_types_]
        tier = [f"tier={t}" for t in self.tiers_]
        if self.kind == "xgboost":
            return numeric[:1] + ["grade"] + numeric[1:] + coll + tier
        cells = [f"grade x collateral={c}" for c in self.cells_]
        return numeric + [f"grade={g}" for g in self.grades_] + coll + tier + cells

    def _levels(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        grade = frame["grade"].to_numpy().astype(float)
        if np.any(grade != np.round(grade)):
            raise ValueError("grade must be an integer master-scale grade")
        grade = grade.astype(int)
        coll = frame["collateral_type"].astype(str).to_numpy()
        tier = frame["tier"].astype(str).to_numpy()
        for col, values, known in (("grade", grade, self.grades_), ("collateral_type", coll, self.collateral_types_),
                                   ("tier", tier, self.tiers_)):
            unseen = ~np.isin(values, known)
            if unseen.any():
                raise ValueError(f"{col} value(s) {first_values(values[unseen])} were not in the quotes the model was "
                                 f"fitted on (known: {', '.join(map(str, known))})")
        return grade, coll, tier

    def _design(self, frame: pd.DataFrame, numeric: np.ndarray | None = None) -> np.ndarray:
        numeric = self._numeric(frame) if numeric is None else numeric
        grade, coll, tier = self._levels(frame)

        def onehot(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
            return (np.asarray(values)[:, None] == levels[None, :]).astype(float)

        if self.kind == "xgboost":
            return np.column_stack([numeric[:, :1], grade.astype(float), numeric[:, 1:],
                                    onehot(coll, self.collateral_types_), onehot(tier, self.tiers_)])
        z = (numeric - self.numeric_center_) / self.numeric_scale_
        parts = [z, onehot(grade, self.grades_), onehot(coll, self.collateral_types_), onehot(tier, self.tiers_)]
        if len(self.cells_):
            parts.append(onehot(_cell_key(grade, coll).to_numpy(), self.cells_))
        return np.column_stack(parts)

    # -- use

    def _check_fitted(self) -> None:
        if not hasattr(self, "estimator_"):
            raise NotFittedError("PriceResponseModel is not fitted yet; call fit(quote_features(...)) first")

    def predict_acceptance(self, frame: pd.DataFrame) -> np.ndarray:
        """Acceptance probability of each row (FEATURE_COLUMNS needed, other columns ignored)."""
        self._check_fitted()
        check_frame(frame, FEATURE_COLUMNS, "frame")
        out = np.empty(len(frame))
        for start in range(0, len(frame), _CHUNK):  # blocks: the one-hot design of a whole grid is large
            part = frame.iloc[start:start + _CHUNK]
            out[start:start + _CHUNK] = self.estimator_.predict_proba(self._design(part))[:, 1]
        return out

    def spread_support(self, cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the range of spreads (bps) the fitted quotes cover: the cell's reference spread
        times the 0.5 % and 99.5 % quantiles of the fitted relative spreads."""
        self._check_fitted()
        check_frame(cells, ("grade", "collateral_type"), "cells")
        grade, coll = cells["grade"].to_numpy().astype(int), cells["collateral_type"].astype(str).to_numpy()
        for col, values, known in (("grade", grade, self.grades_), ("collateral_type", coll, self.collateral_types_)):
            unseen = ~np.isin(values, known)
            if unseen.any():
                raise ValueError(f"{col} value(s) {first_values(values[unseen])} were not in the quotes the model was "
                                 f"fitted on (known: {', '.join(map(str, known))})")
        ref = self.spread_reference_.set_index(["grade", "collateral_type"])["reference_bps"]
        reference = ref.reindex(pd.MultiIndex.from_arrays([grade, coll])).to_numpy(float)
        lo, hi = self.relative_spread_support_
        return reference * lo, reference * hi

    def table(self) -> pd.DataFrame:
        """Readable summary of the fitted model.

        logistic: one row per term with its coefficient on the log-odds per unit of the raw feature
        (per 1.0 of relative spread, i.e. per 100 % of the cell's reference spread; per year of tenor;
        per unit of log(1 + relationship years); or for a one-hot level), its odds ratio, and the
        coefficient per standard deviation for the numerics. xgboost: gain importance per feature,
        its share, and the monotone constraint. The reference spreads are in ``spread_reference_``.
        """
        self._check_fitted()
        names = self.feature_names_
        if self.kind == "logistic":
            coef = self.estimator_.coef_[0]
            k = len(self.numeric_scale_)
            # Back to raw units; the intercept is then that of a quote with all numerics at zero.
            raw = np.concatenate([coef[:k] / self.numeric_scale_, coef[k:]])
            shift = np.sum(coef[:k] * self.numeric_center_ / self.numeric_scale_)
            intercept = float(self.estimator_.intercept_[0] - shift)
            group = [n.split("=")[0] if "=" in n else ("spread" if n == "relative_spread" else "numeric")
                     for n in names]
            coefs = np.concatenate([[intercept], raw])
            return pd.DataFrame({
                "term": ["intercept"] + names,
                "group": ["intercept"] + group,
                "coefficient": coefs,
                "odds_ratio": np.exp(coefs),
                "coefficient_per_sd": np.concatenate([[np.nan], coef[:k], np.full(len(coef) - k, np.nan)]),
            })
        score = self.estimator_.get_booster().get_score(importance_type="gain")
        gain = np.array([score.get(f"f{i}", 0.0) for i in range(len(names))])
        total = gain.sum()
        out = pd.DataFrame({
            "feature": names, "gain": gain, "share": gain / total if total > 0 else gain,
            "monotone_constraint": [-1 if n == "relative_spread" else 0 for n in names],
        })
        return out.sort_values("gain", ascending=False, ignore_index=True)

    def display_table(self) -> pd.DataFrame:
        """``table()`` for display: logistic coefficients (log-odds per unit of the raw term),
        odds ratios and per-standard-deviation coefficients to 4 significant digits, blank where
        a term has none; xgboost gain, share of gain and monotone constraint."""
        self._check_fitted()
        t = self.table()
        if self.kind == "logistic":
            return display_frame(t.set_index("term"), {
                "group": ("group", text), "coefficient": ("coefficient (log-odds)", fmt.number),
                "odds_ratio": ("odds ratio", fmt.number),
                "coefficient_per_sd": ("per standard deviation", lambda v: "" if pd.isna(v) else fmt.number(v)),
            })
        return display_frame(t.set_index("feature"), {
            "gain": ("gain", fmt.number), "share": ("share of gain", fmt.percent),
            "monotone_constraint": ("monotone constraint", lambda v: "decreasing" if v < 0 else "none"),
        })

    def display_metrics(self) -> pd.DataFrame:
        """``metrics_`` (held-out fit) as figure / value rows: AUC, log loss, mean predicted and
        observed acceptance, the quotes fitted on and held out, how they were held out."""
        self._check_fitted()
        m = self.metrics_
        rows = {"held-out AUC": fmt.number(m["auc"]), "held-out log loss": fmt.number(m["log_loss"]),
                "mean predicted acceptance": fmt.percent(m["mean_predicted"]),
                "observed acceptance": fmt.percent(m["observed_rate"]),
                "quotes fitted on": fmt.integer(m["n_train"]), "quotes held out": fmt.integer(m["n_holdout"]),
                "hold-out": str(m["holdout"])}
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)}).rename_axis("price-response model")

    def acceptance_curve(self, grade: int, tenor: float, collateral: str, tier: str, relationship_years: float,
                         spreads: Sequence[float] | np.ndarray | None = None) -> pd.DataFrame:
        """Acceptance probability against spread for one cell.

        ``spreads`` defaults to 151 points from 0 to the 99th percentile of the fitted spreads.
        Columns: spread_bps, acceptance_probability and the cell's columns.
        """
        self._check_fitted()
        if spreads is None:
            spreads = np.linspace(0.0, self.spread_range_[1], 151)
        s = np.asarray(spreads, dtype=float).ravel()
        frame = pd.DataFrame({"spread_bps": s, "grade": int(grade), "tenor_years": float(tenor),
                              "collateral_type": str(collateral), "tier": str(tier),
                              "relationship_years": float(relationship_years)})
        return frame.assign(acceptance_probability=self.predict_acceptance(frame))[
            ["spread_bps", "acceptance_probability", *CELL_COLUMNS]]


def _cell_key(grade: np.ndarray, collateral: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(grade).astype(int).astype(str), dtype=object) + "|" + \
        pd.Series(np.asarray(collateral, dtype=object), dtype=object)
