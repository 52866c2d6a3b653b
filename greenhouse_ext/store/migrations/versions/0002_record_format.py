"""Stored records carry a format tag: ``greenhouse.run/1`` and ``greenhouse.version/1``.

The fields stay as they were; untagged records get the tag.

Revision ID: 0002_record_format
Revises: 0001_baseline
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002_record_format"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

TAGS = {
    "runs": ("greenhouse.run/1", ["id"]),
    "versions": ("greenhouse.version/1", ["name", "number"]),
}


def upgrade() -> None:
    conn = op.get_bind()
    for table, (tag, key) in TAGS.items():
        columns = ", ".join(key)
        match = " AND ".join(f"{c} = :{c}" for c in key)
        update = sa.text(f"UPDATE {table} SET record = :record WHERE {match}")
        for row in conn.execute(sa.text(f"SELECT {columns}, record FROM {table}")).mappings():
            record = json.loads(row["record"])
            if "format" in record:
                continue
            record["format"] = tag
            values = {c: row[c] for c in key}
            conn.execute(update, {**values, "record": json.dumps(record, sort_keys=True)})
