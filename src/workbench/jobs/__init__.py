"""Jobs: every notebook declared once (params model, params file, experiment, upstream jobs, key
figures, report kind) and the pipelines that chain them. See ``registry`` for the model and
``catalogue`` for the workbench's own jobs; ``params`` holds each job's params model."""

from . import catalogue  # noqa: F401  (registers the workbench's jobs)
from .catalogue import CREDIT_PIPELINE, DASK_PIPELINE, EXPERIMENTS
from .params import (
    BuildFeaturesParams,
    CalibratePricingParams,
    ReviewModelParams,
    StructureFinancingParams,
    TrainPDParams,
)
from .registry import (
    JOBS,
    PIPELINES,
    Job,
    Pipeline,
    Upstream,
    job,
    pipeline,
    pipeline_overrides,
    register,
    register_pipeline,
    report_job,
    report_kinds,
    unregister,
)

__all__ = [
    "CREDIT_PIPELINE", "DASK_PIPELINE", "EXPERIMENTS",
    "BuildFeaturesParams", "CalibratePricingParams", "ReviewModelParams", "StructureFinancingParams", "TrainPDParams",
    "JOBS", "PIPELINES", "Job", "Pipeline", "Upstream", "job", "pipeline", "pipeline_overrides", "register", "register_pipeline",
    "unregister", "report_job", "report_kinds",
]
