"""The job registry: every notebook once, its params files valid, its defaults equal to its YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from workbench import jobs
from workbench.params import EXTENDS_KEY, ParamsError, StrictModel, load_params
from workbench.paths import project_root


@pytest.mark.parametrize("name", list(jobs.JOBS))
def test_every_registered_job_loads_its_params_file_and_its_test_overlay(name):
    job = jobs.JOBS[name]
    for path in (job.params_file, job.test_params_file):
        assert isinstance(load_params(job.params_model, path), job.params_model), path


@pytest.mark.parametrize("name", [n for n in jobs.JOBS if jobs.JOBS[n].notebook_path is None])
def test_test_params_hold_only_the_keys_that_differ_from_the_base(name):
    job = jobs.JOBS[name]
    overlay = yaml.safe_load((project_root() / job.test_params_file).read_text())
    assert overlay.pop(EXTENDS_KEY) == f"../{Path(job.params_file).name}"
    base = yaml.safe_load((project_root() / job.params_file).read_text())

    def same(over, under, where=""):
        for key, value in over.items():
            if isinstance(value, dict) and isinstance(under.get(key), dict):
                same(value, under[key], f"{where}{key}.")
            else:
                assert under.get(key, object()) != value, f"{job.test_params_file}: {where}{key} repeats the base"

    same(overlay, base)


def _declared_defaults_disagree(default: BaseModel, data: dict, where: str = "") -> list[str]:
    """Keys of a YAML mapping whose value differs from the default params model ``default``."""
    out = []
    for key, value in data.items():
        if key == EXTENDS_KEY:
            continue
        field_value = getattr(default, key)
        if isinstance(field_value, BaseModel) and isinstance(value, dict):
            out += _declared_defaults_disagree(field_value, value, f"{where}{key}.")
            continue
        as_loaded = type(default).model_validate({**default.model_dump(), key: value})
        if getattr(as_loaded, key) != field_value:
            out.append(f"{where}{key}: YAML {value!r} vs default {field_value!r}")
    return out


@pytest.mark.parametrize("name", [n for n in jobs.JOBS if jobs.JOBS[n].notebook_path is None])
def test_every_params_model_default_equals_its_base_yaml(name):
    job = jobs.JOBS[name]
    data = yaml.safe_load((project_root() / job.params_file).read_text())
    assert _declared_defaults_disagree(job.params_model(), data) == []
    assert load_params(job.params_model, job.params_file) == job.params_model()


def test_a_default_that_drifts_from_its_yaml_is_caught():
    class Knob(StrictModel):
        depth: int = 3

    assert _declared_defaults_disagree(Knob(), {"depth": 4}) == ["depth: YAML 4 vs default 3"]
    assert _declared_defaults_disagree(Knob(), {"depth": 3}) == []


def test_every_pipeline_step_is_a_job_and_upstream_jobs_come_first():
    for pipeline in jobs.PIPELINES.values():
        seen: list[str] = []
        for name in pipeline.jobs:
            for up in jobs.job(name).upstream:
                assert up.job in seen or up.job not in pipeline.jobs, (pipeline.name, name, up.job)
            seen.append(name)


def test_a_job_whose_upstream_param_is_not_a_field_is_refused():
    with pytest.raises(ValueError, match="upstream param 'features_run'"):
        jobs.Job("99_x", jobs.TrainPDParams, "params/x.yaml", "adhoc",
                 upstream=(jobs.Upstream("features_run", "10_build_features"),))


def test_an_as_of_report_needs_an_as_of_param():
    with pytest.raises(ValueError, match="as_of"):
        jobs.Job("99_x", jobs.TrainPDParams, "params/x.yaml", "adhoc", as_of_report="monitoring")


def test_registering_a_job_twice_or_with_an_unknown_upstream_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        jobs.register(jobs.JOBS["20_train_pd_model"])
    with pytest.raises(ValueError, match="not registered"):
        jobs.register(jobs.Job("99_x", jobs.TrainPDParams, "params/x.yaml", "adhoc",
                               upstream=(jobs.Upstream("features_run_id", "05_nowhere"),)))
    assert "99_x" not in jobs.JOBS


def test_an_unknown_job_name_fails_naming_the_known_ones():
    with pytest.raises(ParamsError, match="unknown notebook '99_nowhere'; known: 10_build_features"):
        jobs.job("99_nowhere")
