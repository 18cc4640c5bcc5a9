"""Screenshots of the MLflow UI for the README: the credit-pd runs table, a training run, a model version.

Reads the store of ``WORKBENCH_STATE_DIR`` (or the project's), after a ``make demo``. Starts
``mlflow ui`` on a free port, shoots each page with headless Chromium (Debian's ``chromium``),
stops the UI and writes ``docs/images/mlflow-*.png``.

    .venv/bin/python docs/screenshots.py [--chromium /usr/bin/chromium] [--width 1500 --height 950]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the MLflow UI did not answer at {url} within {seconds:.0f} s")


# What a validator's browser remembers after the first visit: the "Model training" side of the UI and
# the assistant panel closed (MLflow 3 opens it on a first visit). The pages are shot through a small
# proxy on one origin that sets these before it forwards to the UI, like a returning visitor.
_SEED = {"mlflow.workflowType_v1": '"machine_learning"', "mlflow.assistant.panelOpen_v1": "false",
         "mlflow.assistant.fab.autoOpenedOnFirstLoad_v1": "true"}


def _proxy(upstream: str) -> tuple[ThreadingHTTPServer, str]:
    """A same-origin proxy to the UI that answers ``/__seed?to=URL`` with a page that sets ``_SEED``
    in localStorage and moves on to ``URL``."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _forward(self) -> None:
            if self.path.startswith("/__seed"):
                target = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["to"][0]
                sets = "".join(f"localStorage.setItem({json.dumps(k)}, {json.dumps(v)});" for k, v in _SEED.items())
                body = f"<script>{sets}location.replace({json.dumps(target)});</script>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else None
            request = urllib.request.Request(upstream + self.path, data=data, method=self.command,
                                             headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    status, headers, body = response.status, response.headers.items(), response.read()
            except urllib.error.HTTPError as exc:
                status, headers, body = exc.code, exc.headers.items(), exc.read()
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = _forward

    server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _pages(base: str) -> dict[str, str]:
    from workbench import tracking

    c = tracking.client()
    exp = c.get_experiment_by_name("credit-pd")
    if exp is None:
        raise SystemExit("no credit-pd experiment in this store: run `make demo` first")
    training = c.search_runs([exp.experiment_id], filter_string="attributes.run_name = '20_train_pd_model'",
                             order_by=["attributes.start_time DESC"], max_results=1)[0]
    version = training.data.tags["workbench.registered_model"].split("/")[1].split("@")[0]
    pages = {
        "mlflow-runs.png": f"/#/experiments/{exp.experiment_id}/runs",
        "mlflow-training-run.png": f"/#/experiments/{exp.experiment_id}/runs/{training.info.run_id}",
        "mlflow-model-version.png": f"/#/models/key-account-pd/versions/{version}",
    }
    return {name: f"{base}/__seed?to={urllib.parse.quote(page, safe='')}" for name, page in pages.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--width", type=int, default=1500)
    ap.add_argument("--height", type=int, default=950)
    ap.add_argument("--out", type=Path, default=HERE / "images")
    args = ap.parse_args()
    from workbench import tracking

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    ui = subprocess.Popen(tracking.ui_command("127.0.0.1", port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = None
    try:
        _wait_for(f"{base}/health")
        proxy, front = _proxy(base)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, url in _pages(front).items():
            with tempfile.TemporaryDirectory(prefix="wb-chromium-") as profile:
                subprocess.run([args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                                "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
                                f"--window-size={args.width},{args.height}", "--virtual-time-budget=20000",
                                f"--screenshot={args.out / name}", url],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            print(f"{args.out / name}  <- {url}")
    finally:
        if proxy is not None:
            proxy.shutdown()
        ui.terminate()
        ui.wait(timeout=30)


if __name__ == "__main__":
    main()
