"""What a person is shown about runs: the URL of a run in the MLflow UI, a run overview."""

from __future__ import annotations

from typing import Any

from .runs import get_run

__all__ = ["UI_MODE", "ui_url", "run_url", "run_overview"]


#: MLflow 3's UI has a GenAI and a "Model training" side and starts a new browser on GenAI; this
#: query parameter opens the side the workbench's runs belong to.
UI_MODE = "workflowType=machine_learning"


def ui_url(host: str = "127.0.0.1", port: int = 5000, path: str = "/experiments") -> str:
    """A page of ``make ui``, on MLflow's "Model training" side."""
    return f"http://{host}:{port}/#{path}?{UI_MODE}"


def run_url(run_id: str, host: str = "127.0.0.1", port: int = 5000) -> str:
    """Where ``make ui`` shows a run."""
    run = get_run(run_id)
    return ui_url(host, port, f"/experiments/{run.info.experiment_id}/runs/{run_id}")


def run_overview(run_ids: list[str], metrics: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Name, status, chosen metrics and artifact count of each run, for summaries printed to users."""
    rows = []
    for run_id in run_ids:
        run = get_run(run_id)
        row: dict[str, Any] = {"run": run.info.run_name, "run_id": run_id, "status": run.info.status}
        for name in metrics:
            if name in run.data.metrics:
                row[name] = run.data.metrics[name]
        rows.append(row)
    return rows
