"""Who runs: the OS user on a local store; on a tracking server, the user its auth app checked
(a stand-in server here answers ``GET /api/2.0/mlflow/users/current`` as MLflow's does)."""

from __future__ import annotations

import base64
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workbench import tracking
from workbench.tracking.identity import AUTH_SOURCE, CURRENT_USER_ENDPOINT, OS_SOURCE
from workbench.tracking.provenance import standard_tags

ACCOUNTS = {"ana": "ana-password-123"}


class _Handler(BaseHTTPRequestHandler):
    auth = True

    def do_GET(self):  # noqa: N802 - the http.server API
        if self.path != CURRENT_USER_ENDPOINT or not self.auth:
            self._answer(404, {"error_code": "ENDPOINT_NOT_FOUND"})
            return
        header = self.headers.get("Authorization", "")
        user, _, password = base64.b64decode(header[6:]).decode().partition(":") if header.startswith("Basic ") \
            else ("", "", "")
        if ACCOUNTS.get(user) != password or not user:
            self._answer(401, {"error_code": "UNAUTHENTICATED"})
            return
        self._answer(200, {"user": {"id": 2, "username": user, "is_admin": False}, "is_basic_auth": True})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(params=[True, False], ids=["auth", "no-auth"])
def server(request, monkeypatch):
    handler = type("Handler", (_Handler,), {"auth": request.param})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{httpd.server_address[1]}")
    for var in ("LOGNAME", "USER"):
        monkeypatch.setenv(var, "shared.os")
    try:
        yield request.param
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_local_store_records_the_os_user_and_nothing_else(monkeypatch):
    monkeypatch.setenv("LOGNAME", "ana.os")
    who = tracking.current_identity()
    assert (who.user, who.source, who.authenticated) == ("ana.os", OS_SOURCE, False)
    tags = standard_tags(None, None, None)
    assert tags["workbench.user"] == "ana.os"
    assert not {"mlflow.user", "workbench.os_user", "workbench.user_source"} & set(tags)


def test_a_server_identifies_the_checked_user_or_says_which_credentials_to_set(server, monkeypatch):
    if not server:  # no auth app: nobody logs in, the OS user stands
        assert tracking.current_identity().user == "shared.os"
        return
    with pytest.raises(tracking.TrackingAuthError, match="no credentials are set.*MLFLOW_TRACKING_USERNAME"):
        tracking.current_identity()
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ana")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong")
    with pytest.raises(PermissionError, match="refused the credentials of MLFLOW_TRACKING_USERNAME='ana'"):
        tracking.current_identity()
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ACCOUNTS["ana"])
    who = tracking.current_identity()
    assert (who.user, who.source, who.os_user) == ("ana", AUTH_SOURCE, "shared.os")
    assert who.describe().startswith("MLflow user 'ana' (authenticated by http://127.0.0.1:")
    tags = standard_tags(None, None, None)
    assert tags["workbench.user"] == tags["mlflow.user"] == "ana"
    assert tags["workbench.os_user"] == "shared.os" and tags["workbench.user_source"] == AUTH_SOURCE


def test_a_server_that_does_not_answer_is_a_connection_error_naming_it(monkeypatch):
    with socket.socket() as s:  # a port nothing listens on once it is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectionError, match=f"127.0.0.1:{port}.*does not answer"):
        tracking.current_identity()
