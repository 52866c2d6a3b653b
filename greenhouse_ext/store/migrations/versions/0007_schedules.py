"""Schedules, their occurrences (unique per schedule and fire time), attempts, schedulers
and alert deliveries.

Revision ID: 0007_schedules
Revises: 0006_alias_events
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_schedules"
down_revision = "0006_alias_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("removed_at", sa.String(40)),
    )
    op.create_table(
        "occurrences",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("schedule_id", sa.String(32), nullable=False),
        sa.Column("fire_at", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("heartbeat_at", sa.String(40)),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(64)),
        sa.Column("version", sa.String(250)),
        sa.Column("next_attempt_at", sa.String(40)),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40)),
        sa.Column("detail", sa.Text),
        sa.UniqueConstraint("schedule_id", "fire_at", name="uq_occurrences_fire"),
    )
    op.create_table(
        "attempts",
        sa.Column("occurrence_id", sa.String(32), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("scheduler_id", sa.String(64), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "schedulers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("heartbeat_at", sa.String(40), nullable=False),
        sa.Column("stopped_at", sa.String(40)),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("occurrence_id", sa.String(32), nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("at", sa.String(40), nullable=False),
    )
    where = sa.text("removed_at IS NULL")
    op.create_index(
        "ux_schedules_name",
        "schedules",
        ["name"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_index("ix_occurrences_status", "occurrences", ["status"])
    op.create_index("ix_deliveries_occurrence", "deliveries", ["occurrence_id"])
