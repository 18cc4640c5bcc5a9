"""`workbench accounts override|approve|reject|overrides|log|interactions`: rating overrides and the interaction log.

Mounted by ``workbench.cli`` as ``app.add_typer(accounts_app, name="accounts")``. Like ``workbench watchlist``:
the store (and with it SQLAlchemy and pandas) is imported inside the commands so that ``workbench --help``
stays fast; the database is ``--db``, else ``WORKBENCH_ACCOUNTS_DB``, else ``<state dir>/accounts.db``, checked
before anything else. A refusal (unknown obligor, channel or topic, a grade off the scale or equal to the
model's, an approval by the proposer) prints one line to stderr and exits 2; what was recorded goes to stdout.

An obligor is known when the store has seen it: in the tiers, alerts or watchlist of a stored as-of (run the
monitoring report first) or in the interaction log (the data's import included).
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

accounts_app = typer.Typer(
    help="Key accounts: rating overrides (approved by a second person) and the interaction log",
    no_args_is_help=True,
)


@accounts_app.command("override")
def override_cmd(
    obligor: str = typer.Option(..., "--obligor", help="Obligor id"),
    grade: int = typer.Option(..., "--grade", help="Proposed master-scale grade, 1 (best) .. 10"),
    reason: str = typer.Option(..., "--reason", help="Why the model's grade is wrong (recorded)"),
    by: str = typer.Option(..., "--by", help="Who proposes (recorded; cannot approve it)"),
    model_grade: Optional[int] = typer.Option(None, "--model-grade",
                                              help="The model's grade, if known (else consumers compare with the "
                                              "model's grade of each month)"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Month end YYYY-MM-DD it applies from (default: "
                                        "this month)"),
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Propose GRADE for OBLIGOR instead of the model's; it applies once a second person approves it."""
    day = _parse_date(as_of, "--as-of")
    recorded = _record(db, lambda store: store.propose_override(obligor, grade, reason, by, as_of=day,
                                                                 model_grade=model_grade))
    _out.print(escape(recorded.summary()))
    _out.print(f"next: a second person runs `workbench accounts approve --id {recorded.id} --by NAME` "
               f"(or reject it with a --note)")


def _decide(override_id: int, action: str, by: str, note: Optional[str], db: Optional[str]) -> None:
    recorded = _record(db, lambda store: store.decide_override(override_id, action, by, note))
    _out.print(escape(recorded.summary()))


@accounts_app.command("approve")
def approve_cmd(
    override_id: int = typer.Option(..., "--id", help="Override number (see `workbench accounts overrides`)"),
    by: str = typer.Option(..., "--by", help="Who approves (not the proposer)"),
    note: Optional[str] = typer.Option(None, "--note", help="Remark (recorded)"),
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Approve an open override: from its month end on, reports use its grade (and show the model's)."""
    _decide(override_id, "approve", by, note, db)


@accounts_app.command("reject")
def reject_cmd(
    override_id: int = typer.Option(..., "--id", help="Override number (see `workbench accounts overrides`)"),
    by: str = typer.Option(..., "--by", help="Who rejects (not the proposer)"),
    note: str = typer.Option(..., "--note", help="Why (recorded)"),
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Reject an open override: the model's grade stands."""
    _decide(override_id, "reject", by, note, db)


@accounts_app.command("overrides")
def overrides_cmd(
    obligor: Optional[str] = typer.Option(None, "--obligor", help="Only this obligor's overrides"),
    status: Optional[str] = typer.Option(None, "--status", help="Only proposed, approved or rejected ones"),
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Every recorded override (of one obligor), in the order proposed."""
    from .accounts.overrides import OVERRIDE_STATUSES

    if status is not None and status not in OVERRIDE_STATUSES:
        _fail(f"unknown status '{status}': choose one of {', '.join(OVERRIDE_STATUSES)}")
    store = _open_store(db)
    try:
        frame = store.read_overrides(obligor)
    finally:
        store.close()
    if status is not None:
        frame = frame[frame["status"] == status]
    whose = f" of {obligor}" if obligor else ""
    _out.print(f"{len(frame)} override(s){escape(whose)}; {int((frame['status'] == 'proposed').sum())} awaiting "
               "approval")
    if len(frame):
        _print_table(frame, ["id", "obligor_id", "as_of", "model_grade", "proposed_grade", "status", "proposed_by",
                             "proposed_at", "decided_by", "decided_at", "reason", "decision_note"],
                     f"Rating overrides{whose}")


@accounts_app.command("log")
def log_cmd(
    obligor: str = typer.Option(..., "--obligor", help="Obligor id (one the store knows)"),
    channel: str = typer.Option(..., "--channel", help="call, email, meeting, site_visit or video_call"),
    topic: str = typer.Option(..., "--topic", help="A reference topic, e.g. annual_review, financing_need"),
    note: str = typer.Option(..., "--note", help="What was discussed (recorded)"),
    date: Optional[str] = typer.Option(None, "--date", help="Day of the contact YYYY-MM-DD (default: today)"),
    by: Optional[str] = typer.Option(None, "--by", help="Who records it"),
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Log a contact with OBLIGOR; it is stamped with when it was recorded, so reports of earlier as-of dates
    ignore it."""
    from .reference.codes import CHANNELS, INTERACTION_TOPICS

    # Refused before the database is opened: the reference lists need no store.
    if channel not in CHANNELS:
        _fail(f"unknown channel '{channel}': choose one of {', '.join(CHANNELS)}")
    if topic not in INTERACTION_TOPICS:
        _fail(f"unknown topic '{topic}': choose one of {', '.join(INTERACTION_TOPICS)}")
    day = _parse_date(date, "--date")
    recorded = _record(db, lambda store: store.log_interaction(obligor, channel, topic, note, date=day,
                                                                by=by))
    _out.print(escape(recorded.summary()))


@accounts_app.command("interactions")
def interactions_cmd(
    obligor: str = typer.Option(..., "--obligor", help="Obligor id"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="As it stood at the end of YYYY-MM-DD (default: "
                                        "everything)"),
    last: int = typer.Option(20, "--last", min=1, help="Show the latest N contacts"),
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """One obligor's interaction log, latest contacts last."""
    day = _parse_date(as_of, "--as-of")
    store = _open_store(db)
    try:
        frame = store.read_interactions(day, obligor)
    finally:
        store.close()
    when = f" at {day}" if day else ""
    _out.print(f"{escape(obligor)}: {len(frame)} interaction(s){when}")
    if len(frame):
        _print_table(frame.tail(last), ["id", "date", "channel", "topic", "note", "source", "recorded_by",
                                        "recorded_at"], f"Interactions of {obligor}")
