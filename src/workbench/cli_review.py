"""`workbench review ...`: sign off registered model versions (see ``workbench.signoff``).

Mounted by ``workbench.cli`` as ``app.add_typer(review_app, name="review")``. The sign-off module
(and with it mlflow) is imported inside the commands so that ``workbench --help`` stays fast.
Refusals print every problem to stderr and exit 1; records that do not verify (tampering), an
unusable signing key and a tracking server that does not answer or refuses the credentials exit 2
saying what is wrong; successes print one line to stdout.
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


def _refuse(message: str, code: int = 1) -> None:
    _err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _check_store() -> None:
    """The tracking store answers and, on a server with auth, accepts the credentials (else exit 2,
    naming what to set) before anything is read or decided."""
    from .tracking import check_store

    try:
        check_store()
    except (OSError, RuntimeError) as exc:  # ConnectionError, TrackingAuthError (a PermissionError), a bad file
        _refuse(str(exc), code=2)


def _decide(action, *args, **kwargs):
    """Run ``approve``/``reject``; a refusal exits 1, unverifiable records or no usable key exit 2."""
    from .signoff import SigningKeyError, SignoffNotVerified, SignoffRefused

    _check_store()
    try:
        return action(*args, **kwargs)
    except SignoffRefused as exc:
        _refuse(str(exc))
    except (SignoffNotVerified, SigningKeyError) as exc:
        _refuse(str(exc), code=2)


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
        help="Approve despite a failed reproducibility check, red out-of-time grades or a self-approval "
        "(you trained the version); recorded",
    ),
) -> None:
    """Approve MODEL VERSION and move alias `champion` to it, if the validation gate passes and you
    did not train it; the decision is signed and recorded with your name and OS user (on a tracking
    server with auth, your MLflow user). The version is copied into MODEL-approved, whose `champion`
    consumers use; on a shared server only validators may write there."""
    from .signoff import approve

    decision = _decide(approve, model, version, by, comment, override_reason=override_reason)
    _out.print(escape(decision.summary()))
    _print_notes(decision)


@review_app.command("reject")
def reject_cmd(
    model: str = typer.Argument(..., help=_MODEL_HELP),
    version: str = typer.Argument(..., help=_VERSION_HELP),
    by: str = typer.Option(..., "--by", help="Who decides (recorded)"),
    comment: str = typer.Option(..., "--comment", help="Why (recorded)"),
) -> None:
    """Record a rejection of MODEL VERSION (signed); aliases never move."""
    from .signoff import reject

    decision = _decide(reject, model, version, by, comment)
    _out.print(escape(decision.summary()))
    _print_notes(decision)


def _print_table(df, columns: list[str], title: str) -> None:
    if not _out.is_terminal:
        # Piped or captured (cron, scripts): plain text, nothing truncated to fit a width.
        typer.echo(df[columns].to_string(index=False))
        return
    table = Table(title=title)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in df[columns].itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    _out.print(table)


def _who(df) -> list[str]:
    """The account columns: the OS user, and the authenticated MLflow user once any decision has one."""
    users = df["user"].fillna("").astype(str) if "user" in df else []
    return ["os_user", "user"] if any(u and u != "none" for u in users) else ["os_user"]


def _report_verification(verification) -> None:
    """After a table: the chain verified (stdout), or every problem (stderr) and exit 2."""
    if verification.ok:
        champion = f"version {verification.champion}" if verification.champion else "none"
        _out.print(f"sign-off records of {escape(verification.name)}: verified ({len(verification.records)} signed "
                   f"decisions; champion: {champion})")
        return
    lines = "\n".join(f"  - {p}" for p in verification.problems())
    _refuse(f"the sign-off records of {verification.name} do not verify:\n{lines}", code=2)


@review_app.command("status")
def status_cmd(model: str = typer.Argument("key-account-pd", help=_MODEL_HELP)) -> None:
    """Versions of MODEL with their aliases, latest decision, who (name, OS user), when, who trained
    it, any override, the validation run, and whether the signed records verify. Exits 2 when
    they do not (a moved alias, deleted, forged or edited sign-off tags)."""
    from .signoff import status, verify

    _check_store()
    try:
        verification = verify(model)
        df = status(model, verification=verification)
    except LookupError as exc:
        _refuse(str(exc))
        return
    if df.empty:
        _out.print(f"{escape(model)}: no versions")
        _report_verification(verification)
        return
    columns = ["version", "aliases", "decision", "by", *_who(df), "at", "trained_by", "validation_run_id",
               "decisions", "override_reason", "signature"]
    _print_table(df, columns, f"{escape(model)} sign-off status")
    _report_verification(verification)


@review_app.command("history")
def history_cmd(
    model: str = typer.Argument(..., help=_MODEL_HELP),
    version: str = typer.Argument(..., help=_VERSION_HELP),
) -> None:
    """Every decision on MODEL VERSION, oldest first: who (name, OS user), when, why, any override
    reason, who trained it, and whether each decision verifies. Exits 2 when the records do not."""
    from .signoff import decision_history, verify

    _check_store()
    try:
        verification = verify(model)
        df = decision_history(model, version, verification=verification)
    except LookupError as exc:
        _refuse(str(exc))
        return
    if df.empty:
        _out.print(f"{escape(model)} version {escape(version)}: no decisions")
    else:
        columns = ["number", "decision", "by", *_who(df.fillna("")), "at", "comment", "validation_run_id",
                   "override_reason", "trained_by", "self_approval", "verified"]
        _print_table(df.fillna(""), columns, f"{escape(model)} version {escape(version)}: decisions")
    _report_verification(verification)
