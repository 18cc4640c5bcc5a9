"""What the account commands share (`workbench watchlist`, `workbench accounts`): one error style
(one line on stderr, exit 2), opening the accounts database with a clear refusal, dates typed on
the command line, and tables that print in full when piped (cron) and as rich tables in a terminal."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Optional, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["DB_HELP", "err", "out", "fail", "open_store", "record", "parse_date", "print_table"]

R = TypeVar("R")

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

DB_HELP = "Accounts database (SQLAlchemy URL); default WORKBENCH_ACCOUNTS_DB, else <state dir>/accounts.db"

def fail(message: str, code: int = 2) -> None:
    # Names, notes and URLs may hold [brackets]: never read them as rich markup.
    err.print(f"[bold red]error:[/] {escape(str(message))}")
    raise typer.Exit(code)


def open_store(db: Optional[str]):
    from .accounts.store import AccountsDatabaseUnreachable, AccountsStore

    try:
        return AccountsStore.open(db)
    except AccountsDatabaseUnreachable as exc:
        fail(str(exc))


def record(db: Optional[str], write: Callable[..., R]) -> R:
    """Open the accounts database, ``write(store)`` one record and close it; the store's refusal of a record
    (a ValueError naming the rule) is a one-line error, exit 2."""
    store = open_store(db)
    try:
        return write(store)
    except ValueError as exc:
        fail(str(exc))
    finally:
        store.close()


def parse_date(text: Optional[str], option: str) -> Optional[dt.date]:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not a date of the form YYYY-MM-DD")
    return None  # pragma: no cover - _fail raises


def print_table(frame, columns: list[str], title: str) -> None:
    import pandas as pd

    shown = frame[columns].astype(object).where(frame[columns].notna(), "")
    for col in columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            shown[col] = frame[col].dt.strftime("%Y-%m-%d").fillna("")
    if not out.is_terminal:
        # Piped or captured (cron, scripts): plain text, nothing truncated to fit a width.
        typer.echo(shown.to_string(index=False))
        return
    table = Table(title=title)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in shown.itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    out.print(table)
