"""Bring-your-own data on a real public data set: the Polish bankruptcy data (UCI 365)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from workbench.data import FlatTableError, load_flat_table
from workbench.models import PDModelParams, fit_pd_model
from workbench.params import load_params
from workbench.validation import auc

# A copy of ../shared/data/polish-bankruptcy/1year.arff (CC BY 4.0), kept in the repository so CI needs no
# other checkout. Zieba, Tomczak & Tomczak (2016), Expert Systems with Applications 58, 93-101.
POLISH = Path(__file__).parents[1] / "fixtures" / "data" / "polish-bankruptcy" / "1year.arff"


def test_vendored_copy_matches_the_published_checksum():
    expected = (POLISH.parent / "SHA256SUMS").read_text().split()[0]
    assert hashlib.sha256(POLISH.read_bytes()).hexdigest() == expected


def test_polish_arff_loads_with_question_marks_as_missing():
    table = load_flat_table(POLISH, target="class")
    assert table.X.shape == (7027, 64)
    # The data set's README: 3.86 % of firm-years went bankrupt.
    assert table.default_rate == pytest.approx(0.0386, abs=0.0005)
    assert table.X.isna().to_numpy().any()  # '?' became NaN
    assert table.ids.is_unique and table.dates is None
    assert table.describe().loc[str(POLISH), "features"] == 64


def test_pd_model_learns_the_real_polish_data():
    table = load_flat_table(POLISH, target="class")
    X_tr, X_te, y_tr, y_te = train_test_split(table.X, table.y, test_size=0.3, stratify=table.y, random_state=0)
    params = load_params(PDModelParams, None, {"tuning.enabled": False, "xgb.max_depth": 5, "xgb.min_child_weight": 2})
    model = fit_pd_model(X_tr, y_tr, params)
    held_out_auc = auc(y_te, model.predict_pd(X_te))
    # Zieba et al. (2016) report AUCs around 0.9 for boosted trees on year 1; a default xgboost gets close.
    assert held_out_auc > 0.85


def test_csv_with_ids_dates_and_text_target(tmp_path):
    path = tmp_path / "book.csv"
    pd.DataFrame({"client": ["a", "b", "c"], "as_of": ["2020-12-31", "2021-12-31", "2021-12-31"],
                  "status": ["default", "performing", "performing"], "lev": [0.9, "?", 0.3]}).to_csv(path, index=False)
    table = load_flat_table(path, target="status", id_column="client", date_column="as_of")
    assert table.y.tolist() == [1, 0, 0]
    assert np.isnan(table.X.loc[1, "lev"])
    assert table.dates.iloc[0] == pd.Timestamp("2020-12-31")


def test_non_binary_target_is_rejected_naming_column_and_rows(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"y": [0, 1, 2, 0], "x": [1.0, 2.0, 3.0, 4.0]}).to_csv(path, index=False)
    with pytest.raises(FlatTableError, match=r"target column 'y' must be binary.*first rows \[2\]"):
        load_flat_table(path, target="y")


def test_text_features_are_kept_as_categories_and_booleans_as_numbers(tmp_path):
    path = tmp_path / "book.csv"
    pd.DataFrame({"y": [0, 1, 0, 1], "sector": ["retail", "energy", None, "retail"], "x": [1.0, 2.0, 3.0, 4.0],
                  "guaranteed": [True, False, True, True]}).to_csv(path, index=False)
    table = load_flat_table(path, target="y")
    assert table.X["sector"].tolist()[:2] == ["retail", "energy"] and pd.isna(table.X["sector"].iloc[2])
    assert pd.api.types.is_string_dtype(table.X["sector"])
    assert table.X["guaranteed"].tolist() == [1.0, 0.0, 1.0, 1.0]
    with pytest.raises(FlatTableError, match="no column"):
        load_flat_table(path, target="default_flag")


def test_a_text_column_too_varied_to_be_a_category_is_refused_by_name(tmp_path):
    path = tmp_path / "book.csv"
    n = 120
    pd.DataFrame({"y": np.arange(n) % 2, "comment": [f"call client {i}" for i in range(n)],
                  "x": np.arange(n, dtype=float)}).to_csv(path, index=False)
    with pytest.raises(FlatTableError, match=r"book.csv: .*comment \(120 distinct values\).*--drop"):
        load_flat_table(path, target="y")
    assert list(load_flat_table(path, target="y", drop_columns=["comment"]).X.columns) == ["x"]
    assert "comment" in load_flat_table(path, target="y", max_categories=200).X.columns


def test_a_latin1_csv_names_the_byte_and_the_encoding_to_pass(tmp_path):
    path = tmp_path / "book.csv"
    path.write_bytes("société,y,x\nA,1,0.5\nBé,0,0.7\n".encode("latin-1"))
    with pytest.raises(FlatTableError, match=r"book\.csv: not UTF-8 .*encoding='latin-1'"):
        load_flat_table(path, target="y", id_column="société")
    table = load_flat_table(path, target="y", id_column="société", encoding="latin-1")
    assert table.ids.tolist() == ["A", "Bé"]


def test_an_empty_or_header_only_csv_names_the_file(tmp_path):
    empty, header = tmp_path / "empty.csv", tmp_path / "header.csv"
    empty.write_text("")
    header.write_text("y,x1,x2\n")
    with pytest.raises(FlatTableError, match=r"empty\.csv: the file is empty"):
        load_flat_table(empty, target="y")
    with pytest.raises(FlatTableError, match=r"header\.csv: no rows \(only a header: y, x1, x2\)"):
        load_flat_table(header, target="y")


def test_features_missing_everywhere_or_constant_are_dropped_with_a_warning(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"y": [0, 1, 0, 1], "good": [0.1, 0.9, 0.2, 0.8], "blank": [np.nan] * 4,
                  "flat": [3.0] * 4}).to_csv(path, index=False)
    with pytest.warns(UserWarning, match=r"dropped 2 feature\(s\).*missing in every row: blank; constant: flat"):
        table = load_flat_table(path, target="y")
    assert list(table.X.columns) == ["good"]


def test_numbers_with_stray_text_markers_name_the_markers(tmp_path):
    path = tmp_path / "book.csv"
    values = [str(v) for v in range(40)] + ["n.a.", "--"]
    pd.DataFrame({"y": np.arange(42) % 2, "ebitda": values}).to_csv(path, index=False)
    with pytest.raises(FlatTableError, match=r"column 'ebitda' holds numbers but 2 row\(s\) hold text \('n.a.', '--'\)"):
        load_flat_table(path, target="y")
    table = load_flat_table(path, target="y", missing_values=("n.a.", "--"))
    assert pd.api.types.is_float_dtype(table.X["ebitda"])
