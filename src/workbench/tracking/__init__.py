"""MLflow tracking for the workbench: the only package in the project that imports mlflow.

Everything else (the runner, the CLI, the sign-off gate, notebooks) goes through the functions
here, so that the conventions of DESIGN.md section 5 hold in one place:

* ``store``: where runs go (``tracking_uri``, the artifact root, experiments, the UI command);
* ``provenance``: the tags every run carries (``standard_tags``);
* ``identity``: who runs (the user a tracking server with auth checked, else the OS user);
* ``runs``: runs by id (create, end, read, artifacts);
* ``handle``: the ``RunHandle`` a notebook logs through, ``start_run`` / ``tracked_run`` /
  ``attach_run``;
* ``lineage``: how steps find each other (latest finished run of a notebook, recorded outputs);
* ``registry``: the PD model in the model registry (log, register, aliases, version tags, load);
* ``callbacks``: optuna trials as nested runs; ``ui``: run URLs and overviews.
"""

from .callbacks import log_tuning, optuna_trial_logger
from .describe import (
    CLASSICAL_ML,
    EXPERIMENT_KIND_TAG,
    NOTE_TAG,
    describe_experiment,
    describe_model_version,
    describe_registered,
    describe_run,
)
from .handle import RunHandle, attach_run, start_run, tracked_run
from .identity import Identity, TrackingAuthError, current_identity
from .lineage import (
    AS_OF_TAG,
    SUPERSEDED_TAG,
    find_latest_run,
    find_latest_run_anywhere,
    find_latest_run_in,
    resolve_output,
    run_outputs,
    search_latest_run,
    supersede_earlier_runs,
)
from .provenance import data_fingerprint, git_commit, standard_tags
from .registry import (
    ModelVersionInfo,
    PDModelPyfunc,
    alias_version,
    copy_source,
    copy_version,
    ensure_registered_model,
    find_copy,
    get_model_version,
    load_alias_model,
    load_pd_model_version,
    load_registered_model,
    log_pd_model,
    model_aliases,
    model_exists,
    resolve_model_version,
    set_alias,
    set_version_tags,
    version_key,
    version_numbers,
)
from .runs import (
    ERROR_TAG,
    OUTPUT_TAG_PREFIX,
    TAG_PREFIX,
    end_run,
    error_message,
    get_run,
    get_run_tags,
    list_artifacts,
    run_metrics,
    run_params,
    set_run_tag,
)
from .store import (
    MlflowException,
    artifact_root,
    check_store,
    client,
    ensure_experiment,
    experiment_ids,
    tracking_uri,
    ui_command,
)
from .ui import UI_MODE, run_overview, run_url, ui_url

__all__ = [
    "optuna_trial_logger", "log_tuning",
    "CLASSICAL_ML", "EXPERIMENT_KIND_TAG", "NOTE_TAG", "describe_experiment", "describe_model_version",
    "describe_registered", "describe_run",
    "RunHandle", "attach_run", "start_run", "tracked_run",
    "Identity", "TrackingAuthError", "current_identity",
    "AS_OF_TAG", "SUPERSEDED_TAG", "supersede_earlier_runs", "find_latest_run", "find_latest_run_anywhere",
    "find_latest_run_in", "resolve_output", "run_outputs", "search_latest_run",
    "data_fingerprint", "git_commit", "standard_tags",
    "ModelVersionInfo", "PDModelPyfunc", "alias_version", "copy_source", "copy_version", "ensure_registered_model",
    "find_copy", "get_model_version", "load_alias_model",
    "load_pd_model_version", "load_registered_model", "log_pd_model", "model_aliases", "model_exists",
    "resolve_model_version", "set_alias", "set_version_tags", "version_key", "version_numbers",
    "ERROR_TAG", "OUTPUT_TAG_PREFIX", "TAG_PREFIX", "end_run", "error_message", "get_run", "get_run_tags",
    "list_artifacts", "run_metrics", "run_params", "set_run_tag",
    "MlflowException", "artifact_root", "check_store", "client", "ensure_experiment", "experiment_ids", "tracking_uri",
    "ui_command",
    "UI_MODE", "run_overview", "run_url", "ui_url",
]
