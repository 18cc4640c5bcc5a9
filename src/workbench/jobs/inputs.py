"""What a job's notebook reads before its first library call: one call per input, so that the
notebook holds no branching (e.g. the training rows come from a flat table or the upstream panel;
the PD model a consumer uses is the explicit run or the signed-off champion)."""

from __future__ import annotations

import pandas as pd

from ..accounts.store import AccountsDatabaseUnreachable, AccountsStore, accounts_url
from ..locking import sqlite_path
from ..models import flat_table_panel
from ..signoff import DEFAULT_MODEL_NAME, TRAINING_NOTEBOOK, model_for_consumers
from ..tracking import RunHandle
from .params import TrainPDParams

__all__ = ["training_panel", "consumer_training_run", "assigned_tiers", "with_approved_overrides", "MODEL_VERSION_TAG", "MODEL_APPROVED_TAG", "WARNING_TAG"]

MODEL_VERSION_TAG = "workbench.model_version"  # "<name>/<version>" a consumer run used
MODEL_APPROVED_TAG = "workbench.model_approved"  # "true" / "false"
WARNING_TAG = "workbench.warning"


def training_panel(cfg: TrainPDParams, run: RunHandle) -> pd.DataFrame:
    """The rows the PD model is trained and judged on: the bring-your-own flat table when
    ``cfg.table_path`` is set, else the panel of the upstream 10_build_features run (its id
    recorded on ``run`` as lineage)."""
    if cfg.table_path:
        return flat_table_panel(cfg.table_path, target=cfg.target, id_column=cfg.id_column,
                                time_column=cfg.time_column, seed=cfg.seed, encoding=cfg.table_encoding or None,
                                drop_columns=cfg.drop_columns, max_categories=cfg.max_categories)
    return pd.read_parquet(run.upstream_output(cfg.features_run_id, notebook="10_build_features", name="panel"))


def consumer_training_run(run: RunHandle, training_run_id: str, model_name: str = DEFAULT_MODEL_NAME) -> str:
    """The 20_train_pd_model run a consumer notebook (pricing, structuring, ...) reads its model from.

    An explicit ``training_run_id`` wins (a pipeline passing the run it just trained, or a
    modeller's choice). Otherwise the training run of the version consumers must use
    (``signoff.model_for_consumers``): the verified ``champion``, else the challenger flagged
    UNAPPROVED, which prints the warning and tags the run ``workbench.warning``. Either way the
    run id is recorded as lineage (``workbench.upstream.20_train_pd_model``); a resolved version
    also as ``workbench.model_version`` (name/version) and ``workbench.model_approved``.
    Raises ``signoff.SignoffNotVerified`` when the champion's sign-off does not verify.
    """
    if str(training_run_id).strip():
        return run.upstream(str(training_run_id).strip(), notebook=TRAINING_NOTEBOOK)
    model = model_for_consumers(model_name)
    run.upstream(model.run_id, notebook=TRAINING_NOTEBOOK)
    tags = {MODEL_VERSION_TAG: model.label, MODEL_APPROVED_TAG: "true" if model.approved else "false",
            "workbench.model_uri": model.model_uri}
    if model.approved:
        print(f"model: {model.describe()}")
    else:
        print(f"WARNING: {model.warning}")
        tags[WARNING_TAG] = model.warning
    run.set_tags(tags)
    return model.run_id


def _existing_store(accounts_db: str, without: str) -> AccountsStore | None:
    """The accounts database if there is one (a consumer never creates it just to look) and it
    answers; else None, having said in a line what the consumer does ``without`` it."""
    url = accounts_url(accounts_db or None)
    database = sqlite_path(url)
    if database is not None and not database.exists():
        return None
    try:
        return AccountsStore.open(url)
    except AccountsDatabaseUnreachable as exc:
        print(f"note: {without}: {exc}")
        return None


def assigned_tiers(as_of, accounts_db: str = "") -> pd.DataFrame | None:
    """The tiers (obligor_id, tier) of the latest month end the accounts database holds on or before
    ``as_of``, which replace pricing's size-band proxy where they exist; None (the proxy for all)
    when there is no database yet, no month that early, or it does not answer (said in a line)."""
    store = _existing_store(accounts_db, "client tiers from the size band")
    if store is None:
        return None
    stored = [d for d in store.stored_as_of() if pd.Timestamp(d) <= pd.Timestamp(as_of)]
    if not stored:
        return None
    tiers = store.read_tiers(stored[-1])[["obligor_id", "tier"]]
    print(f"client tiers: the accounts database's as of {stored[-1]} ({len(tiers):,} clients); "
          "the size band for the others")
    return tiers


def with_approved_overrides(grades: pd.DataFrame, as_of, accounts_db: str = "") -> pd.DataFrame:
    """``grades`` (obligor_id, grade, pd) with the rating overrides approved in the accounts database
    and in force at ``as_of``: the approved grade and its PD, the model's kept as ``model_grade`` /
    ``model_pd`` (``accounts.apply_overrides``); unchanged when there is no database or override."""
    from ..accounts.overrides import apply_overrides

    store = _existing_store(accounts_db, "the model's grades, no overrides")
    overrides = store.read_overrides() if store is not None else None
    if overrides is None or overrides.empty:
        return grades
    applied = apply_overrides(grades, overrides, as_of)
    changed = int((applied["override"] != "").sum())
    if changed:
        print(f"rating overrides in force at {pd.Timestamp(as_of):%Y-%m-%d}: {changed} client(s) at the approved grade")
    return applied
