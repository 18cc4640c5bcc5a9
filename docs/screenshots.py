"""Screenshots of the MLflow UI for the README: the credit-pd runs table, a training run, a model version.

Reads the store of ``WORKBENCH_STATE_DIR`` (or the project's), after a ``make demo``. Starts
``mlflow ui`` on a free port, shoots each page with headless Chromium (Debian's ``chromium``),
stops the UI and writes ``docs/images/mlflow-*.png``.

    .venv/bin/python docs/screenshots.py [--chromium /usr/bin/chromium] [--width 1500 --height 950]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
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


def _pages(base: str) -> dict[str, str]:
    from workbench import tracking

    c = tracking.client()
    exp = c.get_experiment_by_name("credit-pd")
    if exp is None:
        raise SystemExit("no credit-pd experiment in this store: run `make demo` first")
    training = c.search_runs([exp.experiment_id], filter_string="attributes.run_name = '20_train_pd_model'",
                             order_by=["attributes.start_time DESC"], max_results=1)[0]
    version = training.data.tags["workbench.registered_model"].split("/")[1].split("@")[0]
    return {
        "mlflow-runs.png": f"{base}/#/experiments/{exp.experiment_id}/runs",
        "mlflow-training-run.png": f"{base}/#/experiments/{exp.experiment_id}/runs/{training.info.run_id}",
        "mlflow-model-version.png": f"{base}/#/models/key-account-pd/versions/{version}",
    }


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
    try:
        _wait_for(f"{base}/health")
        args.out.mkdir(parents=True, exist_ok=True)
        for name, url in _pages(base).items():
            with tempfile.TemporaryDirectory(prefix="wb-chromium-") as profile:
                subprocess.run([args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                                "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
                                f"--window-size={args.width},{args.height}", "--virtual-time-budget=20000",
                                f"--screenshot={args.out / name}", url],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            print(f"{args.out / name}  <- {url}")
    finally:
        ui.terminate()
        ui.wait(timeout=30)


if __name__ == "__main__":
    main()
