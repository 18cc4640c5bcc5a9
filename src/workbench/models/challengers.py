"""Challengers to the PD model, trained on the same split and judged on the same rows.

* the WOE logistic scorecard (``ScorecardModel``), the transparent model a validator
  can read bin by bin;
* Altman's Z'' (a published formula, no fitting), the naive benchmark any model
  must beat.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..reference import metrics
from ..validation import auc, brier, gini, ks
from .encoding import special_codes_for
from .scorecard import ScorecardModel
from .training import TrainingResult

__all__ = ["challenger_scores", "compare_models", "challenger_metrics"]


def challenger_scores(panel: pd.DataFrame, result: TrainingResult, target: str,
                      scorecard: ScorecardModel | None = None) -> pd.DataFrame:
    """PD-like scores of every panel row from the model and its challengers (same row order).

    The scorecard is fitted on the training rows (``split == train``) of the model's own
    features (with the model's special codes, unless a ``scorecard`` is given); Altman Z'' is turned into a risk score by negation (no probability).
    """
    train = (panel["split"] == "train").to_numpy()
    card = scorecard or ScorecardModel(special_codes=_special_values(result))
    # Binning needs values: features never observed in the training rows (e.g. 3-year trends
    # in a short history) cannot enter the scorecard.
    codes = card.special_codes
    usable = [f for f in result.features if _observed(panel.loc[train, f], special_codes_for(codes, f))]
    card.fit(panel.loc[train, usable], panel.loc[train, target])
    scores = pd.DataFrame({
        "split": panel["split"].to_numpy(),
        target: panel[target].to_numpy(),
        "xgboost": result.predictions["pd"].to_numpy(),
        "scorecard": card.predict_pd(panel[usable]),
    })
    if "altman_z2" in panel.columns:
        z = panel["altman_z2"].astype(float)
        scores["altman_z2"] = -z.fillna(z.median()).to_numpy()  # lower Z'' = riskier
    scores.attrs["scorecard"] = card
    return scores


def _observed(values: pd.Series, special_codes: list[float]) -> bool:
    """Whether the column has a value to bin: a finite number that is not a special code, or a category."""
    if pd.api.types.is_numeric_dtype(values):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        return bool((np.isfinite(arr) & ~np.isin(arr, special_codes)).any())
    return bool(values.notna().any())


def _special_values(result: TrainingResult):
    """The special codes the PD model was given, so that the scorecard bins them apart too."""
    encoder = getattr(result.model, "encoder_", None)
    return (encoder.special_values or None) if encoder is not None else None


def compare_models(scores: pd.DataFrame, target: str, split: str = "oot") -> pd.DataFrame:
    """AUC, Gini, KS (and Brier where the score is a probability) of each model on one split."""
    part = scores[scores["split"] == split]
    rows = []
    for model in [c for c in scores.columns if c not in ("split", target)]:
        y, s = part[target].to_numpy(), part[model].to_numpy()
        is_pd = bool(np.all((s >= 0) & (s <= 1)))
        rows.append({"model": model, "auc": auc(y, s), "gini": gini(y, s), "ks": ks(y, s),
                     "brier": brier(y, s) if is_pd else np.nan})
    return pd.DataFrame(rows).set_index("model")


def challenger_metrics(comparison: pd.DataFrame) -> dict[str, float]:
    """The comparison's AUC per model as logged: ``{"oot/auc_xgboost": ..., "oot/auc_scorecard": ...}``."""
    return {metrics.oot_auc_of(str(model)): float(value) for model, value in comparison["auc"].items()}
