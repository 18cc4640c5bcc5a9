"""A report rendered per client in one batch: `workbench report dossier --tier A --top 20`.

One MLflow run per batch (experiment of the job, tag ``as_of``) with a nested run per client that
holds ids and figures only; every client's report is rendered on one kernel (``render``), so what the
notebook caches for an as-of (the dossier book) is built once. Each report is written atomically to
``experiments/reports/<kind>/<as_of>/<obligor_id>.html`` (owner-readable: it names the client): a
rerun replaces that client's file and nothing else; ``index.html`` beside them lists every report of
the as-of. A failing client is recorded (its run FAILED) and the batch goes on; SIGTERM ends the
running report and marks the batch and the unfinished runs KILLED.
"""

from __future__ import annotations

import html
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from workbench import tracking
from workbench.data.io import write_text_atomic
from workbench.jobs.registry import Job
from workbench.paths import reports_dir, resolve_path
from workbench.render import Rendered, RenderJob, render_batch
from workbench.runner import injectable
from workbench.supervise import run_identity_tags

__all__ = ["BatchResult", "render_client_reports", "write_index", "INDEX_NAME"]

INDEX_NAME = "index.html"


@dataclass
class BatchResult:
    parent_run_id: str
    folder: Path
    rendered: list[Rendered] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[Rendered]:
        return [r for r in self.rendered if not r.ok]


def render_client_reports(spec: Job, as_of: str, obligor_ids: Sequence[str], params_file: str,
                          overrides: Mapping[str, Any], *, names: Mapping[str, str] | None = None,
                          details: Mapping[str, Mapping[str, str]] | None = None,
                          progress: Callable[[Rendered, int, int], None] | None = None) -> BatchResult:
    """Render ``spec``'s notebook for each client of ``obligor_ids`` as of ``as_of`` (see the module
    docstring); ``names`` and ``details`` (per client: tier, grade, ...) go into the index page."""
    kind = spec.batch_report or spec.as_of_report or spec.name
    folder = reports_dir(kind, as_of)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    tags = {**tracking.standard_tags(spec.path, None, _data_path(overrides)), **run_identity_tags(),
            tracking.AS_OF_TAG: as_of, "workbench.batch_size": str(len(obligor_ids)), "workbench.mode": "batch"}
    parent = tracking.start_run(spec.experiment, f"{spec.name} batch {as_of}", tags=tags)
    result = BatchResult(parent.run_id, folder)
    children: dict[str, str] = {}
    try:
        for obligor_id in obligor_ids:
            child = tracking.start_run(spec.experiment, spec.name, parent_run_id=parent.run_id,
                                       tags={**tags, "workbench.obligor_id": obligor_id})
            children[obligor_id] = child.run_id
        jobs = [RenderJob(obligor_id, {"params_file": params_file, "run_id": children[obligor_id],
                                       "output_dir": str(folder),
                                       "overrides": injectable({**overrides, "obligor_id": obligor_id,
                                                                 "as_of": as_of})},
                          folder / f"{obligor_id}.html") for obligor_id in obligor_ids]

        def done(rendered: Rendered, k: int, n: int) -> None:
            tracking.end_run(children[rendered.key], "FINISHED" if rendered.ok else "FAILED", error=rendered.error)
            if progress is not None:
                progress(rendered, k, n)

        result.rendered = render_batch(spec.path, jobs, hide_input=spec.hide_code, progress=done)
        result.index = write_index(folder, kind, as_of, names or {}, details or {})
        result.seconds = time.monotonic() - started
        parent.log_metrics({"batch/reports": float(len(result.rendered)), "batch/failed": float(len(result.failed)),
                            "batch/seconds": result.seconds,
                            "batch/seconds_per_report": result.seconds / max(len(result.rendered), 1)})
        tracking.end_run(parent.run_id, "FINISHED" if not result.failed else "FAILED",
                         error=f"{len(result.failed)} of {len(result.rendered)} reports failed" if result.failed else None)
        return result
    except BaseException as exc:
        status = "KILLED" if not isinstance(exc, Exception) or type(exc).__name__ == "Terminated" else "FAILED"
        ended = {r.key for r in result.rendered}
        for obligor_id, run_id in children.items():
            if obligor_id not in ended:
                tracking.end_run(run_id, status, error=tracking.error_message(exc))
        tracking.end_run(parent.run_id, status, error=tracking.error_message(exc))
        raise


def _data_path(overrides: Mapping[str, Any]) -> Path | None:
    data_dir = overrides.get("data_dir")
    return resolve_path(data_dir) if isinstance(data_dir, str) and data_dir else None


def write_index(folder: Path, kind: str, as_of: str, names: Mapping[str, str],
                details: Mapping[str, Mapping[str, str]]) -> Path:
    """``index.html`` linking every report of ``folder`` (those of earlier batches of the as-of too),
    with the client's name and details where known; owner-readable, as it names clients."""
    reports = sorted(p for p in folder.glob("*.html") if p.name != INDEX_NAME)
    columns = sorted({k for d in details.values() for k in d})
    rows = []
    for path in reports:
        key = path.stem
        cells = [f'<td><a href="{html.escape(path.name)}">{html.escape(key)}</a></td>',
                 f"<td>{html.escape(names.get(key, ''))}</td>"]
        cells += [f"<td>{html.escape(str(details.get(key, {}).get(c, '')))}</td>" for c in columns]
        stamp = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        rows.append("<tr>" + "".join(cells) + f"<td>{stamp}</td></tr>")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["client", "name", *columns, "rendered"])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(kind)} reports as of {html.escape(as_of)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 10px;text-align:left}} th{{background:#f3f3f3}}</style></head>
<body><h1>{html.escape(kind.capitalize())} reports as of {html.escape(as_of)}</h1>
<p>{len(reports)} report(s). They name clients: for the desk only.</p>
<table><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    path = write_text_atomic(page, folder / INDEX_NAME)
    os.chmod(path, 0o600)
    return path


def client_details(tiers: pd.DataFrame, exposures: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per client the tier and exposure the index page shows."""
    from workbench import format as fmt

    merged = tiers[["obligor_id", "tier"]].merge(exposures[["obligor_id", "ead"]], on="obligor_id", how="left")
    return {r.obligor_id: {"tier": r.tier, "EAD (EUR m)": fmt.eur_m(r.ead)} for r in merged.itertuples()}
