"""The accounts database: per (as-of, obligor) tiers, alerts and watchlist rows, and the watchlist decisions.

The only module of ``workbench.accounts`` that touches a database. Any SQLAlchemy URL works (PostgreSQL in
production); by default an SQLite file ``<state dir>/accounts.db``; ``WORKBENCH_ACCOUNTS_DB`` overrides the
default, an explicit URL overrides both. The schema is Alembic's: ``AccountsStore.open()`` checks that the
database answers (``AccountsDatabaseUnreachable`` naming the URL, password hidden, and why) and then
upgrades it to head, for SQLite under a file lock (PostgreSQL: an advisory lock) so that two processes
starting together do not both create the tables. The migrations ship inside the package
(``workbench/accounts/migrations``); no ``alembic.ini`` is needed.

The SQL is SQLAlchemy Core and portable: what is dialect-specific (SQLite's probe of ``sqlite_master`` and
its WAL mode, PostgreSQL's advisory locks) sits behind a check of the dialect, and the tests run the same
round trip on SQLite and on a real PostgreSQL (``tests/scale/test_store_postgres.py``). Two things that
differ between them are made explicit so that both behave the same: a text longer than its column is
refused before the write (SQLite would store it, PostgreSQL raise), and the writes that check before they
insert (an as-of, a decision, an override, an interaction import) hold a lock from their first read to
the commit (PostgreSQL an advisory lock, SQLite ``BEGIN IMMEDIATE``), so that concurrent writers queue
instead of colliding.

Writes of an as-of are one transaction that replaces that as-of's rows and nothing else, so rerunning an
as-of leaves identical rows (values are rounded and typed the same way on every write). Writing an as-of
when later ones are stored raises ``LaterAsOfExists`` unless ``force=True`` (the caller then recomputes the
later months: each month's watchlist depends on the one before). Decisions are never touched by a write:
they are the desk's record.

Rating overrides (``rating_overrides``: proposed, then approved or rejected by a second person) and the
interaction log (``interactions``: the data's ``interactions`` table imported idempotently, plus the contacts
logged by ``workbench accounts log``) are records too: no as-of write touches them. Every override and
interaction carries when it was recorded, so a report for an earlier as-of reads them as they stood then
(``read_interactions(as_of)``, ``overrides.approved_grades``). The rules they obey are pure and live in
``workbench.accounts.overrides`` and ``workbench.accounts.calendar``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..locking import file_lock
from ..paths import state_dir
from .calendar import INTERACTION_COLUMNS, check_interaction, interactions_as_of, normalise_interactions
from .overrides import (
    OVERRIDE_COLUMNS,
    check_override_decision,
    check_proposal,
    normalise_overrides,
)
from .watchlist import (
    SCORE_DECIMALS,
    WATCHLIST_COLUMNS,
    WatchlistParams,
    case_with_decisions,
    check_decision,
    decision_outcome,
    normalise_decisions,
    normalise_watchlist,
)

__all__ = [
    "ENV_VAR",
    "METADATA",
    "MIGRATIONS_DIR",
    "VERSION_TABLE",
    "AccountsDatabaseUnreachable",
    "LaterAsOfExists",
    "RecordedDecision",
    "RecordedOverride",
    "RecordedInteraction",
    "InteractionImport",
    "AccountsStore",
    "accounts_url",
    "display_url",
    "tiers_frame",
    "alerts_frame",
]

#: Environment variable naming the accounts database (any SQLAlchemy URL).
ENV_VAR = "WORKBENCH_ACCOUNTS_DB"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Alembic's bookkeeping table; not the default ``alembic_version``, so the accounts schema can share a
#: PostgreSQL database with MLflow's (which keeps its own ``alembic_version``).
VERSION_TABLE = "accounts_alembic_version"
#: Key of the PostgreSQL advisory lock two processes migrating at once queue on (any constant of our own).
_PG_MIGRATION_LOCK = 0x57_4B_41_43  # "WKAC"
#: Key of the PostgreSQL advisory lock that serialises the store's check-then-write transactions.
_PG_WRITE_LOCK = 0x57_4B_41_57  # "WKAW"
_OBLIGOR = sa.String(64)
_PERSON = sa.String(200)
_LEVEL = sa.String(8)

METADATA = sa.MetaData()

AS_OF_RUNS = sa.Table(
    "as_of_runs", METADATA,
    sa.Column("as_of", sa.Date, primary_key=True),
    # Kept from the first write of the as-of: a rerun changes no row but this one's written_at and run_id.
    sa.Column("first_written_at", sa.DateTime, nullable=False, comment="UTC"),
    sa.Column("written_at", sa.DateTime, nullable=False, comment="UTC"),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("params_hash", sa.String(64), nullable=True),
    sa.Column("data_fingerprint", sa.String(128), nullable=True),
    sa.Column("n_obligors", sa.Integer, nullable=False),
    sa.Column("n_watchlist", sa.Integer, nullable=False),
)

TIERS = sa.Table(
    "tiers", METADATA,
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("obligor_id", _OBLIGOR, primary_key=True),
    sa.Column("tier", sa.String(8), nullable=False),
    sa.Column("rule", sa.Text, nullable=True),
    sa.Column("value_score", sa.Double, nullable=True),
)

ALERTS = sa.Table(
    "alerts", METADATA,
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("obligor_id", _OBLIGOR, primary_key=True),
    sa.Column("level", _LEVEL, nullable=False),
    sa.Column("score", sa.Double, nullable=True),
    sa.Column("n_signals", sa.Integer, nullable=True),
    sa.Column("reasons", sa.Text, nullable=True),
)

WATCHLIST = sa.Table(
    "watchlist", METADATA,
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("obligor_id", _OBLIGOR, primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("on_list", sa.Boolean, nullable=False),
    sa.Column("level", _LEVEL, nullable=True),
    sa.Column("previous_level", _LEVEL, nullable=True),
    sa.Column("score", sa.Double, nullable=True),
    sa.Column("reasons", sa.Text, nullable=True),
    sa.Column("entered", sa.Date, nullable=True),
    sa.Column("months_on_list", sa.Integer, nullable=False),
    sa.Column("amber_streak", sa.Integer, nullable=False),
    sa.Column("owner", _PERSON, nullable=True),
    sa.Column("assessment", sa.Text, nullable=True),
    sa.Column("plan", sa.Text, nullable=True),
    sa.Column("plan_by", _PERSON, nullable=True),
    sa.Column("plan_due", sa.Date, nullable=True),
    sa.Column("plan_overdue", sa.Boolean, nullable=False),
    sa.Column("workout_overdue", sa.Boolean, nullable=False),
    sa.Column("kept", sa.Boolean, nullable=False),
    sa.Column("decisions", sa.Text, nullable=True),
    sa.Column("remark", sa.Text, nullable=True),
    sa.Index("ix_watchlist_obligor_id", "obligor_id"),
)

DECISIONS = sa.Table(
    "watchlist_decisions", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("obligor_id", _OBLIGOR, nullable=False),
    sa.Column("as_of", sa.Date, nullable=False, comment="the as-of whose watchlist the decision was taken on"),
    sa.Column("action", sa.String(8), nullable=False),
    sa.Column("decided_by", _PERSON, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("plan", sa.Text, nullable=True),
    sa.Column("due", sa.Date, nullable=True),
    sa.Column("decided_at", sa.DateTime, nullable=False, comment="UTC"),
    sa.Index("ix_watchlist_decisions_as_of_obligor_id", "as_of", "obligor_id"),
    sa.Index("ix_watchlist_decisions_obligor_id", "obligor_id"),
)

OVERRIDES = sa.Table(
    "rating_overrides", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("obligor_id", _OBLIGOR, nullable=False),
    sa.Column("as_of", sa.Date, nullable=False, comment="the month end the override applies from"),
    sa.Column("model_grade", sa.Integer, nullable=True, comment="the model's grade as the proposer saw it, if given"),
    sa.Column("proposed_grade", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("proposed_by", _PERSON, nullable=False),
    sa.Column("proposed_at", sa.DateTime, nullable=False, comment="UTC"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decided_by", _PERSON, nullable=True),
    sa.Column("decided_at", sa.DateTime, nullable=True, comment="UTC"),
    sa.Column("decision_note", sa.Text, nullable=True),
    sa.CheckConstraint("status in ('proposed', 'approved', 'rejected')", name="ck_rating_overrides_status"),
    sa.Index("ix_rating_overrides_obligor_id", "obligor_id"),
)

INTERACTIONS = sa.Table(
    "interactions", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("obligor_id", _OBLIGOR, nullable=False),
    sa.Column("date", sa.Date, nullable=False, comment="the day of the contact"),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("topic", sa.String(32), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("recorded_at", sa.DateTime, nullable=False, comment="UTC"),
    sa.Column("recorded_by", _PERSON, nullable=True),
    sa.Column("source", sa.String(8), nullable=False, comment="data (imported) or manual (workbench accounts log)"),
    # Tells apart identical contacts of the data (same obligor, day, channel, topic); NULL for manual rows,
    # and NULLs are distinct in a unique constraint (SQLite, PostgreSQL): only the data's rows are keyed.
    sa.Column("seq", sa.Integer, nullable=True, comment="occurrence among identical data rows; NULL if manual"),
    sa.UniqueConstraint("source", "obligor_id", "date", "channel", "topic", "seq", name="uq_interactions_data_key"),
    sa.CheckConstraint("source in ('data', 'manual')", name="ck_interactions_source"),
    sa.Index("ix_interactions_obligor_id_date", "obligor_id", "date"),
)

_AS_OF_TABLES = (TIERS, ALERTS, WATCHLIST, AS_OF_RUNS)
_DATA_KEY = ("obligor_id", "date", "channel", "topic", "seq")


class AccountsDatabaseUnreachable(ConnectionError):
    """The accounts database cannot be used; the message names the URL (password hidden) and why."""


class LaterAsOfExists(RuntimeError):
    """Writing an as-of while later ones are stored: their watchlists were built on the one being replaced."""

    def __init__(self, as_of: dt.date, later: list[dt.date]):
        self.as_of, self.later = as_of, later
        shown = ", ".join(str(d) for d in later[:6]) + (f" and {len(later) - 6} more" if len(later) > 6 else "")
        super().__init__(f"refusing to rewrite as-of {as_of}: later as-of dates are stored ({shown}) and their "
                         "watchlists follow from this one; pass --force to rewrite it and recompute them forward")


@dataclass(frozen=True)
class RecordedDecision:
    """A decision as stored, with the case it was taken on and what the next run does with it."""

    id: int
    obligor_id: str
    as_of: dt.date
    action: str
    decided_by: str
    note: str
    plan: str | None
    due: dt.date | None
    decided_at: dt.datetime
    status: str
    outcome: str

    def summary(self) -> str:
        due = f", due {self.due}" if self.due else ""
        return (f"recorded decision #{self.id}: {self.action} {self.obligor_id} by {self.decided_by} on the "
                f"watchlist of {self.as_of} (status '{self.status}'){due}")


@dataclass(frozen=True)
class RecordedOverride:
    """An override as stored after a proposal or a decision."""

    id: int
    obligor_id: str
    as_of: dt.date
    model_grade: int | None
    proposed_grade: int
    reason: str
    proposed_by: str
    proposed_at: dt.datetime
    status: str
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str | None = None

    def summary(self) -> str:
        model = f"model grade {self.model_grade}" if self.model_grade is not None else "model grade not given"
        head = (f"override #{self.id}: {self.obligor_id} grade {self.proposed_grade} ({model}) from {self.as_of}, "
                f"proposed by {self.proposed_by}")
        if self.status == "proposed":
            return f"{head}; awaiting approval by a second person"
        return f"{head}; {self.status} by {self.decided_by}"


@dataclass(frozen=True)
class RecordedInteraction:
    """A contact logged by hand."""

    id: int
    obligor_id: str
    date: dt.date
    channel: str
    topic: str
    note: str
    recorded_at: dt.datetime
    recorded_by: str | None

    def summary(self) -> str:
        by = f" by {self.recorded_by}" if self.recorded_by else ""
        return (f"logged interaction #{self.id}: {self.obligor_id} {self.channel} on {self.date} about "
                f"{self.topic}{by} (recorded {self.recorded_at:%Y-%m-%d %H:%M} UTC)")


@dataclass(frozen=True)
class InteractionImport:
    """What ``import_interactions`` did: rows added, rows already stored, data rows pruned."""

    added: int
    already_stored: int
    pruned: int = 0


# --------------------------------------------------------------------------- URL and frames


def accounts_url(url: str | None = None) -> str:
    """``url``, else ``WORKBENCH_ACCOUNTS_DB``, else ``sqlite:///<state dir>/accounts.db`` (absolute)."""
    if url and url.strip():
        return url.strip()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    return f"sqlite:///{(state_dir() / 'accounts.db').as_posix()}"


def display_url(url: str) -> str:
    """The URL with its password masked, fit for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL: show it without anything after a colon-at
        return url.split("@")[-1] if "@" in url else url


def _as_of_date(value: Any) -> dt.date:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError("as_of is missing")
    return (ts.normalize() + pd.offsets.MonthEnd(0)).date()


def _check_as_of_column(frame: pd.DataFrame, column: str, as_of: dt.date, table: str) -> None:
    if column not in frame.columns or frame.empty:
        return
    dates = pd.to_datetime(frame[column]).dt.date
    other = sorted({str(d) for d in dates[dates != as_of]})
    if other:
        raise ValueError(f"{table} rows for as-of {as_of} hold rows of {', '.join(other[:5])} in '{column}'")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{table} frame lacks columns {missing} (has {list(frame.columns)})")
    dup = frame.loc[frame["obligor_id"].duplicated(), "obligor_id"]
    if len(dup):
        raise ValueError(f"{table} frame holds more than one row for obligors {dup.head(5).tolist()}")


def _text(values: pd.Series) -> pd.Series:
    s = values.astype(object)
    s = s.where(s.notna(), None)
    return pd.Series(s.tolist(), index=values.index, dtype="str")


def tiers_frame(frame: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    """The tiers rows as stored and read back: as_of, obligor_id, tier, rule, value_score (rounded)."""
    day = _as_of_date(as_of)
    _require(frame, ("obligor_id", "tier", "rule", "value_score"), "tiers")
    _check_as_of_column(frame, "obs_date" if "obs_date" in frame.columns else "as_of", day, "tiers")
    f = frame.reset_index(drop=True)
    if f["tier"].isna().any():
        raise ValueError(f"tiers frame: no tier for obligors {f.loc[f['tier'].isna(), 'obligor_id'].head(5).tolist()}")
    out = pd.DataFrame({
        "as_of": pd.Series(pd.Timestamp(day), index=f.index).astype("datetime64[ns]"),
        "obligor_id": _text(f["obligor_id"]),
        "tier": _text(f["tier"]),
        "rule": _text(f["rule"]),
        "value_score": pd.to_numeric(f["value_score"]).astype("float64").round(SCORE_DECIMALS),
    })
    return out.sort_values("obligor_id", kind="stable").reset_index(drop=True)


def alerts_frame(frame: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    """The alerts rows as stored and read back: as_of, obligor_id, level, score (rounded), n_signals
    (nullable integer), reasons (lists joined with '; ')."""
    day = _as_of_date(as_of)
    _require(frame, ("obligor_id", "level"), "alerts")
    _check_as_of_column(frame, "obs_date" if "obs_date" in frame.columns else "as_of", day, "alerts")
    f = frame.reset_index(drop=True)
    reasons = f["reasons"] if "reasons" in f.columns else pd.Series(None, index=f.index, dtype=object)
    reasons = reasons.map(lambda r: "; ".join(map(str, r)) if isinstance(r, (list, tuple, np.ndarray)) else r)
    n_signals = f["n_signals"] if "n_signals" in f.columns else pd.Series(None, index=f.index, dtype=object)
    out = pd.DataFrame({
        "as_of": pd.Series(pd.Timestamp(day), index=f.index).astype("datetime64[ns]"),
        "obligor_id": _text(f["obligor_id"]),
        "level": _text(f["level"]),
        "score": (pd.to_numeric(f["score"]).astype("float64") if "score" in f.columns
                  else pd.Series(np.nan, index=f.index)).round(SCORE_DECIMALS),
        "n_signals": pd.to_numeric(n_signals).astype("Int64"),
        "reasons": _text(reasons),
    })
    return out.sort_values("obligor_id", kind="stable").reset_index(drop=True)


def _py(value: Any) -> Any:
    """A frame cell as the plain Python value the database driver takes (None for every kind of missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(frame: pd.DataFrame, date_columns: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The frame's rows as the plain Python values the driver takes, converted a column at a time
    (a cell-by-cell conversion costs more than the database write itself)."""
    columns = {}
    for col in frame.columns:
        values = frame[col].astype(object)
        values = values.where(frame[col].notna(), None).tolist()
        if col in date_columns:
            values = [v.date() if isinstance(v, dt.datetime) else v for v in values]
        else:
            values = [_py(v) for v in values] if frame[col].dtype == object else values
        columns[col] = values
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())]


def _utcnow() -> dt.datetime:
    # Stored naive, in UTC: SQLite keeps no time zone and PostgreSQL's TIMESTAMP then reads the same.
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _frame(result: sa.CursorResult[Any], columns: list[str]) -> pd.DataFrame:
    rows = result.mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


def _check_lengths(table: sa.Table, rows: pd.DataFrame | Mapping[str, Any]) -> None:
    """Refuse a text longer than its ``VARCHAR(n)`` column, on every backend: PostgreSQL raises on it in the
    middle of a write, SQLite stores it whole, and a store must not accept on one what it refuses on the other."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame([dict(rows)])
    for column in table.columns:
        length = getattr(column.type, "length", None)
        if not length or column.name not in frame.columns or frame.empty:
            continue
        values = frame[column.name]
        try:
            lengths = values.str.len()  # vectorised; NaN for a missing value
        except AttributeError:  # not a text column (all missing, or numbers): only its texts can be too long
            lengths = values.map(lambda v: len(v) if isinstance(v, str) else 0)
        long = values[lengths.fillna(0) > length].astype(str)
        if len(long):
            raise ValueError(f"{table.name}.{column.name} takes at most {length} characters; {len(long)} value(s) "
                             f"are longer, e.g. {long.iloc[0][:80]!r} ({len(long.iloc[0])} characters)")


def _sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL (any driver spelling: ``sqlite:///``, ``sqlite+pysqlite:///``), None
    for another backend, an in-memory database or a ``file:`` URI (no file of ours to lock beside it)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


# --------------------------------------------------------------------------- the store


class AccountsStore:
    """Tiers, alerts, watchlist rows and decisions, rating overrides and the interaction log in one SQLAlchemy
    database. Use ``AccountsStore.open()``
    (checks and migrates); the constructor alone neither connects nor migrates."""

    def __init__(self, url: str | None = None, *, connect_timeout_s: int = 10):
        self.url = accounts_url(url)
        self._connect_timeout_s = connect_timeout_s
        self._engine: Engine | None = None

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> AccountsStore:
        """The store at ``url`` (see ``accounts_url``), reachable and at the schema head; raises
        ``AccountsDatabaseUnreachable`` before anything else when it is not."""
        store = cls(url)
        store.check()
        if migrate:
            store.upgrade()
        return store

    def __enter__(self) -> AccountsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _unreachable(self, reason: str) -> AccountsDatabaseUnreachable:
        return AccountsDatabaseUnreachable(f"accounts database unreachable: {display_url(self.url)}: {reason}")

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            try:
                url = sa.make_url(self.url)
            except sa.exc.ArgumentError as exc:
                raise self._unreachable(f"not a database URL ({exc}); set {ENV_VAR} to an SQLAlchemy URL such "
                                        "as sqlite:////path/accounts.db or postgresql+psycopg://user@host/db") from None
            connect_args: dict[str, Any] = {}
            if url.get_backend_name() == "sqlite":
                connect_args["timeout"] = 30  # seconds a writer waits for another's lock
            elif url.get_backend_name() == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2"):
                # libpq's option (pg8000 and others spell it differently): an unreachable server fails fast.
                connect_args["connect_timeout"] = self._connect_timeout_s
            try:
                self._engine = sa.create_engine(url, connect_args=connect_args)
            except (ImportError, sa.exc.NoSuchModuleError) as exc:
                raise self._unreachable(f"no database driver for '{url.drivername}' ({exc}); install the driver "
                                        "(e.g. psycopg[binary] for postgresql://) or name one in the URL") from None
        return self._engine

    def check(self) -> None:
        """Raise ``AccountsDatabaseUnreachable`` (URL without password, and why) unless the database answers a
        query. The CLI calls this before any computation."""
        database = _sqlite_file(self.url)
        if database is not None and not database.parent.is_dir():
            raise self._unreachable(f"the directory {database.parent} does not exist")
        engine = self.engine
        probe = "select count(*) from sqlite_master" if engine.dialect.name == "sqlite" else "select 1"
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(probe).scalar()
        except sa.exc.DBAPIError as exc:
            text = str(getattr(exc, "orig", None) or exc).strip()
            raise self._unreachable(text.splitlines()[0] if text else type(exc).__name__) from None

    def _migration_lock(self) -> contextlib.AbstractContextManager[None]:
        database = _sqlite_file(self.url)
        if database is None:  # PostgreSQL takes an advisory lock in ``upgrade``; an in-memory SQLite needs none
            return contextlib.nullcontext()
        return file_lock(database.with_name(database.name + ".lock"))

    def alembic_config(self, connection: Connection | None = None):  # -> alembic.config.Config
        """Alembic's configuration for this database: the packaged migrations, our version table."""
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["url"] = self.url
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (default head); SQLite under a file lock, in WAL mode."""
        from alembic import command

        with self._migration_lock():
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # The server's equivalent of the file lock: held until this transaction ends.
                    conn.exec_driver_sql(f"select pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
                command.upgrade(self.alembic_config(conn), revision)
            if self.engine.dialect.name == "sqlite":
                with self.engine.connect() as conn:
                    # Readers (a report, `watchlist show`) then never wait for a writer.
                    conn.exec_driver_sql("PRAGMA journal_mode=WAL")

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (None before the first migration)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()

    @contextlib.contextmanager
    def _begin(self, *, serialise: bool = False) -> Iterator[Connection]:
        """A transaction. ``serialise``: it reads, checks and then writes, and two of them must not interleave
        (two writes of one as-of would both delete nothing and collide on the insert; two imports of the same
        contacts both find them new). The lock is taken before the first read and held until the commit:
        PostgreSQL queues on an advisory lock; SQLite takes its write lock at once (``BEGIN IMMEDIATE``, since
        the driver would begin only at the first write, after the reads)."""
        with self.engine.begin() as conn:
            if serialise and conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_WRITE_LOCK)))
            elif serialise and conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn

    # ------------------------------------------------------------------ as-of dates

    def stored_as_of(self) -> list[dt.date]:
        """Every as-of written, oldest first."""
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(AS_OF_RUNS.c.as_of).order_by(AS_OF_RUNS.c.as_of)).scalars())

    def latest_as_of(self) -> dt.date | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(AS_OF_RUNS.c.as_of))).scalar()

    def previous_as_of(self, as_of: Any) -> dt.date | None:
        """The latest stored as-of before ``as_of`` (None if there is none)."""
        day = _as_of_date(as_of)
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(AS_OF_RUNS.c.as_of)).where(AS_OF_RUNS.c.as_of < day)).scalar()

    def as_of_runs(self) -> pd.DataFrame:
        """One row per stored as-of: when it was first and last written, by which run, from which params and data."""
        with self.engine.connect() as conn:
            result = conn.execute(sa.select(AS_OF_RUNS).order_by(AS_OF_RUNS.c.as_of))
            return _frame(result, [c.name for c in AS_OF_RUNS.columns])

    # ------------------------------------------------------------------ writing an as-of

    def write_as_of(self, as_of: Any, tiers: pd.DataFrame, alerts: pd.DataFrame, watchlist: pd.DataFrame,
                    meta: Mapping[str, Any] | None = None, force: bool = False) -> None:
        """Replace the tiers, alerts, watchlist and run rows of ``as_of`` in one transaction (decisions and other
        as-of dates are not touched). ``meta``: ``run_id``, ``params_hash``, ``data_fingerprint`` and optionally
        ``written_at`` (UTC; default now). Raises ``LaterAsOfExists`` when later as-of dates are stored, unless
        ``force``: the caller must then recompute those forward."""
        day = _as_of_date(as_of)
        meta = dict(meta or {})
        unknown = set(meta) - {"run_id", "params_hash", "data_fingerprint", "written_at"}
        if unknown:
            raise KeyError(f"write_as_of: unknown meta keys {sorted(unknown)}")
        tier_frame, alert_frame = tiers_frame(tiers, day), alerts_frame(alerts, day)
        wl = _watchlist_for_write(watchlist, day)
        for table, frame in ((TIERS, tier_frame), (ALERTS, alert_frame), (WATCHLIST, wl)):
            _check_lengths(table, frame)
        _check_lengths(AS_OF_RUNS, {k: meta.get(k) for k in ("run_id", "params_hash", "data_fingerprint")})
        tier_rows = _records(tier_frame, ("as_of",))
        alert_rows = _records(alert_frame, ("as_of",))
        watch_rows = _records(wl, ("as_of", "entered", "plan_due"))
        written_at = meta.get("written_at") or _utcnow()
        if isinstance(written_at, dt.datetime) and written_at.tzinfo is not None:
            written_at = written_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
        with self._begin(serialise=True) as conn:
            later = list(conn.execute(sa.select(AS_OF_RUNS.c.as_of).where(AS_OF_RUNS.c.as_of > day)
                                      .order_by(AS_OF_RUNS.c.as_of)).scalars())
            if later and not force:
                raise LaterAsOfExists(day, later)
            first = conn.execute(sa.select(AS_OF_RUNS.c.first_written_at).where(AS_OF_RUNS.c.as_of == day)).scalar()
            for table in _AS_OF_TABLES:
                conn.execute(sa.delete(table).where(table.c.as_of == day))
            for table, rows in ((TIERS, tier_rows), (ALERTS, alert_rows), (WATCHLIST, watch_rows)):
                if rows:
                    conn.execute(sa.insert(table), rows)
            conn.execute(sa.insert(AS_OF_RUNS), [{
                "as_of": day, "first_written_at": first or written_at, "written_at": written_at,
                "run_id": meta.get("run_id"), "params_hash": meta.get("params_hash"),
                "data_fingerprint": meta.get("data_fingerprint"), "n_obligors": len(alert_rows),
                "n_watchlist": int(wl["on_list"].sum()),
            }])

    # ------------------------------------------------------------------ reading an as-of

    def _read(self, table: sa.Table, as_of: Any) -> pd.DataFrame:
        day = _as_of_date(as_of)
        with self.engine.connect() as conn:
            result = conn.execute(sa.select(table).where(table.c.as_of == day).order_by(table.c.obligor_id))
            return _frame(result, [c.name for c in table.columns])

    def read_tiers(self, as_of: Any) -> pd.DataFrame:
        return tiers_frame(self._read(TIERS, as_of), as_of)

    def read_alerts(self, as_of: Any) -> pd.DataFrame:
        return alerts_frame(self._read(ALERTS, as_of), as_of)

    def read_watchlist(self, as_of: Any | None = None) -> pd.DataFrame:
        """The watchlist rows of ``as_of`` (default: the latest stored), as ``watchlist_step`` made them."""
        if as_of is None:
            as_of = self.latest_as_of()
            if as_of is None:
                return normalise_watchlist(pd.DataFrame(columns=list(WATCHLIST_COLUMNS)))
        return normalise_watchlist(self._read(WATCHLIST, as_of))

    def watchlist_history(self, obligor_id: str) -> pd.DataFrame:
        """Every stored watchlist row of one obligor, oldest first."""
        with self.engine.connect() as conn:
            result = conn.execute(sa.select(WATCHLIST).where(WATCHLIST.c.obligor_id == obligor_id)
                                  .order_by(WATCHLIST.c.as_of))
            return normalise_watchlist(_frame(result, [c.name for c in WATCHLIST.columns]))

    # ------------------------------------------------------------------ decisions

    def decisions_for(self, as_of: Any) -> pd.DataFrame:
        """The decisions taken on the watchlist of ``as_of`` (the next as-of's step applies them)."""
        day = _as_of_date(as_of)
        with self.engine.connect() as conn:
            result = conn.execute(sa.select(DECISIONS).where(DECISIONS.c.as_of == day)
                                  .order_by(DECISIONS.c.decided_at, DECISIONS.c.id))
            return normalise_decisions(_frame(result, [c.name for c in DECISIONS.columns]))

    def decisions_history(self, obligor_id: str | None = None) -> pd.DataFrame:
        """Every recorded decision (of one obligor), in the order they were taken."""
        query = sa.select(DECISIONS).order_by(DECISIONS.c.decided_at, DECISIONS.c.id)
        if obligor_id is not None:
            query = query.where(DECISIONS.c.obligor_id == obligor_id)
        with self.engine.connect() as conn:
            return normalise_decisions(_frame(conn.execute(query), [c.name for c in DECISIONS.columns]))

    def record_decision(self, obligor_id: str, action: str, by: str, note: str, *, due: Any = None,
                        plan: str | None = None, decided_at: dt.datetime | None = None,
                        params: WatchlistParams | None = None) -> RecordedDecision:
        """Record a decision on ``obligor_id``'s case in the latest stored watchlist, after ``check_decision``
        (with the plans already recorded on it) allows it; the next as-of's run applies it. Refusals are
        ValueErrors saying why: no as-of stored, an unknown obligor, one not on the watchlist, an exit before
        the signals cleared or by the case's owner or plan recorder, no note, a due date not after the as-of."""
        params = params or WatchlistParams()
        obligor_id = str(obligor_id).strip()
        if not note or not str(note).strip():
            raise ValueError("say why (--note TEXT): every watchlist decision is recorded with its reason")
        if action not in ("exit", "keep", "plan"):
            check_decision(None, action, by, params)  # raises naming the allowed actions
        due_date = None if due is None or (isinstance(due, str) and not due.strip()) else pd.Timestamp(due).date()
        decided_at = decided_at or _utcnow()
        if decided_at.tzinfo is not None:
            decided_at = decided_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
        with self._begin(serialise=True) as conn:
            as_of = conn.execute(sa.select(sa.func.max(AS_OF_RUNS.c.as_of))).scalar()
            if as_of is None:
                raise ValueError("no as-of is stored yet: run the monitoring report first (workbench report "
                                 "monitoring), then decide on its watchlist")
            result = conn.execute(sa.select(WATCHLIST).where(WATCHLIST.c.as_of == as_of,
                                                             WATCHLIST.c.obligor_id == obligor_id))
            found = _frame(result, [c.name for c in WATCHLIST.columns])
            if found.empty:
                level = conn.execute(sa.select(ALERTS.c.level).where(ALERTS.c.as_of == as_of,
                                                                     ALERTS.c.obligor_id == obligor_id)).scalar()
                if level is None:
                    raise ValueError(f"unknown obligor '{obligor_id}': not in the portfolio at the latest as-of "
                                     f"{as_of}")
                raise ValueError(f"{obligor_id} is not on the watchlist at {as_of} (alert level {level}): nothing "
                                 "to decide")
            row = normalise_watchlist(found).iloc[0].to_dict()
            pending = conn.execute(sa.select(DECISIONS).where(DECISIONS.c.as_of == as_of,
                                                                        DECISIONS.c.obligor_id == obligor_id)
                                   .order_by(DECISIONS.c.decided_at, DECISIONS.c.id))
            case = case_with_decisions(row, _frame(pending, [c.name for c in DECISIONS.columns]))
            check_decision(case, action, by, params)
            if action == "exit" and due_date is not None:
                raise ValueError("an exit takes no due date (--due is for a plan or a keep)")
            if action == "plan" and due_date is None:
                due_date = as_of + dt.timedelta(days=params.plan_due_days)
            if due_date is not None and due_date <= as_of:
                raise ValueError(f"the due date {due_date} is not after the as-of {as_of} decided on")
            values = {"obligor_id": obligor_id, "as_of": as_of, "action": action, "decided_by": str(by).strip(),
                      "note": str(note).strip(), "plan": plan.strip() if plan and plan.strip() else None,
                      "due": due_date, "decided_at": decided_at}
            _check_lengths(DECISIONS, values)
            new_id = conn.execute(sa.insert(DECISIONS).values(**values)).inserted_primary_key[0]
        return RecordedDecision(id=int(new_id), status=str(row["status"]),
                                outcome=decision_outcome(action, by=values["decided_by"], due=due_date), **values)

    # ------------------------------------------------------------------ obligors the store knows

    def known_obligor(self, obligor_id: str) -> bool:
        """Whether ``obligor_id`` was ever seen here: in the tiers, alerts or watchlist of any stored as-of (the
        alerts cover every scored obligor of a month) or in the interaction log (the data's import included).
        An obligor the store never saw is refused by ``log_interaction`` and ``propose_override``."""
        obligor_id = str(obligor_id).strip()
        with self.engine.connect() as conn:
            for table in (ALERTS, TIERS, WATCHLIST, INTERACTIONS):
                found = conn.execute(sa.select(table.c.obligor_id).where(table.c.obligor_id == obligor_id)
                                     .limit(1)).first()
                if found is not None:
                    return True
        return False

    def _require_known(self, obligor_id: str) -> None:
        if not self.known_obligor(obligor_id):
            raise ValueError(f"unknown obligor '{obligor_id}': not in any stored tiers, alerts or watchlist and "
                             "without an imported interaction; run the monitoring report (or import the data's "
                             "interactions) first")

    # ------------------------------------------------------------------ rating overrides

    def read_overrides(self, obligor_id: str | None = None) -> pd.DataFrame:
        """Every override (of one obligor), in the order proposed (``overrides.normalise_overrides``)."""
        query = sa.select(OVERRIDES).order_by(OVERRIDES.c.proposed_at, OVERRIDES.c.id)
        if obligor_id is not None:
            query = query.where(OVERRIDES.c.obligor_id == str(obligor_id).strip())
        with self.engine.connect() as conn:
            return normalise_overrides(_frame(conn.execute(query), [c.name for c in OVERRIDES.columns]))

    def propose_override(self, obligor_id: str, grade: Any, reason: str, by: str, *, as_of: Any = None,
                         model_grade: Any = None, proposed_at: dt.datetime | None = None) -> RecordedOverride:
        """Record a proposal of ``grade`` for ``obligor_id`` applying from the month end of ``as_of`` (default:
        the month of the proposal), after ``check_proposal`` allows it: a known obligor, a proposer, a reason,
        a master-scale grade other than ``model_grade`` (None: not given), no proposal of it still open."""
        obligor_id = str(obligor_id).strip()
        proposed_at = _naive_utc(proposed_at)
        day = _as_of_date(proposed_at if as_of is None or (isinstance(as_of, str) and not as_of.strip()) else as_of)
        self._require_known(obligor_id)
        with self._begin(serialise=True) as conn:
            open_rows = _frame(conn.execute(sa.select(OVERRIDES).where(OVERRIDES.c.obligor_id == obligor_id,
                                                                       OVERRIDES.c.status == "proposed")),
                               [c.name for c in OVERRIDES.columns])
            proposed, model = check_proposal(obligor_id, grade, model_grade, reason, by, open_rows)
            values = {"obligor_id": obligor_id, "as_of": day, "model_grade": model, "proposed_grade": proposed,
                      "reason": str(reason).strip(), "proposed_by": str(by).strip(), "proposed_at": proposed_at,
                      "status": "proposed", "decided_by": None, "decided_at": None, "decision_note": None}
            _check_lengths(OVERRIDES, values)
            new_id = conn.execute(sa.insert(OVERRIDES).values(**values)).inserted_primary_key[0]
        return RecordedOverride(id=int(new_id), **values)

    def decide_override(self, override_id: int, action: str, by: str, note: str | None = None, *,
                        decided_at: dt.datetime | None = None) -> RecordedOverride:
        """Approve or reject (``action``) the open override ``override_id`` after ``check_override_decision``
        allows it: a second person (not the proposer), a note for a rejection."""
        decided_at = _naive_utc(decided_at)
        with self._begin() as conn:
            found = _frame(conn.execute(sa.select(OVERRIDES).where(OVERRIDES.c.id == int(override_id))),
                           [c.name for c in OVERRIDES.columns])
            if found.empty:
                raise ValueError(f"no override #{override_id} is recorded (see workbench accounts overrides)")
            row = normalise_overrides(found).iloc[0].to_dict()
            status = check_override_decision(row, action, by, note)
            values = {"status": status, "decided_by": str(by).strip(), "decided_at": decided_at,
                      "decision_note": str(note).strip() if note and str(note).strip() else None}
            _check_lengths(OVERRIDES, values)
            # Guarded on the status: two deciders at once, only the first one wins.
            done = conn.execute(sa.update(OVERRIDES).where(OVERRIDES.c.id == int(override_id),
                                                           OVERRIDES.c.status == "proposed").values(**values))
            if done.rowcount != 1:
                raise ValueError(f"override #{override_id} was decided meanwhile by someone else")
        return _override_record({**row, **values})

    def approve_override(self, override_id: int, by: str, note: str | None = None, *,
                         decided_at: dt.datetime | None = None) -> RecordedOverride:
        return self.decide_override(override_id, "approve", by, note, decided_at=decided_at)

    def reject_override(self, override_id: int, by: str, note: str, *,
                        decided_at: dt.datetime | None = None) -> RecordedOverride:
        return self.decide_override(override_id, "reject", by, note, decided_at=decided_at)

    # ------------------------------------------------------------------ the interaction log

    def import_interactions(self, frame: pd.DataFrame, recorded_at: dt.datetime | None = None, *,
                            prune: bool = False) -> InteractionImport:
        """Import the data's ``interactions`` table (obligor_id, date, channel, topic; optionally note,
        recorded_at) as source 'data', idempotently: a row already stored (same obligor, day, channel, topic
        and occurrence ``seq`` among identical rows) is not added again and keeps its first recording time.
        ``recorded_at``: when the rows were recorded (UTC) if the frame does not say; default each contact's
        own day (the data is the CRM's record, entered when the contact happened). ``prune``: delete the
        stored data rows the frame no longer holds (the data was regenerated or corrected); manual rows are
        never touched."""
        rows = _data_interactions(frame, recorded_at)
        _check_lengths(INTERACTIONS, rows)
        key = list(_DATA_KEY)
        with self._begin(serialise=True) as conn:
            stored = _frame(conn.execute(sa.select(INTERACTIONS.c.id, *[INTERACTIONS.c[k] for k in key])
                                         .where(INTERACTIONS.c.source == "data")), ["id", *key])
            stored["date"] = pd.to_datetime(stored["date"]).astype("datetime64[ns]")
            stored["seq"] = pd.to_numeric(stored["seq"]).astype("int64")
            for column in ("obligor_id", "channel", "topic"):
                stored[column] = _text(stored[column])
            merged = rows.merge(stored, on=key, how="left", indicator=True)
            new = rows[(merged["_merge"] == "left_only").to_numpy()]
            pruned = 0
            if prune and len(stored):
                gone = stored.merge(rows[key], on=key, how="left", indicator=True)
                gone_ids = gone.loc[gone["_merge"] == "left_only", "id"].astype(int).tolist()
                for start in range(0, len(gone_ids), 500):
                    conn.execute(sa.delete(INTERACTIONS).where(INTERACTIONS.c.id.in_(gone_ids[start:start + 500])))
                pruned = len(gone_ids)
            if len(new):
                conn.execute(sa.insert(INTERACTIONS), _records(new[[c for c in INTERACTION_COLUMNS if c != "id"]],
                                                                ("date",)))
        return InteractionImport(added=len(new), already_stored=len(rows) - len(new), pruned=pruned)

    def log_interaction(self, obligor_id: str, channel: str, topic: str, note: str, *, date: Any = None,
                        by: str | None = None, recorded_at: dt.datetime | None = None) -> RecordedInteraction:
        """Add a contact by hand (source 'manual'), after ``check_interaction`` allows it (reference channel
        and topic, a note, not dated after today) and the store knows the obligor (``known_obligor``)."""
        obligor_id = str(obligor_id).strip()
        recorded_at = _naive_utc(recorded_at)
        day = check_interaction(channel, topic, note, date, recorded_at)
        self._require_known(obligor_id)
        values = {"obligor_id": obligor_id, "date": day, "channel": channel, "topic": topic,
                  "note": str(note).strip(), "recorded_at": recorded_at,
                  "recorded_by": str(by).strip() if by and str(by).strip() else None}
        _check_lengths(INTERACTIONS, values)
        with self._begin() as conn:
            new_id = conn.execute(sa.insert(INTERACTIONS).values(**values, source="manual", seq=None)
                                  ).inserted_primary_key[0]
        return RecordedInteraction(id=int(new_id), **values)

    def read_interactions(self, as_of: Any = None, obligor_id: str | None = None) -> pd.DataFrame:
        """The interaction log (``calendar.INTERACTION_COLUMNS``), sorted by obligor and date. With ``as_of``:
        as it stood at the end of that day, contacts dated on or before it and recorded by then (a report for
        an earlier as-of ignores later entries)."""
        query = sa.select(INTERACTIONS).order_by(INTERACTIONS.c.obligor_id, INTERACTIONS.c.date, INTERACTIONS.c.id)
        if obligor_id is not None:
            query = query.where(INTERACTIONS.c.obligor_id == str(obligor_id).strip())
        if as_of is not None:
            day = pd.Timestamp(as_of).normalize()
            query = query.where(INTERACTIONS.c.date <= day.date(),
                                INTERACTIONS.c.recorded_at < (day + pd.Timedelta(days=1)).to_pydatetime())
        with self.engine.connect() as conn:
            frame = normalise_interactions(_frame(conn.execute(query), [c.name for c in INTERACTIONS.columns]))
        # The same rule once more in pandas, so that the store and the pure calendar can never disagree.
        return frame if as_of is None else interactions_as_of(frame, as_of)


def _naive_utc(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return _utcnow()
    value = pd.Timestamp(value).to_pydatetime()
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo is not None else value


def _override_record(row: Mapping[str, Any]) -> RecordedOverride:
    values = {c: _py(row[c]) for c in OVERRIDE_COLUMNS}
    for column in ("as_of",):
        values[column] = pd.Timestamp(values[column]).date()
    for column in ("proposed_at", "decided_at"):
        values[column] = None if values[column] is None else pd.Timestamp(values[column]).to_pydatetime()
    values["id"] = int(values["id"])
    values["proposed_grade"] = int(values["proposed_grade"])
    values["model_grade"] = None if values["model_grade"] is None else int(values["model_grade"])
    return RecordedOverride(**values)


def _data_interactions(frame: pd.DataFrame, recorded_at: dt.datetime | None) -> pd.DataFrame:
    """The data's interactions as the rows to store: source 'data', ``seq`` numbering identical contacts, the
    recording time from the frame's ``recorded_at``, else ``recorded_at``, else the contact's own day."""
    from ..reference.codes import CHANNELS, INTERACTION_TOPICS

    for column in ("obligor_id", "date", "channel", "topic"):
        if column not in frame.columns:
            raise KeyError(f"interactions frame lacks column {column!r} (has {list(frame.columns)})")
    f = frame.reset_index(drop=True)
    for column, known in (("channel", CHANNELS), ("topic", INTERACTION_TOPICS)):
        bad = f.loc[~f[column].isin(known), column]
        if len(bad):
            raise ValueError(f"interactions frame: unknown {column} {sorted(set(map(str, bad)))[:5]} in "
                             f"{len(bad)} rows; known: {', '.join(known)}")
    if f["obligor_id"].isna().any() or f["date"].isna().any():
        raise ValueError("interactions frame: rows without obligor_id or date "
                         f"{f.index[f['obligor_id'].isna() | f['date'].isna()][:5].tolist()}")
    out = pd.DataFrame({
        "obligor_id": _text(f["obligor_id"]),
        "date": pd.to_datetime(f["date"]).dt.normalize().astype("datetime64[ns]"),
        "channel": _text(f["channel"]), "topic": _text(f["topic"]),
        "note": _text(f["note"]) if "note" in f.columns else pd.Series(None, index=f.index, dtype="str"),
    })
    out["seq"] = out.groupby(["obligor_id", "date", "channel", "topic"], sort=False).cumcount().astype("int64")
    if "recorded_at" in f.columns:
        out["recorded_at"] = pd.to_datetime(f["recorded_at"]).astype("datetime64[ns]")
    elif recorded_at is not None:
        out["recorded_at"] = pd.Timestamp(_naive_utc(recorded_at))
    else:
        # The data is the CRM's extract: each contact was entered the day it happened.
        out["recorded_at"] = out["date"]
    if out["recorded_at"].isna().any():
        raise ValueError("interactions frame: rows without recorded_at")
    out["recorded_by"] = pd.Series(None, index=out.index, dtype="str")
    out["source"] = "data"
    return out


def _watchlist_for_write(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    wl = normalise_watchlist(frame)
    _check_as_of_column(wl, "as_of", day, "watchlist")
    dup = wl.loc[wl["obligor_id"].duplicated(), "obligor_id"]
    if len(dup):
        raise ValueError(f"watchlist frame holds more than one row for obligors {dup.head(5).tolist()}")
    return wl
