from __future__ import annotations

from datetime import date

import pytest
import yaml

from workbench.config import (
    NOTEBOOKS,
    BuildFeaturesParams,
    ParamsError,
    TrainPDParams,
    flatten_params,
    load_params,
    params_hash,
    parse_override,
    project_root,
    resolve_path,
    state_dir,
)


def test_project_root_does_not_depend_on_cwd(tmp_path, monkeypatch):
    expected = project_root()
    monkeypatch.chdir(tmp_path)
    assert project_root() == expected
    assert (expected / "pyproject.toml").is_file()
    assert (expected / "notebooks").is_dir()


def test_relative_params_paths_resolve_against_state_dir(tmp_path, monkeypatch, isolated_state):
    monkeypatch.chdir(tmp_path)
    assert resolve_path("data/x") == isolated_state / "data" / "x"
    assert resolve_path(tmp_path / "abs") == tmp_path / "abs"
    assert state_dir() == isolated_state


def test_every_registered_notebook_loads_its_params_files():
    for spec in NOTEBOOKS.values():
        for path in (spec.params_file, spec.test_params_file):
            params = load_params(spec.params_model, path)
            assert isinstance(params, spec.params_model), path


def test_misspelt_key_fails_naming_the_key_and_file(tmp_path):
    bad = tmp_path / "train.yaml"
    bad.write_text(yaml.safe_dump({"xgb": {"max_dept": 4}}))
    with pytest.raises(ParamsError) as err:
        load_params(TrainPDParams, bad)
    message = str(err.value)
    assert "unknown key 'xgb.max_dept'" in message
    assert "did you mean 'xgb.max_depth'" in message
    assert str(bad) in message


def test_wrong_type_fails_naming_the_key(tmp_path):
    bad = tmp_path / "train.yaml"
    bad.write_text("seed: not-a-number\n")
    with pytest.raises(ParamsError, match=r"key 'seed'"):
        load_params(TrainPDParams, bad)


def test_missing_file_fails_naming_the_file(tmp_path):
    with pytest.raises(ParamsError, match="params file not found: .*nowhere.yaml"):
        load_params(TrainPDParams, tmp_path / "nowhere.yaml")


def test_dotted_overrides_reach_nested_models_and_are_typed():
    key, value = parse_override("xgb.max_depth=5")
    params = load_params(TrainPDParams, "params/train_pd_model.yaml", {key: value})
    assert params.xgb.max_depth == 5
    params = load_params(BuildFeaturesParams, None, {"split.train_end": "2019-12-31"})
    assert params.split.train_end == date(2019, 12, 31)


def test_unknown_override_key_fails():
    with pytest.raises(ParamsError, match="unknown key 'xgb.depth'"):
        load_params(TrainPDParams, None, {"xgb.depth": 3})


def test_split_boundaries_must_be_ordered():
    with pytest.raises(ParamsError, match="valid_end"):
        load_params(BuildFeaturesParams, None, {"split.valid_end": "2019-01-01", "split.train_end": "2020-01-01"})


def test_params_hash_is_stable_and_sensitive():
    a = load_params(TrainPDParams, None, {"seed": 1})
    b = load_params(TrainPDParams, None, {"seed": 1})
    c = load_params(TrainPDParams, None, {"seed": 2})
    assert params_hash(a) == params_hash(b) != params_hash(c)
    flat = flatten_params(a)
    assert flat["xgb.max_depth"] == a.xgb.max_depth and flat["seed"] == 1


def test_override_without_equals_sign_is_rejected():
    with pytest.raises(ParamsError, match="key=value"):
        parse_override("seed")
