"""Paths, typed parameters and the notebook registry.

Everything that locates a file goes through here so that no path depends on the
current working directory:

* ``project_root()`` is the checkout (``notebooks/``, ``params/``), found from this
  file's location, or ``WORKBENCH_ROOT``.
* ``state_dir()`` is where runs leave things (``mlflow.db``, ``mlartifacts/``,
  ``experiments/``, ``data/``): the project root unless ``WORKBENCH_STATE_DIR`` is
  set (the test suite points it at a temporary directory). Relative paths inside
  params files are resolved against it.

Each notebook has one pydantic params model. ``load_params(Model, path, overrides)``
reads a YAML file, applies ``key=value`` overrides (dotted keys reach nested
models) and validates; an unknown key, a wrong type or a missing file raises
``ParamsError`` naming the key or file.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Mapping, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "ParamsError",
    "project_root",
    "state_dir",
    "resolve_path",
    "default_data_dir",
    "load_params",
    "parse_override",
    "params_hash",
    "flatten_params",
    "BuildFeaturesParams",
    "TrainPDParams",
    "CalibratePricingParams",
    "ReviewModelParams",
    "StructureFinancingParams",
    "NotebookSpec",
    "NOTEBOOKS",
    "notebook_spec",
]


class ParamsError(ValueError):
    """A params file or override that cannot be used; the message names the file and key."""


# --------------------------------------------------------------------------- paths


def _is_workbench_root(path: Path) -> bool:
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return False
    return 'name = "workbench"' in text


def project_root() -> Path:
    """The checkout holding ``pyproject.toml``, ``notebooks/`` and ``params/``."""
    env = os.environ.get("WORKBENCH_ROOT")
    if env:
        root = Path(env).expanduser().resolve()
        if not _is_workbench_root(root):
            raise RuntimeError(f"WORKBENCH_ROOT={env} is not a workbench checkout (no pyproject.toml naming 'workbench')")
        return root
    # Editable install: src/workbench/config.py -> the checkout is two levels above src/.
    for candidate in [Path(__file__).resolve().parent, *Path(__file__).resolve().parents]:
        if _is_workbench_root(candidate):
            return candidate
    for candidate in [Path.cwd(), *Path.cwd().parents]:
        if _is_workbench_root(candidate):
            return candidate
    raise RuntimeError(
        "Cannot find the workbench checkout: install it editable (`make install`) or set WORKBENCH_ROOT"
    )


def state_dir() -> Path:
    """Where runs write: mlflow.db, mlartifacts/, experiments/, data/."""
    env = os.environ.get("WORKBENCH_STATE_DIR")
    path = Path(env).expanduser().resolve() if env else project_root()
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """Absolute paths stay; relative ones are taken from the state dir, never the cwd."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (state_dir() / p).resolve()


def default_data_dir() -> Path:
    """Where `workbench demo` keeps the embedded synthetic portfolio."""
    return state_dir() / "data" / "synthetic"


# --------------------------------------------------------------------------- params models


class StrictModel(BaseModel):
    """Params reject unknown keys: papermill only warns about them, we fail."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeSplit(StrictModel):
    """Time-based split of observation dates: train <= train_end < valid <= valid_end < oot."""

    train_end: date = date(2020, 12, 31)
    valid_end: date = date(2021, 12, 31)

    @model_validator(mode="after")
    def _ordered(self) -> "TimeSplit":
        if self.valid_end <= self.train_end:
            raise ValueError(f"valid_end ({self.valid_end}) must be after train_end ({self.train_end})")
        return self


class BuildFeaturesParams(StrictModel):
    """Params of notebooks/10_build_features."""

    data_dir: str = Field("data/synthetic", description="Portfolio tables (Parquet), relative to the state dir")
    reporting_lag_days: int = Field(120, ge=0, le=730, description="Days after period end before a statement is usable")
    horizon_months: int = Field(12, ge=1, le=60, description="Default horizon of the target")
    split: TimeSplit = TimeSplit()
    min_peer_group: int = Field(10, ge=2, description="Fewest peers for an industry benchmark; else the sector")
    macro_lag_months: int = Field(1, ge=0, le=12, description="Publication lag of macro data")
    engine: Literal["pandas", "dask"] = Field("pandas", description="Where the panel is computed")
    dask_partitions: int = Field(8, ge=1, description="Obligor partitions when engine is dask")
    chunk_obligors: int = Field(25_000, ge=100, description="Obligors processed at once by the pandas engine "
                                "(bounds memory; the panel does not depend on it)")


class XGBParams(StrictModel):
    """Booster settings used when tuning is off (and as the tuning's starting point)."""

    n_estimators: int = Field(1000, ge=1, description="Upper bound; early stopping picks the number")
    max_depth: int = Field(3, ge=1, le=16)
    learning_rate: float = Field(0.05, gt=0, le=1)
    subsample: float = Field(0.8, gt=0, le=1)
    colsample_bytree: float = Field(0.5, gt=0, le=1)
    min_child_weight: float = Field(20.0, ge=0)
    reg_lambda: float = Field(5.0, ge=0)
    reg_alpha: float = Field(0.0, ge=0)
    early_stopping_rounds: int = Field(100, ge=1)


class Range(StrictModel):
    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("a log-scale range needs low > 0")
        return self


class SearchSpace(StrictModel):
    """Ranges optuna's TPE sampler draws the booster settings from."""

    max_depth: Range = Range(low=2, high=8)
    learning_rate: Range = Range(low=0.01, high=0.2, log=True)
    min_child_weight: Range = Range(low=1, high=200, log=True)
    subsample: Range = Range(low=0.5, high=1.0)
    colsample_bytree: Range = Range(low=0.2, high=1.0)
    reg_lambda: Range = Range(low=1e-3, high=50, log=True)
    reg_alpha: Range = Range(low=1e-3, high=10, log=True)


class TuningParams(StrictModel):
    enabled: bool = True
    n_trials: int = Field(25, ge=1)
    timeout_s: float | None = Field(None, gt=0, description="Stop starting trials after this long")
    n_folds: int = Field(3, ge=2, le=10, description="Validation folds (time-ordered when a time column exists)")
    storage: str = Field("", description="SQLAlchemy URL of the optuna study; empty = sqlite file in the state dir")
    study_name: str = Field("", description="Shared name lets several workers fill one study; empty = a new one")
    search_space: SearchSpace = SearchSpace()


class CalibrationParams(StrictModel):
    method: Literal["platt", "isotonic", "none"] = Field(
        "platt", description="Fitted on held-out rows; platt keeps the ranking, isotonic may tie it")
    holdout_share: float = Field(0.2, gt=0, lt=0.5, description="Share held out (the latest by time) when no split "
                                 "is given")
    central_tendency: float | None = Field(None, gt=0, lt=1, description="Long-run default rate to anchor the "
                                           "mean PD to; empty = no anchoring")


class MasterScaleParams(StrictModel):
    n_grades: int = Field(10, ge=3, le=25, description="Performing grades; D (default) comes on top")
    pd_floor: float = Field(0.0003, gt=0, lt=0.01, description="Lowest PD (Basel II corporate floor 0.03%)")
    pd_cap: float = Field(0.30, gt=0.01, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> "MasterScaleParams":
        if self.pd_floor >= self.pd_cap:
            raise ValueError("pd_floor must be below pd_cap")
        return self


class TrainPDParams(StrictModel):
    """Params of notebooks/20_train_pd_model (and of ``workbench.models.fit_pd_model``)."""

    features_run_id: str = Field("", description="MLflow run of 10_build_features; empty = the latest finished one")
    table_path: str = Field("", description="Bring your own data: a flat CSV/Parquet/ARFF table instead of a panel")
    id_column: str = Field("", description="Row id column of table_path")
    time_column: str = Field("", description="Date column of table_path; empty = stratified random splits")
    target: str = "default_12m"
    seed: int = 42
    n_jobs: int = Field(2, ge=1)
    monotone: bool = Field(True, description="Constrain features to the dictionary's expected direction with PD")
    n_bags: int = Field(5, ge=1, le=50, description="Boosters with different seeds averaged in the final model "
                        "(less variance, a little better ranking)")
    refit_full: bool = Field(True, description="After early stopping on the held-out rows, refit on all rows "
                             "(the held-out ones included) with proportionally more trees")
    xgb: XGBParams = XGBParams()
    tuning: TuningParams = TuningParams()
    calibration: CalibrationParams = CalibrationParams()
    master_scale: MasterScaleParams = MasterScaleParams()
    registered_model: str = Field("key-account-pd", description="MLflow registered model name")
    register_model: bool = Field(True, description="Register the model version with alias 'challenger'")


class CollateralLGDParams(StrictModel):
    """F-IRB treatment of one eligible collateral type (Basel II paragraphs 289-295)."""

    lgd: float = Field(..., ge=0, le=1, description="LGD of the secured part")
    c_min: float = Field(..., ge=0, description="C*: minimum coverage (value / exposure) for any recognition")
    c_full: float = Field(..., gt=0, description="C**: coverage needed to secure the whole exposure")

    @model_validator(mode="after")
    def _ordered(self) -> "CollateralLGDParams":
        if self.c_min > self.c_full:
            raise ValueError(f"c_min ({self.c_min}) must not exceed c_full ({self.c_full})")
        return self


def _default_collateral() -> dict[str, CollateralLGDParams]:
    # Basel II F-IRB: financial collateral after haircuts 0 %; receivables 35 % (C* 0, C** 125 %);
    # commercial/residential real estate 35 % (C* 30 %, C** 140 %); other physical 40 % (C* 30 %, C** 140 %).
    return {
        "financial": CollateralLGDParams(lgd=0.0, c_min=0.0, c_full=1.0),
        "receivables": CollateralLGDParams(lgd=0.35, c_min=0.0, c_full=1.25),
        "real_estate": CollateralLGDParams(lgd=0.35, c_min=0.30, c_full=1.40),
        "other_physical": CollateralLGDParams(lgd=0.40, c_min=0.30, c_full=1.40),
    }


class LGDParams(StrictModel):
    senior_unsecured: float = Field(0.45, ge=0, le=1, description="F-IRB senior unsecured LGD")
    subordinated: float = Field(0.75, ge=0, le=1, description="F-IRB subordinated LGD")
    collateral: dict[str, CollateralLGDParams] = Field(default_factory=_default_collateral)
    guarantee_substitution: bool = Field(True, description="Guaranteed part takes the guarantor's PD and LGD")


class PriceResponseParams(StrictModel):
    model: Literal["logistic", "xgboost"] = Field("logistic", description="Acceptance model; both are monotone "
                                                  "decreasing in the offered spread")
    min_quotes: int = Field(200, ge=20, description="Fewer quotes than this: no market layer, the floor is the price")
    spread_search_bps: tuple[float, float] = Field((0.0, 1500.0), description="Range searched for the best spread")


class CalibratePricingParams(StrictModel):
    """Params of notebooks/30_calibrate_pricing, the quote CLI and ``workbench.pricing``."""

    training_run_id: str = Field("", description="MLflow run of 20_train_pd_model; empty = the latest finished one")
    data_dir: str = Field("data/synthetic", description="Portfolio directory: quotes, facilities, obligors")
    pd_floor: float = Field(0.0003, gt=0, lt=0.01, description="Regulatory PD floor: 0.03 % Basel II, 0.05 % Basel III")
    default_el_best_estimate: float = Field(0.35, ge=0, le=1, description="Best-estimate EL of a defaulted "
                                            "exposure (share of EAD): K = max(0, LGD - this)")
    lgd: LGDParams = LGDParams()
    funding_curve_bps: dict[float, float] = Field(
        default_factory=lambda: {1: 60.0, 2: 75.0, 3: 90.0, 5: 115.0, 7: 135.0, 10: 160.0, 15: 185.0, 20: 200.0},
        description="Cost of funds by tenor in years (linear between points, flat beyond)")
    opex_bps: float = Field(40.0, ge=0, description="Operating cost per year, per unit of exposure")
    hurdle_rate: float = Field(0.12, gt=0, lt=1, description="Required return on economic capital (after tax)")
    capital_return_rate: float = Field(0.03, ge=0, lt=1, description="Return earned on the capital itself")
    tax_rate: float = Field(0.25, ge=0, lt=1)
    tenor_buckets: list[float] = Field(default_factory=lambda: [1.0, 3.0, 5.0, 7.0, 10.0, 15.0],
                                       description="Representative tenors (years) of the grid's columns")
    collateral_types: list[str] = Field(default_factory=lambda: ["none", "financial", "receivables", "real_estate",
                                                                 "other_physical"])
    collateral_coverage: float = Field(1.0, ge=0, description="Collateral value / exposure assumed in secured cells")
    exposure_eur_m: float = Field(10.0, gt=0, description="Representative ticket for expected profit")
    tier_by_size_band: dict[str, str] = Field(
        default_factory=lambda: {"very_large_corporate": "A", "large_corporate": "B", "mid_corporate": "C"},
        description="Client tier per obligor size band, until tiering has its own model")
    tier_discount_bps: dict[str, float] = Field(default_factory=lambda: {"A": 15.0, "B": 5.0, "C": 0.0},
                                                description="Relationship discount; never below the hurdle floor")
    response: PriceResponseParams = PriceResponseParams()

    @model_validator(mode="after")
    def _consistent(self) -> "CalibratePricingParams":
        if self.hurdle_rate <= self.capital_return_rate:
            raise ValueError(f"hurdle_rate ({self.hurdle_rate}) must exceed capital_return_rate "
                             f"({self.capital_return_rate}), else capital would earn a negative charge")
        if not self.funding_curve_bps:
            raise ValueError("funding_curve_bps needs at least one tenor")
        unknown = [c for c in self.collateral_types if c != "none" and c not in self.lgd.collateral]
        if unknown:
            raise ValueError(f"collateral_types {unknown} have no entry in lgd.collateral "
                             f"(known: {', '.join(self.lgd.collateral)})")
        return self


class ReviewModelParams(StrictModel):
    """Params of notebooks/40_review_model: the independent review of one registered model version."""

    model_name: str = Field("key-account-pd", description="Registered model to review")
    model_version: str = Field("", description="Version to review; empty = the version the training run "
                               "registered (training_run_id), else the latest version")
    training_run_id: str = Field("", description="Run of 20_train_pd_model whose version is reviewed; "
                                 "used only when model_version is empty")
    reproducibility_tolerance: float = Field(1e-6, gt=0, lt=0.01, description="Largest difference allowed "
                                             "between a logged metric and its recomputation")
    shap_rows: int = Field(5000, ge=100, description="OOT rows sampled for the SHAP comparison")
    seed: int = 42


# The structuring modules own their parameter models (they do not import this module, so no cycle).
from .structuring.admission import AdmissionParams  # noqa: E402
from .structuring.financing_mix import FinancingMixParams  # noqa: E402


class ScheduleSpec(StrictModel):
    kind: Literal["annuity", "equal_principal", "bullet", "balloon", "step_up", "grace", "custom"]
    options: dict[str, Any] = Field(default_factory=dict, description="balloon_share, step_rate, step_interval, "
                                    "grace_periods, grace_mode, after, principal_shares")


def _default_schedules() -> dict[str, ScheduleSpec]:
    return {
        "annuity": ScheduleSpec(kind="annuity"),
        "equal_principal": ScheduleSpec(kind="equal_principal"),
        "balloon_30pct": ScheduleSpec(kind="balloon", options={"balloon_share": 0.30}),
        "step_up_5pct_a_year": ScheduleSpec(kind="step_up", options={"step_rate": 0.05}),
        "grace_1y_then_annuity": ScheduleSpec(kind="grace", options={"grace_periods": 4, "grace_mode":
                                                                          "interest_only", "after": "annuity"}),
    }


class StructureFinancingParams(StrictModel):
    """Params of notebooks/60_structure_financing: a financing proposal for one obligor."""

    obligor_id: str = Field("", description="Obligor to structure for; empty = the first project-finance obligor")
    project_id: str = Field("", description="Project to structure (its obligor is used); overrides obligor_id")
    data_dir: str = Field("data/synthetic", description="Portfolio: obligors, financials, projects, cash flows")
    training_run_id: str = Field("", description="Run of 20_train_pd_model for grades and the panel; "
                                 "empty = the latest finished one")
    amount_eur_m: float | None = Field(None, gt=0, description="Requested amount; empty = a quarter of sales")
    tenor_years: float = Field(7.0, gt=0, le=40)
    collateral_type: str = "none"
    collateral_value_eur_m: float = Field(0.0, ge=0)
    purpose: str = ""
    annual_rate: float = Field(0.06, ge=0, lt=1, description="Loan rate for the schedules and sculpting")
    periods_per_year: int = Field(4, description="Payments per year of the proposed schedules (1, 2, 4 or 12)")
    schedules: dict[str, ScheduleSpec] = Field(default_factory=_default_schedules)
    target_dscr: float = Field(1.30, gt=1, description="Sculpting target (project finance: 1.20-1.40 typical)")
    max_gearing: float = Field(0.80, gt=0, le=1, description="Debt / project cost at most")
    cfads_haircuts: list[float] = Field(default_factory=lambda: [0.10, 0.20, 0.30])
    cfads_delays: list[int] = Field(default_factory=lambda: [1, 2], description="Periods of delay")
    financing: FinancingMixParams = Field(default_factory=FinancingMixParams)
    admission: AdmissionParams = Field(default_factory=AdmissionParams)

    @model_validator(mode="after")
    def _ppy(self) -> "StructureFinancingParams":
        if self.periods_per_year not in (1, 2, 4, 12):
            raise ValueError(f"periods_per_year must be 1, 2, 4 or 12, got {self.periods_per_year}")
        # Schedule names become MLflow param keys: letters, digits, '_' and '-' only.
        bad = [name for name in self.schedules if not re.fullmatch(r"[A-Za-z0-9_-]+", name)]
        if bad:
            raise ValueError(f"schedule names may only use letters, digits, '_' and '-': {bad}")
        return self


# --------------------------------------------------------------------------- notebook registry


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook: its params model, default params file and MLflow experiment."""

    name: str
    params_model: type[StrictModel]
    params_file: str
    experiment: str

    @property
    def path(self) -> Path:
        return project_root() / "notebooks" / f"{self.name}.ipynb"

    @property
    def test_params_file(self) -> str:
        return str(Path("params") / "test" / Path(self.params_file).name)


NOTEBOOKS: dict[str, NotebookSpec] = {
    spec.name: spec
    for spec in (
        NotebookSpec("10_build_features", BuildFeaturesParams, "params/build_features.yaml", "credit-pd"),
        NotebookSpec("20_train_pd_model", TrainPDParams, "params/train_pd_model.yaml", "credit-pd"),
        NotebookSpec("30_calibrate_pricing", CalibratePricingParams, "params/calibrate_pricing.yaml", "pricing"),
        NotebookSpec("40_review_model", ReviewModelParams, "params/review_model.yaml", "validation"),
        NotebookSpec("60_structure_financing", StructureFinancingParams, "params/structure_financing.yaml",
                     "structuring"),
    )
}


def notebook_spec(name_or_path: str | os.PathLike[str]) -> NotebookSpec:
    """Look a notebook up by name (``20_train_pd_model``) or path (``notebooks/20_train_pd_model.ipynb``)."""
    stem = Path(name_or_path).stem
    if stem not in NOTEBOOKS:
        raise ParamsError(f"unknown notebook '{name_or_path}'; known: {', '.join(NOTEBOOKS)}")
    return NOTEBOOKS[stem]


# --------------------------------------------------------------------------- loading

M = TypeVar("M", bound=BaseModel)


def parse_override(text: str) -> tuple[str, Any]:
    """``"xgb.max_depth=4"`` -> ``("xgb.max_depth", 4)``; the value is read as YAML."""
    if "=" not in text:
        raise ParamsError(f"override '{text}' is not of the form key=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ParamsError(f"override '{text}' has an empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except Exception:  # noqa: BLE001 - e.g. "2020-13-45" looks like a date to YAML but is not one
        value = raw  # the params model then rejects it with a message naming the key
    return key, value


def _set_dotted(tree: dict[str, Any], key: str, value: Any, source: str) -> None:
    node = tree
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ParamsError(f"{source}: cannot set '{key}': '{part}' is not a section")
        node = child
    node[parts[-1]] = value


def _model_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys.extend(_model_keys(ann, prefix + name + "."))
    return keys


def _describe_errors(model: type[BaseModel], exc: ValidationError, source: str) -> str:
    known = _model_keys(model)
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "<root>"
        if err["type"] == "extra_forbidden":
            hint = difflib.get_close_matches(key, known, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            lines.append(f"unknown key '{key}'{suggestion}")
        else:
            lines.append(f"key '{key}': {err['msg']} (got {err.get('input')!r})")
    return f"{source} does not fit {model.__name__}:\n  " + "\n  ".join(lines)


def load_params(
    model: type[M],
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> M:
    """Read ``path`` (YAML; relative to the project root), apply dotted overrides, validate.

    ``path=None`` validates the model's defaults plus the overrides.
    """
    data: dict[str, Any] = {}
    source = "defaults"
    if path:
        p = Path(path).expanduser()
        if not p.is_absolute():
            p = project_root() / p
        source = str(p)
        if not p.is_file():
            raise ParamsError(f"params file not found: {p}")
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ParamsError(f"{p}: not valid YAML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ParamsError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ParamsError(f"{p}: top level must be a mapping of keys, got {type(loaded).__name__}")
        data = loaded
    for key, value in (overrides or {}).items():
        if isinstance(value, str) and "=" in key:
            raise ParamsError(f"override key '{key}' contains '='")
        _set_dotted(data, key, value, f"override '{key}'")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ParamsError(_describe_errors(model, exc, source)) from None


def flatten_params(params: BaseModel) -> dict[str, Any]:
    """Dotted keys with JSON-able values, as logged to MLflow."""

    def walk(obj: Any, prefix: str) -> dict[str, Any]:
        if isinstance(obj, dict):
            out: dict[str, Any] = {}
            for k, v in obj.items():
                out.update(walk(v, f"{prefix}{k}."))
            return out
        return {prefix[:-1]: obj}

    return walk(params.model_dump(mode="json"), "")


def params_hash(params: BaseModel) -> str:
    """Stable short hash of the validated params (key order does not matter)."""
    canonical = json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
