"""Callbacks that record work done elsewhere as MLflow runs: optuna trials as nested runs."""

from __future__ import annotations

from ..reference import metrics as metric_names
from .handle import RunHandle
from .runs import PARENT_RUN_TAG
from .store import client

__all__ = ["optuna_trial_logger"]


def optuna_trial_logger(parent: RunHandle, experiment_id: str | None = None):
    """An optuna callback that records each finished trial as a nested run under ``parent``:
    its parameters, its cross-validated AUC (``cv/auc``), state and duration."""
    exp_id = experiment_id or parent.info.experiment_id

    def callback(study, trial) -> None:
        c = client()
        run = c.create_run(exp_id, run_name=f"trial-{trial.number:03d}",
                           tags={PARENT_RUN_TAG: parent.run_id, "workbench.optuna_study": study.study_name,
                                 "workbench.optuna_state": trial.state.name})
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
