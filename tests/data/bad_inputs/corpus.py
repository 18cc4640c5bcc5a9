"""The bad-input corpus: every class of bad input the workbench must refuse with a clear message.

Each case builds its input in a scratch folder (a portfolio with one thing wrong, a params file,
a flat table, an environment) and names the command line to run, the exit code it must give and
the words its message must contain (the table, column, key, file or URL at fault). The test
(``tests/data/test_bad_inputs.py``) also checks that nothing under the state dir changed.

Cases are distinct failure classes, not variations of one: the data contract (whole portfolio,
tables, rows, links), params (files, keys, types, values), command-line values, flat tables,
and the tracking store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["Case", "CASES"]

Tables = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Case:
    """One bad input: ``build(folder, tables)`` returns the command's arguments (``{folder}`` and
    ``{data}`` are filled in) and ``env`` the environment changes it needs."""

    name: str
    build: Callable[[Path, Tables], list[str]]
    code: int
    says: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


def _portfolio(folder: Path, tables: Tables, change: Callable[[Tables], Tables]) -> Path:
    target = folder / "portfolio"
    changed = change({k: v.copy() for k, v in tables.items()})
    target.mkdir(parents=True, exist_ok=True)
    for name, frame in changed.items():  # written as they are: validation is what is tested
        frame.to_parquet(target / f"{name}.parquet", index=False)
    return target


def _validate(change: Callable[[Tables], Tables]) -> Callable[[Path, Tables], list[str]]:
    return lambda folder, tables: ["data", "validate", str(_portfolio(folder, tables, change))]


def _set(table: str, column: str, value, rows=slice(2, 3)) -> Callable[[Tables], Tables]:
    def change(t: Tables) -> Tables:
        frame = t[table]
        frame.loc[frame.index[rows], column] = value
        return t
    return change


def _drop_table(name: str) -> Callable[[Tables], Tables]:
    return lambda t: {k: v for k, v in t.items() if k != name}


def _corrupt(folder: Path, tables: Tables) -> list[str]:
    target = _portfolio(folder, tables, lambda t: t)
    (target / "macro.parquet").write_bytes(b"PAR1 not a parquet file")
    return ["data", "validate", str(target)]


def _unbalanced(t: Tables) -> Tables:
    t["financials"].loc[t["financials"].index[:2], "total_assets"] *= 10
    return t


def _duplicate_obligor(t: Tables) -> Tables:
    t["obligors"] = pd.concat([t["obligors"], t["obligors"].iloc[[0]]], ignore_index=True)
    return t


def _recovery_above_ead(t: Tables) -> Tables:
    d = t["defaults"]
    d.loc[d.index[0], "recovery"] = d.loc[d.index[0], "ead"] * 3 + 1
    return t


def _params_file(text: str, name: str = "train.yaml") -> Callable[[Path, Tables], list[str]]:
    def build(folder: Path, tables: Tables) -> list[str]:
        (folder / name).write_text(text)
        return ["run", "20_train_pd_model", "--params", str(folder / name)]
    return build


def _flat(write: Callable[[Path], None], *extra: str) -> Callable[[Path, Tables], list[str]]:
    def build(folder: Path, tables: Tables) -> list[str]:
        path = folder / "table.csv"
        write(path)
        return ["train", "--table", str(path), "--target", "y", *extra]
    return build


def _pipeline_on(change: Callable[[Tables], Tables]) -> Callable[[Path, Tables], list[str]]:
    return lambda folder, tables: ["pipeline", "--data", str(_portfolio(folder, tables, change)),
                                   "--params-dir", "params/test"]


_PRICE = ["price", "--grade", "5", "--amount", "20", "--model", "no-such-model"]

CASES: tuple[Case, ...] = (
    # --- the whole portfolio
    Case("empty_directory", lambda f, t: ["data", "validate", str(f)], 2, ("no portfolio at", "expected obligors.parquet")),
    Case("missing_required_table", _validate(_drop_table("financials")), 2, ("missing required table(s) financials",)),
    Case("empty_required_table", _validate(lambda t: {**t, "facilities": t["facilities"].iloc[:0]}), 2,
         ("facilities", "has rows")),
    Case("all_empty_column", _validate(lambda t: {**t, "financials": t["financials"].assign(ebitda=np.nan)}), 2,
         ("financials.ebitda", "not entirely empty")),
    Case("statement_after_the_as_of", _validate(_set("financials", "period_end", pd.Timestamp("2040-12-31"))), 2,
         ("financials.period_end", "as-of")),
    Case("unbalanced_balance_sheet", _validate(_unbalanced), 2, ("assets = liabilities + equity",)),
    Case("corrupt_parquet_file", _corrupt, 2, ("macro.parquet cannot be read",)),
    Case("pipeline_refuses_before_any_kernel", _pipeline_on(_drop_table("financials")), 2,
         ("missing required table(s) financials",)),
    # --- table by table, row by row, links
    Case("unknown_industry_code", _validate(_set("obligors", "industry", "gold_mining")), 2,
         ("obligors.industry", "isin")),
    Case("unknown_collateral_code", _validate(_set("facilities", "collateral_type", "gold")), 2,
         ("facilities.collateral_type",)),
    Case("negative_total_assets", _validate(_set("financials", "total_assets", -5.0)), 2,
         ("financials.total_assets", "greater_than(0)")),
    Case("duplicate_key", _validate(_duplicate_obligor), 2, ("obligors.obligor_id",)),
    Case("orphan_obligor_id", _validate(_set("behaviour", "obligor_id", "OB999999")), 2,
         ("behaviour.obligor_id", "exists in obligors.obligor_id", "OB999999")),
    Case("covenant_on_unknown_facility", _validate(_set("covenants", "facility_id", "FA9999999")), 2,
         ("covenants.facility_id", "exists in facilities.facility_id", "FA9999999")),
    Case("missing_column", _validate(lambda t: {**t, "behaviour": t["behaviour"].drop(columns=["utilisation"])}), 2,
         ("behaviour", "utilisation")),
    Case("wrong_dtype", _validate(lambda t: {**t, "behaviour": t["behaviour"].assign(
        days_past_due=lambda d: d["days_past_due"].astype(str))}), 2, ("behaviour.days_past_due",)),
    Case("recovery_above_exposure", _validate(_recovery_above_ead), 2, ("defaults", "recovery")),
    # --- params
    Case("misspelt_params_key", _params_file("xgb:\n  max_dept: 4\n"), 2,
         ("unknown key 'xgb.max_dept'", "did you mean 'xgb.max_depth'")),
    Case("ill_typed_params_value", _params_file("seed: not-a-number\n"), 2, ("key 'seed'",)),
    Case("empty_params_file", _params_file(""), 2, ("the params file is empty",)),
    Case("params_file_not_found", lambda f, t: ["run", "20_train_pd_model", "--params", str(f / "nowhere.yaml")], 2,
         ("params file not found", "nowhere.yaml")),
    Case("non_finite_param", lambda f, t: ["run", "20_train_pd_model", "-p", "xgb.learning_rate=nan"], 2,
         ("xgb.learning_rate", "finite")),
    Case("unknown_notebook", lambda f, t: ["run", "99_nowhere"], 2, ("unknown notebook '99_nowhere'",)),
    Case("malformed_pipeline_override", lambda f, t: ["pipeline", "-p", "xgb.max_depth=3"], 2,
         ("must look like NOTEBOOK:key=value",)),
    # --- command-line values
    Case("tenor_beyond_the_grid", lambda f, t: [*_PRICE, "--tenor", "100"], 2, ("last tenor bucket",)),
    Case("non_finite_tenor", lambda f, t: [*_PRICE, "--tenor", "nan"], 2, ("--tenor nan is not a finite number",)),
    Case("infinite_amount", lambda f, t: ["price", "--grade", "5", "--tenor", "4", "--amount", "inf"], 2,
         ("--amount inf is not a finite number",)),
    Case("unknown_collateral_option", lambda f, t: [*_PRICE, "--tenor", "4", "--collateral", "gold"], 2,
         ("gold",)),
    # --- flat tables
    Case("flat_table_not_utf8", _flat(lambda p: p.write_bytes("société,y\nA,1\nBé,0\n".encode("latin-1"))), 2,
         ("table.csv: not UTF-8", "encoding")),
    Case("flat_table_header_only", _flat(lambda p: p.write_text("y,x1\n")), 2, ("table.csv: no rows",)),
    Case("flat_table_zero_bytes", _flat(lambda p: p.write_text("")), 2, ("table.csv: the file is empty",)),
    Case("flat_table_non_binary_target", _flat(lambda p: p.write_text("y,x\n0,1\n2,3\n1,5\n")), 2,
         ("target column 'y' must be binary",)),
    Case("flat_table_not_found", lambda f, t: ["train", "--table", str(f / "missing.csv"), "--target", "y"], 2,
         ("table not found", "missing.csv")),
    # --- the tracking store
    Case("unreachable_tracking_server", lambda f, t: ["run", "20_train_pd_model"], 2,
         ("http://127.0.0.1:9", "does not answer"), env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}),
)
