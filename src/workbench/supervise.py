"""Unattended runs: signals turned into a clean KILLED, a heartbeat on every run the runner owns,
and the repair of runs a hard kill left RUNNING.

cron and systemd stop jobs with SIGTERM; a terminal with Ctrl-C sends SIGINT. Inside
``on_signals()`` both raise ``Terminated`` (a ``KeyboardInterrupt``) in the main thread, so
the runner's existing handling ends the run KILLED, logs the partial notebook and removes its
temporary files; the CLI then exits 143 or 130.

A run killed without a chance to clean up (SIGKILL, power loss) stays RUNNING in MLflow. Every
run the runner owns carries its process id, host and a heartbeat tag refreshed while it lives;
``repair_stale_runs`` marks FAILED, with the reason, a RUNNING run whose process is gone from
this host or whose heartbeat stopped (a long tuning keeps beating, so age alone never decides).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from . import tracking
from .params import StrictModel

__all__ = ["Terminated", "on_signals", "signals_deferred", "exit_code", "Heartbeat", "run_identity_tags", "PID_TAG", "HOST_TAG",
           "HEARTBEAT_TAG", "HEARTBEAT_SECONDS", "STALE_AFTER_SECONDS", "StaleRun", "find_stale_runs",
           "repair_stale_runs", "status_path", "write_status", "OperationsParams", "notify"]

PID_TAG = "workbench.pid"
HOST_TAG = "workbench.host"
HEARTBEAT_TAG = "workbench.heartbeat"  # seconds since the epoch, refreshed while the run lives
HEARTBEAT_SECONDS = 30.0
STALE_AFTER_SECONDS = 600.0  # twenty missed heartbeats


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM or SIGINT); ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


@contextlib.contextmanager
def signals_deferred(signums: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> Iterator[None]:
    """The signals wait until the block is done (a run's bookkeeping), then raise ``Terminated``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            raise Terminated(caught[0])


def exit_code(exc: BaseException) -> int:
    """The shell's convention: 128 + the signal number (143 for SIGTERM, 130 for SIGINT)."""
    return 128 + getattr(exc, "signum", signal.SIGINT)


@contextlib.contextmanager
def on_signals(signums: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT),
               first: Callable[[int], None] | None = None) -> Iterator[None]:
    """Within the block, the signals raise ``Terminated`` in the main thread (no-op elsewhere);
    ``first(signum)`` runs before (the runner interrupts its kernels there, so that the cell
    being executed stops and the kernel can be shut down cleanly)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum, frame):  # noqa: ARG001 - signal handler signature
        if first is not None:
            first(signum)
        raise Terminated(signum)

    previous = {s: signal.signal(s, raise_terminated) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_identity_tags() -> dict[str, str]:
    """Who runs this run: process id, host and a first heartbeat."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname(), HEARTBEAT_TAG: f"{time.time():.0f}"}


class Heartbeat:
    """Refreshes ``workbench.heartbeat`` on a run every ``every`` seconds from a daemon thread."""

    def __init__(self, run_id: str, every: float = HEARTBEAT_SECONDS) -> None:
        self.run_id, self.every = run_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id[:8]}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                tracking.set_run_tag(self.run_id, HEARTBEAT_TAG, f"{time.time():.0f}")
            except Exception:  # noqa: BLE001 - a missed beat must not disturb the run; the next one retries
                continue

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class OperationsParams(StrictModel):
    """Params of ``params/operations.yaml``: who hears about a job's outcome."""

    notify_command: str = Field("", description="Called with the status JSON's path as last argument; empty = none")
    notify_on: Literal["failure", "always"] = Field("failure", description="failure = FAILED, KILLED, REFUSED")
    notify_timeout_s: float = Field(30.0, gt=0, le=600)


def notify(params: OperationsParams, status: str, path: Path) -> str | None:
    """Run the notification command for a job's status file when ``params`` ask for it; returns a
    line saying what went wrong with the command (never raises: a notification must not fail the job)."""
    import shlex
    import subprocess

    if not params.notify_command or (params.notify_on == "failure" and status == "FINISHED"):
        return None
    try:
        done = subprocess.run([*shlex.split(params.notify_command), str(path)], capture_output=True, text=True,
                              timeout=params.notify_timeout_s)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        return f"the notification command {params.notify_command!r} could not run: {exc}"
    if done.returncode != 0:
        return (f"the notification command {params.notify_command!r} exited {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[:300]}")
    return None


def status_path(job: str) -> Path:
    """Where the last outcome of ``job`` (a notebook or a pipeline) is kept: ``<state>/status/<job>.json``."""
    from .paths import state_dir

    return state_dir() / "status" / f"{job}.json"


def write_status(job: str, status: str, *, message: str = "", run_id: str | None = None,
                 log_path: Path | str | None = None, as_of: str | None = None) -> Path:
    """The outcome of a job as JSON a monitoring system can poll (job, as-of, status FINISHED /
    FAILED / KILLED / REFUSED, message, MLflow run, log file, when, which process), written atomically."""
    import json
    from datetime import datetime, timezone

    from .data.io import write_text_atomic

    record = {"job": job, "as_of": as_of, "status": status, "message": message, "run_id": run_id,
              "log_path": str(log_path) if log_path else None,
              "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "host": socket.gethostname(),
              "pid": os.getpid()}
    return write_text_atomic(json.dumps(record, indent=2) + "\n", status_path(job))


@dataclass(frozen=True)
class StaleRun:
    run_id: str
    name: str
    experiment: str
    reason: str


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process with that id: alive
        return True
    return True


def _stale_reason(tags: dict[str, str], now: float, stale_after: float) -> str | None:
    if PID_TAG not in tags:
        return None  # not a run the runner owns (an interactive notebook run ends itself)
    here = socket.gethostname()
    pid, host = int(tags[PID_TAG]), tags.get(HOST_TAG, "")
    if host == here and not _process_alive(pid):
        return f"its process {pid} on {host} is gone (killed without a chance to end the run)"
    beat = float(tags.get(HEARTBEAT_TAG, "0") or 0)
    if now - beat > stale_after:
        return (f"no heartbeat from process {pid} on {host or 'an unknown host'} for {now - beat:.0f} s "
                f"(more than {stale_after:.0f} s)")
    return None


def find_stale_runs(stale_after: float = STALE_AFTER_SECONDS) -> list[StaleRun]:
    """RUNNING runs the runner owned whose process is gone or whose heartbeat stopped."""
    c = tracking.client()
    now = time.time()
    stale = []
    for experiment_id in tracking.experiment_ids():
        name = c.get_experiment(experiment_id).name
        for run in c.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=1000):
            reason = _stale_reason(dict(run.data.tags), now, stale_after)
            if reason:
                stale.append(StaleRun(run.info.run_id, run.info.run_name or "", name, reason))
    return stale


def repair_stale_runs(stale_after: float = STALE_AFTER_SECONDS) -> list[StaleRun]:
    """Mark every stale run FAILED with its reason (tag ``workbench.error``); returns them."""
    stale = find_stale_runs(stale_after)
    for run in stale:
        tracking.end_run(run.run_id, "FAILED", error=f"marked FAILED by repair: {run.reason}")
    return stale
