"""Params of the PD model: booster settings, the tuning search, calibration and the master scale.

``PDModelParams`` is what ``fit_pd_model`` / ``PDModel`` take; its defaults are the values of
``params/train_pd_model.yaml`` (a test holds them equal), so ``fit_pd_model(X, y)`` trains what
the training notebook trains. The training job's params add run ids and the registry name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..params import StrictModel
from ..reference import MASTER_SCALE

__all__ = ["XGBParams", "Range", "SearchSpace", "TuningParams", "CalibrationParams", "MasterScaleParams",
           "PDModelParams"]


class XGBParams(StrictModel):
    """Booster settings used when tuning is off (and as the tuning's starting point)."""

    n_estimators: int = Field(1500, ge=1, description="Upper bound; early stopping picks the number")
    max_depth: int = Field(3, ge=1, le=16)
    learning_rate: float = Field(0.05, gt=0, le=1)
    subsample: float = Field(0.8, gt=0, le=1)
    colsample_bytree: float = Field(0.5, gt=0, le=1)
    min_child_weight: float = Field(1.0, ge=0, description="In hessian units: at a 4 % default rate a row weighs "
                                    "about 0.04, so 20 would ask for ~500 rows per leaf and a small table learns "
                                    "nothing")
    reg_lambda: float = Field(5.0, ge=0)
    reg_alpha: float = Field(0.0, ge=0)
    early_stopping_rounds: int = Field(50, ge=1)
    max_bin: int = Field(64, ge=8, le=1024, description="Histogram bins per feature: 64 fits as well as 256 on "
                         "credit ratios (measured) in half the time")


class Range(StrictModel):
    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("a log-scale range needs low > 0")
        return self


class SearchSpace(StrictModel):
    """Ranges optuna's TPE sampler draws the booster settings from."""

    max_depth: Range = Range(low=2, high=8)
    learning_rate: Range = Range(low=0.03, high=0.3, log=True)
    min_child_weight: Range = Range(low=0.5, high=20, log=True)
    subsample: Range = Range(low=0.5, high=1.0)
    colsample_bytree: Range = Range(low=0.2, high=1.0)
    reg_lambda: Range = Range(low=1e-3, high=50, log=True)
    reg_alpha: Range = Range(low=1e-3, high=10, log=True)


class TuningParams(StrictModel):
    enabled: bool = True
    n_trials: int = Field(15, ge=1, description="The tuning budget, as the trials the study must hold: a new study "
                          "runs them all, a named one only those it lacks (none when it holds them: the fit then "
                          "takes its best trial, the same model every time); the same on a busy or an idle machine")
    timeout_s: float | None = Field(None, gt=0, description="Safety stop: no new trial after this long (the run "
                                    "is then marked as cut short and the model depends on the machine's speed); "
                                    "empty = none")
    n_folds: int = Field(3, ge=2, le=10, description="Validation folds (time-ordered when a time column exists)")
    trees_from: Literal["cv", "holdout"] = Field(
        "cv", description="Number of trees of the final model: the best trial's early-stopped rounds on its folds "
        "(scaled to the training rows), or early stopping on the held-out rows (noisy when they hold few defaults)")
    storage: str = Field("", description="SQLAlchemy URL of the optuna study; empty = sqlite file in the state dir")
    study_name: str = Field("", description="A shared name lets workers (`workbench tune`) fill one study and a fit "
                            "take its best trial; empty = a new one")
    search_space: SearchSpace = SearchSpace()


class CalibrationParams(StrictModel):
    method: Literal["platt", "isotonic", "none"] = Field(
        "platt", description="Fitted on held-out rows; platt keeps the ranking, isotonic may tie it")
    holdout_share: float = Field(0.2, gt=0, lt=0.5, description="Share held out (the latest by time) when no split "
                                 "is given")
    central_tendency: float | None = Field(None, gt=0, lt=1, description="Long-run default rate to anchor the "
                                           "mean PD to; empty = no anchoring")


class MasterScaleParams(StrictModel):
    n_grades: int = Field(MASTER_SCALE.n_grades, ge=3, le=25, description="Performing grades; D (default) comes on top")
    pd_floor: float = Field(MASTER_SCALE.pd_floor, gt=0, lt=0.01, description="Lowest PD (Basel II corporate floor 0.03%)")
    pd_cap: float = Field(MASTER_SCALE.pd_cap, gt=0.01, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> "MasterScaleParams":
        if self.pd_floor >= self.pd_cap:
            raise ValueError("pd_floor must be below pd_cap")
        return self


class PDModelParams(StrictModel):
    """Params of ``workbench.models.fit_pd_model``."""

    seed: int = 42
    n_jobs: int = Field(2, ge=1)
    engine: Literal["pandas", "dask"] = Field("pandas", description="Where the boosters train: in this process, "
                                              "or with xgboost.dask on the active dask cluster (same model "
                                              "within the tolerance the scale tests state)")
    monotone: bool = Field(True, description="Constrain features to the dictionary's expected direction with PD")
    n_bags: int = Field(3, ge=1, le=50, description="Boosters with different seeds averaged in the final model "
                        "(less variance, a little better ranking)")
    refit_full: bool | None = Field(None, description="Refit the final boosters on all rows (the held-out ones "
                                    "included) with proportionally more trees; empty = only when the rows have no "
                                    "time order (a held-out period stays out so that the calibration is learnt on "
                                    "out-of-time scores; a random held-out share is data a small table needs)")
    special_values: list[float] | dict[str, list[float]] = Field(
        [], description="Codes meaning 'no record' / 'not applicable' (bureau style, e.g. [-7, -8, -9]): missing "
        "plus an indicator of which code; a list for every numeric column, or per column ('*' = every other)")
    max_categories: int = Field(50, ge=2, description="A text column with more distinct values than this is "
                                "refused as a feature (an identifier or free text, not a category)")
    xgb: XGBParams = XGBParams()
    tuning: TuningParams = TuningParams()
    calibration: CalibrationParams = CalibrationParams()
    master_scale: MasterScaleParams = MasterScaleParams()
