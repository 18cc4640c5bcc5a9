"""Typed parameters: the strict base model and how a params file becomes one.

Every params model derives from ``StrictModel`` (unknown keys fail: papermill would only
warn). ``load_params(Model, path, overrides)`` reads a YAML file, applies dotted
``key=value`` overrides and validates; an unknown key, a wrong type or a missing file
raises ``ParamsError`` naming the key (with a suggestion) or the file.

A params file may start with ``extends: <other file>`` (relative to itself): the other
file is read first and this one's keys are merged over it, section by section. The
test suite's ``params/test/*.yaml`` are such overlays of ``params/*.yaml``, holding only
the keys that differ. The order is always base, then overlay, then overrides.

This module imports no other part of the workbench.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .paths import project_root

__all__ = [
    "EXTENDS_KEY",
    "ParamsError",
    "StrictModel",
    "load_params",
    "read_params_file",
    "parse_override",
    "flatten_mapping",
    "flatten_params",
    "params_hash",
    "narrow",
    "model_keys",
]

#: Top-level key of an overlay file naming the file it is laid over.
EXTENDS_KEY = "extends"


class ParamsError(ValueError):
    """A params file or override that cannot be used; the message names the file and key."""


class StrictModel(BaseModel):
    """Params reject unknown keys and non-finite numbers (``nan``, ``inf``) and are immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``: sections merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def model_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every dotted key a model accepts, nested sections included."""
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys.extend(model_keys(ann, prefix + name + "."))
    return keys


def _describe_errors(model: type[BaseModel], exc: ValidationError, source: str) -> str:
    known = model_keys(model)
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


def _read_yaml_mapping(p: Path) -> dict[str, Any]:
    if not p.is_file():
        raise ParamsError(f"params file not found: {p}")
    try:
        loaded = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParamsError(f"{p}: not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ParamsError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if loaded is None:
        # An empty file would silently mean "all defaults": most likely a file emptied by mistake.
        raise ParamsError(f"{p}: the params file is empty (no key at all); write the keys you mean, or "
                          "pass no params file to use the defaults")
    if not isinstance(loaded, dict):
        raise ParamsError(f"{p}: top level must be a mapping of keys, got {type(loaded).__name__}")
    return loaded


def _params_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else project_root() / p


def read_params_file(path: str | os.PathLike[str], _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The raw mapping of a params file with its ``extends`` chain resolved (base first)."""
    p = _params_path(path).resolve()
    if p in _seen:
        chain = " -> ".join(str(s) for s in (*_seen, p))
        raise ParamsError(f"params files extend each other in a circle: {chain}")
    data = _read_yaml_mapping(p)
    base = data.pop(EXTENDS_KEY, None)
    if base is None:
        return data
    if not isinstance(base, str) or not base.strip():
        raise ParamsError(f"{p}: '{EXTENDS_KEY}' must name a params file, got {base!r}")
    base_path = Path(base).expanduser()
    base_path = base_path if base_path.is_absolute() else p.parent / base_path
    if not base_path.is_file():
        raise ParamsError(f"{p}: '{EXTENDS_KEY}: {base}' names no file ({base_path})")
    return _merge(read_params_file(base_path, (*_seen, p)), data)


def load_params(
    model: type[M],
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> M:
    """Read ``path`` (YAML, relative to the project root; ``extends`` resolved), apply dotted
    overrides, validate. ``path=None`` validates the model's defaults plus the overrides."""
    data: dict[str, Any] = {}
    source = "defaults"
    if path:
        source = str(_params_path(path))
        data = read_params_file(path)
    for key, value in (overrides or {}).items():
        if isinstance(value, str) and "=" in key:
            raise ParamsError(f"override key '{key}' contains '='")
        _set_dotted(data, key, value, f"override '{key}'")
    try:
        return model.model_validate(_onto_defaults(model, data))
    except ValidationError as exc:
        raise ParamsError(_describe_errors(model, exc, source)) from None


def _onto_defaults(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each partial section laid over the model's own default of that section.

    A section given in part (``ews: {days_past_due: {red: 60}}``) keeps the rest of its default
    (the indicator's amber level, weight and source), also where the default differs from the
    section class's own defaults. Plain mappings and lists (a funding curve, tier rules) are
    values: given, they replace the default whole.
    """
    try:
        default = model()
    except ValidationError:
        return data
    return _lay_over(default, data)


def _lay_over(default: BaseModel, data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for name, value in data.items():
        current = getattr(default, name, None) if name in type(default).model_fields else None
        if isinstance(current, BaseModel) and isinstance(value, Mapping):
            out[name] = {**current.model_dump(), **_lay_over(current, value)}
    return out


def narrow(params: BaseModel, model: type[M]) -> M:
    """The part of ``params`` that ``model`` declares, as a ``model``: a job's params handed
    to a domain function that must not see run ids or paths."""
    return model.model_validate(params.model_dump(include=set(model.model_fields)))


def flatten_mapping(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys: ``{"xgb": {"max_depth": 3}}`` -> ``{"xgb.max_depth": 3}``."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            out.update(flatten_mapping(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def flatten_params(params: BaseModel) -> dict[str, Any]:
    """Dotted keys with JSON-able values, as logged to MLflow."""
    return flatten_mapping(params.model_dump(mode="json"))


def params_hash(params: BaseModel) -> str:
    """Stable short hash of the validated params (key order does not matter)."""
    canonical = json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
