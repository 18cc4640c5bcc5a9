"""Render one notebook for many parameter sets in ONE kernel: a batch of reports (the dossiers of a
tier) without a kernel start and the library imports per report.

Each report is the notebook with its parameters injected (papermill's own parameterisation, so a
report reads like one papermill ran), executed by nbclient on the shared kernel and exported to
HTML with or without its code; files are written atomically and, when they name clients,
owner-readable only. Whatever the notebook keeps in the kernel between reports (a cache of the
portfolio-wide inputs of an as-of) is what makes the batch fast. A failing report is recorded and
the batch goes on; SIGTERM interrupts the running cell and ends the batch.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import nbformat

from workbench.data.io import write_text_atomic
from workbench.paths import project_root
from workbench.runner import KERNEL_NAME, interrupt_kernels, notebook_html, socket_kernel_manager
from workbench.supervise import on_signals

__all__ = ["RenderJob", "Rendered", "render_batch"]


@dataclass(frozen=True)
class RenderJob:
    """One report of a batch: its key (e.g. the obligor id), parameters and HTML path."""

    key: str
    parameters: Mapping[str, Any]
    html: Path


@dataclass(frozen=True)
class Rendered:
    key: str
    html: Path | None
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def render_batch(notebook: Path, jobs: Sequence[RenderJob], *, hide_input: bool = True,
                 file_mode: int | None = 0o600, keep_notebooks: bool = False,
                 progress: Callable[[Rendered, int, int], None] | None = None) -> list[Rendered]:
    """Execute ``notebook`` once per job on one kernel and write each job's HTML (mode ``file_mode``;
    ``keep_notebooks`` also writes the executed ``.ipynb`` beside it)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    template = load_notebook_node(str(notebook))  # papermill's reading: every cell gets its metadata.tags
    socket_dir = Path(tempfile.mkdtemp(prefix="wb-b-"))
    km = socket_kernel_manager(socket_dir)(kernel_name=KERNEL_NAME)
    km.start_kernel(cwd=str(project_root()))
    results: list[Rendered] = []
    try:
        with on_signals(first=interrupt_kernels):
            for k, job in enumerate(jobs):
                started = time.monotonic()
                nb = parameterize_notebook(copy.deepcopy(template), dict(job.parameters),
                                           kernel_name=KERNEL_NAME, language="python")
                client = NotebookClient(nb, km=km, kernel_name=KERNEL_NAME, timeout=None,
                                        resources={"metadata": {"path": str(project_root())}})
                error = None
                try:
                    client.execute()
                except CellExecutionError as exc:
                    error = f"{exc.ename}: {exc.evalue}"
                finally:
                    if client.kc is not None:
                        client.kc.stop_channels()
                html = None
                if error is None:
                    html = write_text_atomic(notebook_html(nb, hide_input), job.html)
                    if file_mode is not None:
                        os.chmod(html, file_mode)
                    if keep_notebooks:
                        saved = write_text_atomic(nbformat.writes(nb), job.html.with_suffix(".ipynb"))
                        if file_mode is not None:
                            os.chmod(saved, file_mode)
                done = Rendered(job.key, html, time.monotonic() - started, error)
                results.append(done)
                if progress is not None:
                    progress(done, k + 1, len(jobs))
    finally:
        km.shutdown_kernel(now=True)
        shutil.rmtree(socket_dir, ignore_errors=True)
    return results
