"""Who is running: the user a tracking server authenticated, else the OS account.

MLflow records no user on the server side: ``mlflow.user`` is whatever the client sends. On a
shared tracking server with MLflow's basic-auth app, the one identity the server has checked is
the account of the credentials (``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``, or
``~/.mlflow/credentials``). ``current_identity()`` asks the server who that is
(``GET /api/2.0/mlflow/users/current``, which answers only for valid credentials), and the runs
(``standard_tags``) and the sign-off record that account instead of the OS user, which anyone
can set with ``$LOGNAME``.

* a local store (SQLite): the OS user, as before;
* an HTTP(S) server without the auth app (the endpoint is not there, 404): the OS user;
* a server with the auth app: the authenticated user; credentials it refuses (401), or none at
  all, are an error naming the variables to set, before anything is written.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from .provenance import os_user
from .store import tracking_uri

__all__ = ["AUTH_SOURCE", "OS_SOURCE", "CURRENT_USER_ENDPOINT", "Identity", "TrackingAuthError", "current_identity",
           "is_server_uri"]

#: How an identity was established (tag ``workbench.user_source`` of a run under an auth server).
AUTH_SOURCE = "mlflow-basic-auth"
OS_SOURCE = "os"
CURRENT_USER_ENDPOINT = "/api/2.0/mlflow/users/current"
_TIMEOUT_S = 10


class TrackingAuthError(PermissionError):
    """The tracking server refused the credentials (or none were given) when asked who they are."""


@dataclass(frozen=True)
class Identity:
    """Who the workbench records as having run a run or made a decision."""

    user: str  # the authenticated MLflow user, else the OS user
    source: str  # AUTH_SOURCE or OS_SOURCE
    os_user: str  # the OS account of this process, always
    server: str = ""  # the tracking server that checked the credentials (AUTH_SOURCE only)
    is_admin: bool = False

    @property
    def authenticated(self) -> bool:
        return self.source == AUTH_SOURCE

    def describe(self) -> str:
        if self.authenticated:
            return f"MLflow user {self.user!r} (authenticated by {self.server})"
        return f"OS user {self.user!r}"


def is_server_uri(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def current_identity() -> Identity:
    """The identity of this process on ``tracking_uri()`` (see the module docstring); asked of the
    server once per server and credentials. ``TrackingAuthError`` when the server refuses them,
    ``ConnectionError`` when it does not answer."""
    uri = tracking_uri()
    local = os_user()
    if not is_server_uri(uri):
        return Identity(local, OS_SOURCE, local)
    from mlflow.utils.credentials import get_default_host_creds

    creds = get_default_host_creds(uri)
    secret = hashlib.sha256(f"{creds.password}\0{creds.token}".encode()).hexdigest()
    username, is_admin = _server_user(uri.rstrip("/"), creds.username or "", secret)
    if username is None:
        return Identity(local, OS_SOURCE, local)
    return Identity(username, AUTH_SOURCE, local, server=uri.rstrip("/"), is_admin=is_admin)


@functools.lru_cache(maxsize=16)
def _server_user(uri: str, username: str, secret: str) -> tuple[str | None, bool]:
    """``(user, is_admin)`` the server authenticated; ``(None, False)`` for a server without auth.
    ``username`` and the digest ``secret`` of password and token key the cache, so another account
    in the same process is asked about anew."""
    from mlflow.exceptions import MlflowException
    from mlflow.utils.credentials import get_default_host_creds
    from mlflow.utils.rest_utils import http_request

    try:
        # No retries: MLflow's default backs off for minutes before saying that nobody answers.
        response = http_request(get_default_host_creds(uri), CURRENT_USER_ENDPOINT, "GET", max_retries=0,
                                timeout=_TIMEOUT_S, raise_on_status=False)
    except (MlflowException, OSError) as exc:  # MLflow wraps the connection error of requests
        raise ConnectionError(f"the MLflow tracking server {uri} (MLFLOW_TRACKING_URI) does not answer "
                              f"{CURRENT_USER_ENDPOINT}: {exc}") from None
    if response.status_code == 404:
        return None, False  # no auth app on this server: nobody is authenticated, the OS user stands
    if response.status_code == 401:
        given = (f"it refused the credentials of MLFLOW_TRACKING_USERNAME={username!r}" if username
                 else "no credentials are set")
        raise TrackingAuthError(
            f"the MLflow tracking server {uri} requires you to log in and {given}: set MLFLOW_TRACKING_USERNAME "
            "and MLFLOW_TRACKING_PASSWORD to your account on it (the admin creates it; docs/team-setup.md)")
    if response.status_code != 200:
        raise TrackingAuthError(f"the MLflow tracking server {uri} answered {response.status_code} to "
                                f"{CURRENT_USER_ENDPOINT}: {response.text[:200]}")
    try:
        user = response.json()["user"]
        name = str(user["username"]).strip()
    except (ValueError, KeyError, TypeError):
        raise TrackingAuthError(f"the MLflow tracking server {uri} answered {CURRENT_USER_ENDPOINT} without a "
                                f"user: {response.text[:200]}") from None
    if not name:
        raise TrackingAuthError(f"the MLflow tracking server {uri} authenticated an empty user name")
    return name, bool(user.get("is_admin", False))
