"""A throwaway `mlflow server` on a free loopback port, for the tests that need a real tracking server.

``mlflow_server(root)`` starts ``python -m mlflow server`` with an SQLite backend at an absolute
path under ``root``, artifacts served by the server itself (``--serve-artifacts``, stored under
``root/artifacts``) and one worker; with ``auth=True`` MLflow's basic-auth app
(``--app-name basic-auth``) with its own user database and an admin account. It waits until
``GET /health`` answers and stops the server (its whole process group) when the ``with`` block
ends, whatever happens inside it. The server's log is ``root/server.log``; a server that exits
or does not come up fails with the log's tail.

``as_user(username, password)`` points MLflow's client credentials (``MLFLOW_TRACKING_USERNAME`` /
``MLFLOW_TRACKING_PASSWORD``) at an account for the rest of the test (``monkeypatch``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = ["MlflowServer", "mlflow_server", "free_port", "health_status", "as_user", "ADMIN"]

ADMIN = "admin"
READY_TIMEOUT_S = 90.0  # about 8 s on an idle 2-core machine; a busy one, or a first schema migration, takes longer
_CLIENT_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                     "MLFLOW_TRACKING_TOKEN")


@dataclass(frozen=True)
class MlflowServer:
    url: str
    root: Path
    database: Path
    artifacts: Path
    log: Path
    pid: int
    admin_password: str = ""  # with auth: the admin account's password (user ADMIN)

    @property
    def auth(self) -> bool:
        return bool(self.admin_password)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_status(url: str) -> int | None:
    """The HTTP status of ``GET <url>/health``; None when nothing answers."""
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _auth_config(root: Path, admin_password: str) -> Path:
    # The keys of mlflow/server/auth/basic_auth.ini; the user database at an absolute path beside the backend.
    ini = root / "basic_auth.ini"
    ini.write_text("[mlflow]\n"
                   "default_permission = READ\n"
                   f"database_uri = sqlite:///{(root / 'basic_auth.db').as_posix()}\n"
                   f"admin_username = {ADMIN}\n"
                   f"admin_password = {admin_password}\n"
                   "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
                   "grant_default_workspace_access = false\n"
                   # Without the cache every request runs the password hash (PBKDF2) again: seconds per decision.
                   "auth_cache_ttl_seconds = 600\n", encoding="utf-8")
    ini.chmod(0o600)
    return ini


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the server and its uvicorn worker
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextlib.contextmanager
def mlflow_server(root: Path, *, auth: bool = False, ready_timeout_s: float = READY_TIMEOUT_S) -> Iterator[MlflowServer]:
    """A running tracking server under ``root`` (see the module docstring); stopped on exit."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    database, artifacts, log = root / "mlflow.db", root / "artifacts", root / "server.log"
    artifacts.mkdir(exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in _CLIENT_VARIABLES}
    env.update(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false", MLFLOW_DISABLE_TELEMETRY="true")
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{database.as_posix()}",
               "--artifacts-destination", artifacts.as_posix(), "--serve-artifacts", "--workers", "1",
               "--host", "127.0.0.1", "--port", str(port)]
    admin_password = ""
    if auth:
        admin_password = secrets.token_urlsafe(18)  # the auth app wants at least 12 characters
        env.update(MLFLOW_AUTH_CONFIG_PATH=str(_auth_config(root, admin_password)),
                   MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_hex(16))
        command += ["--app-name", "basic-auth"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = MlflowServer(url, root, database, artifacts, log, process.pid, admin_password)
    try:
        deadline = time.monotonic() + ready_timeout_s
        while health_status(url) != 200:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow server exited with {process.returncode} before answering "
                                   f"{url}/health:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"mlflow server did not answer {url}/health within {ready_timeout_s:g} s:\n"
                                   f"{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)


def as_user(monkeypatch, username: str, password: str) -> None:
    """MLflow's client (and the workbench's identity) use this account from now on in the test."""
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", username)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
