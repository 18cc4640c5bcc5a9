"""`workbench accounts override|approve|reject|overrides|log|interactions`, mounted the way cli.py mounts it, on
an SQLite file in tmp."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from workbench.accounts.store import AccountsStore
from workbench.accounts.watchlist import WatchlistParams, watchlist_step
from workbench.cli_accounts import accounts_app

app = typer.Typer()
app.add_typer(accounts_app, name="accounts")

JAN = dt.date(2024, 1, 31)


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    monkeypatch.setenv("WORKBENCH_ACCOUNTS_DB", url)
    levels = {"O1": "red", "O2": "green"}
    alerts = pd.DataFrame({"obligor_id": list(levels), "level": list(levels.values()), "score": 1.0,
                           "reasons": "overdue 30+ days"})
    tiers = pd.DataFrame({"obligor_id": list(levels), "tier": "A", "rule": "default", "value_score": 0.5})
    with AccountsStore.open() as s:
        s.write_as_of(JAN, tiers, alerts, watchlist_step(None, alerts, None, WatchlistParams(), JAN), {"run_id": "r"})
    return url


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["accounts", *args])

    return invoke


def _one_line_error(result, words: str) -> None:
    assert result.exit_code == 2, result.output
    assert words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- log


def test_log_records_a_contact_with_who_and_when(cli, db):
    result = cli("log", "--obligor", "O1", "--channel", "meeting", "--topic", "financing_need", "--note",
                 "capex plans for 2025", "--date", "2024-01-20", "--by", "alice")
    assert result.exit_code == 0, result.output
    assert "logged interaction #1: O1 meeting on 2024-01-20 about financing_need by alice" in result.stdout
    with AccountsStore.open(db) as s:
        rows = s.read_interactions(obligor_id="O1")
    assert rows[["channel", "topic", "note", "source", "recorded_by"]].values.tolist() == [
        ["meeting", "financing_need", "capex plans for 2025", "manual", "alice"]]
    assert rows.loc[0, "recorded_at"].date() == dt.datetime.now(dt.timezone.utc).date()
    shown = cli("interactions", "--obligor", "O1")
    assert shown.exit_code == 0 and "capex plans for 2025" in shown.stdout


@pytest.mark.parametrize("args, words", [
    (("--obligor", "O1", "--channel", "fax", "--topic", "pricing"),
     "unknown channel 'fax': choose one of call, email, meeting, site_visit, video_call"),
    (("--obligor", "O1", "--channel", "call", "--topic", "weather"),
     "unknown topic 'weather': choose one of annual_review, financing_need, pricing"),
    (("--obligor", "NOPE", "--channel", "call", "--topic", "pricing"), "unknown obligor 'NOPE'"),
    (("--obligor", "O1", "--channel", "call", "--topic", "pricing", "--date", "31.01.2024"),
     "--date '31.01.2024' is not a date of the form YYYY-MM-DD"),
    (("--obligor", "O1", "--channel", "call", "--topic", "pricing", "--date", "2999-01-01"),
     "after the day it is recorded"),
])
def test_log_refuses_unknown_channel_topic_obligor_and_bad_dates_in_one_line(cli, db, args, words):
    _one_line_error(cli("log", *args, "--note", "n"), words)
    with AccountsStore.open(db) as s:
        assert s.read_interactions().empty


def test_an_obligor_known_only_from_imported_interactions_may_be_logged(cli, db):
    with AccountsStore.open(db) as s:
        s.import_interactions(pd.DataFrame({"obligor_id": ["O7"], "date": [pd.Timestamp("2023-05-02")],
                                            "channel": ["call"], "topic": ["pricing"]}))
    assert cli("log", "--obligor", "O7", "--channel", "call", "--topic", "pricing", "--note", "n").exit_code == 0


# --------------------------------------------------------------------------- overrides


def test_override_then_approval_by_a_second_person(cli, db):
    proposed = cli("override", "--obligor", "O1", "--grade", "4", "--reason", "parent guarantee", "--by", "alice",
                   "--model-grade", "6", "--as-of", "2024-01-31")
    assert proposed.exit_code == 0, proposed.output
    assert ("override #1: O1 grade 4 (model grade 6) from 2024-01-31, proposed by alice; awaiting approval"
            in proposed.stdout)
    _one_line_error(cli("approve", "--id", "1", "--by", "alice"), "four eyes: alice proposed override #1 of O1")
    approved = cli("approve", "--id", "1", "--by", "bob", "--note", "guarantee seen")
    assert approved.exit_code == 0, approved.output
    assert "approved by bob" in approved.stdout
    listed = cli("overrides", "--obligor", "O1")
    assert listed.exit_code == 0 and "1 override(s) of O1; 0 awaiting approval" in listed.stdout
    assert "parent guarantee" in listed.stdout and "approved" in listed.stdout


def test_reject_needs_a_note_and_a_second_person(cli, db):
    assert cli("override", "--obligor", "O2", "--grade", "8", "--reason", "fraud suspicion", "--by",
               "alice").exit_code == 0
    missing = cli("reject", "--id", "1", "--by", "bob")
    assert missing.exit_code == 2 and "--note" in missing.output  # typer: a required option
    _one_line_error(cli("reject", "--id", "1", "--by", "bob", "--note", " "), "say why")
    rejected = cli("reject", "--id", "1", "--by", "bob", "--note", "no evidence")
    assert rejected.exit_code == 0 and "rejected by bob" in rejected.stdout
    with AccountsStore.open(db) as s:
        assert s.read_overrides()["status"].tolist() == ["rejected"]


@pytest.mark.parametrize("args, words", [
    (("--obligor", "NOPE", "--grade", "4"), "unknown obligor 'NOPE'"),
    (("--obligor", "O1", "--grade", "11"), "proposed grade 11 is not on the master scale"),
    (("--obligor", "O1", "--grade", "0"), "proposed grade 0 is not on the master scale"),
    (("--obligor", "O1", "--grade", "6", "--model-grade", "6"), "proposed grade 6 is the model's grade"),
    (("--obligor", "O1", "--grade", "4", "--as-of", "Jan"), "--as-of 'Jan' is not a date"),
])
def test_override_refusals_in_one_line(cli, db, args, words):
    _one_line_error(cli("override", *args, "--reason", "r", "--by", "alice"), words)


def test_overrides_lists_every_status_and_refuses_an_unknown_one(cli, db):
    cli("override", "--obligor", "O1", "--grade", "4", "--reason", "r", "--by", "alice")
    cli("override", "--obligor", "O2", "--grade", "3", "--reason", "r", "--by", "alice")
    cli("approve", "--id", "2", "--by", "bob")
    listed = cli("overrides")
    assert listed.exit_code == 0 and "2 override(s); 1 awaiting approval" in listed.stdout
    only = cli("overrides", "--status", "approved")
    assert "1 override(s); 0 awaiting approval" in only.stdout
    _one_line_error(cli("overrides", "--status", "pending"), "unknown status 'pending'")
    _one_line_error(cli("approve", "--id", "7", "--by", "bob"), "no override #7")


def test_an_unreachable_database_is_named_before_anything_else(cli, monkeypatch):
    monkeypatch.setenv("WORKBENCH_ACCOUNTS_DB", "sqlite:////nonexistent-dir/x.db")
    _one_line_error(cli("overrides"), "accounts database unreachable")
