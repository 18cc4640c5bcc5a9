"""The model registry: logging and registering the PD model, resolving and loading versions,
aliases and version tags.

Registered as ``key-account-pd``; aliases ``challenger`` (new) and ``champion`` (signed off,
moved only by ``workbench.signoff``), which also copies approved versions into another
registered model (``copy_version``; a copy's source is ``models:/<name>/<version>``,
``copy_source``). The sign-off gate reads and writes the registry through the functions here,
never through the raw client.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import mlflow.pyfunc
import pandas as pd
from mlflow.exceptions import MlflowException

from .store import client, tracking_uri

if TYPE_CHECKING:
    from .handle import RunHandle

__all__ = [
    "ModelVersionInfo", "PDModelPyfunc", "log_pd_model", "load_registered_model", "alias_version", "model_exists",
    "version_numbers", "version_key", "get_model_version", "model_aliases", "set_alias", "set_version_tags",
    "resolve_model_version", "load_pd_model_version", "load_alias_model",
    "RegisteredModelInfo", "get_registered_model_info", "set_registered_model_tags", "delete_alias",
    "MODELS_URI_PREFIX", "copy_source", "copy_version", "find_copy", "ensure_registered_model",
]

#: Registry URIs name a version as models:/<name>/<version>; a copied version's source is that URI.
MODELS_URI_PREFIX = "models:/"


@dataclass(frozen=True)
class ModelVersionInfo:
    """A registered model version as the workbench reads it."""

    name: str
    version: str
    run_id: str
    source: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegisteredModelInfo:
    """A registered model as the workbench reads it: its tags, aliases and when it was created."""

    name: str
    created: int  # creation timestamp, ms since the epoch (a re-created model has a new one)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # {alias: version}


# MLflow reads predict's type hints when the class is created: DataFrame in, DataFrame out.
logging.getLogger("mlflow.models.signature").setLevel(logging.WARNING)
logging.getLogger("mlflow.pyfunc").setLevel(logging.WARNING)  # "Validating input example ..." is chatter


class PDModelPyfunc(mlflow.pyfunc.PythonModel):
    """MLflow wrapper of a fitted ``workbench.models.PDModel``: calibration and master scale
    travel inside it; ``predict`` returns the PD and the grade of each row."""

    def __init__(self, model=None):
        self.model = model

    def load_context(self, context) -> None:
        """Unpickle the fitted model from the version's ``pd_model`` artifact (models from code)."""
        if self.model is None and context is not None and "pd_model" in (context.artifacts or {}):
            with open(context.artifacts["pd_model"], "rb") as fh:
                self.model = pickle.load(fh)

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        pd_ = self.model.predict_pd(model_input)
        return pd.DataFrame({"pd": pd_, "grade": self.model.master_scale_.grade(pd_)})


def _pip_requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("xgboost-cpu", "scikit-learn", "pandas", "numpy", "scipy", "optuna", "pyarrow"):
        try:
            out.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            continue
    return out


def log_pd_model(run: "RunHandle", model: Any, input_example: pd.DataFrame, *, name: str = "pd_model",
                 registered_model: str | None = None, alias: str = "challenger") -> dict[str, str]:
    """Log a fitted PD model to ``run`` with signature and input example; optionally register it
    and point ``alias`` at the new version. Returns the model URI (and version)."""
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types import ColSpec, Schema

    example = input_example.head(5).copy()
    # Every number as float64 (a double in the schema): integer columns with missing values break MLflow's
    # schema enforcement, and a float32 schema refuses the float64 a caller's DataFrame holds.
    example = example.astype({c: "float64" for c in example.columns if pd.api.types.is_numeric_dtype(example[c])
                              and not pd.api.types.is_bool_dtype(example[c])})
    # Categories as plain strings: the schema's "string", whatever dtype (pandas 3 str, category) the panel had.
    for c in example.columns:
        if not pd.api.types.is_numeric_dtype(example[c]):
            example[c] = example[c].astype(object).where(example[c].notna(), None)
    inferred = infer_signature(example, PDModelPyfunc(model).predict(None, example))
    # Any feature may be missing in a client's row (the model handles it): none is required.
    signature = ModelSignature(inputs=Schema([ColSpec(type=c.type, name=c.name, required=False)
                                              for c in inferred.inputs.inputs]), outputs=inferred.outputs)
    with tempfile.TemporaryDirectory() as tmp:
        local, pickled = Path(tmp) / name, Path(tmp) / "pd_model.pkl"
        with open(pickled, "wb") as fh:
            pickle.dump(model, fh)
        # Models from code: MLflow rebuilds the wrapper from pd_model_code.py and it reads the pickle,
        # instead of cloudpickling the wrapper object (which MLflow 3 warns about).
        previous = os.environ.get("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR")
        os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
        try:
            mlflow.pyfunc.save_model(str(local), python_model=str(Path(__file__).with_name("pd_model_code.py")),
                                     artifacts={"pd_model": str(pickled)}, signature=signature,
                                     input_example=example, pip_requirements=_pip_requirements())
        finally:
            if previous is None:
                os.environ.pop("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", None)
            else:
                os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = previous
        client().log_artifacts(run.run_id, str(local), name)
    out = {"model_uri": f"runs:/{run.run_id}/{name}"}
    if registered_model:
        c = client()
        try:
            c.get_registered_model(registered_model)
        except MlflowException:
            c.create_registered_model(registered_model, description="Key-account 12-month PD model "
                                      "(calibrated xgboost; master scale inside)")
        version = c.create_model_version(registered_model, source=f"{run.artifact_uri}/{name}", run_id=run.run_id)
        c.set_registered_model_alias(registered_model, alias, version.version)
        run.set_tags({"workbench.registered_model": f"{registered_model}/{version.version}@{alias}"})
        out.update(version=str(version.version), registered_uri=f"models:/{registered_model}@{alias}")
    return out


def load_registered_model(name: str, alias: str = "challenger"):
    """The pyfunc model of a registered version: ``alias`` is an alias (``champion`` ->
    ``models:/key-account-pd@champion``) or a version number (``"3"`` -> ``models:/key-account-pd/3``)."""
    uri = f"models:/{name}/{alias}" if str(alias).isdigit() else f"models:/{name}@{alias}"
    return mlflow.pyfunc.load_model(uri)


def alias_version(name: str, alias: str) -> str | None:
    """The version a registry alias points at, or None (no such model or alias)."""
    try:
        return str(client().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def model_exists(name: str) -> bool:
    try:
        client().get_registered_model(name)
    except MlflowException:
        return False
    return True


def version_numbers(name: str) -> list[str]:
    """Every version of registered model ``name``, in numeric order (empty if there is none)."""
    try:
        found = client().search_model_versions(f"name = '{name}'")
    except MlflowException:
        return []
    return sorted((str(v.version) for v in found), key=version_key)


def version_key(version: str) -> tuple[int, str]:
    """Sort key of a version string: numbers in numeric order, anything else after them."""
    return (int(version), "") if str(version).isdigit() else (10**12, str(version))


def get_model_version(name: str, version: str) -> ModelVersionInfo:
    """One version of a registered model with its tags; ``LookupError`` saying what is unknown
    (no such model, or the versions that exist)."""
    c = client()
    if not model_exists(name):
        raise LookupError(f"no registered model {name!r} at {tracking_uri()}")
    try:
        mv = c.get_model_version(name, version)
    except MlflowException:
        raise LookupError(f"registered model {name!r} has no version {version!r} "
                          f"(versions: {', '.join(version_numbers(name)) or 'none'})") from None
    return ModelVersionInfo(name=name, version=str(mv.version), run_id=mv.run_id, source=mv.source,
                            tags=dict(mv.tags or {}))


def model_aliases(name: str) -> dict[str, str]:
    """``{alias: version}`` of registered model ``name``; ``LookupError`` if it does not exist."""
    try:
        model = client().get_registered_model(name)
    except MlflowException:
        raise LookupError(f"no registered model {name!r} at {tracking_uri()}") from None
    return {alias: str(v) for alias, v in (model.aliases or {}).items()}


def set_alias(name: str, alias: str, version: str) -> None:
    client().set_registered_model_alias(name, alias, version)


def get_registered_model_info(name: str) -> RegisteredModelInfo:
    """Registered model ``name`` with its tags and aliases; ``LookupError`` if it does not exist."""
    try:
        model = client().get_registered_model(name)
    except MlflowException:
        raise LookupError(f"no registered model {name!r} at {tracking_uri()}") from None
    return RegisteredModelInfo(name=name, created=int(model.creation_timestamp or 0), tags=dict(model.tags or {}),
                               aliases={alias: str(v) for alias, v in (model.aliases or {}).items()})


def set_registered_model_tags(name: str, tags: Mapping[str, str]) -> None:
    """Tag a registered model (model-level records, e.g. the sign-off ledger)."""
    c = client()
    for key, value in tags.items():
        c.set_registered_model_tag(name, key, value)


def delete_alias(name: str, alias: str) -> bool:
    """Remove registry alias ``alias`` of ``name``; False (and nothing done) if it is not set."""
    if alias_version(name, alias) is None:
        return False
    client().delete_registered_model_alias(name, alias)
    return True


def ensure_registered_model(name: str, description: str = "") -> bool:
    """Create registered model ``name`` unless it exists; True if this call created it."""
    if model_exists(name):
        return False
    try:
        client().create_registered_model(name, description=description or None)
    except MlflowException:
        if not model_exists(name):  # not "another process created it in between"
            raise
        return False
    return True


def copy_source(source: str) -> tuple[str, str] | None:
    """``(model, version)`` a copied version came from (its source ``models:/<model>/<version>``),
    else None (a version registered from a run's artifacts)."""
    if not source.startswith(MODELS_URI_PREFIX):
        return None
    model, _, version = source[len(MODELS_URI_PREFIX):].rpartition("/")
    return (model, version) if model and version.isdigit() else None


def find_copy(dst: str, name: str, version: str) -> str | None:
    """The newest version of ``dst`` copied from ``name`` version ``version`` (None: none is)."""
    try:
        found = client().search_model_versions(f"name = '{dst}'")
    except MlflowException:
        return None
    copies = [str(v.version) for v in found if copy_source(v.source or "") == (name, str(version))]
    return max(copies, key=version_key) if copies else None


def copy_version(name: str, version: str, dst: str, *, drop_tag_prefixes: tuple[str, ...] = (),
                 tags: Mapping[str, str] | None = None) -> str:
    """Copy ``name`` version ``version`` into registered model ``dst`` as a new version
    (``MlflowClient.copy_model_version``: same run, source ``models:/<name>/<version>``); returns its
    number. The copy inherits the version's tags; those starting with ``drop_tag_prefixes`` are
    removed from it, ``tags`` are added. Raises ``MlflowException`` as the registry does (e.g.
    PERMISSION_DENIED, or INTERNAL_ERROR wrapping it, on a server that refuses)."""
    import contextlib
    import io

    c = client()
    # copy_model_version prints "Copied version ..." to stderr; the caller says what happened.
    with contextlib.redirect_stderr(io.StringIO()):
        copied = c.copy_model_version(f"{MODELS_URI_PREFIX}{name}/{version}", dst)
    number = str(copied.version)
    if drop_tag_prefixes:
        for key in [k for k in (copied.tags or {}) if k.startswith(drop_tag_prefixes)]:
            c.delete_model_version_tag(dst, number, key)
    set_version_tags(dst, number, tags or {})
    return number


def set_version_tags(name: str, version: str, tags: Mapping[str, str]) -> None:
    """Tag a model version (tags are how decisions and links are recorded on it)."""
    c = client()
    for key, value in tags.items():
        c.set_model_version_tag(name, version, key, value)


def resolve_model_version(name: str, version: str = "", training_run_id: str = "") -> dict[str, Any]:
    """One registered model version as ``{name, version, run_id, aliases, source}``.

    ``version`` is a number or an alias (``champion``); empty means the version registered
    by ``training_run_id``, or without one the latest version. Raises ``LookupError`` with
    what exists when nothing matches.
    """
    c = client()
    try:
        c.get_registered_model(name)
    except MlflowException:
        known = ", ".join(sorted(m.name for m in c.search_registered_models())) or "none"
        raise LookupError(f"no registered model {name!r} (registered: {known})") from None
    versions = c.search_model_versions(f"name='{name}'")
    if version and not str(version).isdigit():
        found = alias_version(name, str(version))
        if found is None:
            raise LookupError(f"model {name!r} has no alias {version!r}")
        version = found
    if version:
        match = [v for v in versions if str(v.version) == str(version)]
    elif training_run_id:
        match = [v for v in versions if v.run_id == training_run_id]
    else:
        match = versions
    if not match:
        have = ", ".join(sorted((str(v.version) for v in versions), key=int)) or "none"
        what = f"version {version}" if version else f"a version from run {training_run_id}" if training_run_id else "a version"
        raise LookupError(f"model {name!r} has no {what} (versions: {have})")
    mv = max(match, key=lambda v: int(v.version))
    mv = c.get_model_version(name, str(mv.version))  # search_model_versions leaves aliases empty
    return {"name": name, "version": str(mv.version), "run_id": mv.run_id, "aliases": sorted(mv.aliases or []),
            "source": mv.source}


def load_pd_model_version(name: str, version: str):
    """The ``workbench.models.PDModel`` inside a registered version (booster, calibration and
    master scale as they were logged)."""
    pyfunc_model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    return pyfunc_model.unwrap_python_model().model


def load_alias_model(name: str, alias: str, exclude_version: str | None = None) -> tuple[Any, str | None]:
    """``(PDModel, version)`` of the version ``alias`` points at, or ``(None, None)`` when the
    alias is not set or points at ``exclude_version`` (a model is not its own champion)."""
    version = alias_version(name, alias)
    if version is None or version == str(exclude_version):
        return None, None
    return load_pd_model_version(name, version), version


def run_metrics(run_id: str) -> dict[str, float]:
    """The latest value of every metric a run logged."""
    return dict(client().get_run(run_id).data.metrics)


def run_params(run_id: str) -> dict[str, str]:
    """The params a run logged (flattened keys, string values)."""
    return dict(client().get_run(run_id).data.params)
