"""Baseline: the index as greenhouse made it before migrations (runs, versions, aliases).

Created only where missing, so that a store made before migrations existed is adopted
as it is.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

meta = sa.MetaData()
runs = sa.Table(
    "runs",
    meta,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("notebook", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("host", sa.Text),
    sa.Column("pid", sa.Integer),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
)
versions = sa.Table(
    "versions",
    meta,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
)
aliases = sa.Table(
    "aliases",
    meta,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("alias", sa.String(200), primary_key=True),
    sa.Column("number", sa.Integer, nullable=False),
)
indexes = [
    sa.Index("ix_runs_notebook", runs.c.notebook),
    sa.Index("ix_runs_status", runs.c.status),
    sa.Index("ix_runs_created_at", runs.c.created_at),
]


def upgrade() -> None:
    for table in meta.sorted_tables:
        op.execute(sa.schema.CreateTable(table, if_not_exists=True))
    for index in indexes:
        op.execute(sa.schema.CreateIndex(index, if_not_exists=True))
