"""Rating overrides and the interaction log.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_OBLIGOR = sa.String(64)
_PERSON = sa.String(200)


def upgrade() -> None:
    op.create_table(
        "rating_overrides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("obligor_id", _OBLIGOR, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False, comment="the month end the override applies from"),
        sa.Column("model_grade", sa.Integer, nullable=True,
                  comment="the model's grade as the proposer saw it, if given"),
        sa.Column("proposed_grade", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("proposed_by", _PERSON, nullable=False),
        sa.Column("proposed_at", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", _PERSON, nullable=True),
        sa.Column("decided_at", sa.DateTime, nullable=True, comment="UTC"),
        sa.Column("decision_note", sa.Text, nullable=True),
        sa.CheckConstraint("status in ('proposed', 'approved', 'rejected')", name="ck_rating_overrides_status"),
    )
    op.create_index("ix_rating_overrides_obligor_id", "rating_overrides", ["obligor_id"])
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("obligor_id", _OBLIGOR, nullable=False),
        sa.Column("date", sa.Date, nullable=False, comment="the day of the contact"),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("recorded_by", _PERSON, nullable=True),
        sa.Column("source", sa.String(8), nullable=False,
                  comment="data (imported) or manual (workbench accounts log)"),
        sa.Column("seq", sa.Integer, nullable=True, comment="occurrence among identical data rows; NULL if manual"),
        sa.UniqueConstraint("source", "obligor_id", "date", "channel", "topic", "seq",
                            name="uq_interactions_data_key"),
        sa.CheckConstraint("source in ('data', 'manual')", name="ck_interactions_source"),
    )
    op.create_index("ix_interactions_obligor_id_date", "interactions", ["obligor_id", "date"])


def downgrade() -> None:
    op.drop_table("interactions")
    op.drop_table("rating_overrides")
