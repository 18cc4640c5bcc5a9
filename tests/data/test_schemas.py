"""The data contract rejects bad tables with a message naming table, column, check and rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data import DataValidationError, read_tables, validate, write_tables
from workbench.synthetic import GeneratorSettings, generate_portfolio


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_portfolio(GeneratorSettings(n_obligors=120, years=3, seed=1))


def test_negative_total_assets_is_rejected_naming_column_and_rows(tables):
    fin = tables["financials"].copy()
    fin.loc[[3, 7], "total_assets"] = -5.0
    with pytest.raises(DataValidationError) as err:
        validate({"financials": fin})
    message = str(err.value)
    assert "financials.total_assets" in message
    assert "greater_than(0)" in message
    assert "row 3" in message and "row 7" in message
    assert f"obligor_id={fin.loc[3, 'obligor_id']}" in message
    assert "2 row(s)" in message
    problem = next(p for p in err.value.problems if p.column == "total_assets")
    assert (problem.table, problem.check, problem.n_rows) == ("financials", "greater_than(0)", 2)


def test_missing_column_and_wrong_dtype_are_reported(tables):
    beh = tables["behaviour"].drop(columns=["utilisation"]).assign(days_past_due=lambda d: d["days_past_due"].astype(float))
    with pytest.raises(DataValidationError) as err:
        validate({"behaviour": beh})
    message = str(err.value)
    assert "utilisation" in message and "column present" in message
    assert "behaviour.days_past_due" in message


def test_all_problems_are_collected_in_one_error(tables):
    fac = tables["facilities"].copy()
    fac.loc[0, "collateral_type"] = "gold_bars"
    obl = tables["obligors"].copy()
    obl.loc[1, "segment"] = "retail"
    with pytest.raises(DataValidationError) as err:
        validate({"facilities": fac, "obligors": obl})
    columns = {(p.table, p.column) for p in err.value.problems}
    assert ("facilities", "collateral_type") in columns and ("obligors", "segment") in columns
    assert "gold_bars" in str(err.value)


def test_duplicate_keys_and_date_order_are_rejected(tables):
    fin = pd.concat([tables["financials"], tables["financials"].iloc[[0]]], ignore_index=True)
    fin.loc[5, "reported_date"] = fin.loc[5, "period_end"] - pd.Timedelta(days=1)
    with pytest.raises(DataValidationError) as err:
        validate({"financials": fin})
    message = str(err.value)
    assert "unique(obligor_id, period_end)" in message
    assert "reported_date >= period_end" in message and "row 5" in message


def test_orphan_obligor_ids_are_rejected(tables):
    beh = tables["behaviour"].copy()
    beh.loc[2, "obligor_id"] = "OB999999"
    with pytest.raises(DataValidationError, match=r"behaviour\.obligor_id: check 'exists in obligors\.obligor_id'.*OB999999"):
        validate({"behaviour": beh, "obligors": tables["obligors"]})


def test_unknown_table_name_is_an_error(tables):
    with pytest.raises(DataValidationError, match="financial_statements"):
        validate({"financial_statements": tables["financials"]})


def test_nothing_is_written_when_validation_fails(tables, tmp_path):
    out = tmp_path / "portfolio"
    write_tables(tables, out)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    bad = dict(tables)
    bad["financials"] = tables["financials"].assign(total_assets=-1.0)
    with pytest.raises(DataValidationError):
        write_tables(bad, out)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())
    assert len(read_tables(out)) == len(tables)


def test_write_refuses_to_replace_a_directory_holding_other_files(tables, tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "thesis.docx").write_text("years of work")
    with pytest.raises(FileExistsError, match="thesis.docx"):
        write_tables(tables, precious)
    assert (precious / "thesis.docx").read_text() == "years of work"
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(FileExistsError, match="not a directory"):
        write_tables(tables, a_file)


def test_accounting_identities_and_default_timeline_are_checked(tables):
    fin = tables["financials"].copy()
    fin.loc[2, "current_assets"] = fin.loc[2, "total_assets"] * 2
    beh = tables["behaviour"].copy()
    defaulted = tables["defaults"].iloc[0]
    extra = beh[beh["obligor_id"] == defaulted["obligor_id"]].tail(1).assign(
        month_end=defaulted["default_date"] + pd.offsets.MonthEnd(3))
    beh = pd.concat([beh, extra], ignore_index=True)
    with pytest.raises(DataValidationError) as err:
        validate({"financials": fin, "behaviour": beh, "defaults": tables["defaults"], "obligors": tables["obligors"]})
    message = str(err.value)
    assert "current_assets <= total_assets" in message and "row 2" in message
    assert "no month after the obligor's default" in message and defaulted["obligor_id"] in message


def test_repeated_index_labels_are_reported_by_position(tables):
    fin = tables["financials"].copy()
    fin.index = [0] * len(fin)
    fin.iloc[3, fin.columns.get_loc("total_assets")] = -1.0
    with pytest.raises(DataValidationError, match=r"row 3 \(obligor_id="):
        validate({"financials": fin})


def test_compact_read_gives_compact_types_and_the_same_values(tables, tmp_path):
    out = write_tables(tables, tmp_path / "p")
    full = read_tables(out, names=["behaviour", "questionnaires"], check=False)
    compact = read_tables(out, names=["behaviour", "questionnaires"], check=False, compact=True)
    beh = compact["behaviour"]
    assert beh["obligor_id"].dtype == "category" and beh["utilisation"].dtype == "float32"
    assert compact["questionnaires"]["answer"].dtype == "int8"
    assert (beh["obligor_id"].astype(str) == full["behaviour"]["obligor_id"]).all()
    assert np.allclose(beh["utilisation"], full["behaviour"]["utilisation"], rtol=1e-6)
    # Validation then compaction: the same result through the checked path.
    checked = read_tables(out, names=["behaviour"], check=True, compact=True)["behaviour"]
    pd.testing.assert_frame_equal(checked.astype({"obligor_id": str}), beh.astype({"obligor_id": str}))


@pytest.mark.parametrize("table, column, value", [
    ("obligors", "industry", "gold_mining"),
    ("obligors", "region", "Atlantis"),
    ("interactions", "topic", "gossip"),
    ("questionnaires", "question_id", "Q99"),
])
def test_codes_outside_the_reference_lists_are_rejected_naming_table_column_and_rows(tables, table, column, value):
    frame = tables[table].copy()
    frame.loc[frame.index[2], column] = value
    with pytest.raises(DataValidationError) as err:
        validate({table: frame})
    problem = next(p for p in err.value.problems if p.column == column)
    assert (problem.table, problem.n_rows) == (table, 1) and problem.check.startswith("isin(")
    assert f"{table}.{column}" in str(err.value) and "row 2" in str(err.value)


@pytest.mark.parametrize("column, value, check", [
    ("type", "max_gearing", "isin("),
    ("threshold", -0.5, "greater_than(0)"),
    ("test_frequency_months", 4, "isin("),
])
def test_covenants_with_an_unknown_type_a_negative_threshold_or_an_odd_frequency_are_rejected(tables, column, value,
                                                                                             check):
    cov = tables["covenants"].copy()
    cov.loc[cov.index[2], column] = value
    with pytest.raises(DataValidationError) as err:
        validate({"covenants": cov})
    problem = next(p for p in err.value.problems if p.column == column)
    assert (problem.table, problem.n_rows) == ("covenants", 1) and problem.check.startswith(check)
    assert "row 2" in problem.first_rows


def test_a_covenant_on_an_unknown_facility_or_another_obligors_facility_is_rejected(tables):
    cov = tables["covenants"].copy()
    cov.loc[cov.index[1], "facility_id"] = "FA9999999"
    other = tables["facilities"].loc[tables["facilities"]["obligor_id"] != cov.loc[cov.index[3], "obligor_id"],
                                     "facility_id"].iloc[0]
    cov.loc[cov.index[3], "facility_id"] = other
    with pytest.raises(DataValidationError) as err:
        validate({"covenants": cov, "facilities": tables["facilities"], "obligors": tables["obligors"]})
    message = str(err.value)
    assert "covenants.facility_id: check 'exists in facilities.facility_id' fails in 1 row(s)" in message
    assert "FA9999999" in message
    assert "covenants.obligor_id: check 'the obligor of its facility (facilities.obligor_id)' fails in 1 row(s)" in message
    validate({"covenants": tables["covenants"], "facilities": tables["facilities"], "obligors": tables["obligors"]})
