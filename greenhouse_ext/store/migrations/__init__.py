"""The index's schema migrations (Alembic), shipped inside the package.

``REVISIONS`` lists the migrations in order, the last being the schema this greenhouse
reads and writes; the store compares it with the revision an index is stamped with, so
opening a store never imports Alembic. ``greenhouse store upgrade`` runs the scripts in
``versions/``. A schema change adds a script there and its revision here.
"""

from __future__ import annotations

from pathlib import Path

SCRIPTS = Path(__file__).parent
REVISIONS = (
    "0001_baseline",
    "0002_record_format",
    "0003_team_store",
    "0004_sweep_column",
    "0005_from_version",
    "0006_alias_events",
    "0007_schedules",
)
HEAD = REVISIONS[-1]
