"""The feature encoder: categories as codes learnt on training rows, special values as missing plus indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from workbench.models.encoding import (
    SPECIAL_SUFFIX,
    FeatureEncoder,
    HighCardinalityError,
    UnseenCategoryWarning,
    parse_special_values,
    special_codes_for,
)


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "score": [700.0, -9.0, 650.0, -7.0, np.inf, np.nan],
        "purpose": pd.Series(["car", "house", None, "car", "house", "car"], dtype="str"),
        "housing": pd.Categorical(["own", "rent", "own", None, "rent", "own"]),
        "guarantor": [True, False, True, True, False, False],
    })


def test_categories_become_codes_in_sorted_order_and_missing_stays_missing():
    enc = FeatureEncoder().fit(_table())
    out = enc.transform(_table())
    assert enc.categories_ == {"purpose": ["car", "house"], "housing": ["own", "rent"]}
    assert out["purpose"].tolist()[:2] == [0.0, 1.0] and np.isnan(out["purpose"].iloc[2])
    assert np.isnan(out["housing"].iloc[3])
    assert out.dtypes.eq(np.float32).all()
    assert enc.feature_types_ == ["q", "c", "c", "q"]


def test_object_category_and_string_columns_encode_alike():
    base = _table()
    variants = [base.assign(purpose=base["purpose"].astype(object)),
                base.assign(purpose=base["purpose"].astype("category"))]
    expected = FeatureEncoder().fit(base).transform(base)
    for frame in variants:
        pd.testing.assert_frame_equal(FeatureEncoder().fit(frame).transform(frame), expected)


def test_special_values_become_missing_with_an_indicator_of_which_code():
    enc = FeatureEncoder(special_values=[-7, -8, -9]).fit(_table())
    out = enc.transform(_table())
    # -8 never occurs in training: no indicator level for it.
    assert enc.special_ == {"score": [-7.0, -9.0]}
    assert enc.encoded_names_ == ["score", "score" + SPECIAL_SUFFIX, "purpose", "housing", "guarantor"]
    assert out["score"].isna().tolist() == [False, True, False, True, True, True]
    assert out["score" + SPECIAL_SUFFIX].tolist() == [0, 2, 0, 1, 0, 0]
    assert enc.parent_["score" + SPECIAL_SUFFIX] == "score"


def test_special_values_per_column_and_for_the_rest():
    codes = {"score": [-9], "*": [-1]}
    assert special_codes_for(codes, "score") == [-9.0]
    assert special_codes_for(codes, "other") == [-1.0]
    assert special_codes_for([-7], "any") == [-7.0]
    assert special_codes_for(None, "any") == []


def test_unseen_category_is_missing_with_a_warning_naming_column_and_values():
    enc = FeatureEncoder().fit(_table())
    new = _table().assign(purpose=["boat", "car", "boat", "plane", "car", "car"])
    with pytest.warns(UnseenCategoryWarning, match=r"purpose: 3 row\(s\).*'boat', 'plane'"):
        out = enc.transform(new)
    assert out["purpose"].isna().tolist() == [True, False, True, True, False, False]


def test_high_cardinality_text_is_refused_naming_the_column():
    frame = pd.DataFrame({"client_ref": [f"C{i}" for i in range(80)], "x": np.arange(80.0)})
    with pytest.raises(HighCardinalityError, match=r"client_ref \(80 distinct values\)"):
        FeatureEncoder(max_categories=50).fit(frame)


def test_value_text_words_categories_and_special_codes():
    enc = FeatureEncoder(special_values=[-9, -7]).fit(_table())
    text = enc.value_text(_table().assign(purpose=["car", "house", None, "boat", "car", "car"]))
    assert text["purpose"].tolist()[:2] == ["car", "house"] and pd.isna(text["purpose"].iloc[2])
    assert text["purpose"].iloc[3] == "unseen category boat"
    assert text["score"].tolist()[1] == "special value -9" and pd.isna(text["score"].iloc[0])


def test_unfitted_encoder_raises_not_fitted():
    with pytest.raises(NotFittedError):
        FeatureEncoder().transform(_table())


def test_parse_special_values_reads_the_cli_form():
    assert parse_special_values("-7, -8,-9") == [-7.0, -8.0, -9.0]
    assert parse_special_values("") == []
    with pytest.raises(ValueError, match="'x'"):
        parse_special_values("-7,x")
