"""`workbench watchlist decide|show|history`, mounted the way cli.py mounts it, on an SQLite file in tmp."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from workbench.accounts.store import AccountsStore
from workbench.accounts.watchlist import WatchlistParams, watchlist_step
from workbench.cli_watchlist import watchlist_app

app = typer.Typer()
app.add_typer(watchlist_app, name="watchlist")

JAN, FEB = dt.date(2024, 1, 31), dt.date(2024, 2, 29)


def _month(s: AccountsStore, as_of: dt.date, levels: dict[str, str]) -> None:
    prev_as_of = s.previous_as_of(as_of)
    alerts = pd.DataFrame({"obligor_id": list(levels), "level": list(levels.values()), "score": 1.0,
                           "reasons": "overdue 30+ days"})
    wl = watchlist_step(s.read_watchlist(prev_as_of) if prev_as_of else None, alerts,
                        s.decisions_for(prev_as_of) if prev_as_of else None, WatchlistParams(), as_of)
    tiers = pd.DataFrame({"obligor_id": list(levels), "tier": "B", "rule": "default", "value_score": 0.5})
    s.write_as_of(as_of, tiers, alerts, wl, {"run_id": "r"})


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    monkeypatch.setenv("WORKBENCH_ACCOUNTS_DB", url)
    with AccountsStore.open() as s:
        _month(s, JAN, {"O1": "red", "O2": "green"})
    return url


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["watchlist", *args])

    return invoke


def test_decide_plan_records_and_says_what_the_next_run_does(cli, db):
    result = cli("decide", "--obligor", "O1", "--action", "plan", "--by", "alice", "--note", "margins falling",
                 "--due", "2024-04-30", "--plan", "reduce the limit")
    assert result.exit_code == 0, result.output
    assert "recorded decision #1: plan O1 by alice on the watchlist of 2024-01-31 (status 'new'), due 2024-04-30" \
        in result.stdout
    assert "next run: from the next as-of alice owns the case" in result.stdout
    with AccountsStore.open(db) as s:
        decided = s.decisions_for(JAN)
    assert decided[["action", "decided_by", "note", "plan"]].values.tolist() == [
        ["plan", "alice", "margins falling", "reduce the limit"]]


def test_four_eyes_exit_through_the_cli(cli, db):
    assert cli("decide", "--obligor", "O1", "--action", "plan", "--by", "alice", "--note", "watch").exit_code == 0
    with AccountsStore.open(db) as s:
        _month(s, FEB, {"O1": "green", "O2": "green"})
    same = cli("decide", "--obligor", "O1", "--action", "exit", "--by", "alice", "--note", "recovered")
    assert same.exit_code == 2
    assert "four eyes: alice owns the case of O1" in same.stderr and len(same.stderr.strip().splitlines()) == 1
    other = cli("decide", "--obligor", "O1", "--action", "exit", "--by", "bob", "--note", "recovered")
    assert other.exit_code == 0, other.output
    assert "status 'exited'" in other.stdout


def test_decide_refuses_bad_action_unknown_obligor_and_bad_date_in_one_line(cli, db):
    for args, words in [
        (("--obligor", "O1", "--action", "close"), "unknown action 'close': choose one of exit, keep, plan"),
        (("--obligor", "NOPE", "--action", "keep"), "unknown obligor 'NOPE'"),
        (("--obligor", "O2", "--action", "keep"), "O2 is not on the watchlist at 2024-01-31"),
        (("--obligor", "O1", "--action", "plan", "--due", "30/04/2024"), "is not a date of the form YYYY-MM-DD"),
    ]:
        result = cli("decide", *args, "--by", "bob", "--note", "n")
        assert result.exit_code == 2, (args, result.output)
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_unreachable_database_is_one_line_and_exit_2(cli, monkeypatch):
    monkeypatch.setenv("WORKBENCH_ACCOUNTS_DB", "sqlite:////nonexistent-dir/x.db")
    for args in (("show",), ("history", "--obligor", "O1"),
                 ("decide", "--obligor", "O1", "--action", "keep", "--by", "b", "--note", "n")):
        result = cli(*args)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == ("error: accounts database unreachable: sqlite:////nonexistent-dir/x.db: "
                                         "the directory /nonexistent-dir does not exist")


def test_show_lists_the_cases_of_the_latest_as_of_and_filters_by_status(cli, db):
    result = cli("show")
    assert result.exit_code == 0, result.output
    assert "watchlist at 2024-01-31: 1 case(s) on the list" in result.stdout
    assert "O1" in result.stdout and "unassigned" in result.stdout and "O2" not in result.stdout
    empty = cli("show", "--status", "eligible for exit")
    assert empty.exit_code == 0 and "O1" not in empty.stdout
    assert cli("show", "--as-of", "2023-12-31").exit_code == 2
    bad = cli("show", "--status", "closed")
    assert bad.exit_code == 2 and "unknown status 'closed'" in bad.stderr


def test_show_with_a_db_option_overrides_the_environment(cli, db, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_ACCOUNTS_DB", "sqlite:////nonexistent-dir/x.db")
    result = cli("show", "--db", db)
    assert result.exit_code == 0 and "O1" in result.stdout


def test_history_shows_rows_and_decisions_of_one_obligor(cli, db):
    cli("decide", "--obligor", "O1", "--action", "plan", "--by", "alice", "--note", "watch")
    result = cli("history", "--obligor", "O1")
    assert result.exit_code == 0, result.output
    assert "O1: 1 watchlist row(s), 1 decision(s)" in result.stdout and "alice" in result.stdout
    none = cli("history", "--obligor", "O2")
    assert none.exit_code == 2 and "no watchlist history for obligor 'O2'" in none.stderr
