"""The accounts schema: as-of runs, tiers, alerts, watchlist rows and watchlist decisions.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_OBLIGOR = sa.String(64)
_PERSON = sa.String(200)
_LEVEL = sa.String(8)


def upgrade() -> None:
    op.create_table(
        "as_of_runs",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("first_written_at", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("written_at", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("params_hash", sa.String(64), nullable=True),
        sa.Column("data_fingerprint", sa.String(128), nullable=True),
        sa.Column("n_obligors", sa.Integer, nullable=False),
        sa.Column("n_watchlist", sa.Integer, nullable=False),
    )
    op.create_table(
        "tiers",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("obligor_id", _OBLIGOR, primary_key=True),
        sa.Column("tier", sa.String(8), nullable=False),
        sa.Column("rule", sa.Text, nullable=True),
        sa.Column("value_score", sa.Double, nullable=True),
    )
    op.create_table(
        "alerts",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("obligor_id", _OBLIGOR, primary_key=True),
        sa.Column("level", _LEVEL, nullable=False),
        sa.Column("score", sa.Double, nullable=True),
        sa.Column("n_signals", sa.Integer, nullable=True),
        sa.Column("reasons", sa.Text, nullable=True),
    )
    op.create_table(
        "watchlist",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("obligor_id", _OBLIGOR, primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("on_list", sa.Boolean, nullable=False),
        sa.Column("level", _LEVEL, nullable=True),
        sa.Column("previous_level", _LEVEL, nullable=True),
        sa.Column("score", sa.Double, nullable=True),
        sa.Column("reasons", sa.Text, nullable=True),
        sa.Column("entered", sa.Date, nullable=True),
        sa.Column("months_on_list", sa.Integer, nullable=False),
        sa.Column("amber_streak", sa.Integer, nullable=False),
        sa.Column("owner", _PERSON, nullable=True),
        sa.Column("assessment", sa.Text, nullable=True),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("plan_by", _PERSON, nullable=True),
        sa.Column("plan_due", sa.Date, nullable=True),
        sa.Column("plan_overdue", sa.Boolean, nullable=False),
        sa.Column("workout_overdue", sa.Boolean, nullable=False),
        sa.Column("kept", sa.Boolean, nullable=False),
        sa.Column("decisions", sa.Text, nullable=True),
        sa.Column("remark", sa.Text, nullable=True),
    )
    op.create_index("ix_watchlist_obligor_id", "watchlist", ["obligor_id"])
    op.create_table(
        "watchlist_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("obligor_id", _OBLIGOR, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False, comment="the as-of whose watchlist the decision was taken on"),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("decided_by", _PERSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("due", sa.Date, nullable=True),
        sa.Column("decided_at", sa.DateTime, nullable=False, comment="UTC"),
    )
    op.create_index("ix_watchlist_decisions_as_of_obligor_id", "watchlist_decisions", ["as_of", "obligor_id"])
    op.create_index("ix_watchlist_decisions_obligor_id", "watchlist_decisions", ["obligor_id"])


def downgrade() -> None:
    op.drop_table("watchlist_decisions")
    op.drop_table("watchlist")
    op.drop_table("alerts")
    op.drop_table("tiers")
    op.drop_table("as_of_runs")
