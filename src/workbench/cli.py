"""The `workbench` command: data generation, notebook runs, the tracked pipeline, the demo.

Scheduled jobs (cron) call this; every failure exits non-zero with a one-paragraph
message that names what to fix, never a bare traceback. Which notebooks exist, their params
and the figures the summaries print come from the job registry (``workbench.jobs``), imported
inside the commands so that ``workbench --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import format as fmt
from .cli_accounts import accounts_app
from .cli_review import review_app
from .cli_tune import tune
from .cli_watchlist import watchlist_app
from .params import ParamsError, parse_override
from .paths import default_data_dir
from .reference import metrics

app = typer.Typer(help="Key-Account Credit Workbench", no_args_is_help=True, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Portfolio data: generate and validate", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(review_app, name="review")
app.add_typer(watchlist_app, name="watchlist")
app.add_typer(accounts_app, name="accounts")
app.command("tune")(tune)
runs_app = typer.Typer(help="Runs in the tracking store: repair what a hard kill left RUNNING", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
console = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 1) -> None:
    # User text (paths, keys, cell sources) may hold [brackets]: never read it as rich markup.
    console.print(f"[bold red]error:[/] {escape(str(message))}")
    raise typer.Exit(code)


@data_app.command("generate")
def data_generate(
    out: Path = typer.Option(..., "--out", help="Directory for the Parquet tables (replaced atomically)"),
    obligors: int = typer.Option(5000, "--obligors", min=10, help="Number of obligors"),
    years: int = typer.Option(10, "--years", min=2, max=40, help="Years of monthly history"),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed; same seed, same data"),
    start_year: int = typer.Option(2015, "--start-year", min=1950, max=2150, help="First calendar year"),
) -> None:
    """Draw the synthetic key-account portfolio and write every table as Parquet."""
    from .data import DataValidationError, write_tables
    from .synthetic import GeneratorSettings, generate_portfolio

    out = out.expanduser().resolve()  # relative to where the command is run
    settings = GeneratorSettings(n_obligors=obligors, years=years, seed=seed, start_year=start_year)
    started = time.perf_counter()
    with console.status("generating portfolio") as status:
        tables = generate_portfolio(settings, progress=lambda msg: status.update(f"generating: {msg}"))
        status.update("validating and writing")
        try:
            target = write_tables(tables, out)
        except DataValidationError as exc:  # a generator bug, but say so clearly
            _fail(str(exc))
        except OSError as exc:
            _fail(f"cannot write the portfolio to {out}: {exc}")
    console.print(f"wrote {len(tables)} tables to {target} in {time.perf_counter() - started:.1f}s")
    for name, df in tables.items():
        console.print(f"  {name:<18} {len(df):>9,d} rows")


@data_app.command("validate")
def data_validate(
    directory: Path = typer.Argument(..., help="Directory of <table>.parquet files"),
    params: Optional[Path] = typer.Option(None, "--params", help="Params with the contract's tolerances "
                                          "(default: the features job's)"),
) -> None:
    """Check a portfolio directory against the whole data contract: every required table there and not
    empty, each table's columns, codes and rows, the links between tables, dates, balance sheets."""
    from . import jobs
    from .data import DataValidationError
    from .params import load_params
    from .runner import check_portfolio

    features = jobs.job("10_build_features")
    try:
        contract = load_params(features.params_model, _params_or_default(features.name, params)).contract
        warnings = check_portfolio(directory.expanduser().resolve(), contract)
    except (DataValidationError, FileNotFoundError, ParamsError) as exc:
        _fail(str(exc), code=2)
    console.print(f"{escape(str(directory))}: the portfolio satisfies the data contract"
                  + (f" ({len(warnings)} warning(s) above)" if warnings else ""))


def _user_path(path: Path) -> Path:
    """A path typed on the command line: from the current directory if it exists there,
    otherwise from the project root (so `--params params/test/x.yaml` works anywhere)."""
    path = path.expanduser()
    return path.resolve() if path.is_absolute() or path.exists() else path


def _params_or_default(job_name: str, params: Path | None) -> str:
    """The params file typed on the command line, else the job's own (from the registry)."""
    from . import jobs

    return str(_user_path(params)) if params else jobs.job(job_name).params_file


def _overrides(pairs: list[str]) -> dict[str, Any]:
    try:
        return dict(parse_override(p) for p in pairs)
    except ParamsError as exc:
        _fail(str(exc), code=2)
        raise  # unreachable; keeps type checkers calm


def _step_overrides(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``20_train_pd_model:xgb.max_depth=4`` -> ``{"20_train_pd_model": {"xgb.max_depth": 4}}``."""
    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        step, sep, rest = pair.partition(":")
        if not sep or "=" in step:
            _fail(f"pipeline override '{pair}' must look like NOTEBOOK:key=value", code=2)
        try:
            key, value = parse_override(rest)
        except ParamsError as exc:
            _fail(f"pipeline override '{pair}': {exc}", code=2)
        out.setdefault(step, {})[key] = value
    return out


def _repair_before_running() -> None:
    """Before a run: the tracking store answers (else exit 2 within seconds, naming it), and runs a
    hard kill left RUNNING are marked FAILED (say how many)."""
    from . import tracking
    from .supervise import repair_stale_runs

    try:
        tracking.check_store()
    except (OSError, RuntimeError) as exc:
        _fail(str(exc), code=2)
    repaired = repair_stale_runs()
    if repaired:
        console.print(f"[yellow]note:[/] marked {len(repaired)} stale RUNNING run(s) FAILED "
                      f"({', '.join(escape(r.name) for r in repaired)}): their process is gone")


def _report_outcome(job: str, status: str, **details: Any) -> None:
    """Leave the job's status JSON and run the notification command of params/operations.yaml."""
    from .params import load_params
    from .supervise import OperationsParams, notify, write_status

    path = write_status(job, status, **details)
    try:
        operations = load_params(OperationsParams, "params/operations.yaml")
    except ParamsError as exc:
        console.print(f"[yellow]warning:[/] no notification: {escape(str(exc))}")
        return
    problem = notify(operations, status, path)
    if problem:
        console.print(f"[yellow]warning:[/] {escape(problem)}")


def _run_notebook_or_fail(notebook: str, params_file: str, overrides: dict[str, Any]):
    """Run one notebook; bad params or missing inputs exit 2, a failing notebook exits 1. Either way
    the outcome is left in ``<state>/status/<notebook>.json`` for a monitoring system."""
    from .runner import NotebookFailed, run_notebook
    from .supervise import Terminated

    name = Path(notebook).stem
    _repair_before_running()
    try:
        result = run_notebook(notebook, params_file, overrides)
    except (ParamsError, FileNotFoundError, LookupError, ValueError) as exc:
        _report_outcome(name, "REFUSED", message=str(exc))
        _fail(str(exc), code=2)
    except NotebookFailed as exc:
        _report_outcome(name, exc.result.status, message=str(exc), run_id=exc.result.run_id)
        _fail(str(exc))
    except Terminated as exc:
        _report_outcome(name, "KILLED", message=str(exc))
        raise
    _report_outcome(name, result.status, run_id=result.run_id)
    return result


@app.command("run")
def run(
    notebook: str = typer.Argument(..., help="Notebook name or path, e.g. 20_train_pd_model"),
    params: Optional[Path] = typer.Option(None, "--params", help="Params YAML (default: the notebook's own)"),
    set_: list[str] = typer.Option([], "-p", "--set", help="Override a param: key=value (repeatable)"),
) -> None:
    """Execute one notebook with papermill as a tracked MLflow run."""
    from . import jobs

    try:
        spec = jobs.job(notebook)
    except ParamsError as exc:
        _fail(str(exc), code=2)
    result = _run_notebook_or_fail(spec.name, str(_user_path(params)) if params else spec.params_file, _overrides(set_))
    console.print(f"[green]{result.name} FINISHED[/] in {result.duration_s:.1f}s; run {result.run_id}")
    console.print(f"  executed notebook: {result.output_notebook}\n  HTML report:       {result.html}")


@app.command("report")
def report(
    kind: str = typer.Argument(..., help="Report kind, e.g. monitoring"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Month end YYYY-MM-DD (default: the data's last)"),
    from_: Optional[str] = typer.Option(None, "--from", help="Backfill from this month end"),
    to: Optional[str] = typer.Option(None, "--to", help="Backfill to this month end (default: the data's last)"),
    render_all: bool = typer.Option(False, "--render-all", help="With --from: render every month's report, "
                                    "not only the last"),
    force: bool = typer.Option(False, "--force", help="Recompute as-of dates already stored (and the later "
                               "ones, which depend on them)"),
    obligor: list[str] = typer.Option([], "--obligor", help="Per-client reports (dossier): this client "
                                      "(repeatable)"),
    tier: str = typer.Option("", "--tier", help="Per-client reports (dossier): every client of this tier"),
    top: Optional[int] = typer.Option(None, "--top", min=1, help="With --tier: its N largest clients by exposure"),
    params: Optional[Path] = typer.Option(None, "--params", help="Params YAML (default: the report job's own)"),
    set_: list[str] = typer.Option([], "-p", "--set", help="Override a param of the report's job: key=value"),
) -> None:
    """Render a scheduled as-of report (HTML, code hidden) to experiments/reports/<kind>/<as_of>/, e.g. from
    cron: `workbench report monitoring`. With --from/--to, record every month end in between first."""
    from . import jobs

    try:
        spec = jobs.report_job(kind)
    except ParamsError as exc:
        _fail(str(exc), code=2)
    overrides = _overrides(set_)
    if params is not None:
        spec = dataclasses.replace(spec, params_file=str(_user_path(params)))
    if as_of and from_:
        _fail("give --as-of for one report or --from/--to for a range, not both", code=2)
    if to and not from_:
        _fail("--to needs --from (one month: --as-of)", code=2)
    try:
        months = _report_months(spec, overrides, as_of, from_, to)
    except (ParamsError, FileNotFoundError, LookupError, ValueError) as exc:
        _report_outcome(spec.name, "REFUSED", message=str(exc))
        _fail(str(exc), code=2)
    if spec.batch_report:
        if from_ or to or render_all or force:
            _fail(f"report '{kind}' renders one as-of per call: use --as-of with --obligor or --tier", code=2)
        if top and not tier:
            _fail("--top needs --tier", code=2)
        if not obligor and not tier:
            _fail(f"report '{kind}' is per client: say which with --obligor ID or --tier A [--top N]", code=2)
        if obligor and tier:
            _fail("give --obligor or --tier, not both", code=2)
        _render_batch_or_fail(spec, months[0], overrides, list(obligor), tier, top)
        return
    if obligor or tier or top:
        _fail(f"report '{kind}' is one report per as-of: --obligor, --tier and --top do not apply", code=2)
    if from_:
        if spec.backfill is None:
            _fail(f"report '{kind}' keeps no records month by month: render one as-of at a time", code=2)
        _backfill_or_fail(spec, overrides, months, force)
    rendered = months if (render_all or not from_) else months[-1:]
    for month in rendered:
        run_overrides = {**overrides, "as_of": month}
        if "force" in spec.params_model.model_fields:
            # a backfill just wrote these months; the report recomputes them (idempotent), which is no overwrite
            run_overrides["force"] = force or bool(from_)
        _precheck_or_fail(spec, run_overrides)
        result = _run_notebook_or_fail(spec.name, spec.params_file, run_overrides)
        console.print(f"[green]{kind} report {month} FINISHED[/] in {result.duration_s:.0f}s; run {result.run_id}")
        console.print(f"  report: {result.html}")


def _render_batch_or_fail(spec, as_of: str, overrides: dict[str, Any], obligors: list[str], tier: str,
                          top: int | None) -> None:
    """Per-client reports of one as-of in one batch: which clients (from the accounts database's tiers of
    that as-of, by exposure), then the batch, then where the index is. Refusals exit 2 before any kernel."""
    from rich.progress import Progress

    from .accounts import AccountsDatabaseUnreachable, AccountsStore, obligor_exposure
    from .batch import client_details, render_client_reports
    from .data import read_tables
    from .jobs.dossier import select_clients
    from .paths import resolve_path

    cfg = _report_params(spec, {**overrides, "as_of": as_of})
    try:
        store = AccountsStore.open(getattr(cfg, "accounts_db", "") or None)
        stored = [d for d in store.stored_as_of() if f"{d:%Y-%m-%d}" == as_of]
        if not stored:
            raise LookupError(f"the accounts database holds no month {as_of} (tiers, watchlist): run "
                              f"`workbench report monitoring --as-of {as_of}` first")
        tiers = store.read_tiers(as_of)
        tables = read_tables(resolve_path(cfg.data_dir), ["obligors", "facilities"])
        exposures = obligor_exposure(tables["facilities"], as_of)
        chosen = select_clients(tiers, exposures, tier=tier, top=top, obligors=obligors)
    except (AccountsDatabaseUnreachable, LookupError, ValueError, FileNotFoundError, ParamsError) as exc:
        _report_outcome(spec.name, "REFUSED", message=str(exc))
        _fail(str(exc), code=2)
    names = tables["obligors"].set_index("obligor_id")["name"].to_dict()
    console.print(f"{spec.batch_report}: {len(chosen)} client(s) as of {as_of}")
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{spec.batch_report} {as_of}", total=len(chosen))
        result = render_client_reports(spec, as_of, chosen, spec.params_file, overrides,
                                       names={k: names.get(k, "") for k in chosen},
                                       details=client_details(tiers, exposures),
                                       progress=lambda r, k, n: progress.update(task, completed=k))
    for failed in result.failed:
        console.print(f"[red]failed:[/] {escape(failed.key)}: {escape(failed.error or '')}")
    status = "FINISHED" if not result.failed else "FAILED"
    _report_outcome(spec.name, status, run_id=result.parent_run_id,
                    message=f"{len(result.rendered) - len(result.failed)} of {len(result.rendered)} rendered")
    console.print(f"[green]{len(result.rendered) - len(result.failed)} of {len(result.rendered)} {spec.batch_report}"
                  f"(s)[/] in {result.seconds:.0f}s ({result.seconds / max(len(result.rendered), 1):.1f}s each); "
                  f"batch run {result.parent_run_id}")
    console.print(f"  index: {result.index}")
    if result.failed:
        raise typer.Exit(1)


def _report_params(spec, overrides: dict[str, Any]):
    from .params import load_params

    return load_params(spec.params_model, spec.params_file, overrides)


def _report_months(spec, overrides: dict[str, Any], as_of: str | None, from_: str | None,
                   to: str | None) -> list[str]:
    """The month ends to report (ISO dates), inside the data's range; refusals name the range."""
    from .data.io import data_months

    cfg = _report_params(spec, overrides)
    data_dir = getattr(cfg, "data_dir", None)
    if not data_dir:
        raise ValueError(f"job {spec.name} has no data_dir to take the month ends from")
    from .paths import resolve_path

    months = data_months(resolve_path(data_dir))
    first, last = months[0], months[-1]
    span = f"the data covers {first:%Y-%m-%d} .. {last:%Y-%m-%d}"

    def month_end(text: str, what: str):
        from datetime import date

        import pandas as pd

        try:
            day = pd.Timestamp(date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"{what} '{text}' is not a date (YYYY-MM-DD)") from None
        end = day + pd.offsets.MonthEnd(0)
        if day != end:
            raise ValueError(f"{what} {day:%Y-%m-%d} is not a month end (did you mean {end:%Y-%m-%d}?)")
        if end > last:
            raise ValueError(f"{what} {end:%Y-%m-%d} is after the data's last month end ({span})")
        if end < first:
            raise ValueError(f"{what} {end:%Y-%m-%d} is before the data starts ({span})")
        return end

    if not from_:
        return [f"{(month_end(as_of, '--as-of') if as_of else last):%Y-%m-%d}"]
    start, stop = month_end(from_, "--from"), (month_end(to, "--to") if to else last)
    if stop < start:
        raise ValueError(f"--to {stop:%Y-%m-%d} is before --from {start:%Y-%m-%d}")
    return [f"{m:%Y-%m-%d}" for m in months if start <= m <= stop]


def _precheck_or_fail(spec, overrides: dict[str, Any]) -> None:
    """The job's own checks (e.g. the accounts database answers, no later as-of is overwritten)."""
    if spec.precheck is None:
        return
    try:
        for note in spec.precheck(_report_params(spec, overrides)) or []:
            console.print(f"[yellow]note:[/] {escape(note)}")
    except (ParamsError, FileNotFoundError, LookupError, ValueError, OSError, RuntimeError) as exc:
        _report_outcome(spec.name, "REFUSED", message=str(exc))
        _fail(str(exc), code=2)


def _backfill_or_fail(spec, overrides: dict[str, Any], months: list[str], force: bool) -> None:
    """Record every month end of the range in this process, then say what was written and skipped."""
    from rich.progress import Progress

    _precheck_or_fail(spec, {**overrides, "as_of": months[0], "force": force})
    started = time.perf_counter()
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"{spec.as_of_report}: {months[0]} .. {months[-1]}", total=None)
            summary = spec.backfill(_report_params(spec, overrides), months, force=force,
                                    progress=lambda text: progress.update(task, description=text))
    except (ParamsError, FileNotFoundError, LookupError, ValueError, OSError, RuntimeError) as exc:
        _report_outcome(spec.name, "FAILED", message=f"backfill: {exc}")
        _fail(f"backfill {months[0]} .. {months[-1]}: {exc}\n  months recorded before the failure stay "
              "recorded; rerun the same command to continue")
    console.print(f"[green]recorded[/] {summary} in {time.perf_counter() - started:.0f}s")


@review_app.command("run")
def review_run(
    model: str = typer.Argument("key-account-pd", help="Registered model name"),
    version: str = typer.Argument("", help="Version number or alias (default: the latest version)"),
    set_: list[str] = typer.Option([], "-p", "--set", help="Further key=value overrides of params/review_model.yaml"),
) -> None:
    """Review a model version (notebooks/40_review_model): reproducibility, champion vs challenger,
    HTML report; the version is linked to the validation run that `review approve` reads."""
    from . import jobs, tracking

    review = jobs.job("40_review_model")
    result = _run_notebook_or_fail(review.name, review.params_file,
                                   {"model_name": model, "model_version": version, **_overrides(set_)})
    overview = tracking.run_overview([result.run_id], review.key_figures)[0]
    figures = "  ".join(f"{k}={_fmt(k, v)}" for k, v in overview.items() if "/" in k)
    console.print(f"[green]reviewed[/] {model} {version or '(latest)'} in {result.duration_s:.0f}s: {figures}")
    console.print(f"  report: {result.html}")
    typer.echo(result.run_id)


@app.command("train")
def train(
    table: Path = typer.Option(..., "--table", help="Flat CSV, Parquet or ARFF table ('?' is missing)"),
    target: str = typer.Option(..., "--target", help="Binary target column (1 = default)"),
    id_column: str = typer.Option("", "--id", help="Row id column"),
    time_column: str = typer.Option("", "--time", help="Date column: splits and folds follow time"),
    model_name: str = typer.Option("", "--model-name", help="Registered model to add the version to "
                                   "(default: '<table name>-pd'; never the desk's key-account-pd unless named)"),
    special_values: str = typer.Option("", "--special-values", help="Codes meaning 'no record' / 'not applicable' "
                                       "in every numeric column, e.g. -7,-8,-9 (missing plus an indicator)"),
    drop: list[str] = typer.Option([], "--drop", help="A column that is not a feature (repeatable)"),
    trials: Optional[int] = typer.Option(None, "--trials", min=1, help="Optuna trials (default: the params file's)"),
    params: Optional[Path] = typer.Option(None, "--params", help="Params YAML to start from (default: the job's own)"),
    set_: list[str] = typer.Option([], "-p", "--set", help="Further key=value overrides"),
    encoding: str = typer.Option("", "--encoding", help="Text encoding of a CSV table (e.g. latin-1); default UTF-8"),
    register: bool = typer.Option(True, "--register/--no-register", help="Register the version (alias challenger)"),
) -> None:
    """Train the PD model on your own flat table through notebooks/20_train_pd_model and register it under a
    model name of its own; prints the run id. Text columns are categories, --special-values codes are their
    own missing categories. The table is read and checked here first, so a bad table fails in seconds,
    before any kernel. Review the version with `workbench review run MODEL_NAME`."""
    import warnings

    from .data import FlatTableError, load_flat_table
    from .jobs import TrainPDParams
    from .models.encoding import parse_special_values
    from .params import load_params

    table = table.expanduser().resolve()
    if not table.is_file():
        _fail(f"table not found: {table}", code=2)
    overrides: dict[str, Any] = {"table_path": str(table), "target": target, "id_column": id_column,
                                 "time_column": time_column, "register_model": register, "table_encoding": encoding,
                                 "registered_model": model_name}
    if drop:
        overrides["drop_columns"] = list(drop)
    if special_values:
        try:
            overrides["special_values"] = parse_special_values(special_values)
        except ValueError as exc:
            _fail(f"--special-values: {exc}", code=2)
    if trials is not None:
        overrides["tuning.n_trials"] = trials
    overrides.update(_overrides(set_))
    params_file = _params_or_default("20_train_pd_model", params)
    try:
        cfg = load_params(TrainPDParams, params_file, overrides)
    except ParamsError as exc:
        _fail(str(exc), code=2)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            load_flat_table(table, target=target, id_column=id_column or None, date_column=time_column or None,
                            encoding=encoding or None, drop_columns=cfg.drop_columns, max_categories=cfg.max_categories)
    except FlatTableError as exc:
        _fail(str(exc), code=2)
    for warning in caught:
        console.print(f"[yellow]warning:[/] {escape(str(warning.message))}")
    result = _run_notebook_or_fail("20_train_pd_model", params_file, overrides)
    from . import tracking

    overview = tracking.run_overview([result.run_id], (metrics.VALID_AUC, metrics.OOT_AUC, metrics.OOT_BRIER))[0]
    figures = "  ".join(f"{k}={_fmt(k, v)}" for k, v in overview.items() if "/" in k)
    console.print(f"[green]trained[/] on {table.name} in {result.duration_s:.0f}s: {figures}")
    if cfg.registry_name:
        console.print(f"  registered as {cfg.registry_name}@challenger; review it: workbench review run "
                      f"{cfg.registry_name}")
    console.print(f"  report: {result.html}")
    typer.echo(result.run_id)


def _consumer_model(model: str, *, required: bool):
    """The model version consumers must use (``signoff.model_for_consumers``), said on stderr: the
    verified champion, or the UNAPPROVED warning. Records that do not verify exit 2 with what does
    not verify; no registered model exits 2 when ``required``, else returns None with a note."""
    from rich.markup import escape

    from . import tracking
    from .signoff import SignoffNotVerified, model_for_consumers

    try:
        tracking.check_store()  # a server that does not answer or refuses the credentials: exit 2, not a traceback
    except (OSError, RuntimeError) as exc:
        _fail(escape(str(exc)), code=2)
    try:
        consumer = model_for_consumers(model)
    except SignoffNotVerified as exc:
        _fail(escape(str(exc)), code=2)
    except LookupError as exc:
        if required:
            _fail(escape(f"{exc}; train and register one (`workbench run 20_train_pd_model`) or pass "
                         f"-p training_run_id=RUN"), code=2)
        console.print(f"[yellow]note:[/] {escape(str(exc))}")
        return None
    if consumer.approved:
        console.print(f"[green]model:[/] {escape(consumer.describe())}")
    else:
        console.print(f"[bold yellow]WARNING:[/] {escape(consumer.warning)}")
    return consumer


@app.command("price")
def price(
    grade: int = typer.Option(..., "--grade", min=1, help="Master-scale grade (1 = best)"),
    tenor: float = typer.Option(..., "--tenor", help="Tenor in years"),
    collateral: str = typer.Option("none", "--collateral", help="none, financial, receivables, real_estate, other_physical"),
    amount: float = typer.Option(..., "--amount", help="Exposure in EUR millions"),
    sales: Optional[float] = typer.Option(None, "--sales", help="Client sales in EUR m (SME adjustment below 50)"),
    tier: str = typer.Option("B", "--tier", help="Client tier A, B or C"),
    collateral_value: Optional[float] = typer.Option(None, "--collateral-value", help="EUR m (default: params coverage x amount)"),
    params: Optional[Path] = typer.Option(None, "--params", help="Pricing params YAML (default: the calibration job's own)"),
    model: str = typer.Option("key-account-pd", "--model", help="Registered PD model whose champion the quote is for"),
    extrapolate: bool = typer.Option(False, "--extrapolate", help="Price a tenor beyond the grid's last bucket "
                                     "(from that bucket's spread) instead of refusing it"),
) -> None:
    """Quote one facility: PD, LGD, risk weight, capital, EL, funding, opex, required and
    recommended spread, RAROC. For the model version consumers must use (the signed-off
    champion; with no champion the challenger, with an UNAPPROVED warning): from the latest grid
    calibrated on that version's training run, else from the params. Exits 2, quoting nothing,
    when the champion's sign-off does not verify."""
    from rich.markup import escape

    from . import tracking
    from .jobs import CalibratePricingParams
    from .params import load_params
    from .pricing import grid_from_table, params_only_grid, quote_facility
    from .signoff import latest_run_built_on

    _check_quote_inputs(tenor=tenor, amount=amount, sales=sales, collateral_value=collateral_value)
    try:
        cfg = load_params(CalibratePricingParams, _params_or_default("30_calibrate_pricing", params))
    except (ParamsError, FileNotFoundError) as exc:
        _fail(str(exc), code=2)
    consumer = _consumer_model(model, required=False)
    source_run = latest_run_built_on(consumer, "30_calibrate_pricing") if consumer else None
    if source_run:
        import pandas as pd

        try:
            grid = grid_from_table(pd.read_parquet(tracking.resolve_output(source_run, "price_grid")))
        except (LookupError, OSError, KeyError) as exc:
            _fail(escape(f"the calibration run {source_run} of {consumer.label} has no readable price grid: {exc}"),
                  code=2)
        source = f"calibrated grid of run {source_run} (calibrated on {consumer.label})"
    else:
        grid = params_only_grid(cfg.pricing)
        why = (f"no calibration run built on {consumer.label} yet" if consumer else
               f"no registered model {model}")
        source = f"hurdle grid from {params or 'the calibration params'} ({why}: market layer off)"
    last_bucket = max(grid.tenor_buckets)
    if tenor > last_bucket and not extrapolate:
        _fail(f"--tenor {tenor:g} is beyond the grid's last tenor bucket ({last_bucket:g} years): the grid has no "
              "price for it; pass --extrapolate to price it from that bucket", code=2)
    try:
        table = quote_facility(grid, cfg.pricing, grade=grade, tenor_years=tenor, collateral_type=collateral,
                               amount_eur_m=amount, tier=tier, sales_eur_m=sales, collateral_value_eur_m=collateral_value)
    except ValueError as exc:
        _fail(str(exc), code=2)
    title = f"Quote: grade {grade}, {tenor:g} years, {collateral}, EUR {amount:g}m, tier {tier}"
    if consumer is not None:
        title += f"; model {consumer.label}" + ("" if consumer.approved else " UNAPPROVED")
    out = Table(title=escape(title))
    out.add_column("item")
    out.add_column("value", justify="right")
    for item, value in table.itertuples(index=False):
        out.add_row(item, _fmt_quote(item, value))
    Console(soft_wrap=True).print(out)
    console.print(f"source: {escape(source)}")


def _check_quote_inputs(**values: float | None) -> None:
    """Amounts and tenors must be finite and positive (collateral may be 0): exit 2 naming the option."""
    import math

    for name, value in values.items():
        if value is None:
            continue
        option = "--" + name.replace("_", "-")
        if not math.isfinite(value):
            _fail(f"{option} {value} is not a finite number", code=2)
        if value < 0 or (value == 0 and name != "collateral_value"):
            _fail(f"{option} must be positive, got {value:g}", code=2)


def _fmt_quote(item: str, value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(value)
    if item in ("PD", "LGD (F-IRB)", "risk weight", "hurdle (return on capital)", "RAROC at the recommended spread",
                "acceptance probability of the cell"):
        return f"{100 * value:.2f} %"
    return f"{value:,.4f}" if abs(value) < 10 and not float(value).is_integer() else f"{value:,.1f}"


@app.command("structure")
def structure(
    obligor: str = typer.Option("", "--obligor", help="Obligor id, e.g. OB000003"),
    project: str = typer.Option("", "--project", help="Project id instead (its obligor and CFADS forecast)"),
    amount: Optional[float] = typer.Option(None, "--amount", help="Requested amount, EUR m (default: a quarter of sales)"),
    tenor: Optional[float] = typer.Option(None, "--tenor", help="Tenor in years (default: the params')"),
    params: Optional[Path] = typer.Option(None, "--params", help="Params YAML (default: the job's own)"),
    set_: list[str] = typer.Option([], "-p", "--set", help="Further key=value overrides"),
    model: str = typer.Option("key-account-pd", "--model", help="Registered PD model whose champion grades the obligor"),
) -> None:
    """Draw up a financing proposal for one obligor (notebooks/60_structure_financing): admission,
    schedules, sculpting, sensitivities, financing mix; prints the HTML report's path. Grades and
    panel come from the training run of the model version consumers must use (the signed-off
    champion; with no champion the challenger, with an UNAPPROVED warning) unless
    -p training_run_id=RUN says otherwise; a champion whose sign-off does not verify exits 2
    before the notebook starts."""
    _check_quote_inputs(amount=amount, tenor=tenor)
    if not obligor and not project:
        _fail("say whom to structure for: --obligor ID or --project ID", code=2)
    overrides: dict[str, Any] = {"obligor_id": obligor, "project_id": project}
    if amount is not None:
        overrides["amount_eur_m"] = amount
    if tenor is not None:
        overrides["tenor_years"] = tenor
    user_overrides = _overrides(set_)
    overrides.update(user_overrides)
    if str(user_overrides.get("training_run_id", "")).strip():
        console.print(f"model: the training run set with -p training_run_id={user_overrides['training_run_id']} "
                      "(no model version resolved)")
    else:
        overrides["training_run_id"] = _consumer_model(model, required=True).run_id
    result = _run_notebook_or_fail("60_structure_financing", _params_or_default("60_structure_financing", params),
                                   overrides)
    from . import tracking

    info = tracking.run_overview([result.run_id], (metrics.ADMISSION_DECISION, metrics.SCULPTING_DEBT,
                                                   metrics.MIX_WACC))[0]
    decisions = {code: word for word, code in metrics.ADMISSION_DECISION_CODES.items()}
    figures = f"admission: {decisions.get(info.get(metrics.ADMISSION_DECISION), '?')}"
    if metrics.SCULPTING_DEBT in info:
        figures += f"; sculpted debt {info[metrics.SCULPTING_DEBT]:,.1f}"
    if metrics.MIX_WACC in info:
        figures += f"; financing mix WACC {100 * info[metrics.MIX_WACC]:.2f} %"
    console.print(f"[green]proposal for {obligor or project}[/] in {result.duration_s:.0f}s: {figures}")
    console.print(f"  run {result.run_id}")
    typer.echo(str(result.html))


@app.command("pipeline")
def pipeline(
    data: Path = typer.Option(None, "--data", help="Portfolio directory (default: the demo portfolio)"),
    params_dir: Path = typer.Option(Path("params"), "--params-dir", help="Directory of the notebooks' YAML params"),
    set_: list[str] = typer.Option([], "-p", "--set", help="NOTEBOOK:key=value override (repeatable)"),
    engine: str = typer.Option("pandas", "--engine", help="pandas (in each notebook's process) or dask: the panel "
                               "on dask partitions and the PD model's boosters with xgboost.dask on a cluster"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="With --engine dask: the address of a running "
                                            "dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster of "
                                            "2 single-threaded worker processes, started and stopped here)"),
    name: Optional[str] = typer.Option(None, "--pipeline", help="Registered pipeline to run (default: credit-pd, "
                                       "or credit-pd-dask with --engine dask)"),
) -> None:
    """Run the credit pipeline (features -> PD model -> pricing -> review) as one parent MLflow run with a
    child run per notebook; with --engine dask on a Dask cluster (pipeline credit-pd-dask)."""
    from . import jobs

    if engine not in ("pandas", "dask"):
        _fail(f"--engine must be pandas or dask, not {engine!r}", code=2)
    overrides = _step_overrides(set_)
    if name is None:
        name = jobs.DASK_PIPELINE if engine == "dask" else jobs.CREDIT_PIPELINE
    try:
        spec = jobs.pipeline(name)
    except ParamsError as exc:
        _fail(str(exc), code=2)
    if engine == "dask":
        # Every step with an engine computes on dask (a pipeline of its own may say so already).
        for step in spec.jobs:
            if "engine" in jobs.job(step).params_model.model_fields:
                overrides.setdefault(step, {}).setdefault("engine", "dask")
    if scheduler and not _uses_dask(name, overrides):
        _fail("--scheduler names the dask cluster: it needs --engine dask", code=2)
    _run_pipeline_and_summarise(data.expanduser().resolve() if data else default_data_dir(), _user_path(params_dir),
                                overrides, name=name, scheduler=scheduler)


def _uses_dask(name: str, overrides: dict[str, dict[str, Any]]) -> bool:
    from . import jobs

    return any(values.get("engine") == "dask" for values in jobs.pipeline_overrides(name, overrides).values())


def _run_on_engine(name: str, data: Path, params_dir: Path, overrides: dict[str, dict[str, Any]],
                   scheduler: str | None):
    """The registered pipeline ``name``; a pipeline that sets ``engine: dask`` runs inside one dask client
    (the scheduler at ``scheduler``, or a LocalCluster for the run) whose address every kernel gets in
    ``WORKBENCH_DASK_SCHEDULER``."""
    from . import jobs
    from .runner import run_registered_pipeline

    steps = jobs.pipeline_overrides(name, overrides)
    if not _uses_dask(name, overrides):
        return run_registered_pipeline(name, data, params_dir, steps)
    from .scale import dask_client, scheduler_env

    with dask_client(scheduler) as client:
        address = client.scheduler.address
        workers = len(client.scheduler_info(n_workers=-1)["workers"])
        console.print(f"dask: {workers} worker(s) at {escape(address)}"
                      + ("" if scheduler else " (a LocalCluster for this run)"))
        with scheduler_env(address):
            return run_registered_pipeline(name, data, params_dir, steps)


def _run_pipeline_and_summarise(data: Path, params_dir: Path, overrides: dict[str, dict[str, Any]], *,
                                name: str | None = None, scheduler: str | None = None):
    from . import jobs, tracking
    from .runner import NotebookFailed
    from .supervise import Terminated

    name = name or jobs.CREDIT_PIPELINE
    started = time.perf_counter()
    _repair_before_running()
    try:
        result = _run_on_engine(name, data, params_dir, overrides, scheduler)
    except (ParamsError, FileNotFoundError, LookupError, ValueError, OSError) as exc:
        _report_outcome(name, "REFUSED", message=str(exc))
        _fail(str(exc), code=2)
    except NotebookFailed as exc:
        parent = exc.pipeline_result.parent_run_id if exc.pipeline_result else None
        _report_outcome(name, "FAILED", message=str(exc), run_id=parent)
        _fail(f"{exc}\n  earlier results are untouched; the failed run is marked FAILED in MLflow")
    except Terminated as exc:
        _report_outcome(name, "KILLED", message=str(exc))
        raise
    _report_outcome(name, "FINISHED", run_id=result.parent_run_id)
    table = Table(title=f"{'credit pipeline' if name == jobs.CREDIT_PIPELINE else name} FINISHED in {time.perf_counter() - started:.0f}s")
    for col in ("notebook", "status", "seconds", "key figures"):
        table.add_column(col)
    overview = tracking.run_overview([s.run_id for s in result.steps],
                                     tuple(m for s in result.steps for m in jobs.job(s.name).key_figures))
    for step, info in zip(result.steps, overview):
        figures = "  ".join(f"{k}={_fmt(k, info[k])}" for k in jobs.job(step.name).key_figures if k in info)
        table.add_row(step.name, info["status"], f"{step.duration_s:.1f}", figures)
    out = Console(soft_wrap=True)
    out.print(table)
    out.print(f"MLflow store:       {tracking.tracking_uri()}")
    out.print(f"Pipeline run:       {result.parent_run_id}")
    out.print("Executed notebooks and HTML reports:")
    for step in result.steps:
        out.print(f"  {step.html}")
    out.print("Review the runs:    make ui    then open " + tracking.run_url(result.parent_run_id))
    out.print("Iterate:            make lab   (notebooks/, kernel python3 = this venv)")
    registered = next((tracking.get_run_tags(s.run_id).get("workbench.registered_model", "") for s in result.steps
                       if s.name == "20_train_pd_model"), "")
    name, _, version = registered.partition("@")[0].partition("/")
    out.print(f"Sign off:           workbench review approve {name or 'key-account-pd'} {version or 'VERSION'} "
              "--by NAME --comment TEXT")
    out.print("                    (by a validator's account: OS user, or MLflow user on a server with auth;\n"
              "                    approving a model trained from your own account is a self-approval and also needs --override-reason TEXT, which is recorded)")
    return result


def _fmt(name: str, value: float) -> str:
    """A key figure as people read it (integers, percentages, 4 significant digits)."""
    return fmt.metric(name, value)


@app.command("demo")
def demo(
    obligors: int = typer.Option(5000, "--obligors", min=10, help="Size of the demo portfolio if it must be generated"),
    years: int = typer.Option(10, "--years", min=3, help="Years of history if it must be generated"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Generate the default portfolio if absent, run the credit pipeline, say where everything is."""
    data = default_data_dir()
    if not (data / "obligors.parquet").is_file():
        console.print(f"no portfolio at {data}: generating {obligors} obligors x {years} years (seed {seed})")
        data_generate(out=data, obligors=obligors, years=years, seed=seed, start_year=2015)
    else:
        console.print(f"using the portfolio at {data} (delete it to regenerate)")
    result = _run_pipeline_and_summarise(data, Path("params"), {})
    _demo_monitoring(data, result)


#: Month ends the demo records before rendering its monitoring report, so the watchlist has a history.
DEMO_MONITORING_MONTHS = 12
#: Dossiers the demo renders: the largest tier-A clients of the last month end.
DEMO_DOSSIERS = 5
#: Monte Carlo scenarios of the demo's portfolio report: a quarter of the scheduled report's million keeps the
#: demo within its 4 minutes; the report states the count and the standard error of its VaR (about 1 %).
DEMO_LOSS_SCENARIOS = 250_000


def _demo_monitoring(data: Path, result) -> None:
    """The desk's instruments last: record the last months of the data, render the monitoring report
    of the last month end with the model the pipeline just trained, the largest tier-A clients'
    dossiers and the portfolio-risk report, and say where they are."""
    from .data.io import data_months

    months = data_months(data)
    training = next(s.run_id for s in result.steps if s.name == "20_train_pd_model")
    start = months[max(len(months) - DEMO_MONITORING_MONTHS, 0)]
    console.print(f"\nmonitoring: recording {start:%Y-%m-%d} .. {months[-1]:%Y-%m-%d}, then the report of "
                  f"{months[-1]:%Y-%m-%d}")
    # --force: the demo recomputes its months (the same rows again) whatever a run of its own left stored.
    report(kind="monitoring", as_of=None, from_=f"{start:%Y-%m-%d}", to=None, render_all=False, force=True,
           obligor=[], tier="", top=None, params=None, set_=[f"training_run_id={training}", f"data_dir={data}"])
    console.print("Next month, from cron: workbench report monitoring   (see the README's schedule section)")
    console.print(f"\ndossiers: the {DEMO_DOSSIERS} largest tier-A clients as of {months[-1]:%Y-%m-%d}")
    report(kind="dossier", as_of=f"{months[-1]:%Y-%m-%d}", from_=None, to=None, render_all=False, force=False,
           obligor=[], tier="A", top=DEMO_DOSSIERS, params=None,
           set_=[f"training_run_id={training}", f"data_dir={data}"])
    console.print(f"\nportfolio risk as of {months[-1]:%Y-%m-%d}: IFRS 9, stress test, loss distribution")
    report(kind="portfolio", as_of=f"{months[-1]:%Y-%m-%d}", from_=None, to=None, render_all=False, force=False,
           obligor=[], tier="", top=None, params=None,
           set_=[f"training_run_id={training}", f"data_dir={data}",
                 f"simulation.n_scenarios={DEMO_LOSS_SCENARIOS}"])


@app.command("ui")
def ui(port: int = typer.Option(5000, "--port"), host: str = typer.Option("127.0.0.1", "--host")) -> None:
    """Start the MLflow UI on this project's tracking store."""
    from . import tracking

    cmd = tracking.ui_command(host, port)
    console.print(f"MLflow UI on {tracking.ui_url(host, port)}  (store {tracking.tracking_uri()}); Ctrl-C stops it")
    raise typer.Exit(subprocess.call(cmd))


@runs_app.command("repair")
def runs_repair(
    stale_after: float = typer.Option(600.0, "--stale-after", min=60, help="Seconds without a heartbeat "
                                      "after which a run on another host counts as dead"),
) -> None:
    """Mark FAILED the RUNNING runs a hard kill left behind (their process is gone from this host, or
    their heartbeat stopped); every `run`, `pipeline` and `demo` does this first on its own."""
    from .supervise import repair_stale_runs

    repaired = repair_stale_runs(stale_after)
    for run in repaired:
        console.print(f"marked FAILED: {escape(run.experiment)}/{escape(run.name)} ({run.run_id}): {escape(run.reason)}")
    console.print(f"{len(repaired)} stale run(s) repaired")


def _log_traceback(exc: BaseException) -> Path | None:
    """The traceback of an unexpected failure, in ``<state>/logs/``; its path, or None if it cannot be written."""
    import traceback
    from datetime import datetime, timezone

    try:
        from .paths import state_dir

        logs = state_dir() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        path = logs / f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return path
    except Exception:  # noqa: BLE001 - a state dir that is unusable is itself the likely failure
        return None


def main() -> None:
    """Console entry point: the app, with signals as exit codes and no bare traceback for the user."""
    from .supervise import Terminated, exit_code

    try:
        app()
    except Terminated as exc:
        console.print(f"[bold red]stopped:[/] {escape(str(exc))}; the runs it was running are marked KILLED")
        sys.exit(exit_code(exc))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last resort: one line and where the details are
        path = _log_traceback(exc)
        where = f"; details in {path}" if path else ""
        console.print(f"[bold red]error:[/] {escape(f'{type(exc).__name__}: {exc}')}{where}")
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
