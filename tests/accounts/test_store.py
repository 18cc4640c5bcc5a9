"""The accounts database on SQLite: round trip, idempotent reruns, refusals, unreachable databases, schema.

The same round trip on PostgreSQL (and SQLite again), with concurrent writers: tests/scale/test_store_postgres.py.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from workbench.accounts import store as store_module
from workbench.accounts.store import (
    AccountsDatabaseUnreachable,
    AccountsStore,
    LaterAsOfExists,
    accounts_url,
    alerts_frame,
    tiers_frame,
)
from workbench.accounts.watchlist import WatchlistParams, watchlist_step

P = WatchlistParams()
JAN, FEB, MAR = dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)


def alerts(as_of: dt.date, levels: dict[str, str]) -> pd.DataFrame:
    rank = {"green": 0.0, "amber": 1.0, "red": 2.0}
    return pd.DataFrame({
        "obligor_id": list(levels),
        "obs_date": pd.Timestamp(as_of),
        "level": list(levels.values()),
        "score": [rank[v] + 0.1234567891 for v in levels.values()],  # rounded on the way in
        "n_signals": [int(rank[v]) for v in levels.values()],
        "reasons": [["DPD 30+", "leverage up 1.2x"] if v == "red" else None for v in levels.values()],
    })


def tiers(levels: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": list(levels), "tier": ["A", "B", "C", "C"][: len(levels)],
                         "rule": "value top decile", "value_score": [0.987654321, 0.5, 0.1, 0.0][: len(levels)]})


LEVELS = {
    JAN: {"O1": "red", "O2": "amber", "O3": "green"},
    FEB: {"O1": "green", "O2": "amber", "O3": "green"},
    MAR: {"O1": "green", "O2": "red", "O3": "green"},
}


def run_month(s: AccountsStore, as_of: dt.date, *, force: bool = False, run_id: str = "run") -> pd.DataFrame:
    """What the monthly job does: previous rows and decisions from the store, the step, one write."""
    previous_as_of = s.previous_as_of(as_of)
    previous = s.read_watchlist(previous_as_of) if previous_as_of else None
    decisions = s.decisions_for(previous_as_of) if previous_as_of else None
    a = alerts(as_of, LEVELS[as_of])
    wl = watchlist_step(previous, a, decisions, P, as_of)
    s.write_as_of(as_of, tiers(LEVELS[as_of]), a, wl, {"run_id": run_id, "params_hash": "h", "data_fingerprint": "f"},
                  force=force)
    return wl


@pytest.fixture
def store(tmp_path):
    s = AccountsStore.open(f"sqlite:///{tmp_path / 'accounts.db'}")
    yield s
    s.close()


def table_rows(s: AccountsStore, name: str) -> list[tuple]:
    with s.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f"select * from {name} order by 1, 2"))]


def test_default_url_is_an_sqlite_file_in_the_state_dir_unless_the_environment_names_one(monkeypatch, isolated_state):
    monkeypatch.delenv("WORKBENCH_ACCOUNTS_DB", raising=False)
    assert accounts_url() == f"sqlite:///{(isolated_state / 'accounts.db').as_posix()}"
    monkeypatch.setenv("WORKBENCH_ACCOUNTS_DB", "postgresql://u@h/db")
    assert accounts_url() == "postgresql://u@h/db"
    assert accounts_url("sqlite:///x.db") == "sqlite:///x.db"


def test_round_trip_reads_back_what_was_written(store):
    wl = run_month(store, JAN)
    assert store.stored_as_of() == [JAN]
    pd.testing.assert_frame_equal(store.read_watchlist(JAN), wl)
    pd.testing.assert_frame_equal(store.read_watchlist(), wl)
    pd.testing.assert_frame_equal(store.read_alerts(JAN), alerts_frame(alerts(JAN, LEVELS[JAN]), JAN))
    pd.testing.assert_frame_equal(store.read_tiers(JAN), tiers_frame(tiers(LEVELS[JAN]), JAN))
    back = store.read_alerts(JAN).set_index("obligor_id")
    assert back.loc["O1", "score"] == round(2.1234567891, 6)
    assert back.loc["O1", "reasons"] == "DPD 30+; leverage up 1.2x"
    runs = store.as_of_runs()
    assert runs.loc[0, ["run_id", "n_obligors", "n_watchlist"]].tolist() == ["run", 3, 1]
    with store.engine.connect() as conn:
        stored_type = conn.execute(sa.text("select typeof(as_of) from watchlist limit 1")).scalar()
    assert stored_type == "text"  # SQLite's DATE: ISO text '2024-01-31', not a timestamp


def test_rerun_of_an_as_of_leaves_identical_rows_and_the_decisions_untouched(store):
    run_month(store, JAN)
    store.record_decision("O1", "plan", "alice", "weak margins", plan="cut limit", decided_at=dt.datetime(2024, 2, 3))
    run_month(store, FEB)
    before = {t: table_rows(store, t) for t in ("tiers", "alerts", "watchlist", "watchlist_decisions")}
    first_written = store.as_of_runs().set_index("as_of").loc[FEB, "first_written_at"]
    run_month(store, FEB, run_id="rerun")
    after = {t: table_rows(store, t) for t in ("tiers", "alerts", "watchlist", "watchlist_decisions")}
    assert after == before
    runs = store.as_of_runs().set_index("as_of")
    assert runs.loc[FEB, "first_written_at"] == first_written and runs.loc[FEB, "run_id"] == "rerun"
    assert store.read_watchlist(FEB).set_index("obligor_id").loc["O1", "owner"] == "alice"


def test_rewriting_an_earlier_as_of_is_refused_unless_forced(store):
    for month in (JAN, FEB, MAR):
        run_month(store, month)
    march = table_rows(store, "watchlist")
    with pytest.raises(LaterAsOfExists, match="refusing to rewrite as-of 2024-01-31: later as-of dates are stored "
                                              r"\(2024-02-29, 2024-03-31\)") as info:
        run_month(store, JAN)
    assert info.value.later == [FEB, MAR]
    assert table_rows(store, "watchlist") == march, "a refused write changes nothing"
    run_month(store, JAN, force=True)
    assert store.stored_as_of() == [JAN, FEB, MAR]


def test_write_is_one_transaction(store, monkeypatch):
    run_month(store, JAN)
    before = table_rows(store, "alerts")
    bad = watchlist_step(None, alerts(JAN, LEVELS[JAN]), None, P, JAN)
    bad.loc[0, "status"] = None  # violates NOT NULL after alerts and tiers were already replaced
    with pytest.raises(sa.exc.IntegrityError):
        store.write_as_of(JAN, tiers({"X": "red"}), alerts(JAN, {"X": "red"}), bad, {"run_id": "x"})
    assert table_rows(store, "alerts") == before


def test_record_decision_validates_against_the_latest_watchlist(store):
    with pytest.raises(ValueError, match="no as-of is stored yet"):
        store.record_decision("O1", "plan", "alice", "n")
    run_month(store, JAN)
    with pytest.raises(ValueError, match="unknown obligor 'NOPE'"):
        store.record_decision("NOPE", "plan", "alice", "n")
    with pytest.raises(ValueError, match=r"O3 is not on the watchlist at 2024-01-31 \(alert level green\)"):
        store.record_decision("O3", "keep", "alice", "n")
    with pytest.raises(ValueError, match="not on the watchlist at 2024-01-31 \\(status 'pending entry'\\)"):
        store.record_decision("O2", "keep", "alice", "n")
    with pytest.raises(ValueError, match="say why"):
        store.record_decision("O1", "plan", "alice", " ")
    with pytest.raises(ValueError, match="not after the as-of"):
        store.record_decision("O1", "plan", "alice", "n", due="2024-01-15")
    recorded = store.record_decision("O1", "plan", "alice", "weak", decided_at=dt.datetime(2024, 2, 2))
    assert recorded.due == JAN + dt.timedelta(days=P.plan_due_days) and recorded.as_of == JAN
    with pytest.raises(ValueError, match="O1 cannot leave the watchlist at 2024-01-31: its status is 'new'"):
        store.record_decision("O1", "exit", "bob", "fine now")
    history = store.decisions_history("O1")
    assert history[["action", "decided_by", "note"]].values.tolist() == [["plan", "alice", "weak"]]


def test_four_eyes_exit_through_the_store_over_three_months(store):
    run_month(store, JAN)
    store.record_decision("O1", "plan", "alice", "weak", decided_at=dt.datetime(2024, 2, 2))
    run_month(store, FEB)
    assert store.read_watchlist(FEB).set_index("obligor_id").loc["O1", "status"] == "eligible for exit"
    with pytest.raises(ValueError, match="four eyes"):
        store.record_decision("O1", "exit", "alice", "recovered")
    store.record_decision("O1", "exit", "bob", "recovered", decided_at=dt.datetime(2024, 3, 3))
    assert store.decisions_for(FEB)["decided_by"].tolist() == ["bob"]
    run_month(store, MAR)
    assert store.read_watchlist(MAR).set_index("obligor_id").loc["O1", "status"] == "exited"
    assert store.watchlist_history("O1")["status"].tolist() == ["new", "eligible for exit", "exited"]


def test_a_plan_recorded_today_counts_for_an_exit_decided_today(store):
    run_month(store, JAN)
    run_month(store, FEB)  # O1 eligible for exit, owner still unassigned
    with pytest.raises(ValueError, match="no owner and no recorded plan"):
        store.record_decision("O1", "exit", "bob", "recovered")
    store.record_decision("O1", "plan", "alice", "recovered, confirm at Q1 review")
    with pytest.raises(ValueError, match="four eyes: alice owns the case"):
        store.record_decision("O1", "exit", "alice", "recovered")
    store.record_decision("O1", "exit", "bob", "recovered")


def test_unreachable_sqlite_database_is_named_before_anything_else():
    with pytest.raises(AccountsDatabaseUnreachable,
                       match="accounts database unreachable: sqlite:////nonexistent-dir/x.db: the directory "
                             "/nonexistent-dir does not exist"):
        AccountsStore.open("sqlite:////nonexistent-dir/x.db")


def test_an_sqlite_url_naming_its_driver_is_checked_and_locked_like_the_plain_one(tmp_path):
    with pytest.raises(AccountsDatabaseUnreachable, match="the directory /nonexistent-dir does not exist"):
        AccountsStore.open("sqlite+pysqlite:////nonexistent-dir/x.db")
    with AccountsStore.open(f"sqlite+pysqlite:///{tmp_path / 'd.db'}") as s:
        assert s.schema_revision() == "0002"
    assert (tmp_path / "d.db.lock").exists(), "migrated under the file lock"


def test_a_text_longer_than_its_column_is_refused_as_postgresql_would(store):
    run_month(store, JAN)
    with pytest.raises(ValueError, match="rating_overrides.proposed_by takes at most 200 characters; 1 value"):
        store.propose_override("O1", 4, "r", "x" * 201)
    with pytest.raises(ValueError, match="interactions.obligor_id takes at most 64 characters"):
        store.import_interactions(pd.DataFrame({"obligor_id": ["O" * 65], "date": [pd.Timestamp("2023-05-02")],
                                                "channel": ["call"], "topic": ["pricing"]}))
    assert store.read_overrides().empty and store.read_interactions().empty


def test_a_file_that_is_not_a_database_is_unreachable(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not an sqlite database at all " * 100)
    with pytest.raises(AccountsDatabaseUnreachable, match="file is not a database"):
        AccountsStore.open(f"sqlite:///{junk}")


def test_postgresql_url_hides_the_password_and_says_why_it_cannot_connect():
    with pytest.raises(AccountsDatabaseUnreachable) as info:
        AccountsStore.open("postgresql://desk:s3cret@127.0.0.1:1/accounts")
    message = str(info.value)
    assert message.startswith("accounts database unreachable: postgresql://desk:***@127.0.0.1:1/accounts: ")
    assert "s3cret" not in message
    # Without a driver installed the reason names the missing driver; with one, the refused connection.
    assert "no database driver" in message or "refused" in message.lower() or "connect" in message.lower()


def test_not_a_url_is_refused_clearly():
    with pytest.raises(AccountsDatabaseUnreachable, match="not a database URL"):
        AccountsStore.open("accounts.db")


def test_alembic_head_matches_the_tables_the_store_uses(store):
    from alembic import command
    from alembic.script import ScriptDirectory

    config = store.alembic_config()
    assert store.schema_revision() == ScriptDirectory.from_config(config).get_current_head()
    with store.engine.connect() as conn:
        command.check(store.alembic_config(conn))  # raises if autogenerate sees any difference to METADATA
    names = set(sa.inspect(store.engine).get_table_names())
    assert {"as_of_runs", "tiers", "alerts", "watchlist", "watchlist_decisions", "rating_overrides", "interactions",
            store_module.VERSION_TABLE} <= names


def test_migration_renders_for_postgresql_without_sqlite_only_sql(capsys):
    from alembic import command

    config = AccountsStore("postgresql://u@h/db").alembic_config()
    command.upgrade(config, "head", sql=True)
    ddl = capsys.readouterr().out
    assert "CREATE TABLE watchlist_decisions" in ddl and "SERIAL" in ddl and "DOUBLE PRECISION" in ddl
    assert "CREATE TABLE rating_overrides" in ddl and "CREATE TABLE interactions" in ddl
    assert "AUTOINCREMENT" not in ddl


def test_opening_twice_migrates_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    AccountsStore.open(url).close()
    with AccountsStore.open(url) as again:
        assert again.schema_revision() == "0002"
        assert again.stored_as_of() == []


# --------------------------------------------------------------------------- schema 0002: overrides, interactions


def test_upgrade_from_0001_with_data_in_it_keeps_the_rows_and_adds_the_new_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = AccountsStore(url)
    old.check()
    old.upgrade("0001")
    assert old.schema_revision() == "0001"
    assert "interactions" not in sa.inspect(old.engine).get_table_names()
    run_month(old, JAN)
    old.record_decision("O1", "plan", "alice", "weak margins", decided_at=dt.datetime(2024, 2, 3))
    before = {t: table_rows(old, t) for t in ("tiers", "alerts", "watchlist", "watchlist_decisions", "as_of_runs")}
    old.close()
    with AccountsStore.open(url) as s:
        assert s.schema_revision() == "0002"
        assert {t: table_rows(s, t) for t in before} == before
        proposed = s.propose_override("O1", 5, "parent guarantee", "alice", as_of=JAN, model_grade=7)
        s.log_interaction("O2", "call", "pricing", "asked for a quote", date=JAN, by="alice")
        assert s.read_overrides()["id"].tolist() == [proposed.id]
        assert len(s.read_interactions()) == 1


def test_downgrade_to_0001_drops_only_the_new_tables(store):
    run_month(store, JAN)
    from alembic import command

    with store.engine.begin() as conn:
        command.downgrade(store.alembic_config(conn), "0001")
    names = set(sa.inspect(store.engine).get_table_names())
    assert "interactions" not in names and "rating_overrides" not in names and "watchlist" in names
    assert store.stored_as_of() == [JAN]


def test_known_obligors_are_those_in_stored_tiers_alerts_watchlist_or_interactions(store):
    assert not store.known_obligor("O1")
    run_month(store, JAN)
    assert store.known_obligor("O1") and store.known_obligor(" O3 ")
    assert not store.known_obligor("X9")
    store.import_interactions(pd.DataFrame({"obligor_id": ["X9"], "date": [pd.Timestamp("2023-05-02")],
                                            "channel": ["call"], "topic": ["pricing"]}))
    assert store.known_obligor("X9")


def test_override_proposal_then_approval_by_a_second_person(store):
    run_month(store, JAN)
    proposed = store.propose_override("O1", 4, "parent guarantee signed", "alice", as_of="2024-01-15",
                                      model_grade=6, proposed_at=dt.datetime(2024, 1, 20, 9))
    assert proposed.as_of == JAN and proposed.status == "proposed" and proposed.model_grade == 6
    assert "awaiting approval" in proposed.summary()
    with pytest.raises(ValueError, match="four eyes: alice proposed override"):
        store.approve_override(proposed.id, "alice")
    approved = store.approve_override(proposed.id, "bob", "guarantee checked", decided_at=dt.datetime(2024, 1, 25))
    assert approved.status == "approved" and approved.decided_by == "bob"
    assert approved.decided_at == dt.datetime(2024, 1, 25)
    with pytest.raises(ValueError, match="already approved"):
        store.reject_override(proposed.id, "carol", "no")
    back = store.read_overrides("O1")
    assert back[["status", "decided_by", "decision_note", "proposed_grade", "model_grade"]].values.tolist() == [
        ["approved", "bob", "guarantee checked", 4, 6]]
    assert back.loc[0, "proposed_at"] == pd.Timestamp("2024-01-20 09:00")


def test_override_refusals_through_the_store(store):
    with pytest.raises(ValueError, match="unknown obligor 'O1'"):
        store.propose_override("O1", 4, "r", "alice")
    run_month(store, JAN)
    with pytest.raises(ValueError, match="is the model's grade"):
        store.propose_override("O1", 6, "r", "alice", model_grade=6)
    with pytest.raises(ValueError, match="not on the master scale"):
        store.propose_override("O1", 11, "r", "alice")
    first = store.propose_override("O1", 4, "r", "alice")
    with pytest.raises(ValueError, match=f"open override proposal #{first.id}"):
        store.propose_override("O1", 3, "r", "bob")
    with pytest.raises(ValueError, match="say why"):
        store.reject_override(first.id, "bob", "")
    rejected = store.reject_override(first.id, "bob", "no evidence")
    assert rejected.status == "rejected" and rejected.decision_note == "no evidence"
    assert store.propose_override("O1", 3, "new evidence", "alice").id == first.id + 1
    with pytest.raises(ValueError, match="no override #99"):
        store.approve_override(99, "bob")


def test_an_as_of_write_leaves_overrides_and_interactions_alone(store):
    run_month(store, JAN)
    store.propose_override("O1", 4, "r", "alice")
    store.log_interaction("O1", "call", "pricing", "n", date=JAN)
    before = (table_rows(store, "rating_overrides"), table_rows(store, "interactions"))
    run_month(store, JAN, run_id="rerun")
    assert (table_rows(store, "rating_overrides"), table_rows(store, "interactions")) == before


def _data_interactions() -> pd.DataFrame:
    return pd.DataFrame({
        "obligor_id": ["O1", "O1", "O1", "O2"],
        "date": pd.to_datetime(["2023-03-01", "2023-03-01", "2023-09-14", "2024-01-05"]),
        "channel": ["call", "call", "meeting", "email"],  # two identical calls on 1 March: both kept
        "topic": ["pricing", "pricing", "annual_review", "financing_need"],
    })


def test_interaction_import_is_idempotent_and_keeps_identical_contacts(store):
    first = store.import_interactions(_data_interactions())
    assert (first.added, first.already_stored) == (4, 0)
    rows = table_rows(store, "interactions")
    again = store.import_interactions(_data_interactions(), recorded_at=dt.datetime(2030, 1, 1))
    assert (again.added, again.already_stored) == (0, 4)
    assert table_rows(store, "interactions") == rows, "a re-import changes nothing, not even the recording time"
    more = pd.concat([_data_interactions(), pd.DataFrame({
        "obligor_id": ["O1", "O2"], "date": pd.to_datetime(["2023-03-01", "2024-02-01"]),
        "channel": ["call", "call"], "topic": ["pricing", "pricing"]})], ignore_index=True)
    third = store.import_interactions(more)
    assert (third.added, third.already_stored) == (2, 4)
    back = store.read_interactions(obligor_id="O1")
    assert back["seq"].tolist() == [0, 1, 2, 0] and (back["source"] == "data").all()
    assert back.loc[0, "recorded_at"] == pd.Timestamp("2023-03-01"), "by default recorded the day it happened"


def test_interaction_import_with_prune_removes_data_rows_gone_from_the_data_but_never_manual_ones(store):
    store.import_interactions(_data_interactions())
    store.log_interaction("O1", "call", "pricing", "same key as a data row", date="2023-03-01")
    result = store.import_interactions(_data_interactions().iloc[2:], prune=True)
    assert (result.added, result.pruned) == (0, 2)
    back = store.read_interactions()
    assert back["source"].tolist() == ["manual", "data", "data"]


def test_interaction_import_refuses_unknown_codes_and_missing_columns(store):
    bad = _data_interactions().assign(channel=["call", "call", "telepathy", "email"])
    with pytest.raises(ValueError, match="unknown channel \\['telepathy'\\] in 1 rows"):
        store.import_interactions(bad)
    with pytest.raises(KeyError, match="topic"):
        store.import_interactions(_data_interactions().drop(columns="topic"))
    assert table_rows(store, "interactions") == []


def test_read_interactions_as_of_ignores_contacts_after_it_and_entries_recorded_later(store):
    store.import_interactions(_data_interactions())
    run_month(store, JAN)
    store.log_interaction("O1", "meeting", "financing_need", "capex plans", date="2023-12-20", by="alice",
                          recorded_at=dt.datetime(2024, 2, 10, 15))  # back-dated, logged in February
    store.log_interaction("O1", "call", "pricing", "rate question", date="2024-01-31", by="alice",
                          recorded_at=dt.datetime(2024, 1, 31, 18))  # on the as-of's day: counts
    at_jan = store.read_interactions(JAN, "O1")
    assert at_jan["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-03-01", "2023-03-01", "2023-09-14", "2024-01-31"]
    at_feb = store.read_interactions(FEB, "O1")
    assert len(at_feb) == 5 and at_feb.loc[3, "note"] == "capex plans" and at_feb.loc[3, "recorded_by"] == "alice"
    assert store.read_interactions(dt.date(2023, 6, 30))["obligor_id"].tolist() == ["O1", "O1"]
    assert len(store.read_interactions()) == 6


def test_log_interaction_refuses_unknown_codes_and_obligors(store):
    run_month(store, JAN)
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        store.log_interaction("O1", "fax", "pricing", "n")
    with pytest.raises(ValueError, match="unknown topic 'weather'"):
        store.log_interaction("O1", "call", "weather", "n")
    with pytest.raises(ValueError, match="unknown obligor 'X1'"):
        store.log_interaction("X1", "call", "pricing", "n")
    logged = store.log_interaction("O1", "call", "pricing", "n", by="bob", recorded_at=dt.datetime(2024, 3, 1, 8))
    assert logged.date == dt.date(2024, 3, 1) and "logged interaction #1: O1 call on 2024-03-01" in logged.summary()
