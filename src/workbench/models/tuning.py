"""Hyper-parameter search for the xgboost PD model with optuna.

TPE sampler (seeded), median pruning on xgboost's per-round validation AUC, early
stopping inside every fit. Folds respect time when a time column is given
(expanding window: fold k trains on the k earliest time blocks and validates on
the next), keep an obligor's rows together when ``groups`` are given, and are
stratified otherwise. The study lives in an RDB storage (a SQLite file by default,
any SQLAlchemy URL by params), so several processes can work on one study by
sharing its name. Callers observe trials through optuna callbacks (the notebook
logs each trial as a nested MLflow run); this module knows nothing of MLflow.
"""

from __future__ import annotations

import uuid
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import optuna
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from ..locking import file_lock, sqlite_path
from ..paths import state_dir
from .params import SearchSpace, TuningParams, XGBParams

__all__ = ["TuningResult", "validation_folds", "tune_xgboost", "default_storage", "xgb_settings", "STOPPED_BY_TRIALS",
           "STOPPED_BY_TIMEOUT"]


def default_storage() -> str:
    return f"sqlite:///{state_dir() / 'optuna.db'}"


def open_storage(url: str) -> optuna.storages.BaseStorage | str:
    """The optuna storage at ``url``. An SQLite file is opened with a generous busy timeout (runs
    started together write to it at once) and its schema created under a file lock (two fresh
    starts would both create it)."""
    database = sqlite_path(url)
    if database is None:
        return url
    with file_lock(database.with_name(database.name + ".lock")):
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})


def validation_folds(y: np.ndarray, n_folds: int, time=None, groups=None, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train index, validation index) pairs: expanding time windows, grouped or stratified."""
    y = np.asarray(y)
    idx = np.arange(len(y))
    if time is not None:
        t = pd.to_datetime(pd.Series(np.asarray(time))) if not np.issubdtype(np.asarray(time).dtype, np.number) \
            else pd.Series(np.asarray(time))
        order = np.argsort(t.to_numpy(), kind="stable")
        blocks = np.array_split(order, n_folds + 1)
        folds = []
        for k in range(1, n_folds + 1):
            train, valid = np.concatenate(blocks[:k]), blocks[k]
            # Rows sharing a time stamp with the validation block must not train on it.
            cut = t.iloc[valid].min()
            train = train[(t.iloc[train] < cut).to_numpy()]
            if len(np.unique(y[train])) == 2 and len(np.unique(y[valid])) == 2:
                folds.append((train, valid))
        if not folds:
            raise ValueError("no time fold has both defaults and non-defaults; use fewer folds or no time column")
        return folds
    if groups is not None:
        splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        return [(a, b) for a, b in splitter.split(idx, y, np.asarray(groups))]
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [(a, b) for a, b in splitter.split(idx, y)]


def xgb_settings(values: dict, xgb_params: XGBParams, *, seed: int, n_jobs: int,
                 monotone: Sequence[int] | None, feature_types: Sequence[str] | None = None) -> dict:
    """Keyword arguments of ``xgboost.XGBClassifier`` for one configuration ``values`` of the
    searched settings; the number of trees and early stopping come from ``xgb_params``.
    ``feature_types`` (``"c"`` categorical / ``"q"``) switches on native categorical splits."""
    categorical = {} if feature_types is None else {"feature_types": list(feature_types), "enable_categorical": True}
    return dict(**categorical,
        n_estimators=xgb_params.n_estimators, objective="binary:logistic", eval_metric="auc", tree_method="hist",
        early_stopping_rounds=xgb_params.early_stopping_rounds, random_state=seed, n_jobs=n_jobs,
        max_bin=xgb_params.max_bin,
        monotone_constraints=tuple(monotone) if monotone is not None and any(monotone) else None,
        max_depth=int(values["max_depth"]), learning_rate=values["learning_rate"],
        min_child_weight=values["min_child_weight"], subsample=values["subsample"],
        colsample_bytree=values["colsample_bytree"], reg_lambda=values["reg_lambda"], reg_alpha=values["reg_alpha"],
    )


def _suggest(trial: optuna.Trial, space: SearchSpace) -> dict:
    out = {}
    for name, rng in space:
        if name == "max_depth":
            out[name] = trial.suggest_int(name, int(rng.low), int(rng.high))
        else:
            out[name] = trial.suggest_float(name, rng.low, rng.high, log=rng.log)
    return out


class _PruneOnAUC(xgb.callback.TrainingCallback):
    """Report the validation AUC to optuna every ``every`` rounds and stop pruned trials.

    Steps are ``fold * 100000 + round`` so the median pruner compares like with like.
    """

    def __init__(self, trial: optuna.Trial, fold: int, every: int = 25):
        super().__init__()
        self.trial, self.fold, self.every = trial, fold, every

    def after_iteration(self, model, epoch: int, evals_log) -> bool:
        if epoch % self.every:
            return False
        score = evals_log["validation_0"]["auc"][-1]
        self.trial.report(score, self.fold * 100_000 + epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at fold {self.fold}, round {epoch} (AUC {score:.4f})")
        return False


#: Why a tuning run stopped: its trial budget was used, or the optional wall-clock safety stop hit first.
STOPPED_BY_TRIALS = "trial budget"
STOPPED_BY_TIMEOUT = "time limit"


@dataclass
class TuningResult:
    """What a search found and how it went. ``n_trials`` counts every trial of the study (several
    workers may share one); ``asked``/``completed``/``pruned``/``failed`` count this call's."""

    best_values: dict
    best_auc: float
    study_name: str
    storage: str
    n_trials: int
    trials: pd.DataFrame
    best_trial: int = -1
    budget: int = 0
    asked: int = 0
    completed: int = 0
    pruned: int = 0
    failed: int = 0
    stopped_by: str = STOPPED_BY_TRIALS
    timeout_s: float | None = None
    best_rounds: tuple[int, ...] = ()
    fold_train_rows: float = 0.0

    def trees_for(self, rows: int) -> int:
        """Trees for a fit on ``rows`` rows: the best trial's mean early-stopped rounds over its folds,
        scaled from the folds' mean training rows to ``rows`` (more data, proportionally more trees)."""
        if not self.best_rounds or not self.fold_train_rows:
            raise ValueError("the best trial recorded no early-stopped rounds")
        return max(1, int(np.ceil(np.mean(self.best_rounds) * rows / self.fold_train_rows)))

    @property
    def cut_short(self) -> bool:
        """True when the wall-clock safety stop ended the search before its trial budget."""
        return self.stopped_by == STOPPED_BY_TIMEOUT

    def summary(self) -> dict[str, str | int | float]:
        """The search in a few named figures (logged as tags of the training run)."""
        return {"best_trial": self.best_trial, "best_cv_auc": round(self.best_auc, 6), "trials_budget": self.budget,
                "trials_asked": self.asked, "trials_completed": self.completed, "trials_pruned": self.pruned,
                "trials_failed": self.failed, "stopped_by": self.stopped_by, "study": self.study_name}


def tune_xgboost(X: pd.DataFrame, y: np.ndarray, tuning: TuningParams, xgb_params: XGBParams, *, seed: int,
                 n_jobs: int, monotone: Sequence[int] | None = None, time=None, groups=None,
                 callbacks: Sequence[Callable] = (), progress: bool = False,
                 feature_types: Sequence[str] | None = None) -> TuningResult:
    """Search the booster settings on validation folds; returns the best and the trial table.

    The first trial is ``xgb_params`` (clipped to the search space), so tuning can only improve on it.
    """
    folds = validation_folds(y, tuning.n_folds, time=time, groups=groups, seed=seed)
    y = np.asarray(y)

    def objective(trial: optuna.Trial) -> float:
        values = _suggest(trial, tuning.search_space)
        aucs, rounds = [], []
        for k, (tr, va) in enumerate(folds):
            model = xgb.XGBClassifier(**xgb_settings(values, xgb_params, seed=seed, n_jobs=n_jobs, monotone=monotone,
                                                     feature_types=feature_types),
                                      callbacks=[_PruneOnAUC(trial, k)])
            model.fit(X.iloc[tr], y[tr], eval_set=[(X.iloc[va], y[va])], verbose=False)
            aucs.append(roc_auc_score(y[va], model.predict_proba(X.iloc[va])[:, 1]))
            rounds.append(int(model.best_iteration) + 1)
        trial.set_user_attr("fold_auc", [float(a) for a in aucs])
        trial.set_user_attr("rounds", rounds)
        return float(np.mean(aucs))

    storage = tuning.storage or default_storage()
    name = tuning.study_name or f"pd-{uuid.uuid4().hex[:12]}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=name, storage=open_storage(storage), load_if_exists=True, direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=50),
    )
    before = len(study.trials)
    # Start from the configured defaults so tuning can only improve on them.
    if not study.trials:
        study.enqueue_trial({k: min(max(getattr(xgb_params, k), r.low), r.high) for k, r in tuning.search_space})
    # The budget is a number of trials, so the result does not depend on how busy the machine is;
    # `timeout_s`, if set, is only a safety stop, and saying so is part of the result.
    study.optimize(objective, n_trials=tuning.n_trials, timeout=tuning.timeout_s, callbacks=list(callbacks),
                   show_progress_bar=progress)
    return _result(study, name, storage, before, tuning, float(np.mean([len(tr) for tr, _ in folds])))


def _result(study: optuna.Study, name: str, storage: str, before: int, tuning: TuningParams,
            fold_train_rows: float) -> TuningResult:
    ran = study.trials[before:]
    states = [t.state for t in ran]
    asked = len(ran)
    stopped_by = STOPPED_BY_TIMEOUT if tuning.timeout_s is not None and asked < tuning.n_trials else STOPPED_BY_TRIALS
    if stopped_by == STOPPED_BY_TIMEOUT:
        warnings.warn(f"tuning stopped by its time limit ({tuning.timeout_s:g} s) after {asked} of "
                      f"{tuning.n_trials} trials: the model depends on how fast this machine was; "
                      "set tuning.timeout_s to null for a reproducible search", stacklevel=3)
    trials = study.trials_dataframe(attrs=("number", "value", "state", "params", "duration"))
    return TuningResult(
        best_values=dict(study.best_params), best_auc=float(study.best_value), study_name=name, storage=storage,
        n_trials=len(study.trials), trials=trials, best_trial=int(study.best_trial.number), budget=tuning.n_trials,
        asked=asked, completed=states.count(optuna.trial.TrialState.COMPLETE),
        pruned=states.count(optuna.trial.TrialState.PRUNED), failed=states.count(optuna.trial.TrialState.FAIL),
        stopped_by=stopped_by, timeout_s=tuning.timeout_s,
        best_rounds=tuple(int(r) for r in study.best_trial.user_attrs.get("rounds", ())),
        fold_train_rows=fold_train_rows)
