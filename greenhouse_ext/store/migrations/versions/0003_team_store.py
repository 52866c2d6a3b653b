"""The team store: version counters, the manifest and the user as columns.

- ``version_counters``: the last number given to each name, back-filled from the
  versions stored; publishers take the next number by updating its row.
- ``versions.manifest_sha256``: a version's manifest digest (indexed with the name), so
  a version copied twice between stores is recognised.
- ``runs.user_name``: who made a run (its provenance's user), to filter runs by it.

Revision ID: 0003_team_store
Revises: 0002_record_format
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003_team_store"
down_revision = "0002_record_format"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "version_counters",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.execute(
        "INSERT INTO version_counters (name, last) "
        "SELECT name, MAX(number) FROM versions GROUP BY name"
    )
    op.add_column("versions", sa.Column("manifest_sha256", sa.String(64)))
    op.add_column("runs", sa.Column("user_name", sa.Text))
    conn = op.get_bind()
    versions = conn.execute(sa.text("SELECT name, number, record FROM versions")).mappings()
    for row in versions.all():
        conn.execute(
            sa.text(
                "UPDATE versions SET manifest_sha256 = :digest "
                "WHERE name = :name AND number = :number"
            ),
            {
                "digest": json.loads(row["record"]).get("manifest_sha256"),
                "name": row["name"],
                "number": row["number"],
            },
        )
    runs = conn.execute(sa.text("SELECT id, record FROM runs")).mappings()
    for row in runs.all():
        provenance = json.loads(row["record"]).get("provenance") or {}
        conn.execute(
            sa.text("UPDATE runs SET user_name = :user WHERE id = :id"),
            {"user": provenance.get("user"), "id": row["id"]},
        )
    op.create_index("ix_runs_user_name", "runs", ["user_name"])
    op.create_index("ix_versions_manifest", "versions", ["name", "manifest_sha256"])
