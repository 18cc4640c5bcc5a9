"""`workbench review ...`: sign off registered model versions (see ``workbench.signoff``).

Mounted by ``workbench.cli`` as ``app.add_typer(review_app, name="review")``. The sign-off module
(and with it mlflow) is imported inside the commands so that ``workbench --help`` stays fast.
Refusals print every problem to stderr and exit 1; successes print one line to stdout.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

review_app = typer.Typer(
    help="Validation sign-off: approve or reject registered model versions; only approved versions "
    "become champion",
    no_args_is_help=True,
)

_err = Console(stderr=True, soft_wrap=True)
_out = Console(soft_wrap=True)

_MODEL_HELP = "Registered model name (e.g. key-account-pd)"
_VERSION_HELP = "Model version number"


def _refuse(message: str) -> None:
    _err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(1)


def _print_notes(decision) -> None:
    for note in decision.notes:
        _err.print(f"[yellow]note:[/] {escape(note)}")


@review_app.command("approve")
def approve_cmd(
    model: str = typer.Argument(..., help=_MODEL_HELP),
    version: str = typer.Argument(..., help=_VERSION_HELP),
    by: str = typer.Option(..., "--by", help="Who signs off (recorded)"),
    comment: str = typer.Option(..., "--comment", help="Why (recorded)"),
    override_reason: Optional[str] = typer.Option(
        None, "--override-reason",
        help="Approve despite a failed reproducibility check or red out-of-time grades; recorded",
    ),
) -> None:
    """Approve MODEL VERSION and move alias `champion` to it, if the validation gate passes."""
    from .signoff import SignoffRefused, approve

    try:
        decision = approve(model, version, by, comment, override_reason=override_reason)
    except SignoffRefused as exc:
        _refuse(str(exc))
        return
    _out.print(escape(decision.summary()))
    _print_notes(decision)


@review_app.command("reject")
def reject_cmd(
    model: str = typer.Argument(..., help=_MODEL_HELP),
    version: str = typer.Argument(..., help=_VERSION_HELP),
    by: str = typer.Option(..., "--by", help="Who decides (recorded)"),
    comment: str = typer.Option(..., "--comment", help="Why (recorded)"),
) -> None:
    """Record a rejection of MODEL VERSION; aliases never move."""
    from .signoff import SignoffRefused, reject

    try:
        decision = reject(model, version, by, comment)
    except SignoffRefused as exc:
        _refuse(str(exc))
        return
    _out.print(escape(decision.summary()))
    _print_notes(decision)


@review_app.command("status")
def status_cmd(model: str = typer.Argument("key-account-pd", help=_MODEL_HELP)) -> None:
    """Versions of MODEL with their aliases, latest decision, who, when and the validation run."""
    from .signoff import status

    try:
        df = status(model)
    except LookupError as exc:
        _refuse(str(exc))
        return
    if df.empty:
        _out.print(f"{escape(model)}: no versions")
        return
    columns = ["version", "aliases", "decision", "by", "at", "validation_run_id", "decisions"]
    if not _out.is_terminal:
        # Piped or captured (cron, scripts): plain text, nothing truncated to fit a width.
        typer.echo(df[columns].to_string(index=False))
        return
    table = Table(title=f"{escape(model)} sign-off status")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in df[columns].itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    _out.print(table)
