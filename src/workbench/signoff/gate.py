"""The validation gate: does a model version have a finished validation run that recorded every
required metric, reproduced the training run and found no red out-of-time grade?

The contract with the validation run: tags ``workbench.review.model_name`` and
``workbench.review.model_version`` name the version reviewed; the review notebook also tags
the model version ``validation_run_id`` (``link_validation_run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# MLflow stays behind workbench.tracking (its only importer); the registry is read through its functions.
from ..tracking import get_model_version, get_run, search_latest_run, set_run_tag, set_version_tags
from ..validation.verdict import (
    GATE_RED_GRADES_METRIC,
    GATE_REPRODUCIBILITY_METRIC,
    GATE_REQUIRED_METRICS,
    gate_checks,
    gate_problems,
)
from .common import REVIEW_NOTEBOOK, version_str

__all__ = [
    "REQUIRED_VALIDATION_METRICS", "REVIEW_MODEL_NAME_TAG", "REVIEW_MODEL_VERSION_TAG", "VALIDATION_RUN_TAG",
    "REPRODUCIBILITY_METRIC", "RED_GRADES_METRIC", "Problem", "get_version", "find_validation_run",
    "link_validation_run", "validation_problems", "check", "check_version",
]

REVIEW_MODEL_NAME_TAG = "workbench.review.model_name"
REVIEW_MODEL_VERSION_TAG = "workbench.review.model_version"
VALIDATION_RUN_TAG = "validation_run_id"  # on the model version

# The gate's checks are defined once, in workbench.validation.verdict: the review report shows them,
# the gate enforces them.
REPRODUCIBILITY_METRIC = GATE_REPRODUCIBILITY_METRIC
RED_GRADES_METRIC = GATE_RED_GRADES_METRIC
REQUIRED_VALIDATION_METRICS: tuple[str, ...] = GATE_REQUIRED_METRICS


@dataclass(frozen=True)
class Problem:
    text: str
    overridable: bool = False


def get_version(name: str, version: str):
    """The registered version, or a problem text saying what is unknown."""
    try:
        return get_model_version(name, version), None
    except LookupError as exc:
        return None, str(exc)


def find_validation_run(name: str, version: str | int) -> str | None:
    """The validation run of ``name`` version ``version``: the run the version's tag
    ``validation_run_id`` names, else the latest FINISHED run (any experiment) tagged with
    ``workbench.review.model_name``/``model_version`` for it; ``None`` if there is none."""
    version = version_str(version)
    mv, _ = get_version(name, version)
    if mv is not None:
        linked = mv.tags.get(VALIDATION_RUN_TAG, "").strip()
        if linked:
            return linked
    return _search_validation_run(name, version)


def _search_validation_run(name: str, version: str) -> str | None:
    filter_string = "attributes.status = 'FINISHED'"
    if "'" not in version:
        filter_string += f" and tags.`{REVIEW_MODEL_VERSION_TAG}` = '{version}'"
    if "'" not in name:
        filter_string += f" and tags.`{REVIEW_MODEL_NAME_TAG}` = '{name}'"

    def reviews_this_version(run) -> bool:  # the exact tag values, which the filter cannot always say
        tags = run.data.tags
        return tags.get(REVIEW_MODEL_NAME_TAG) == name and tags.get(REVIEW_MODEL_VERSION_TAG) == version

    return search_latest_run(filter_string, reviews_this_version)


def link_validation_run(name: str, version: str | int, run_id: str) -> None:
    """Record ``run_id`` as the validation run of ``name`` version ``version`` (model-version tag
    ``validation_run_id``). The run gets the two review tags if it lacks them; a run that already
    reviews another model version is refused with ValueError."""
    version = version_str(version)
    mv, problem = get_version(name, version)
    if mv is None:
        raise LookupError(problem)
    tags = get_run(run_id).data.tags
    for key, wanted in ((REVIEW_MODEL_NAME_TAG, name), (REVIEW_MODEL_VERSION_TAG, version)):
        have = tags.get(key)
        if have is None:
            set_run_tag(run_id, key, wanted)
        elif have != wanted:
            raise ValueError(f"run {run_id} has tag {key}={have!r}: it reviews another model version, "
                             f"not {name} version {version}")
    set_version_tags(name, version, {VALIDATION_RUN_TAG: run_id})


def validation_problems(name: str, version: str, run_id: str | None) -> list[Problem]:
    if run_id is None:
        return [Problem(
            f"no validation run for {name} version {version}: run the review notebook {REVIEW_NOTEBOOK} "
            f"(`workbench review run {name} {version}`) so that it records "
            f"{', '.join(REQUIRED_VALIDATION_METRICS)}"
        )]
    try:
        run = get_run(run_id)
    except LookupError as exc:
        return [Problem(f"validation run {run_id} (model-version tag {VALIDATION_RUN_TAG}) does not exist "
                         f"({exc}): rerun the review notebook {REVIEW_NOTEBOOK}")]
    problems: list[Problem] = []
    if run.info.lifecycle_stage == "deleted":
        problems.append(Problem(f"validation run {run_id} is deleted: restore it or rerun {REVIEW_NOTEBOOK}"))
    tags = run.data.tags
    for key, wanted in ((REVIEW_MODEL_NAME_TAG, name), (REVIEW_MODEL_VERSION_TAG, version)):
        if tags.get(key) != wanted:
            problems.append(Problem(f"validation run {run_id} has tag {key}={tags.get(key)!r}, "
                                     f"not {wanted!r}: it does not review this model version"))
    if run.info.status != "FINISHED":
        problems.append(Problem(f"validation run {run_id} is {run.info.status}, not FINISHED: "
                                 f"rerun the review notebook {REVIEW_NOTEBOOK}"))
    problems += [Problem(p.text, p.overridable)
                 for p in gate_problems(gate_checks(run.data.metrics), f"validation run {run_id}")]
    return problems


def check(name: str, version: str) -> tuple[list[Problem], Any, str | None]:
    mv, problem = get_version(name, version)
    if mv is None:
        return [Problem(problem)], None, None
    run_id = find_validation_run(name, version)
    return validation_problems(name, version, run_id), mv, run_id


def check_version(name: str, version: str | int) -> list[str]:
    """The problems that block approving ``name`` version ``version`` (empty: it may be approved)."""
    problems, _, _ = check(name, version_str(version))
    return [p.text for p in problems]
