"""The job registry: every notebook the workbench runs, declared once as data.

A ``Job`` says which notebook runs with which params model and params file, in which MLflow
experiment, which upstream jobs' run ids it takes (and under which param), the key figures
the pipeline summary prints, whether its HTML report hides the code, and whether it is an
*as-of report* (a parameter ``as_of``; output in ``experiments/reports/<kind>/<as_of>/``), with
the checks `workbench report` makes before any kernel starts (``precheck``) and, for reports that
keep records month by month, the in-process ``backfill`` of a range of month ends.
A ``Pipeline`` is an ordered list of jobs run as one parent run; it may set params of its steps
(``overrides``: the ``dask`` pipeline is the credit pipeline with ``engine: dask`` in the features and
training steps, the same notebooks and feature code).

The runner, the CLI, the demo summary and the notebook tests read this registry; adding a
notebook is one ``register(Job(...))`` + the notebook + its params file (``jobs/catalogue.py``
holds the project's own jobs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ..params import ParamsError, StrictModel
from ..paths import project_root

__all__ = ["Upstream", "Job", "Pipeline", "JOBS", "PIPELINES", "register", "unregister", "register_pipeline",
           "job", "pipeline", "pipeline_overrides", "report_job", "report_kinds"]


@dataclass(frozen=True)
class Upstream:
    """An upstream job whose run id this job takes as ``param`` (empty = its latest finished run)."""

    param: str
    job: str


@dataclass(frozen=True)
class Job:
    """One notebook and everything the runner needs to run it as a tracked job."""

    name: str  # the notebook's stem, e.g. "20_train_pd_model"
    params_model: type[StrictModel]
    params_file: str  # relative to the project root
    experiment: str
    description: str = ""
    upstream: tuple[Upstream, ...] = ()
    key_figures: tuple[str, ...] = ()
    hide_code: bool = False
    as_of_report: str | None = None  # report kind ("monitoring", ...): the job takes a parameter `as_of`
    notebook_path: Path | None = None  # default: notebooks/<name>.ipynb in the checkout
    test_params_path: str | None = None  # default: params/test/<params file name>
    # As-of reports: precheck(params) raises (ValueError, LookupError, OSError...) naming what is wrong
    # and returns notes to print; backfill(params, month_ends, force, progress) records those months.
    precheck: Callable[[Any], list[str]] | None = None
    backfill: Callable[..., Any] | None = None
    # A report rendered per client in batches (`workbench report <kind> --obligor/--tier`), one file each.
    batch_report: str | None = None
    # Outputs that name clients: the runner logs no notebook or HTML to MLflow (ids and figures only)
    # and leaves its files readable by their owner only.
    private_outputs: bool = False

    def __post_init__(self) -> None:
        fields = self.params_model.model_fields
        for up in self.upstream:
            if up.param not in fields:
                raise ValueError(f"job {self.name}: upstream param {up.param!r} is not a field of "
                                 f"{self.params_model.__name__}")
        if self.as_of_report and "as_of" not in fields:
            raise ValueError(f"job {self.name} is an as-of report but {self.params_model.__name__} has no 'as_of'")

    @property
    def path(self) -> Path:
        """The notebook file."""
        return self.notebook_path or project_root() / "notebooks" / f"{self.name}.ipynb"

    @property
    def test_params_file(self) -> str:
        """The test suite's params overlay of this job."""
        return self.test_params_path or str(Path("params") / "test" / Path(self.params_file).name)

    @property
    def reads_portfolio(self) -> bool:
        """Whether the job's params locate the portfolio (``data_dir``): pipelines set it."""
        return "data_dir" in self.params_model.model_fields


@dataclass(frozen=True)
class Pipeline:
    """Jobs run in order as nested runs of one parent run in ``experiment``."""

    name: str
    experiment: str
    jobs: tuple[str, ...]
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # Params the pipeline sets in its steps (job name -> key -> value); the command line's win over them.
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


JOBS: dict[str, Job] = {}
PIPELINES: dict[str, Pipeline] = {}


def register(new: Job) -> Job:
    """Add a job to the registry (its upstream jobs must be registered first)."""
    if new.name in JOBS:
        raise ValueError(f"job {new.name!r} is already registered")
    unknown = [u.job for u in new.upstream if u.job not in JOBS]
    if unknown:
        raise ValueError(f"job {new.name}: upstream job(s) {', '.join(unknown)} are not registered")
    JOBS[new.name] = new
    return new


def unregister(name: str) -> None:
    """Remove a job (tests that register a job of their own clean up with this)."""
    JOBS.pop(name, None)


def register_pipeline(new: Pipeline) -> Pipeline:
    unknown = [name for name in new.jobs if name not in JOBS]
    if unknown:
        raise ValueError(f"pipeline {new.name}: job(s) {', '.join(unknown)} are not registered")
    strays = [name for name in new.overrides if name not in new.jobs]
    if strays:
        raise ValueError(f"pipeline {new.name}: overrides for job(s) {', '.join(strays)} that are not its steps")
    PIPELINES[new.name] = new
    return new


def job(name_or_path: str | Path) -> Job:
    """A job by name (``20_train_pd_model``) or notebook path; ``ParamsError`` naming the known jobs."""
    stem = Path(name_or_path).stem
    if stem not in JOBS:
        raise ParamsError(f"unknown notebook '{name_or_path}'; known: {', '.join(JOBS)}")
    return JOBS[stem]


def pipeline(name: str) -> Pipeline:
    if name not in PIPELINES:
        raise ParamsError(f"unknown pipeline '{name}'; known: {', '.join(PIPELINES)}")
    return PIPELINES[name]


def pipeline_overrides(name: str, given: Mapping[str, Mapping[str, Any]] | None = None
                       ) -> dict[str, dict[str, Any]]:
    """The step overrides a run of pipeline ``name`` takes: the pipeline's own, then ``given`` (the
    command line's) over them, key by key."""
    out = {step: dict(values) for step, values in pipeline(name).overrides.items()}
    for step, values in (given or {}).items():
        out.setdefault(step, {}).update(values)
    return out


def report_kinds() -> list[str]:
    """The kinds of report the registered jobs produce (``monitoring``, ``dossier``, ...)."""
    return sorted({k for j in JOBS.values() for k in (j.as_of_report, j.batch_report) if k})


def report_job(kind: str) -> Job:
    """The job that renders reports of ``kind``; ``ParamsError`` naming the known kinds."""
    found = [j for j in JOBS.values() if kind in (j.as_of_report, j.batch_report)]
    if not found:
        raise ParamsError(f"unknown report '{kind}'; known: {', '.join(report_kinds()) or 'none'}")
    return found[0]
