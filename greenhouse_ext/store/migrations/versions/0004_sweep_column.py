"""The sweep a run belongs to as an indexed column, so a sweep's runs are found by index.

``runs.sweep_id`` is back-filled from the stored records, which carry it.

Revision ID: 0004_sweep_column
Revises: 0003_team_store
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004_sweep_column"
down_revision = "0003_team_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("sweep_id", sa.String(64)))
    conn = op.get_bind()
    runs = conn.execute(sa.text("SELECT id, record FROM runs")).mappings()
    for row in runs.all():
        sweep_id = json.loads(row["record"]).get("sweep_id")
        if sweep_id is not None:
            conn.execute(
                sa.text("UPDATE runs SET sweep_id = :sweep WHERE id = :id"),
                {"sweep": sweep_id, "id": row["id"]},
            )
    op.create_index("ix_runs_sweep_id", "runs", ["sweep_id"])
