"""Params files and overrides become validated models, or fail naming the key or the file."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from workbench.features import PanelParams
from workbench.jobs import TrainPDParams
from workbench.models import PDModelParams
from workbench.params import (
    ParamsError,
    flatten_params,
    load_params,
    narrow,
    params_hash,
    parse_override,
    read_params_file,
)


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
    params = load_params(PanelParams, None, {"split.train_end": "2019-12-31"})
    assert params.split.train_end == date(2019, 12, 31)


def test_unknown_override_key_fails():
    with pytest.raises(ParamsError, match="unknown key 'xgb.depth'"):
        load_params(TrainPDParams, None, {"xgb.depth": 3})


def test_split_boundaries_must_be_ordered():
    with pytest.raises(ParamsError, match="valid_end"):
        load_params(PanelParams, None, {"split.valid_end": "2019-01-01", "split.train_end": "2020-01-01"})


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


# --------------------------------------------------------------------------- overlays


def _write(path, data) -> str:
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_an_overlay_is_merged_over_its_base_section_by_section(tmp_path):
    _write(tmp_path / "base.yaml", {"seed": 1, "xgb": {"max_depth": 3, "learning_rate": 0.05}, "n_bags": 5})
    overlay = _write(tmp_path / "overlay.yaml", {"extends": "base.yaml", "xgb": {"max_depth": 2}, "n_bags": 2})
    params = load_params(PDModelParams, overlay)
    assert (params.seed, params.n_bags) == (1, 2)
    assert (params.xgb.max_depth, params.xgb.learning_rate) == (2, 0.05)


def test_overrides_come_after_the_overlay_and_the_overlay_after_the_base(tmp_path):
    _write(tmp_path / "base.yaml", {"seed": 1, "n_bags": 5})
    overlay = _write(tmp_path / "overlay.yaml", {"extends": "base.yaml", "seed": 2})
    assert load_params(PDModelParams, overlay, {"seed": 3}).seed == 3
    assert load_params(PDModelParams, overlay).seed == 2


def test_overlays_may_chain_and_a_circle_is_refused(tmp_path):
    _write(tmp_path / "a.yaml", {"seed": 1})
    _write(tmp_path / "b.yaml", {"extends": "a.yaml", "n_bags": 3})
    c = _write(tmp_path / "c.yaml", {"extends": "b.yaml", "n_jobs": 1})
    assert read_params_file(c) == {"seed": 1, "n_bags": 3, "n_jobs": 1}
    _write(tmp_path / "x.yaml", {"extends": "y.yaml"})
    y = _write(tmp_path / "y.yaml", {"extends": "x.yaml"})
    with pytest.raises(ParamsError, match="circle"):
        read_params_file(y)


def test_an_overlay_naming_a_missing_base_fails_naming_both_files(tmp_path):
    overlay = _write(tmp_path / "overlay.yaml", {"extends": "../nowhere.yaml", "seed": 2})
    with pytest.raises(ParamsError, match=r"overlay\.yaml: 'extends: \.\./nowhere\.yaml' names no file"):
        load_params(PDModelParams, overlay)


def test_a_misspelt_key_in_an_overlay_is_reported_like_one_in_a_base(tmp_path):
    _write(tmp_path / "base.yaml", {"seed": 1})
    overlay = _write(tmp_path / "overlay.yaml", {"extends": "base.yaml", "xgb": {"max_dept": 2}})
    with pytest.raises(ParamsError, match="unknown key 'xgb.max_dept'"):
        load_params(PDModelParams, overlay)


def test_narrowing_a_job_params_keeps_only_the_domain_fields():
    cfg = load_params(TrainPDParams, None, {"features_run_id": "abc", "seed": 9, "xgb.max_depth": 4})
    model_params = narrow(cfg, PDModelParams)
    assert type(model_params) is PDModelParams
    assert (model_params.seed, model_params.xgb.max_depth) == (9, 4)
    assert not hasattr(model_params, "features_run_id")
    assert cfg.pd_model == model_params


@pytest.mark.parametrize("value", ["nan", ".inf", "-.inf"])
def test_a_non_finite_number_is_refused_naming_the_key(value):
    with pytest.raises(ParamsError, match=r"key 'xgb.learning_rate'.*finite"):
        load_params(TrainPDParams, None, {"xgb.learning_rate": parse_override(f"x={value}")[1]})


def test_a_partial_section_keeps_the_rest_of_its_default_even_where_it_differs_from_the_class_default():
    from workbench.params import StrictModel, load_params

    class Threshold(StrictModel):
        amber: float = 1.0
        red: float = 2.0
        source: str = ""

    class Rules(StrictModel):
        dpd: Threshold = Threshold(amber=1, red=30, source="IFRS 9 backstop")
        curve: dict[int, float] = {1: 60.0, 5: 115.0}

    loaded = load_params(Rules, None, {"dpd.red": 60, "curve": {1: 50.0}})
    assert loaded.dpd == Threshold(amber=1, red=60, source="IFRS 9 backstop")
    assert loaded.curve == {1: 50.0}  # a plain mapping is a value: replaced whole, not merged
