"""How steps find each other: the latest finished run of a notebook, the files a run recorded.

Notebooks record the files they produce (``RunHandle.record_output``: tag
``workbench.output.<name>`` = the absolute path, and a copy under the run's ``outputs/``); a
later step finds its upstream run by id or as the latest FINISHED run of that notebook
(``find_latest_run``), then the file (``resolve_output``: the recorded path if it still
exists, else the logged copy).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from .runs import OUTPUT_TAG_PREFIX, download_artifact, get_run, get_run_tags
from .store import client, experiment_ids, tracking_uri

__all__ = ["find_latest_run", "find_latest_run_in", "find_latest_run_anywhere", "search_latest_run",
           "run_outputs", "resolve_output", "AS_OF_TAG", "SUPERSEDED_TAG", "supersede_earlier_runs"]

#: The as-of date (ISO) of a scheduled report's run; ``workbench.superseded_by`` marks a report
#: run a later run of the same job and as-of replaced (the earlier run is kept, not deleted).
AS_OF_TAG = "as_of"
SUPERSEDED_TAG = "workbench.superseded_by"


def _notebook_matches(tag_value: str, notebook: str) -> bool:
    wanted = Path(notebook)
    have = Path(tag_value)
    if wanted.suffix == ".ipynb":
        return have.name == wanted.name
    return have.stem == wanted.name and have.suffix in {"", ".ipynb"}


def _finished_runs_of(notebook: str) -> str:
    """The search filter for FINISHED runs of ``notebook``; it only narrows the search, since LIKE's
    '_' matches any character in the store and MLflow's grammar has no escape: callers check the
    exact name with ``_notebook_matches``."""
    stem = Path(notebook).stem
    filter_string = "attributes.status = 'FINISHED'"
    if "'" not in stem and "%" not in stem:
        filter_string += f" and tags.`workbench.notebook` LIKE '%{stem}%'"
    return filter_string


def find_latest_run(experiment: str, notebook: str) -> str:
    """Run id of the most recent FINISHED run of ``notebook`` (name or stem) in ``experiment``."""
    c = client()
    exp = c.get_experiment_by_name(experiment)
    if exp is None:
        raise LookupError(f"no MLflow experiment {experiment!r} at {tracking_uri()}, so no run of {notebook}")
    stem = Path(notebook).stem
    filter_string = _finished_runs_of(notebook)
    page_token = None
    while True:
        runs = c.search_runs(
            [exp.experiment_id],
            filter_string=filter_string,
            order_by=["attributes.start_time DESC"],
            max_results=200,
            page_token=page_token,
        )
        for run in runs:
            if _notebook_matches(run.data.tags.get("workbench.notebook", ""), notebook):
                return run.info.run_id
        page_token = runs.token
        if not page_token:
            break
    raise LookupError(
        f"no FINISHED run of notebook {notebook!r} in MLflow experiment {experiment!r}; run it first "
        f"(e.g. `workbench run {stem}`) or pass its run id explicitly"
    )


def find_latest_run_in(experiments: list[str], notebook: str) -> str | None:
    """The most recent FINISHED run of ``notebook`` over several experiments (a notebook run alone
    lands in its own experiment, inside a pipeline in the pipeline's), or None."""
    found = []
    for name in experiments:
        try:
            run_id = find_latest_run(name, notebook)
        except LookupError:
            continue
        found.append((get_run(run_id).info.start_time, run_id))
    return max(found)[1] if found else None


def run_outputs(run_id: str) -> dict[str, str]:
    """The outputs a run recorded: ``{name: absolute path}`` from its ``workbench.output.*`` tags."""
    return {
        key[len(OUTPUT_TAG_PREFIX) :]: value
        for key, value in get_run_tags(run_id).items()
        if key.startswith(OUTPUT_TAG_PREFIX)
    }


def resolve_output(run_id: str, name: str, dst_path: str | os.PathLike[str] | None = None) -> Path:
    """A recorded output as a local path: the recorded file if it is still there, otherwise
    the copy logged under ``outputs/`` (downloaded to ``dst_path`` or a temp dir)."""
    outputs = run_outputs(run_id)
    if name not in outputs:
        known = ", ".join(sorted(outputs)) or "none"
        raise LookupError(f"run {run_id} recorded no output {name!r} (recorded: {known})")
    recorded = Path(outputs[name])
    if recorded.exists():
        return recorded
    return download_artifact(run_id, f"outputs/{recorded.name}", dst_path)


def find_latest_run_anywhere(notebook: str) -> str:
    """The most recent FINISHED run of ``notebook`` in any experiment (a notebook run alone lands
    in its own experiment, inside a pipeline in the pipeline's); ``LookupError`` if none."""
    found = search_latest_run(_finished_runs_of(notebook),
                              lambda run: _notebook_matches(run.data.tags.get("workbench.notebook", ""), notebook))
    if found is None:
        stem = Path(notebook).stem
        raise LookupError(f"no FINISHED run of notebook {notebook!r} at {tracking_uri()}; run it first "
                          f"(e.g. `workbench run {stem}`) or pass its run id explicitly")
    return found


def search_latest_run(filter_string: str, accept: Callable[[object], bool]) -> str | None:
    """The id of the newest run in any experiment that matches ``filter_string`` (MLflow's search
    grammar) and that ``accept(run)`` confirms (for what the grammar cannot say exactly), or None."""
    ids = experiment_ids()
    best = None
    # search_runs takes a bounded number of experiments per call in some stores.
    for start in range(0, len(ids), 100):
        page_token = None
        while True:
            runs = client().search_runs(ids[start : start + 100], filter_string=filter_string,
                                        order_by=["attributes.start_time DESC"], max_results=500,
                                        page_token=page_token)
            hit = next((run for run in runs if accept(run)), None)
            if hit is not None:
                if best is None or (hit.info.start_time or 0) > (best.info.start_time or 0):
                    best = hit
                break
            page_token = runs.token
            if not page_token:
                break
    return best.info.run_id if best is not None else None


def supersede_earlier_runs(run_id: str, notebook: str, as_of: str) -> list[str]:
    """Tag the earlier FINISHED runs of ``notebook`` for the same ``as_of`` (in the run's experiment)
    ``workbench.superseded_by = run_id``; returns their ids. A rerun of a report replaces the
    report on disk; in MLflow the history stays, marked so a reader knows which run is current."""
    run = get_run(run_id)
    found: list[str] = []
    page_token = None
    while True:
        runs = client().search_runs([run.info.experiment_id],
                                    filter_string=f"attributes.status = 'FINISHED' and tags.{AS_OF_TAG} = '{as_of}'",
                                    max_results=500, page_token=page_token)
        for other in runs:
            if (other.info.run_id != run_id and SUPERSEDED_TAG not in other.data.tags
                    and _notebook_matches(other.data.tags.get("workbench.notebook", ""), notebook)
                    and (other.info.start_time or 0) <= (run.info.start_time or 0)):
                client().set_tag(other.info.run_id, SUPERSEDED_TAG, run_id)
                found.append(other.info.run_id)
        page_token = runs.token
        if not page_token:
            return found
