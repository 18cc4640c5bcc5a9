"""The `workbench` command: data generation, notebook runs, the tracked pipeline, the demo.

Scheduled jobs (cron) call this; every failure exits non-zero with a one-paragraph
message that names what to fix, never a bare traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from .config import ParamsError, resolve_path
from .data import DataValidationError, GeneratorSettings, generate_portfolio, read_tables, write_tables

app = typer.Typer(help="Key-Account Credit Workbench", no_args_is_help=True, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Portfolio data: generate and validate", no_args_is_help=True)
app.add_typer(data_app, name="data")
console = Console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@data_app.command("generate")
def data_generate(
    out: Path = typer.Option(..., "--out", help="Directory for the Parquet tables (replaced atomically)"),
    obligors: int = typer.Option(5000, "--obligors", min=10, help="Number of obligors"),
    years: int = typer.Option(10, "--years", min=2, max=40, help="Years of monthly history"),
    seed: int = typer.Option(0, "--seed", help="Random seed; same seed, same data"),
    start_year: int = typer.Option(2015, "--start-year", help="First calendar year"),
) -> None:
    """Draw the synthetic key-account portfolio and write every table as Parquet."""
    settings = GeneratorSettings(n_obligors=obligors, years=years, seed=seed, start_year=start_year)
    started = time.perf_counter()
    with console.status("generating portfolio") as status:
        tables = generate_portfolio(settings, progress=lambda msg: status.update(f"generating: {msg}"))
        status.update("validating and writing")
        try:
            target = write_tables(tables, out)
        except DataValidationError as exc:  # a generator bug, but say so clearly
            _fail(str(exc))
    console.print(f"wrote {len(tables)} tables to {target} in {time.perf_counter() - started:.1f}s")
    for name, df in tables.items():
        console.print(f"  {name:<18} {len(df):>9,d} rows")


@data_app.command("validate")
def data_validate(directory: Path = typer.Argument(..., help="Directory of <table>.parquet files")) -> None:
    """Check a portfolio directory against the data contract."""
    try:
        tables = read_tables(directory)
    except (DataValidationError, FileNotFoundError) as exc:
        _fail(str(exc))
    console.print(f"{directory}: {len(tables)} tables satisfy the data contract")


def main() -> None:  # pragma: no cover - console entry for `python -m workbench.cli`
    try:
        app()
    except ParamsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
