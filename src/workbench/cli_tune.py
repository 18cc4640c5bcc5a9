"""`workbench tune`: Optuna worker processes filling one shared study of the PD model's tuning.

Mounted by ``workbench.cli`` as ``app.command("tune")(tune)``; ``python -m workbench.cli_tune``
runs the same command (the workers are started that way). The study lives in an RDB storage
(a SQLite file by default, PostgreSQL for workers on several machines): ``--workers K``
runs worker 0 in this process and starts workers 1..K-1 as processes at once; worker k runs its
fixed share N//K + (k < N%K) of the ``--trials N`` (``models.tuning.worker_share``), so the
study gains exactly N trials whatever the timing; ``--worker-index k`` runs only worker k's
share, for workers started by hand elsewhere.

Each worker tunes on exactly what ``workbench train`` / notebooks/20_train_pd_model tune on
(the same params file, overrides, rows and encoding), so the training notebook fits the best
trial of the study: pointed at it with ``tuning.study_name``, ``tuning.storage`` and
``tuning.n_trials`` no larger than the study, it runs no further trial and the model is the
same on every run. The command prints that command. A study tuned on other rows or settings
is refused by the tuning itself (``models.tuning``), by the CLI as by the notebook.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from .cli_common import err as _err
from .cli_common import fail as _fail
from .cli_common import out as _out

__all__ = ["tune", "tuning_problem", "main"]

_TRAINING_NOTEBOOK = "20_train_pd_model"
_FEATURES_NOTEBOOK = "10_build_features"


def tuning_problem(panel, params, target: str) -> dict[str, Any]:
    """The rows and settings ``fit_on_panel(panel, params, target)`` tunes on, as keyword arguments of
    ``tune_xgboost`` (``X``, ``y``, ``monotone``, ``time``, ``groups``, ``feature_types``): the fit rows
    (train and valid) of the panel, of which the training rows (``split == train``), encoded by the
    ``FeatureEncoder`` learnt on them, with the dictionary's monotone directions.

    It follows ``models.training.fit_on_panel`` and ``PDModel.fit`` step by step; the study
    remembers a fingerprint of what it was tuned on, so should the two ever part, fitting from
    the study fails (naming what differs) instead of fitting a best trial found on other rows.
    """
    import numpy as np

    from .features import feature_columns
    from .models import PDModel, monotone_directions_or_zero
    from .models.encoding import CATEGORICAL, FeatureEncoder

    if target not in panel.columns:
        raise KeyError(f"panel has no target column '{target}'")
    if "split" not in panel.columns:
        raise KeyError("panel has no 'split' column; build it with workbench.features.build_panel")
    features = [c for c in feature_columns(panel) if c != target]
    part = panel[panel["split"].isin(["train", "valid"]).to_numpy()]
    if not (part["split"] == "train").any() or not (part["split"] == "valid").any():
        raise ValueError("panel needs training and validation rows (split == 'train' / 'valid')")
    has_time = "obs_date" in part.columns and part["obs_date"].notna().all()
    repeated = "obligor_id" in part.columns and part["obligor_id"].duplicated().any()
    X, y = part[features], part[target].to_numpy().astype(int)
    time_ = part["obs_date"].to_numpy() if has_time else None
    groups = part["obligor_id"].to_numpy() if repeated else None
    hold = PDModel._holdout_mask(y, time_, (part["split"] == "valid").to_numpy(), params)
    train = np.flatnonzero(~hold)
    encoder = FeatureEncoder(params.special_values, params.max_categories).fit(X.iloc[train])
    E = encoder.transform(X)
    types = encoder.feature_types_
    directions = ([0 if t == CATEGORICAL or name not in encoder.feature_names_in_ else d for name, t, d in
                   zip(E.columns, types, monotone_directions_or_zero(list(E.columns)))] if params.monotone else None)
    return {"X": E.iloc[train], "y": y[train], "monotone": directions,
            "time": None if time_ is None else time_[train], "groups": None if groups is None else groups[train],
            "feature_types": types if CATEGORICAL in types else None}


def _config(table: Optional[Path], target: str, id_column: str, time_column: str, drop: list[str], encoding: str,
            features_run: str, params: Optional[Path], set_: list[str], study: str, storage: str):
    """The training job's params (file, then the data options, then ``-p`` pairs), with the study."""
    from .jobs import TrainPDParams, job
    from .params import ParamsError, load_params, parse_override

    overrides: dict[str, Any] = {}
    if table is not None:
        overrides.update({"table_path": str(table), "id_column": id_column, "time_column": time_column,
                          "table_encoding": encoding})
        if drop:
            overrides["drop_columns"] = list(drop)
    if target:
        overrides["target"] = target
    if features_run:
        overrides["features_run_id"] = features_run
    try:
        overrides.update(dict(parse_override(p) for p in set_))
        overrides["tuning.study_name"] = study
        if storage:
            overrides["tuning.storage"] = storage
        params_file = str(params) if params else job(_TRAINING_NOTEBOOK).params_file
        return load_params(TrainPDParams, params_file, overrides)
    except ParamsError as exc:
        _fail(str(exc), code=2)


def _panel(cfg):
    """The rows the training notebook would read (``jobs.inputs.training_panel``, without a run to
    record lineage on): the flat table, else the panel of the 10_build_features run."""
    import pandas as pd

    from .models import flat_table_panel

    if cfg.table_path:
        return flat_table_panel(cfg.table_path, target=cfg.target, id_column=cfg.id_column,
                                time_column=cfg.time_column, seed=cfg.seed, encoding=cfg.table_encoding or None,
                                drop_columns=cfg.drop_columns, max_categories=cfg.max_categories)
    from . import tracking

    run_id = cfg.features_run_id or tracking.find_latest_run_anywhere(_FEATURES_NOTEBOOK)
    return pd.read_parquet(tracking.resolve_output(run_id, "panel"))


def _run_worker(cfg, trials: int, worker: int, workers: int, callbacks=()):
    """Worker ``worker`` of ``workers``: its share of ``trials`` on the training rows."""
    from .data import FlatTableError
    from .models import tune_xgboost
    from .models.tuning import TuningStorageError, worker_share

    share = worker_share(trials, worker, workers)
    try:
        problem = tuning_problem(_panel(cfg), cfg.pd_model, cfg.target)
        p = cfg.pd_model
        return tune_xgboost(tuning=p.tuning, xgb_params=p.xgb, seed=p.seed, n_jobs=p.n_jobs, trials=share,
                            worker=worker, callbacks=callbacks, **problem)
    except (FlatTableError, FileNotFoundError, LookupError, TuningStorageError, ValueError) as exc:
        _fail(f"worker {worker}: {exc}", code=2)


def _worker_argv(values: dict[str, Any], worker: int) -> list[str]:
    """The command line of worker ``worker``: this command's options, with ``--worker-index``."""
    argv = [sys.executable, "-m", "workbench.cli_tune", "--study", values["study"], "--storage", values["storage"],
            "--trials", str(values["trials"]), "--workers", str(values["workers"]), "--worker-index", str(worker)]
    for option, key in (("--table", "table"), ("--target", "target"), ("--id", "id_column"),
                        ("--time", "time_column"), ("--encoding", "encoding"), ("--features-run", "features_run"),
                        ("--params", "params")):
        if values[key]:
            argv += [option, str(values[key])]
    for column in values["drop"]:
        argv += ["--drop", column]
    for pair in values["set_"]:
        argv += ["-p", pair]
    return argv


def _start_workers(values: dict[str, Any], logs: Path) -> list[tuple[subprocess.Popen, Path]]:
    """Start workers 1..K-1 at once (this process is worker 0); each one's output goes to its own log,
    shown if it fails."""
    started = []
    for k in range(1, values["workers"]):
        log = logs / f"worker-{k}.log"
        with open(log, "wb") as handle:
            started.append((subprocess.Popen(_worker_argv(values, k), stdout=handle, stderr=subprocess.STDOUT,
                                             env={**os.environ, "PYTHONUNBUFFERED": "1"}), log))
    return started


def _finished(study) -> int:
    import optuna

    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)
    return len(study.get_trials(deepcopy=False, states=done))


def _first_failed(others: list[tuple[subprocess.Popen, Path]]) -> int | None:
    return next((k for k, (process, _) in enumerate(others, start=1) if process.poll() not in (None, 0)), None)


def _work_and_watch(cfg, study, others: list[tuple[subprocess.Popen, Path]], trials: int, workers: int) -> None:
    """Run worker 0's share here under a progress bar of the study's finished trials, then wait for the
    other workers. One that fails stops the search (the running trials are marked failed) and exits
    with its log's last lines."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    before = _finished(study)
    with Progress(TextColumn(f"tuning, {workers} worker(s)"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=_err) as bar:
        task = bar.add_task("trials", total=trials)

        def on_trial(running, _trial) -> None:
            bar.update(task, completed=min(trials, _finished(running) - before))
            if _first_failed(others) is not None:
                running.stop()

        _run_worker(cfg, trials, 0, workers, callbacks=[on_trial])
        while any(process.poll() is None for process, _ in others) and _first_failed(others) is None:
            bar.update(task, completed=min(trials, _finished(study) - before))
            time.sleep(0.5)
        bar.update(task, completed=min(trials, _finished(study) - before))
    k = _first_failed(others)
    if k is not None:
        process, log = others[k - 1]
        tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-15:])
        _fail(f"worker {k} of {workers} exited with code {process.returncode}; its last lines:\n{tail}",
              code=process.returncode if process.returncode in (1, 2) else 1)


def _stop(others: list[tuple[subprocess.Popen, Path]], grace_s: float = 30.0) -> None:
    """End the workers still running (this one failed or was stopped) and reap them all. SIGTERM,
    which a worker turns into an interrupt (``supervise.on_signals``): optuna then marks its running
    trial failed instead of leaving it RUNNING in the study for ever; one that does not stop within
    ``grace_s`` is killed."""
    for process, _ in others:
        if process.poll() is None:
            process.terminate()
    for process, _ in others:
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _report(study, storage: str, values: dict[str, Any]) -> None:
    """The best trial, the study's trials by state and worker, and the command that trains from it."""
    import shlex

    import optuna

    from .models.tuning import WORKER_ATTR, redact_url, study_size

    trials = study.get_trials(deepcopy=False)
    states = {s.name.lower(): sum(t.state == s for t in trials) for s in optuna.trial.TrialState}
    by_worker: dict[int, int] = {}
    for t in trials:
        if WORKER_ATTR in t.user_attrs:
            by_worker[t.user_attrs[WORKER_ATTR]] = by_worker.get(t.user_attrs[WORKER_ATTR], 0) + 1
    size = study_size(study)
    _err.print(f"study {escape(study.study_name)} in {escape(redact_url(storage))}: {size} trials ("
               + ", ".join(f"{n} {s}" for s, n in states.items() if n) + "); by worker: "
               + ", ".join(f"{k}: {n}" for k, n in sorted(by_worker.items())))
    if not any(t.state == optuna.trial.TrialState.COMPLETE for t in trials):
        _fail("no trial completed, so there is no best trial to train from", code=1)
    best = study.best_trial
    settings = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.params.items())
    _err.print(f"best trial {best.number}: cv AUC {best.value:.4f} ({escape(settings)})")
    pairs = [*values["set_"], f"tuning.study_name={study.study_name}", f"tuning.storage={redact_url(storage)}",
             f"tuning.n_trials={size}"]
    if values["table"]:
        command = ["workbench", "train", "--table", str(values["table"]), "--target", values["target"]]
        command += [part for option, key in (("--id", "id_column"), ("--time", "time_column"),
                                             ("--encoding", "encoding")) if values[key]
                    for part in (option, values[key])]
        command += [part for column in values["drop"] for part in ("--drop", column)]
    else:
        command = ["workbench", "run", _TRAINING_NOTEBOOK]
        if values["features_run"]:
            pairs.insert(0, f"features_run_id={values['features_run']}")
    if values["params"]:
        command += ["--params", str(values["params"])]
    command += [part for pair in pairs for part in ("-p", pair)]
    _err.print("train and register the best trial (no further trial runs, the same model every time):")
    if redact_url(storage) != storage:
        _err.print("  (the storage password is hidden: give it through PGPASSWORD or ~/.pgpass, not the URL)")
    _out.print(shlex.join(command), soft_wrap=True, markup=False, highlight=False)


def tune(
    study: str = typer.Option(..., "--study", help="Optuna study name; workers and the training notebook share it"),
    storage: str = typer.Option("", "--storage", help="SQLAlchemy URL of the study, e.g. "
                                "postgresql://tuner@db-host:5432/optuna (default: the params' tuning.storage, "
                                "else the SQLite file optuna.db in the state dir)"),
    trials: int = typer.Option(..., "--trials", min=1, help="Trials to add to the study, between all the workers"),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes started at once; worker k runs "
                                "N//K + (k < N%K) of the trials"),
    worker_index: Optional[int] = typer.Option(None, "--worker-index", min=0, help="Run only worker k's share "
                                               "(workers started by hand, e.g. on several machines against one "
                                               "PostgreSQL); --workers is then their number"),
    table: Optional[Path] = typer.Option(None, "--table", help="Flat CSV, Parquet or ARFF table (as `workbench "
                                         "train`); default: the panel of the latest 10_build_features run"),
    target: str = typer.Option("", "--target", help="Binary target column (default: the params file's)"),
    id_column: str = typer.Option("", "--id", help="Row id column of --table"),
    time_column: str = typer.Option("", "--time", help="Date column of --table: splits and folds follow time"),
    drop: list[str] = typer.Option([], "--drop", help="A column of --table that is not a feature (repeatable)"),
    encoding: str = typer.Option("", "--encoding", help="Text encoding of a CSV --table (default UTF-8)"),
    features_run: str = typer.Option("", "--features-run", help="10_build_features run whose panel to tune on "
                                     "(default: the latest finished)"),
    params: Optional[Path] = typer.Option(None, "--params", help="Params YAML (default: 20_train_pd_model's)"),
    set_: list[str] = typer.Option([], "-p", "--set", help="Further key=value overrides, as for the training"),
) -> None:
    """Tune the PD model with worker processes sharing one Optuna study, on the rows `workbench train` (or the
    training notebook on the feature panel) trains on; prints the best trial and, on stdout, the command that
    trains and registers it from the study."""
    from .models.tuning import default_storage
    from .supervise import on_signals

    if worker_index is not None and worker_index >= workers:
        _fail(f"--worker-index {worker_index} needs --workers above it (workers are numbered 0..K-1)", code=2)
    if table is not None:
        table = table.expanduser().resolve()
        if not table.is_file():
            _fail(f"table not found: {table}", code=2)
    cfg = _config(table, target, id_column, time_column, drop, encoding, features_run, params, set_, study, storage)
    storage = cfg.tuning.storage or default_storage()
    cfg = cfg.model_copy(update={"tuning": cfg.tuning.model_copy(update={"storage": storage})})
    if worker_index is None:
        workers = min(workers, trials)  # a worker without a trial would only load the data
    values = {"study": study, "storage": storage, "trials": trials, "workers": workers, "table": table,
              "target": cfg.target, "id_column": id_column, "time_column": time_column, "drop": list(drop),
              "encoding": encoding, "features_run": features_run, "params": params, "set_": list(set_)}
    # SIGTERM (cron, systemd, the workers' parent) and SIGINT stop a trial as an interrupt: optuna marks it
    # failed, where a plain kill would leave it RUNNING in the study, counted towards its size.
    with on_signals():
        _tune(cfg, values, worker_index)


def _tune(cfg, values: dict[str, Any], worker_index: int | None) -> None:
    from .models.tuning import TuningStorageError, open_study

    study, storage, trials, workers = values["study"], values["storage"], values["trials"], values["workers"]
    if worker_index is not None:
        started = time.perf_counter()
        result = _run_worker(cfg, trials, worker_index, workers)
        _err.print(f"worker {worker_index} of {workers}: {result.asked} trials ({result.completed} complete, "
                   f"{result.pruned} pruned, {result.failed} failed) in {time.perf_counter() - started:.0f}s; "
                   f"the study holds {result.n_trials}")
        return
    try:
        shared = open_study(study, storage, seed=cfg.seed, xgb_params=cfg.xgb, space=cfg.tuning.search_space)
    except TuningStorageError as exc:
        _fail(str(exc), code=2)
    if not cfg.table_path and not cfg.features_run_id:
        # Every worker, and the training run after them, must read the same panel: pin the run now,
        # before a newer one can finish.
        from . import tracking

        try:
            values["features_run"] = tracking.find_latest_run_anywhere(_FEATURES_NOTEBOOK)
        except LookupError as exc:
            _fail(f"{exc} (or tune on a flat table with --table)", code=2)
        cfg = cfg.model_copy(update={"features_run_id": values["features_run"]})
    with tempfile.TemporaryDirectory(prefix="workbench-tune-") as logs:
        # The other workers start first: they load their libraries and rows while this one loads its own.
        others = _start_workers(values, Path(logs))
        try:
            _work_and_watch(cfg, shared, others, trials, workers)
        finally:
            _stop(others)
    _report(shared, storage, values)


def main() -> None:
    """``python -m workbench.cli_tune``: the command alone (how ``tune`` starts its workers), with
    signals as exit codes (143 SIGTERM, 130 SIGINT) as ``workbench.cli.main`` has them."""
    from .supervise import Terminated, exit_code

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(tune)
    try:
        app()
    except Terminated as exc:
        _err.print(f"[bold red]stopped:[/] {escape(str(exc))}; the trials it was running are marked failed")
        sys.exit(exit_code(exc))


if __name__ == "__main__":
    main()
