"""The `workbench` command: errors a scheduler (or a person) can act on, exit codes that mean something."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from test_signoff import (  # noqa: F401  (approver_os_user: the autouse fixture fixing the approver's OS user)
    approver_os_user,
    champion_version,
    new_version,
    training_run_of,
    unique_model_name,
)
from typer.testing import CliRunner

from workbench import tracking
from workbench.cli import app
from workbench.data import write_tables
from workbench.synthetic import GeneratorSettings, generate_portfolio

runner = CliRunner()
QUOTE = ["price", "--grade", "5", "--tenor", "4", "--collateral", "real_estate", "--amount", "20", "--tier", "A"]


def test_data_validate_names_the_bad_column_and_rows(tmp_path):
    tables = generate_portfolio(GeneratorSettings(n_obligors=50, years=3, seed=2))
    write_tables(tables, tmp_path / "ok")
    assert runner.invoke(app, ["data", "validate", str(tmp_path / "ok")]).exit_code == 0
    fin = pd.read_parquet(tmp_path / "ok" / "financials.parquet")
    fin.loc[4, "total_assets"] = -10.0
    fin.to_parquet(tmp_path / "ok" / "financials.parquet", index=False)
    result = runner.invoke(app, ["data", "validate", str(tmp_path / "ok")])
    assert result.exit_code == 2  # bad input, not a failed run
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


def _lending_extract_csv(path, n: int = 2500, seed: int = 3):
    """A lending extract as a bank exports it: text categories, a boolean, an integer column, a bureau
    score with special codes (-9 no record, -7 not applicable) and an id column."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"loan_id": [f"L{i:05d}" for i in range(n)], "leverage": rng.uniform(0, 1, n).round(4),
                       "months_on_book": rng.integers(1, 120, n), "bureau_score": rng.normal(650, 60, n).round(0),
                       "purpose": rng.choice(["car", "house", "education", "business"], n),
                       "housing": rng.choice(["own", "rent", "free"], n), "guarantor": rng.choice([True, False], n)})
    df.loc[rng.random(n) < 0.08, "bureau_score"] = -9
    df.loc[rng.random(n) < 0.03, "bureau_score"] = -7
    df.loc[rng.random(n) < 0.05, "housing"] = np.nan
    score = np.where(df["bureau_score"] < 0, 600, df["bureau_score"])
    z = (2.5 + 2.5 * df["leverage"] - 0.01 * score + 1.0 * (df["bureau_score"] == -9)
         + 1.0 * (df["purpose"] == "business") + 0.6 * (df["housing"] == "rent"))
    df["default"] = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    df.to_csv(path, index=False)
    return df


def test_train_on_categories_and_special_codes_registers_its_own_model_and_the_review_reproduces_it(tmp_path):
    """The acceptance path of bring-your-own data: a CSV with text categories and special codes trains,
    registers under a name of its own (never key-account-pd), explains itself in category names, serves
    raw rows through MLflow, and its independent review reproduces every metric."""
    import numpy as np

    frame = _lending_extract_csv(tmp_path / "Loans 2024.csv")
    result = runner.invoke(app, ["train", "--table", str(tmp_path / "Loans 2024.csv"), "--target", "default",
                                 "--id", "loan_id", "--special-values", "-7,-9",
                                 "--params", "params/test/train_pd_model.yaml"])
    assert result.exit_code == 0, result.output
    assert "registered as loans-2024-pd@challenger" in result.output
    run_id = result.stdout.strip().splitlines()[-1]
    run = tracking.client().get_run(run_id)
    assert run.data.params["model.categorical_features"] == "2"
    assert run.data.params["model.special_value_indicators"] == "1"
    assert run.data.tags["workbench.registered_model"].startswith("loans-2024-pd/")
    reasons = pd.read_csv(tracking.client().download_artifacts(run_id, "tables/reason_codes_riskiest_oot.csv",
                                                               str(tmp_path)))
    assert reasons["text"].str.match(r"(purpose: (car|house|education|business)|housing: (own|rent|free)"
                                     r"|bureau_score: special value -[79])$").any()

    served = tracking.load_registered_model("loans-2024-pd", "challenger")
    rows = frame.drop(columns=["loan_id", "default"]).head(6).astype({"months_on_book": float, "guarantor": float})
    rows.loc[rows.index[0], "purpose"] = np.nan
    scored = served.predict(rows)
    assert scored["pd"].between(0, 1).all() and len(scored) == 6

    review = runner.invoke(app, ["review", "run", "loans-2024-pd"])
    assert review.exit_code == 0, review.output
    review_run = tracking.client().get_run(review.stdout.strip().splitlines()[-1])
    assert review_run.data.metrics["reproducibility/passed"] == 1.0


# --------------------------------------------------------------------------- consumers use the champion


def _calibration_run(training_run_id: str, tmp_path) -> str:
    """A finished 30_calibrate_pricing run built on ``training_run_id`` with a price grid (the
    params' hurdle grid: the quote only needs a valid table)."""
    from workbench import jobs
    from workbench.params import load_params
    from workbench.pricing import params_only_grid

    cfg = load_params(jobs.CalibratePricingParams, jobs.job("30_calibrate_pricing").params_file)
    path = tmp_path / f"price_grid_{training_run_id[:8]}.parquet"
    params_only_grid(cfg.pricing).table().to_parquet(path, index=False)
    tags = {"workbench.notebook": "notebooks/30_calibrate_pricing.ipynb",
            "workbench.upstream.20_train_pd_model": training_run_id}
    with tracking.tracked_run("pricing-tests", "30_calibrate_pricing", tags=tags) as run:
        run.record_output("price_grid", path)
    return run.run_id


def test_price_quotes_for_the_champion_from_its_own_calibration(tmp_path):
    name = unique_model_name()
    first = champion_version(name, by="ana")
    second = new_version(name)
    own = _calibration_run(training_run_of(name, first), tmp_path)
    _calibration_run(training_run_of(name, second), tmp_path)  # newer, but built on the challenger

    result = runner.invoke(app, [*QUOTE, "--model", name])
    assert result.exit_code == 0, result.output
    assert f"model {name}/{first}" in result.stdout and "recommended" in result.stdout
    assert f"version {first} (champion, signed off by ana" in result.stderr
    assert f"source: calibrated grid of run {own} (calibrated on {name}/{first})" in result.stderr
    assert "UNAPPROVED" not in result.output


def test_price_without_a_champion_warns_unapproved_and_says_where_the_grid_comes_from():
    name = unique_model_name()
    version = new_version(name)
    result = runner.invoke(app, [*QUOTE, "--model", name])
    assert result.exit_code == 0, result.output
    assert f"UNAPPROVED model version {version} of {name}" in result.stderr
    assert f"no calibration run built on {name}/{version} yet" in result.stderr
    assert "UNAPPROVED" in result.stdout  # the quote's title says it too

    nothing = runner.invoke(app, [*QUOTE, "--model", unique_model_name()])
    assert nothing.exit_code == 0, nothing.output
    assert "hurdle grid" in nothing.stderr and "no registered model" in nothing.stderr


@pytest.mark.parametrize("tamper", ["move_alias", "forge_tag", "delete_summary"])
def test_price_exits_2_on_a_champion_that_does_not_verify_quoting_nothing(tamper, tmp_path):
    name = unique_model_name()
    first = champion_version(name)
    second = new_version(name)
    _calibration_run(training_run_of(name, first), tmp_path)
    c = tracking.client()
    if tamper == "move_alias":
        c.set_registered_model_alias(name, "champion", second)
        expected = (second, f"alias champion points at version {second}")
    elif tamper == "forge_tag":
        c.set_model_version_tag(name, first, "signoff.002.override_reason", "board approval")
        expected = (first, "signoff.002.override_reason")
    else:
        c.delete_model_version_tag(name, first, "signoff.decision")
        expected = (first, "signoff.decision was deleted")
    result = runner.invoke(app, [*QUOTE, "--model", name])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"champion version {expected[0]} cannot be used" in result.stderr and expected[1] in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def no_kernel(monkeypatch):
    """Replace the notebook run of `structure` by a recorder: no kernel starts."""
    calls = []

    def fake(notebook, params_file, overrides):
        calls.append(overrides)
        raise typer.Exit(0)

    monkeypatch.setattr("workbench.cli._run_notebook_or_fail", fake)
    return calls


def test_structure_runs_on_the_champions_training_run_unless_told_otherwise(no_kernel):
    name = unique_model_name()
    first = champion_version(name, by="ana")
    new_version(name)
    result = runner.invoke(app, ["structure", "--obligor", "OB000003", "--model", name])
    assert result.exit_code == 0, result.output
    assert no_kernel[-1]["training_run_id"] == training_run_of(name, first)
    assert f"version {first} (champion, signed off by ana" in result.stderr

    result = runner.invoke(app, ["structure", "--obligor", "OB000003", "--model", name,
                                 "-p", "training_run_id=abc123"])
    assert result.exit_code == 0, result.output
    assert no_kernel[-1]["training_run_id"] == "abc123" and "set with -p training_run_id=abc123" in result.stderr


def test_structure_warns_unapproved_and_refuses_a_tampered_champion_before_any_kernel(no_kernel):
    name = unique_model_name()
    version = new_version(name)
    result = runner.invoke(app, ["structure", "--obligor", "OB000003", "--model", name])
    assert result.exit_code == 0, result.output
    assert f"UNAPPROVED model version {version}" in result.stderr
    assert no_kernel[-1]["training_run_id"] == training_run_of(name, version)

    champion = champion_version(name)
    tracking.client().set_model_version_tag(name, champion, "signoff.by", "mallory")
    calls = len(no_kernel)
    result = runner.invoke(app, ["structure", "--obligor", "OB000003", "--model", name])
    assert result.exit_code == 2 and len(no_kernel) == calls
    assert f"champion version {champion} cannot be used" in result.stderr and "'mallory'" in result.stderr
    missing = runner.invoke(app, ["structure", "--obligor", "OB000003", "--model", unique_model_name()])
    assert missing.exit_code == 2 and "no registered model" in missing.stderr and len(no_kernel) == calls


def test_an_unexpected_failure_prints_one_line_and_keeps_the_traceback_in_a_log(monkeypatch, isolated_state, capsys):
    from workbench import cli

    def boom(*args, **kwargs):
        raise RuntimeError("store says [red]no[/red]")

    monkeypatch.setattr(cli, "app", boom)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert "RuntimeError: store says [red]no[/red]" in err  # brackets shown as typed, not read as markup
    log = Path(err.split("details in ")[1].split()[0])
    assert log.parent == isolated_state / "logs" and 'raise RuntimeError("store says' in log.read_text()


@pytest.mark.parametrize("signum, code", [(15, 143), (2, 130)])
def test_a_stop_signal_exits_with_the_shells_code(monkeypatch, signum, code):
    from workbench import cli
    from workbench.supervise import Terminated

    def stopped(*args, **kwargs):
        raise Terminated(signum)

    monkeypatch.setattr(cli, "app", stopped)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == code


def test_runs_repair_marks_runs_whose_process_is_gone_failed():
    import socket
    import subprocess
    import sys
    import uuid

    from workbench import supervise, tracking

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = tracking.start_run(f"test-{uuid.uuid4().hex[:8]}", "orphan",
                             tags={supervise.PID_TAG: str(dead.pid), supervise.HOST_TAG: socket.gethostname(),
                                   supervise.HEARTBEAT_TAG: "0"})
    result = CliRunner().invoke(app, ["runs", "repair"])
    assert result.exit_code == 0, result.output
    assert f"({run.run_id})" in result.output and "is gone" in result.output
    assert tracking.get_run(run.run_id).info.status == "FAILED"


@pytest.mark.parametrize("args, named", [
    (["--tenor", "nan"], "--tenor nan is not a finite number"),
    (["--tenor", "4", "--amount", "inf"], "--amount inf is not a finite number"),
    (["--tenor", "-2"], "--tenor must be positive"),
    (["--tenor", "100"], "beyond the grid's last tenor bucket (15 years)"),
])
def test_price_refuses_impossible_quotes_naming_the_option(args, named):
    base = {"--grade": "5", "--tenor": "4", "--amount": "20"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    result = CliRunner().invoke(app, ["price", *[x for kv in base.items() for x in kv], "--model", "no-such-model"])
    assert result.exit_code == 2, result.output
    assert named in result.output


def test_price_extrapolates_beyond_the_last_bucket_only_when_asked():
    result = CliRunner().invoke(app, ["price", "--grade", "5", "--tenor", "20", "--amount", "20", "--extrapolate",
                                      "--model", "no-such-model"])
    assert result.exit_code == 0, result.output


def test_a_refused_run_leaves_a_machine_readable_status(tmp_path, isolated_state):
    import json

    bad = tmp_path / "train.yaml"
    bad.write_text("seed: oops\n")
    result = CliRunner().invoke(app, ["run", "20_train_pd_model", "--params", str(bad)])
    assert result.exit_code == 2
    status = json.loads((isolated_state / "status" / "20_train_pd_model.json").read_text())
    assert status["job"] == "20_train_pd_model" and status["status"] == "REFUSED"
    assert "key 'seed'" in status["message"] and status["run_id"] is None and status["at"]
