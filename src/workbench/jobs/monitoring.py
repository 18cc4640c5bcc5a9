"""What the monitoring report's notebook and `workbench report monitoring` call around the library:
the checks before any kernel starts, the months a run writes, the in-process backfill of a range of
month ends (on a Dask cluster with ``panel.engine: dask``), and the champion's training reference for the
model monitoring."""

from __future__ import annotations

from typing import Callable, Sequence

import pandas as pd

from ..accounts.monthly import MonitoringBook, monitoring_book
from ..accounts.recording import RecordPlan, RecordResult, plan_months, record_months
from ..accounts.store import AccountsStore, display_url
from ..data import read_tables
from ..models import load_pd_model
from ..params import params_hash
from ..paths import resolve_path
from ..scale import session
from ..signoff import model_for_consumers
from ..tracking import data_fingerprint, resolve_output
from ..validation.monitoring import MonitoringResult, model_stability
from .params import MonitorPortfolioParams

__all__ = ["precheck_monitoring", "backfill_monitoring", "report_plan", "record_meta", "champion_stability",
           "oot_months"]


def _store(cfg: MonitorPortfolioParams) -> AccountsStore:
    return AccountsStore.open(cfg.accounts_db or None)


def precheck_monitoring(cfg: MonitorPortfolioParams) -> list[str]:
    """Before any kernel: the accounts database answers and is migrated, and the as-of would not
    overwrite history silently (an earlier as-of than the latest stored needs ``force``)."""
    store = _store(cfg)
    plan = report_plan(store, cfg)
    notes = [f"accounts database {display_url(store.url)}"]
    later = [d for d in plan.write if d > pd.Timestamp(cfg.as_of)]
    if later:
        notes.append(f"--force: recomputes {len(later)} later stored month end(s) through {later[-1]:%Y-%m-%d}")
    return notes


def report_plan(store: AccountsStore, cfg: MonitorPortfolioParams) -> RecordPlan:
    """The months a report run writes: its as-of (replaced if stored) and, with ``force``, every later
    stored month, which builds on it."""
    return plan_months(store.stored_as_of(), [cfg.as_of], force=cfg.force, skip_stored=False)


def record_meta(run_id: str | None, cfg: MonitorPortfolioParams) -> dict[str, str | None]:
    """What the accounts store records about the run that wrote a month."""
    return {"run_id": run_id or None, "params_hash": params_hash(cfg.monitoring),
            "data_fingerprint": data_fingerprint(resolve_path(cfg.data_dir))}


def _model(cfg: MonitorPortfolioParams):
    run_id = cfg.training_run_id or model_for_consumers(cfg.model_name).run_id
    return load_pd_model(resolve_output(run_id, "model"))


def backfill_monitoring(cfg: MonitorPortfolioParams, months: Sequence[str], *, force: bool = False,
                        progress: Callable[[str], None] | None = None) -> RecordResult:
    """Compute the book once through the last month needed and record every month of ``months`` not
    yet stored (all of them, and every later stored month, with ``force``), oldest first."""
    say = progress or (lambda text: None)
    store = _store(cfg)
    plan = plan_months(store.stored_as_of(), list(months), force=force, skip_stored=True)
    if not plan.write:
        return RecordResult(skipped=plan.skipped)
    say("reading the portfolio")
    tables = read_tables(resolve_path(cfg.data_dir))
    say("loading the PD model")
    model = _model(cfg)
    say(f"scoring every month end through {plan.write[-1]:%Y-%m-%d}")
    # panel.engine dask: the month ends and obligor partitions spread over $WORKBENCH_DASK_SCHEDULER's
    # cluster (or a LocalCluster for the backfill); the book is the same as on pandas.
    with session(cfg.monitoring.panel.engine):
        book = monitoring_book(tables, model, cfg.monitoring, through=plan.write[-1])
    return record_months(store, book, tables, plan, cfg.monitoring, meta=record_meta(None, cfg),
                         overrides=store.read_overrides(), progress=say)


def champion_stability(book: MonitoringBook, training_run_id: str, model, cfg: MonitorPortfolioParams
                       ) -> MonitoringResult:
    """The model monitoring of ``model`` over the last ``stability_months`` month ends against its own
    training rows (the training run's predictions for the PSI, its panel for the CSI of its most
    important features)."""
    predictions = pd.read_parquet(resolve_output(training_run_id, "predictions"))
    panel = pd.read_parquet(resolve_output(training_run_id, "panel"))
    train = panel[panel["split"] == "train"]
    top = model.feature_importance()["feature"].tolist()
    window = book.months[-cfg.stability_months:]
    scored = book.scored[book.scored["obs_date"].isin(window)]
    return model_stability(scored, book.outcomes, predictions.loc[predictions["split"] == "train", "pd"],
                           train, top, cfg.model_monitoring)


def oot_months(book: MonitoringBook) -> list[pd.Timestamp]:
    """The out-of-time month ends of the book: outcomes the model never saw."""
    return sorted(book.scored.loc[book.scored["split"] == "oot", "obs_date"].unique())
