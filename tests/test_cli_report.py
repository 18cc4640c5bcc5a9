"""`workbench report`: the refusals a scheduler meets before any kernel starts, each one line and exit 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.accounts import AccountsStore
from workbench.cli import app
from workbench.data import write_tables
from workbench.paths import state_dir
from workbench.synthetic import GeneratorSettings, generate_portfolio

runner = CliRunner()


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory) -> str:
    directory = tmp_path_factory.mktemp("report-portfolio")
    write_tables(generate_portfolio(GeneratorSettings(n_obligors=40, years=3, seed=5, start_year=2015)), directory)
    return str(directory)


@pytest.fixture()
def accounts_db(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    monkeypatch.setenv("WORKBENCH_ACCOUNTS_DB", url)
    return url


def _report(portfolio: str, *args: str):
    return runner.invoke(app, ["report", "monitoring", *args, "-p", f"data_dir={portfolio}"])


@pytest.mark.parametrize(("args", "expected"), [
    (["--as-of", "2031-01-31"], "is after the data's last month end (the data covers 2015-01-31 .. 2017-12-31)"),
    (["--as-of", "2014-12-31"], "is before the data starts (the data covers 2015-01-31 .. 2017-12-31)"),
    (["--as-of", "2016-06-15"], "is not a month end (did you mean 2016-06-30?)"),
    (["--as-of", "June"], "'June' is not a date"),
    (["--from", "2017-06-30", "--to", "2016-06-30"], "--to 2016-06-30 is before --from 2017-06-30"),
    (["--to", "2016-06-30"], "--to needs --from"),
    (["--as-of", "2016-06-30", "--from", "2016-01-31"], "not both"),
])
def test_an_as_of_the_data_cannot_answer_is_refused_naming_the_data_range(portfolio, accounts_db, args, expected):
    result = _report(portfolio, *args)
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())


def test_an_unknown_report_kind_is_refused_naming_the_known_ones():
    result = runner.invoke(app, ["report", "montly"])
    assert result.exit_code == 2
    assert "unknown report 'montly'" in result.output and "monitoring" in result.output


def test_an_unreachable_accounts_database_is_refused_before_any_computation(portfolio, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_ACCOUNTS_DB", f"sqlite:///{tmp_path}/no/such/dir/accounts.db")
    result = _report(portfolio, "--as-of", "2017-06-30")
    assert result.exit_code == 2, result.output
    assert "accounts database unreachable" in " ".join(result.output.split())
    status = json.loads((state_dir() / "status" / "50_monitor_portfolio.json").read_text())
    assert status["status"] == "REFUSED" and "unreachable" in status["message"]


def test_rewriting_an_earlier_as_of_than_the_latest_stored_needs_force(portfolio, accounts_db):
    store = AccountsStore.open(accounts_db)
    empty_alerts = pd.DataFrame({"obligor_id": pd.Series(dtype=str), "level": pd.Series(dtype=str)})
    empty_tiers = pd.DataFrame({"obligor_id": pd.Series(dtype=str), "tier": pd.Series(dtype=str),
                                "rule": pd.Series(dtype=str), "value_score": pd.Series(dtype=float)})
    from workbench.accounts.watchlist import WATCHLIST_COLUMNS

    store.write_as_of("2017-12-31", empty_tiers, empty_alerts, pd.DataFrame(columns=list(WATCHLIST_COLUMNS)))
    result = _report(portfolio, "--as-of", "2017-06-30")
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "2017-12-31" in text and "--force" in text


def test_a_backfill_of_a_report_without_records_is_refused(monkeypatch):
    from workbench import jobs

    spec = jobs.report_job("monitoring")
    monkeypatch.setitem(jobs.JOBS, spec.name, type(spec)(**{**spec.__dict__, "backfill": None}))
    result = runner.invoke(app, ["report", "monitoring", "--from", "2016-01-31"])
    assert result.exit_code == 2


@pytest.mark.parametrize(("args", "expected"), [
    ([], "say which with --obligor ID or --tier"),
    (["--obligor", "OB1", "--tier", "A"], "not both"),
    (["--top", "3"], "--top needs --tier"),
    (["--from", "2016-01-31", "--tier", "A"], "one as-of per call"),
])
def test_a_dossier_report_must_say_which_clients(portfolio, accounts_db, args, expected):
    result = runner.invoke(app, ["report", "dossier", *args, "-p", f"data_dir={portfolio}"])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())


def test_a_dossier_of_a_month_without_a_monitoring_report_is_refused(portfolio, accounts_db):
    result = runner.invoke(app, ["report", "dossier", "--tier", "A", "--as-of", "2017-06-30",
                                 "-p", f"data_dir={portfolio}"])
    assert result.exit_code == 2, result.output
    assert "workbench report monitoring --as-of 2017-06-30" in " ".join(result.output.split())


def test_client_options_do_not_apply_to_the_monitoring_report(portfolio, accounts_db):
    result = _report(portfolio, "--as-of", "2017-06-30", "--tier", "A")
    assert result.exit_code == 2 and "do not apply" in result.output


@pytest.mark.parametrize(("args", "expected"), [
    (["--as-of", "2031-01-31"], "is after the data's last month end (the data covers 2015-01-31 .. 2017-12-31)"),
    (["--as-of", "2016-06-30"], "the satellite model needs two matured annual cohorts, so the earliest as-of is "
                                "2017-01-31"),
    (["--from", "2016-01-31"], "report 'portfolio' keeps no records month by month"),
    (["--tier", "A"], "is one report per as-of"),
])
def test_a_portfolio_report_the_data_cannot_answer_is_refused_before_any_kernel(portfolio, accounts_db, args,
                                                                                  expected):
    reports = state_dir() / "experiments" / "reports" / "portfolio"
    before = sorted(reports.rglob("*")) if reports.exists() else []
    result = runner.invoke(app, ["report", "portfolio", *args, "-p", f"data_dir={portfolio}"])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert (sorted(reports.rglob("*")) if reports.exists() else []) == before  # nothing written
