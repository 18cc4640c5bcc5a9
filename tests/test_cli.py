"""The `workbench` command: errors a scheduler (or a person) can act on, exit codes that mean something."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from workbench.cli import app
from workbench.data import write_tables
from workbench.synthetic import GeneratorSettings, generate_portfolio

runner = CliRunner()


def test_data_validate_names_the_bad_column_and_rows(tmp_path):
    tables = generate_portfolio(GeneratorSettings(n_obligors=50, years=3, seed=2))
    write_tables(tables, tmp_path / "ok")
    assert runner.invoke(app, ["data", "validate", str(tmp_path / "ok")]).exit_code == 0
    fin = pd.read_parquet(tmp_path / "ok" / "financials.parquet")
    fin.loc[4, "total_assets"] = -10.0
    fin.to_parquet(tmp_path / "ok" / "financials.parquet", index=False)
    result = runner.invoke(app, ["data", "validate", str(tmp_path / "ok")])
    assert result.exit_code == 1
    assert "financials.total_assets" in result.output and "row 4" in result.output


def test_run_with_misspelt_params_key_exits_2_naming_the_key(tmp_path):
    bad = tmp_path / "train.yaml"
    bad.write_text("seed: 1\nxgb:\n  learning_rte: 0.1\n")
    result = runner.invoke(app, ["run", "20_train_pd_model", "--params", str(bad)])
    assert result.exit_code == 2
    assert "unknown key 'xgb.learning_rte'" in result.output and "xgb.learning_rate" in result.output


def test_unknown_notebook_and_malformed_override_exit_2():
    assert runner.invoke(app, ["run", "99_nothing"]).exit_code == 2
    assert runner.invoke(app, ["run", "20_train_pd_model", "-p", "seed"]).exit_code == 2
    result = runner.invoke(app, ["pipeline", "-p", "xgb.max_depth=3"])
    assert result.exit_code == 2 and "NOTEBOOK:key=value" in result.output


def test_pipeline_without_portfolio_says_how_to_make_one(tmp_path):
    result = runner.invoke(app, ["pipeline", "--data", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "workbench data generate" in result.output


def test_generate_out_is_relative_to_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["data", "generate", "--obligors", "20", "--years", "2", "--out", "mine"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mine" / "obligors.parquet").is_file()
    again = runner.invoke(app, ["data", "generate", "--obligors", "20", "--years", "2", "--out", "."])
    assert again.exit_code == 1 and "refusing to replace" in again.output
    assert (tmp_path / "mine" / "obligors.parquet").is_file()


def test_impossible_date_override_is_a_params_error_not_a_traceback():
    result = runner.invoke(app, ["run", "10_build_features", "-p", "split.train_end=2020-13-45"])
    assert result.exit_code == 2 and "split.train_end" in result.output


def test_train_on_a_flat_table_prints_the_run_id(tmp_path):
    """Bring your own data through the CLI: the Polish bankruptcy table, two trials."""
    from pathlib import Path

    from workbench import tracking

    polish = Path(__file__).parent / "fixtures" / "data" / "polish-bankruptcy" / "1year.arff"
    result = runner.invoke(app, ["train", "--table", str(polish), "--target", "class", "--trials", "2",
                                 "--params", "params/test/train_pd_model.yaml"])
    assert result.exit_code == 0, result.output
    run_id = result.stdout.strip().splitlines()[-1]
    run = tracking.client().get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["table_path"].endswith("1year.arff")
    assert run.data.metrics["oot/auc"] > 0.8
