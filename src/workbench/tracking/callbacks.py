"""Callbacks that record work done elsewhere as MLflow runs: optuna trials as nested runs, and
the search's summary on the run that owns them (best trial marked)."""

from __future__ import annotations

from ..reference import metrics as metric_names
from .handle import RunHandle
from .runs import PARENT_RUN_TAG
from .store import client

__all__ = ["optuna_trial_logger", "log_tuning", "TRIAL_TAG", "BEST_TRIAL_TAG", "TUNING_TAG_PREFIX"]

TRIAL_TAG = "workbench.optuna_trial"
BEST_TRIAL_TAG = "workbench.best_trial"
TUNING_TAG_PREFIX = "workbench.tuning."


def optuna_trial_logger(parent: RunHandle, experiment_id: str | None = None):
    """An optuna callback that records each finished trial as a nested run under ``parent``:
    its parameters, its cross-validated AUC (``cv/auc``), state and duration."""
    exp_id = experiment_id or parent.info.experiment_id

    def callback(study, trial) -> None:
        c = client()
        run = c.create_run(exp_id, run_name=f"trial-{trial.number:03d}",
                           tags={PARENT_RUN_TAG: parent.run_id, "workbench.optuna_study": study.study_name,
                                 "workbench.optuna_state": trial.state.name, TRIAL_TAG: str(trial.number)})
        handle = RunHandle(run.info.run_id)
        handle.log_params({f"xgb.{k}": v for k, v in trial.params.items()})
        metrics = {metric_names.TRIAL_NUMBER: trial.number}
        if trial.value is not None:
            metrics[metric_names.CV_AUC] = trial.value
        if trial.duration is not None:
            metrics[metric_names.TRIAL_SECONDS] = trial.duration.total_seconds()
        handle.log_metrics(metrics)
        c.set_terminated(run.info.run_id, "FINISHED" if trial.state.name == "COMPLETE" else "KILLED")

    return callback


def log_tuning(run: RunHandle, summary: dict) -> None:
    """Tag ``run`` with the search's summary (``workbench.tuning.best_trial``, ``.trials_asked``,
    ``.stopped_by``, ...) and mark the best trial's nested run ``workbench.best_trial = true``.
    A summary of no search (tuning off) is recorded as ``workbench.tuning.enabled = false``."""
    if not summary:
        run.set_tags({TUNING_TAG_PREFIX + "enabled": "false"})
        return
    run.set_tags({TUNING_TAG_PREFIX + k: v for k, v in summary.items()})
    c = client()
    best = c.search_runs([run.info.experiment_id],
                         filter_string=f"tags.`{PARENT_RUN_TAG}` = '{run.run_id}' and "
                                       f"tags.`{TRIAL_TAG}` = '{summary['best_trial']}'", max_results=1)
    for trial_run in best:
        c.set_tag(trial_run.info.run_id, BEST_TRIAL_TAG, "true")
