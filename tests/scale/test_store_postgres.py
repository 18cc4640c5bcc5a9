"""The accounts store on PostgreSQL and on SQLite: the same migrations, round trip and concurrent writers.

Every test runs on both backends: SQLite always, PostgreSQL on a throwaway server this module starts from
Debian's ``postgresql`` package (``postgres_server.py``; skipped when it is not installed, a failure with
``CI=true``). Each test gets a fresh database. Beyond each backend's own round trip, one test writes the same
records to both and asserts that every read gives identical frames: what works on the SQLite file of a
laptop works on the team's PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from workbench.accounts.store import (
    VERSION_TABLE,
    AccountsDatabaseUnreachable,
    AccountsStore,
    LaterAsOfExists,
    alerts_frame,
    tiers_frame,
)
from workbench.accounts.watchlist import WatchlistParams, watchlist_step

from .postgres_server import PostgresServer, postgres_fixture

pytestmark = pytest.mark.scale

P = WatchlistParams()
JAN, FEB, MAR = dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)
LEVELS = {
    JAN: {"O1": "red", "O2": "amber", "O3": "green", "O10": "green"},
    FEB: {"O1": "green", "O2": "amber", "O3": "green", "O10": "amber"},
    MAR: {"O1": "green", "O2": "red", "O3": "green", "O10": "amber"},
}
STORE_TABLES = {"as_of_runs", "tiers", "alerts", "watchlist", "watchlist_decisions", "rating_overrides",
                "interactions"}
BACKENDS = ["sqlite", "postgresql"]
_databases = itertools.count()

pg = postgres_fixture("accounts")


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path) -> str:
    """A fresh, empty accounts database on each backend."""
    return _fresh_url(request, request.param, tmp_path)


def _fresh_url(request: pytest.FixtureRequest, backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'accounts_{next(_databases)}.db'}"
    server: PostgresServer = request.getfixturevalue("pg")  # started only when a PostgreSQL test runs
    return server.create_database(f"accounts_{next(_databases)}")


@pytest.fixture
def store(url) -> Iterator[AccountsStore]:
    with AccountsStore.open(url) as s:
        yield s


# --------------------------------------------------------------------------- the records a month writes


def alerts(as_of: dt.date) -> pd.DataFrame:
    rank = {"green": 0.0, "amber": 1.0, "red": 2.0}
    levels = LEVELS[as_of]
    return pd.DataFrame({
        "obligor_id": list(levels),
        "obs_date": pd.Timestamp(as_of),
        "level": list(levels.values()),
        "score": [rank[v] + 0.1234567891 for v in levels.values()],
        "n_signals": [int(rank[v]) if o != "O3" else None for o, v in levels.items()],  # a missing count too
        "reasons": [["DPD 30+", "Überziehung 12 % – Limit"] if v == "red" else None for v in levels.values()],
    })


def tiers(as_of: dt.date) -> pd.DataFrame:
    ids = list(LEVELS[as_of])
    return pd.DataFrame({"obligor_id": ids, "tier": ["A", "B", "C", "C"], "rule": ["value top decile", None,
                                                                                  "rest", "rest"],
                         "value_score": [0.987654321, 0.5, 0.1, float("nan")]})


def run_month(s: AccountsStore, as_of: dt.date, *, force: bool = False, run_id: str = "run") -> pd.DataFrame:
    """What the monthly job does: the previous rows and decisions from the store, the step, one write."""
    previous_as_of = s.previous_as_of(as_of)
    previous = s.read_watchlist(previous_as_of) if previous_as_of else None
    decisions = s.decisions_for(previous_as_of) if previous_as_of else None
    wl = watchlist_step(previous, alerts(as_of), decisions, P, as_of)
    s.write_as_of(as_of, tiers(as_of), alerts(as_of), wl,
                  {"run_id": run_id, "params_hash": "h" * 64, "data_fingerprint": "f" * 128,
                   "written_at": dt.datetime(2024, 4, 1, 6, 30, 15, 250000)}, force=force)
    return wl


def data_interactions() -> pd.DataFrame:
    return pd.DataFrame({
        "obligor_id": ["O1", "O1", "O1", "O2", "X9"],
        "date": pd.to_datetime(["2023-03-01", "2023-03-01", "2023-09-14", "2024-01-05", "2023-05-02"]),
        "channel": ["call", "call", "meeting", "email", "site_visit"],  # two identical calls: both kept
        "topic": ["pricing", "pricing", "annual_review", "financing_need", "site_visit_report"],
    })


def exercise(s: AccountsStore) -> dict[str, Any]:
    """Write every kind of record the store keeps (three months of tiers, alerts, watchlist and run rows;
    decisions; overrides proposed, approved and rejected; interactions imported and logged) and return
    everything the store reads back."""
    out: dict[str, Any] = {"written": {}}
    out["written"][JAN] = run_month(s, JAN)
    s.record_decision("O1", "plan", "alice", "weak margins", plan="cut limit", decided_at=dt.datetime(2024, 2, 2, 9))
    out["written"][FEB] = run_month(s, FEB)
    s.record_decision("O1", "exit", "bob", "recovered", decided_at=dt.datetime(2024, 3, 3, 10, 0, 0, 123456))
    out["written"][MAR] = run_month(s, MAR)
    s.record_decision("O2", "keep", "carol", "Sicherheiten geprüft", due="2024-06-30",
                      decided_at=dt.datetime(2024, 4, 2, 8, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    first = s.propose_override("O2", 4, "parent guarantee signed", "alice", as_of="2024-03-15", model_grade=6,
                               proposed_at=dt.datetime(2024, 3, 20, 9))
    s.approve_override(first.id, "bob", "guarantee checked", decided_at=dt.datetime(2024, 3, 25, 14, 5))
    second = s.propose_override("O10", 7, "sector outlook", "carol", proposed_at=dt.datetime(2024, 3, 21))
    s.reject_override(second.id, "dave", "no evidence", decided_at=dt.datetime(2024, 3, 22))
    s.propose_override("O10", 8, "covenant breach", "carol", as_of=MAR, proposed_at=dt.datetime(2024, 3, 28))
    out["import"] = (s.import_interactions(data_interactions()), s.import_interactions(data_interactions()))
    s.log_interaction("O1", "meeting", "financing_need", "capex plans – Erweiterung", date="2023-12-20", by="alice",
                      recorded_at=dt.datetime(2024, 2, 10, 15, 0, 0, 654321))  # back-dated, logged in February
    s.log_interaction("O2", "call", "pricing", "rate question", date="2024-01-31",
                      recorded_at=dt.datetime(2024, 1, 31, 18))

    out["revision"] = s.schema_revision()
    out["stored_as_of"] = s.stored_as_of()
    out["latest_as_of"], out["previous_as_of"] = s.latest_as_of(), s.previous_as_of(MAR)
    out["as_of_runs"] = s.as_of_runs()
    for month in (JAN, FEB, MAR):
        out[f"tiers {month}"] = s.read_tiers(month)
        out[f"alerts {month}"] = s.read_alerts(month)
        out[f"watchlist {month}"] = s.read_watchlist(month)
        out[f"decisions {month}"] = s.decisions_for(month)
        out[f"interactions {month}"] = s.read_interactions(month)
    out["watchlist latest"] = s.read_watchlist()
    out["history O1"] = s.watchlist_history("O1")
    out["decisions"] = s.decisions_history()
    out["overrides"] = s.read_overrides()
    out["overrides O10"] = s.read_overrides("O10")
    out["interactions"] = s.read_interactions()
    out["known"] = {o: s.known_obligor(o) for o in ("O1", " O10 ", "X9", "NOPE")}
    return out


def table_rows(s: AccountsStore, name: str) -> list[tuple]:
    with s.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f"select * from {name} order by 1, 2"))]


# --------------------------------------------------------------------------- migrations


def test_migrations_go_from_empty_to_head_down_to_empty_and_up_again(url):
    from alembic import command
    from alembic.script import ScriptDirectory

    s = AccountsStore(url)
    try:
        s.check()
        assert s.schema_revision() is None
        s.upgrade("0001")
        assert s.schema_revision() == "0001"
        assert STORE_TABLES - set(sa.inspect(s.engine).get_table_names()) == {"rating_overrides", "interactions"}
        s.upgrade()
        head = ScriptDirectory.from_config(s.alembic_config()).get_current_head()
        assert s.schema_revision() == head == "0002"
        assert STORE_TABLES | {VERSION_TABLE} <= set(sa.inspect(s.engine).get_table_names())
        with s.engine.connect() as conn:
            command.check(s.alembic_config(conn))  # the migrated schema is exactly the store's METADATA
        with s.engine.begin() as conn:
            command.downgrade(s.alembic_config(conn), "base")
        assert s.schema_revision() is None
        assert not STORE_TABLES & set(sa.inspect(s.engine).get_table_names())
        s.upgrade()
        assert s.schema_revision() == "0002"
        assert s.stored_as_of() == []
    finally:
        s.close()


def test_upgrade_from_0001_with_data_in_it_keeps_the_rows(url):
    old = AccountsStore(url)
    old.check()
    old.upgrade("0001")
    run_month(old, JAN)
    old.record_decision("O1", "plan", "alice", "weak margins", decided_at=dt.datetime(2024, 2, 3))
    before = {t: table_rows(old, t) for t in ("tiers", "alerts", "watchlist", "watchlist_decisions", "as_of_runs")}
    old.close()
    with AccountsStore.open(url) as s:
        assert s.schema_revision() == "0002"
        assert {t: table_rows(s, t) for t in before} == before
        s.propose_override("O1", 5, "parent guarantee", "alice", as_of=JAN, model_grade=7)
        assert len(s.read_overrides()) == 1


# --------------------------------------------------------------------------- round trip


def test_round_trip_reads_back_every_kind_of_record(store):
    out = exercise(store)
    assert out["revision"] == "0002"
    assert out["stored_as_of"] == [JAN, FEB, MAR] and out["latest_as_of"] == MAR and out["previous_as_of"] == FEB
    for month in (JAN, FEB, MAR):
        pd.testing.assert_frame_equal(out[f"watchlist {month}"], out["written"][month])
        pd.testing.assert_frame_equal(out[f"tiers {month}"], tiers_frame(tiers(month), month))
        pd.testing.assert_frame_equal(out[f"alerts {month}"], alerts_frame(alerts(month), month))
    pd.testing.assert_frame_equal(out["watchlist latest"], out["written"][MAR])
    assert out["alerts 2024-01-31"].set_index("obligor_id").loc["O1", "reasons"] == "DPD 30+; Überziehung 12 % – Limit"
    assert out["alerts 2024-01-31"]["n_signals"].isna().tolist() == [False, False, False, True]  # O1 O10 O2 O3
    runs = out["as_of_runs"]
    assert runs["n_obligors"].tolist() == [4, 4, 4]
    assert runs.loc[0, "written_at"] == pd.Timestamp("2024-04-01 06:30:15.250000")
    assert runs.loc[0, "data_fingerprint"] == "f" * 128
    assert out["history O1"]["status"].tolist() == ["new", "eligible for exit", "exited"]
    decisions = out["decisions"]
    assert decisions[["obligor_id", "action", "decided_by"]].values.tolist() == [
        ["O1", "plan", "alice"], ["O1", "exit", "bob"], ["O2", "keep", "carol"]]
    assert decisions.loc[1, "decided_at"] == pd.Timestamp("2024-03-03 10:00:00.123456")
    assert decisions.loc[2, "decided_at"] == pd.Timestamp("2024-04-02 06:00"), "stored in UTC"
    assert decisions.loc[2, "note"] == "Sicherheiten geprüft"
    assert out["decisions 2024-02-29"]["decided_by"].tolist() == ["bob"]
    overrides = out["overrides"]
    assert overrides[["obligor_id", "status", "proposed_grade"]].values.tolist() == [
        ["O2", "approved", 4], ["O10", "rejected", 7], ["O10", "proposed", 8]]
    assert overrides["decided_by"].tolist()[:2] == ["bob", "dave"] and pd.isna(overrides.loc[2, "decided_by"])
    assert overrides["id"].tolist() == [1, 2, 3]
    assert out["overrides O10"]["id"].tolist() == [2, 3]
    first_import, second_import = out["import"]
    assert (first_import.added, second_import.added, second_import.already_stored) == (5, 0, 5)
    log = out["interactions"]
    assert len(log) == 7 and log["source"].value_counts().to_dict() == {"data": 5, "manual": 2}
    assert log.loc[log["note"].str.contains("capex", na=False), "recorded_at"].tolist() == [
        pd.Timestamp("2024-02-10 15:00:00.654321")]
    assert len(out["interactions 2024-01-31"]) == 6, "the back-dated contact logged in February is not in January's"
    assert out["known"] == {"O1": True, " O10 ": True, "X9": True, "NOPE": False}


def test_both_backends_read_back_identical_frames(request, tmp_path):
    reads = {}
    for backend in BACKENDS:
        with AccountsStore.open(_fresh_url(request, backend, tmp_path)) as s:
            reads[backend] = exercise(s)
    sqlite, postgresql = reads["sqlite"], reads["postgresql"]
    assert sqlite.keys() == postgresql.keys()
    for key in sqlite:
        if isinstance(sqlite[key], pd.DataFrame):
            pd.testing.assert_frame_equal(postgresql[key], sqlite[key], obj=key)  # values and dtypes
        elif key != "written":
            assert postgresql[key] == sqlite[key], key


def test_a_rerun_leaves_identical_rows_and_an_earlier_month_is_refused(store):
    for month in (JAN, FEB):
        run_month(store, month)
    store.record_decision("O1", "plan", "alice", "weak", decided_at=dt.datetime(2024, 3, 2))
    before = {t: table_rows(store, t) for t in STORE_TABLES}
    run_month(store, FEB, run_id="rerun")
    after = {t: table_rows(store, t) for t in STORE_TABLES}
    assert {t: rows for t, rows in after.items() if t != "as_of_runs"} == {
        t: rows for t, rows in before.items() if t != "as_of_runs"}
    assert store.as_of_runs()["run_id"].tolist() == ["run", "rerun"]
    with pytest.raises(LaterAsOfExists):
        run_month(store, JAN)


def test_a_failed_write_changes_nothing(store):
    run_month(store, JAN)
    before = {t: table_rows(store, t) for t in ("tiers", "alerts", "watchlist")}
    bad = watchlist_step(None, alerts(JAN), None, P, JAN)
    bad.loc[0, "status"] = None  # NOT NULL fails after the tiers and alerts were replaced
    with pytest.raises(sa.exc.IntegrityError):
        store.write_as_of(JAN, tiers(JAN).assign(tier="Z"), alerts(JAN), bad, {"run_id": "x"})
    assert {t: table_rows(store, t) for t in before} == before


def test_a_text_longer_than_its_column_is_refused_on_both_backends(store):
    run_month(store, JAN)
    long_id = "O" * 65
    with pytest.raises(ValueError, match=r"tiers.obligor_id takes at most 64 characters; 1 value\(s\) are longer"):
        store.write_as_of(FEB, pd.DataFrame({"obligor_id": [long_id], "tier": ["A"], "rule": [None],
                                             "value_score": [0.1]}),
                          pd.DataFrame({"obligor_id": [long_id], "level": ["red"]}),
                          watchlist_step(None, pd.DataFrame({"obligor_id": [long_id], "obs_date": pd.Timestamp(FEB),
                                                             "level": ["red"], "score": [2.0]}), None, P, FEB))
    with pytest.raises(ValueError, match="watchlist_decisions.decided_by takes at most 200 characters"):
        store.record_decision("O1", "plan", "a" * 201, "weak")
    with pytest.raises(ValueError, match="as_of_runs.run_id takes at most 64"):
        store.write_as_of(FEB, tiers(FEB), alerts(FEB), watchlist_step(store.read_watchlist(JAN), alerts(FEB), None,
                                                                       P, FEB), {"run_id": "r" * 65})
    assert store.stored_as_of() == [JAN] and store.decisions_history().empty


# --------------------------------------------------------------------------- concurrency


def test_concurrent_writers_migrate_once_and_write_without_colliding(url):
    """Four writers (threads, each with its own engine and connections) start together on an empty database:
    each opens it (migrates), rewrites the same as-of, imports the same contacts, logs one and proposes an
    override; none fails and the result is as if they had run one after the other."""
    barrier, errors, n = threading.Barrier(4), [], 4

    def writer(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with AccountsStore.open(url) as s:
                barrier.wait(timeout=30)
                run_month(s, JAN, force=True, run_id=f"writer {i}")
                s.import_interactions(data_interactions())
                s.log_interaction("O1", "call", "pricing", f"writer {i}", date=JAN)
                try:
                    s.propose_override("O2", 3, f"writer {i}", f"user{i}", as_of=JAN)
                except ValueError as exc:  # all but the first: "an open proposal exists"
                    assert "open override proposal" in str(exc)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(f"writer {i}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with AccountsStore.open(url) as s:
        assert s.schema_revision() == "0002" and s.stored_as_of() == [JAN]
        assert len(s.read_alerts(JAN)) == 4 and s.as_of_runs()["run_id"].str.startswith("writer").all()
        log = s.read_interactions()
        assert (log["source"] == "data").sum() == 5 and (log["source"] == "manual").sum() == n
        assert len(s.read_overrides()) == 1


# --------------------------------------------------------------------------- PostgreSQL only


def test_postgresql_server_starts_quickly_and_an_unknown_database_is_named(pg, record_property):
    record_property("postgres_start_seconds", round(pg.start_seconds, 2))
    assert pg.start_seconds < 30
    with pytest.raises(AccountsDatabaseUnreachable,
                       match=rf'unreachable: postgresql\+psycopg://postgres@127.0.0.1:{pg.port}/nope: .*"nope" does '
                             "not exist"):
        AccountsStore.open(pg.url_for("nope"))
