"""A throwaway PostgreSQL server for tests: Debian's package binaries, a loopback port, a temporary directory.

    from .postgres_server import postgres_server, postgres_fixture

    with postgres_server("accounts") as pg:      # a context manager ...
        engine = sa.create_engine(pg.url)         # postgresql+psycopg://postgres@127.0.0.1:PORT/accounts
        other = pg.create_database("optuna")      # ... another database on the same server, its URL

    pg = postgres_fixture("accounts")             # ... or a pytest fixture (module scope), yielding the same

What it does: finds ``initdb`` and ``pg_ctl`` (``/usr/lib/postgresql/<version>/bin``, the newest version, else
``pg_ctl`` on PATH), runs ``initdb`` in a fresh directory under the temp dir, with trust authentication for
TCP on 127.0.0.1 only (and the unix socket, which lives in that directory, not in /var/run), starts the server
on a free loopback port, creates the database and yields a ``PostgresServer`` whose ``url`` is a SQLAlchemy URL
for psycopg 3. On exit, even after a failure, the server is stopped (``pg_ctl stop -m fast``) and the directory
removed. PostgreSQL refuses to run as root: when the tests run as root (uid 0), ``initdb`` and ``pg_ctl`` run
as the ``postgres`` OS user through ``runuser -u postgres --`` and the directory is given to that user;
otherwise they run as the current user.

Durability is switched off (``fsync``, ``synchronous_commit``, ``full_page_writes``) and the memory kept small:
the data is thrown away at the end, and the machine is shared.

Missing binaries (or no ``postgres`` user / ``runuser`` when root, or no psycopg): ``pytest.skip`` saying what
is missing, except with ``CI=true`` where a skip would hide that the check never ran: ``pytest.fail`` then.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "postgres_binaries", "postgres_server", "postgres_fixture"]

#: The OS user the server runs as when the tests run as root.
SERVER_USER = "postgres"
#: The database superuser ``initdb`` creates; trust authentication, so no password.
SUPERUSER = "postgres"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server. ``url``: SQLAlchemy URL of ``database``; ``start_seconds``: how long
    ``initdb`` plus ``pg_ctl start`` took (wall clock)."""

    host: str
    port: int
    database: str
    directory: Path
    start_seconds: float

    @property
    def url(self) -> str:
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """The SQLAlchemy URL (psycopg 3 driver) of ``database`` on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create the database ``name`` (lower-case letters, digits, underscores) and return its URL."""
        _create_database(self.host, self.port, name)
        return self.url_for(name)


def _unavailable(reason: str) -> None:
    """Skip, or fail under CI=true: the issue asks that a PostgreSQL test never silently skips in CI."""
    message = f"PostgreSQL test server unavailable: {reason}"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{message} (CI=true: a skip is a failure; .ci/run installs Debian's postgresql package)",
                    pytrace=False)
    pytest.skip(message)


def postgres_binaries() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: the newest ``/usr/lib/postgresql/<version>/bin``, else
    the directory ``pg_ctl`` on PATH resolves to (if ``initdb`` sits beside it); None when neither has them."""
    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", Path(path).parent.parent.name)) or (0,)

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(os.path.realpath(on_path))
    for pg_ctl in candidates:
        directory = Path(pg_ctl).parent
        if (directory / "initdb").is_file() and os.access(directory / "pg_ctl", os.X_OK):
            return directory
    return None


def _as_server_user() -> list[str]:
    """The command prefix that runs a server binary as a user PostgreSQL accepts (never root)."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        _unavailable("running as root and `runuser` is not installed (PostgreSQL refuses to run as root)")
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        _unavailable(f"running as root and there is no '{SERVER_USER}' OS user to run the server as")
    return [runuser, "-u", SERVER_USER, "--"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(command: list[str], what: str, timeout_s: float) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False,
                          cwd="/")  # the server user may not be allowed into the current directory
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {done.returncode}): {' '.join(command)}\n"
                           f"{done.stdout[-2000:]}{done.stderr[-2000:]}")


def _log_tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-3000:]
    except OSError:
        return "(no server log)"


def _create_database(host: str, port: int, name: str) -> None:
    import psycopg

    if not _NAME.match(name):
        raise ValueError(f"database name {name!r}: use lower-case letters, digits and underscores")
    with psycopg.connect(host=host, port=port, user=SUPERUSER, dbname="postgres", autocommit=True,
                         connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def _kill_postmaster(data: Path) -> None:
    """The last resort when ``pg_ctl stop`` did not stop it: SIGQUIT (immediate shutdown) to the postmaster."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGQUIT)
        for _ in range(50):
            os.kill(pid, 0)  # raises once it is gone
            time.sleep(0.1)


@contextlib.contextmanager
def postgres_server(database: str = "workbench", *, base_dir: str | os.PathLike[str] | None = None,
                    timeout_s: float = 60.0) -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL server holding an empty ``database``, yield it, stop and delete it.

    ``base_dir``: where the temporary directory goes (default the temp dir; it must be reachable by the
    ``postgres`` user when running as root, and short enough for a unix socket path). Raises
    ``RuntimeError`` with the server's log when it does not start; skips or fails (``CI=true``) when
    PostgreSQL is not installed."""
    binaries = postgres_binaries()
    if binaries is None:
        _unavailable("no initdb/pg_ctl in /usr/lib/postgresql/*/bin or on PATH (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401 - the URL names the psycopg driver
    except ImportError:
        _unavailable("the psycopg driver is not installed (pip install 'psycopg[binary]')")
    prefix = _as_server_user()

    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="wb-pg-", dir=base_dir))
    data, log = root / "data", root / "server.log"
    running = False
    try:
        if prefix:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(root, user.pw_uid, user.pw_gid)
        root.chmod(0o700)
        _run([*prefix, str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
              "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"], "initdb", timeout_s)
        # TCP on 127.0.0.1 only; the unix socket in our directory (no /var/run/postgresql needed).
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                       "shared_buffers = 32MB\nmax_connections = 50\n")
        for attempt in range(3):  # another process may take the free port between choosing and binding it
            port = _free_port()
            try:
                _run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                      "-t", str(int(timeout_s)), "-o", f"-p {port}", "start"], "pg_ctl start", timeout_s + 10)
                running = True
                break
            except RuntimeError as exc:
                if attempt == 2 or "could not bind" not in _log_tail(log):
                    raise RuntimeError(f"{exc}\n--- server log ---\n{_log_tail(log)}") from None
        _create_database("127.0.0.1", port, database)
        server = PostgresServer("127.0.0.1", port, database, root, time.perf_counter() - started)
        yield server
    finally:
        if running:
            try:
                _run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                     "pg_ctl stop", 60)
            except (RuntimeError, subprocess.TimeoutExpired):
                _kill_postmaster(data)
        shutil.rmtree(root, ignore_errors=True)


def postgres_fixture(database: str = "workbench", *, scope: str = "module") -> Callable[..., PostgresServer]:
    """A pytest fixture yielding ``postgres_server(database)``: ``pg = postgres_fixture("accounts")`` at module
    level, then ``def test_x(pg): ... pg.url``. Each scope gets its own server."""
    @pytest.fixture(scope=scope)
    def _fixture() -> Iterator[PostgresServer]:
        with postgres_server(database) as server:
            yield server

    return _fixture
