"""What experiments, runs and model versions say about themselves in the MLflow UI.

MLflow shows the tag ``mlflow.note.content`` as the description of an experiment or a run,
and a model version's ``description`` on its page. Experiments are also tagged as classical
model development (``mlflow.experimentKind``), so that MLflow 3's UI opens them on their runs
table rather than its GenAI views.
"""

from __future__ import annotations

from typing import Any, Mapping

from .store import CLASSICAL_ML, EXPERIMENT_KIND_TAG, client, ensure_experiment

__all__ = ["NOTE_TAG", "EXPERIMENT_KIND_TAG", "CLASSICAL_ML", "describe_experiment", "describe_run",
           "describe_model_version", "describe_registered"]

NOTE_TAG = "mlflow.note.content"


def describe_experiment(name: str, text: str) -> str:
    """Give experiment ``name`` (created if needed) its description and the classical-ML kind; returns its id."""
    experiment_id = ensure_experiment(name)
    c = client()
    tags = c.get_experiment(experiment_id).tags or {}
    if tags.get(NOTE_TAG) != text:
        c.set_experiment_tag(experiment_id, NOTE_TAG, text)
    if tags.get(EXPERIMENT_KIND_TAG) != CLASSICAL_ML:
        c.set_experiment_tag(experiment_id, EXPERIMENT_KIND_TAG, CLASSICAL_ML)
    return experiment_id


def describe_run(run_id: str, text: str) -> None:
    """The run's description (markdown) as the MLflow UI shows it."""
    client().set_tag(run_id, NOTE_TAG, text)


def describe_model_version(name: str, version: str, text: str) -> None:
    """The description on the model version's page in the registry."""
    client().update_model_version(name, version, description=text)


def describe_registered(registered: Mapping[str, Any], name: str | None, text: str) -> None:
    """``describe_model_version`` for what ``log_pd_model`` returned; nothing when it registered no version."""
    if name and registered.get("version"):
        describe_model_version(name, str(registered["version"]), text)
