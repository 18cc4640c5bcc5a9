"""Hyper-parameter search for the xgboost PD model with optuna.

TPE sampler (seeded), median pruning on xgboost's per-round validation AUC, early
stopping inside every fit. Folds respect time when a time column is given
(expanding window: fold k trains on the k earliest time blocks and validates on
the next), keep an obligor's rows together when ``groups`` are given, and are
stratified otherwise. Callers observe trials through optuna callbacks (the notebook
logs each trial as a nested MLflow run); this module knows nothing of MLflow.

The study lives in an RDB storage (a SQLite file by default, any SQLAlchemy URL by
params, e.g. PostgreSQL), so several processes can fill one study by sharing its name:

* ``tuning.n_trials`` is the size the study must reach: a call runs only the trials the
  study lacks, so fitting again from a study that holds its trials runs none and picks
  the same best trial (the model is reproducible given the stored study).
* Workers started together (``workbench tune --workers K``) instead run fixed shares
  (``worker_share``) of a budget: worker k of K runs N//K + (k < N%K) trials, so they
  finish exactly N between them whatever their timing, with no lock and no count that
  two of them could read at once.
* Each worker's sampler has its own seed (``sampler_seed``): with a shared seed two
  workers would propose the same settings.
* The first trial of a study is the configured defaults (tuning can only improve on
  them): not an enqueued trial, which two workers starting together would both enqueue,
  but whatever trial the storage numbers 0, and it numbers each trial once.
* A study remembers what it was tuned on (a fingerprint of the rows, target, folds and
  settings): a later call with other data is refused instead of mixing two searches.
"""

from __future__ import annotations

import hashlib
import json
import re
import time as pytime
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

__all__ = ["TuningResult", "TuningStorageError", "validation_folds", "tune_xgboost", "default_storage", "open_storage",
           "open_study", "study_size", "sampler_seed", "worker_share", "redact_url", "xgb_settings",
           "STOPPED_BY_TRIALS", "STOPPED_BY_TIMEOUT", "INPUTS_ATTR", "WORKER_ATTR"]

#: Study user attribute holding what the study was tuned on (``tune_xgboost`` refuses other inputs).
INPUTS_ATTR = "workbench.tuning_inputs"
#: Trial user attribute: the index of the worker that ran the trial.
WORKER_ATTR = "worker"


#: What two processes creating optuna's schema on one server database at once raise (by class name:
#: the domain packages do not import SQLAlchemy), and how often to try again.
_SCHEMA_RACES = {"IntegrityError", "ProgrammingError"}
_SCHEMA_ATTEMPTS = 4


class TuningStorageError(ValueError):
    """The optuna storage cannot be opened, or holds a study that does not fit this search."""


def default_storage() -> str:
    return f"sqlite:///{state_dir() / 'optuna.db'}"


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (it goes into error messages and logs)."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """The optuna storage at ``url`` (an SQLAlchemy URL; PostgreSQL as ``postgresql://user@host/db``,
    which SQLAlchemy 2.1 opens with psycopg 3).
    An SQLite file is opened with a generous busy timeout (workers started together write to it at
    once) and its schema created under a file lock (two fresh starts would both create it).
    ``TuningStorageError`` names the URL (password hidden) when it cannot be opened."""
    database = sqlite_path(url)
    for attempt in range(_SCHEMA_ATTEMPTS):
        try:
            if database is None:
                return optuna.storages.RDBStorage(url)
            with file_lock(database.with_name(database.name + ".lock")):
                return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
        except Exception as exc:  # sqlalchemy's and the drivers' errors: all mean "this URL does not open"
            # Workers starting together on a fresh server database both create optuna's tables; the
            # loser's "already exists" / duplicate key goes away once the winner has committed.
            if database is None and type(exc).__name__ in _SCHEMA_RACES and attempt + 1 < _SCHEMA_ATTEMPTS:
                pytime.sleep(0.2 + 0.3 * attempt)
                continue
            raise TuningStorageError(f"cannot open the optuna storage {redact_url(url)}: "
                                     f"{type(exc).__name__}: {exc}") from exc
    raise AssertionError("unreachable")


def sampler_seed(seed: int, worker: int) -> int:
    """The TPE sampler's seed of worker ``worker``: distinct per worker (a shared seed makes workers
    propose the same settings), reproducible from ``seed``; worker 0 of a search uses ``seed`` itself,
    so a single process searches as it always did."""
    if worker == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(worker)]).generate_state(1)[0])


def worker_share(n_trials: int, worker: int, workers: int) -> int:
    """Trials worker ``worker`` (0-based) of ``workers`` runs of a budget of ``n_trials``:
    N//K + (k < N%K), so the shares add up to exactly N without the workers talking to each other."""
    if workers < 1 or not 0 <= worker < workers:
        raise ValueError(f"worker {worker} of {workers}: the index must be in 0..{workers - 1}")
    if n_trials < 0:
        raise ValueError(f"a trial budget cannot be negative ({n_trials})")
    return n_trials // workers + (worker < n_trials % workers)


def study_size(study: optuna.Study) -> int:
    """Trials a study holds towards its budget: every trial asked (running or finished), not the
    waiting ones nobody has started."""
    return sum(t.state != optuna.trial.TrialState.WAITING for t in study.get_trials(deepcopy=False))


class _DefaultsFirst(optuna.samplers.BaseSampler):
    """The wrapped sampler, except that the study's trial number 0 takes ``defaults``. The storage
    numbers trials under a lock on the study, so exactly one trial, of whichever worker, is 0."""

    def __init__(self, base: optuna.samplers.BaseSampler, defaults: dict):
        self.base, self.defaults = base, defaults

    def infer_relative_search_space(self, study, trial):
        return {} if trial.number == 0 else self.base.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return {} if trial.number == 0 else self.base.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        if trial.number == 0 and param_name in self.defaults:
            return self.defaults[param_name]
        return self.base.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study, trial) -> None:
        self.base.before_trial(study, trial)

    def after_trial(self, study, trial, state, values) -> None:
        self.base.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self.base.reseed_rng()


def _defaults(xgb_params: XGBParams, space: SearchSpace) -> dict:
    """The configured booster settings clipped to the search space: the first trial of a study."""
    out = {}
    for name, rng in space:
        value = min(max(getattr(xgb_params, name), rng.low), rng.high)
        out[name] = int(round(value)) if name == "max_depth" else float(value)
    return out


def open_study(name: str, storage: str, *, seed: int, worker: int = 0, xgb_params: XGBParams | None = None,
               space: SearchSpace | None = None) -> optuna.Study:
    """The study ``name`` at ``storage`` (created if new), with worker ``worker``'s seeded TPE sampler
    whose trial 0 is the configured defaults, and the median pruner. ``TuningStorageError`` when the
    storage does not open or holds a study of that name that minimises."""
    space = space or SearchSpace()
    sampler = _DefaultsFirst(optuna.samplers.TPESampler(seed=sampler_seed(seed, worker)),
                             _defaults(xgb_params or XGBParams(), space))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=name, storage=open_storage(storage), load_if_exists=True, direction="maximize",
        sampler=sampler, pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=50))
    # An existing study is loaded whatever direction it was created with: ours maximises the AUC.
    if study._is_multi_objective() or study.direction != optuna.study.StudyDirection.MAXIMIZE:
        directions = ", ".join(d.name.lower() for d in study.directions)
        raise TuningStorageError(f"study {name!r} in {redact_url(storage)} was created to {directions}, not to "
                                 "maximize the validation AUC: use another study name")
    return study


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
    workers may share one); ``asked``/``completed``/``pruned``/``failed`` count this call's, which are
    none when the study already held its ``budget`` (the size the study had to reach, or a worker's
    share)."""

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
                "trials_failed": self.failed, "stopped_by": self.stopped_by, "study": self.study_name,
                # A fit from a stored study asks no trial: the study's size and place say where its best came from.
                "study_trials": self.n_trials, "study_storage": redact_url(self.storage)}


def _fingerprint(X: pd.DataFrame, y: np.ndarray, time, groups, tuning: TuningParams, xgb_params: XGBParams,
                 seed: int, monotone, feature_types) -> dict:
    """What a study's trial values depend on: the rows and target (hashed), what makes the folds and
    the fits (folds, seed, booster settings, search space, constraints). Threads and the budget do not."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(map(str, X.columns))).encode())
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.int8).tobytes())
    for extra in (time, groups):
        digest.update(b"|" if extra is None else pd.util.hash_pandas_object(pd.Series(np.asarray(extra)),
                                                                            index=False).to_numpy().tobytes())
    setup = {"n_folds": tuning.n_folds, "seed": int(seed), "xgb": xgb_params.model_dump(mode="json"),
             "search_space": tuning.search_space.model_dump(mode="json"),
             "monotone": None if monotone is None else [int(d) for d in monotone],
             "feature_types": None if feature_types is None else list(feature_types)}
    return {"rows": int(len(X)), "columns": int(X.shape[1]), "defaults": int(np.sum(y)),
            "data": digest.hexdigest()[:16],
            "setup": hashlib.sha256(json.dumps(setup, sort_keys=True).encode()).hexdigest()[:16]}


def _check_inputs(study: optuna.Study, storage: str, fingerprint: dict) -> None:
    """Record what the study is tuned on, or refuse when it was tuned on something else."""
    stored = study.user_attrs.get(INPUTS_ATTR)
    if stored is None:
        # Workers starting together may both write it: the same value, so either write is right.
        study.set_user_attr(INPUTS_ATTR, fingerprint)
        return
    if stored != fingerprint:
        differ = ", ".join(f"{k} {stored.get(k)} -> {fingerprint.get(k)}" for k in fingerprint
                           if stored.get(k) != fingerprint.get(k))
        raise TuningStorageError(
            f"study {study.study_name!r} in {redact_url(storage)} was tuned on other inputs ({differ}; 'data' is "
            "a hash of the rows and target, 'setup' of the folds, seed, booster settings and search space): "
            "its trials do not apply here; tune a new study or use the same data and params")


def tune_xgboost(X: pd.DataFrame, y: np.ndarray, tuning: TuningParams, xgb_params: XGBParams, *, seed: int,
                 n_jobs: int, monotone: Sequence[int] | None = None, time=None, groups=None,
                 callbacks: Sequence[Callable] = (), progress: bool = False,
                 feature_types: Sequence[str] | None = None, trials: int | None = None,
                 worker: int = 0) -> TuningResult:
    """Search the booster settings on validation folds; returns the best and the trial table.

    Without ``trials`` the call runs the trials the study lacks to hold ``tuning.n_trials`` (all of
    them for a new study, none for a study that is full: then it only reads the best trial). With
    ``trials`` it runs exactly that many more, as worker ``worker`` (its own sampler seed): the share
    of a budget that workers started together split with ``worker_share``.
    The study's trial 0 is ``xgb_params`` (clipped to the search space), so tuning can only improve on it.
    """
    folds = validation_folds(y, tuning.n_folds, time=time, groups=groups, seed=seed)
    y = np.asarray(y)

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER_ATTR, int(worker))
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
    study = open_study(name, storage, seed=seed, worker=worker, xgb_params=xgb_params, space=tuning.search_space)
    _check_inputs(study, storage, _fingerprint(X, y, time, groups, tuning, xgb_params, seed, monotone, feature_types))
    to_run = max(0, tuning.n_trials - study_size(study)) if trials is None else int(trials)
    # This call's trials by number: other workers' trials interleave with them in a shared study.
    ran: list[int] = []
    # The budget is a number of trials, so the result does not depend on how busy the machine is;
    # `timeout_s`, if set, is only a safety stop, and saying so is part of the result.
    if to_run:
        study.optimize(objective, n_trials=to_run, timeout=tuning.timeout_s,
                       callbacks=[lambda _, trial: ran.append(trial.number), *callbacks], show_progress_bar=progress)
    return _result(study, name, storage, ran, to_run, tuning.n_trials if trials is None else to_run, tuning,
                   float(np.mean([len(tr) for tr, _ in folds])))


def _result(study: optuna.Study, name: str, storage: str, ran: list[int], to_run: int, budget: int,
            tuning: TuningParams, fold_train_rows: float) -> TuningResult:
    mine = set(ran)
    states = [t.state for t in study.get_trials(deepcopy=False) if t.number in mine]
    asked = len(ran)
    stopped_by = STOPPED_BY_TIMEOUT if tuning.timeout_s is not None and asked < to_run else STOPPED_BY_TRIALS
    if stopped_by == STOPPED_BY_TIMEOUT:
        warnings.warn(f"tuning stopped by its time limit ({tuning.timeout_s:g} s) after {asked} of "
                      f"{to_run} trials: the model depends on how fast this machine was; "
                      "set tuning.timeout_s to null for a reproducible search", stacklevel=3)
    if not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.get_trials(deepcopy=False)):
        raise TuningStorageError(f"study {name!r} in {redact_url(storage)} has no completed trial to take the "
                                 "best settings from (every trial was pruned or failed)")
    trials = study.trials_dataframe(attrs=("number", "value", "state", "params", "duration"))
    return TuningResult(
        best_values=dict(study.best_params), best_auc=float(study.best_value), study_name=name, storage=storage,
        n_trials=len(study.trials), trials=trials, best_trial=int(study.best_trial.number), budget=budget,
        asked=asked, completed=states.count(optuna.trial.TrialState.COMPLETE),
        pruned=states.count(optuna.trial.TrialState.PRUNED), failed=states.count(optuna.trial.TrialState.FAIL),
        stopped_by=stopped_by, timeout_s=tuning.timeout_s,
        best_rounds=tuple(int(r) for r in study.best_trial.user_attrs.get("rounds", ())),
        fold_train_rows=fold_train_rows)
