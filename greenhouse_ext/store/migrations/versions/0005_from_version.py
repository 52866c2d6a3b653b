"""The published version a run ran as indexed columns, so a version's runs are found by index.

``runs.from_name`` and ``runs.from_number`` are back-filled from the stored records, which
carry ``from_version``.

Revision ID: 0005_from_version
Revises: 0004_sweep_column
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005_from_version"
down_revision = "0004_sweep_column"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("from_name", sa.String(200)))
    op.add_column("runs", sa.Column("from_number", sa.Integer))
    conn = op.get_bind()
    runs = conn.execute(sa.text("SELECT id, record FROM runs")).mappings()
    for row in runs.all():
        version = json.loads(row["record"]).get("from_version")
        if version is not None:
            conn.execute(
                sa.text("UPDATE runs SET from_name = :name, from_number = :number WHERE id = :id"),
                {"name": version["name"], "number": version["number"], "id": row["id"]},
            )
    op.create_index("ix_runs_from_version", "runs", ["from_name", "from_number"])
