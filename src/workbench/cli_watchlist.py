"""`workbench watchlist decide|show|history`: the desk's decisions on watchlist cases, and what the list says.

Mounted by ``workbench.cli`` as ``app.add_typer(watchlist_app, name="watchlist")``. The store (and with it
SQLAlchemy and pandas) is imported inside the commands so that ``workbench --help`` stays fast. The
database is ``--db``, else ``WORKBENCH_ACCOUNTS_DB``, else ``<state dir>/accounts.db``; it is checked before
anything else. An unreachable database, an unknown action or obligor and a decision the watchlist refuses
(the four-eyes exit) print one line to stderr and exit 2; what was recorded goes to stdout.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from .cli_common import DB_HELP as _DB_HELP
from .cli_common import fail as _fail
from .cli_common import open_store as _open_store
from .cli_common import out as _out
from .cli_common import parse_date as _parse_date
from .cli_common import print_table as _print_table
from .cli_common import record as _record

watchlist_app = typer.Typer(
    help="The watchlist of the key-account monitoring: record decisions (exit needs a second person), show the "
    "list and a case's history",
    no_args_is_help=True,
)

_ACTIONS = ("exit", "keep", "plan")


@watchlist_app.command("decide")
def decide_cmd(
    obligor: str = typer.Option(..., "--obligor", help="Obligor id of the case"),
    action: str = typer.Option(..., "--action", help="exit (leave the list; a second person), keep, or plan"),
    by: str = typer.Option(..., "--by", help="Who decides (recorded; for plan: becomes the case owner)"),
    note: str = typer.Option(..., "--note", help="Why / the assessment (recorded)"),
    due: Optional[str] = typer.Option(None, "--due", help="Due date YYYY-MM-DD of the plan (plan, keep)"),
    plan: Optional[str] = typer.Option(None, "--plan", help="The corrective plan, if other than the note (plan)"),
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Record a decision on OBLIGOR's case in the latest stored watchlist; the next as-of's run applies it."""
    if action not in _ACTIONS:
        _fail(f"unknown action '{action}': choose one of {', '.join(_ACTIONS)}")
    due_date = _parse_date(due, "--due")
    recorded = _record(db, lambda store: store.record_decision(obligor, action, by, note, due=due_date,
                                                                plan=plan))
    _out.print(escape(recorded.summary()))
    _out.print(f"next run: {escape(recorded.outcome)}")


@watchlist_app.command("show")
def show_cmd(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="As-of date YYYY-MM-DD (default: the latest stored)"),
    status: Optional[str] = typer.Option(None, "--status", help="Only rows of this status (e.g. 'eligible for exit')"),
    all_rows: bool = typer.Option(False, "--all", help="Also the obligors pending entry (amber, not yet listed)"),
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """The watchlist of one as-of: every case with its status, level, owner, plan and due date."""
    from .accounts.watchlist import ON_LIST_STATUSES

    day = _parse_date(as_of, "--as-of")
    known = (*ON_LIST_STATUSES, "exited", "left portfolio", "pending entry")
    if status is not None and status not in known:
        _fail(f"unknown status '{status}': choose one of {', '.join(known)}")
    store = _open_store(db)
    try:
        stored = store.stored_as_of()
        if not stored:
            _fail("no as-of is stored yet: run the monitoring report first (workbench report monitoring)")
        day = day or stored[-1]
        if day not in stored:
            _fail(f"as-of {day} is not stored; stored: {stored[0]} .. {stored[-1]} ({len(stored)} month ends)")
        frame = store.read_watchlist(day)
        pending = store.decisions_for(day)
    finally:
        store.close()
    if status is not None:
        frame = frame.loc[frame["status"] == status]
    elif not all_rows:
        frame = frame.loc[frame["status"] != "pending entry"]
    columns = ["obligor_id", "status", "level", "previous_level", "entered", "months_on_list", "owner", "plan_due",
               "plan_overdue", "assessment", "reasons"]
    n_on = int(frame["on_list"].sum())
    _out.print(f"watchlist at {day}: {n_on} case(s) on the list, {len(frame) - n_on} other row(s) shown; "
               f"{len(pending)} decision(s) recorded since, applied at the next run")
    if len(frame):
        _print_table(frame, columns, f"Watchlist {day}")


@watchlist_app.command("history")
def history_cmd(
    obligor: str = typer.Option(..., "--obligor", help="Obligor id"),
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """One obligor's watchlist rows over the stored as-of dates and every decision recorded on its case."""
    store = _open_store(db)
    try:
        rows = store.watchlist_history(obligor)
        decisions = store.decisions_history(obligor)
    finally:
        store.close()
    if rows.empty and decisions.empty:
        _fail(f"no watchlist history for obligor '{obligor}': it has never been on (or pending entry to) the list")
    _out.print(f"{escape(obligor)}: {len(rows)} watchlist row(s), {len(decisions)} decision(s)")
    if len(rows):
        _print_table(rows, ["as_of", "status", "level", "months_on_list", "owner", "plan", "plan_due", "decisions",
                            "remark"], f"Watchlist history of {obligor}")
    if len(decisions):
        _print_table(decisions, ["id", "as_of", "action", "decided_by", "note", "plan", "due", "decided_at"],
                     f"Decisions on {obligor}")
