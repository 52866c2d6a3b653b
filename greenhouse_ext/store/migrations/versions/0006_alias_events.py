"""The history of every alias: each set, move and removal, with who, when and why.

Aliases set before this revision have no history; ``greenhouse alias --history`` says so.

Revision ID: 0006_alias_events
Revises: 0005_from_version
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_alias_events"
down_revision = "0005_from_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alias_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("alias", sa.String(200), nullable=False),
        sa.Column("from_number", sa.Integer),
        sa.Column("to_number", sa.Integer),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_alias_events_name", "alias_events", ["name", "id"])
