"""The index's schema and its engine: tables, revision stamp, dialects, lost connections."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa

from ..errors import InvalidInput, StoreUnavailable

metadata = sa.MetaData()
SQLITE_BUSY_TIMEOUT_S = 60.0
"""How long an SQLite index waits for another process's write lock, unless its URL says
(``sqlite:///PATH?timeout=SECONDS``)."""
# What SQLite says when it cannot take a write, or cannot open its file at all.
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database or disk is full",
    "disk I/O error",
    "unable to open database file",
    "attempt to write a readonly database",
)
MAX_VERSION_NUMBER = 2**31 - 1
"""The largest version number the index holds (a 32-bit integer column on every back end)."""

runs_table = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("notebook", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("host", sa.Text),
    sa.Column("pid", sa.Integer),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("user_name", sa.Text),
    sa.Column("sweep_id", sa.String(64)),
    sa.Column("from_name", sa.String(200)),
    sa.Column("from_number", sa.Integer),
)
versions_table = sa.Table(
    "versions",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("manifest_sha256", sa.String(64)),
)
# The last number given to each name: publishers take the next one by updating its row.
counters_table = sa.Table(
    "version_counters",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)
aliases_table = sa.Table(
    "aliases",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("alias", sa.String(200), primary_key=True),
    sa.Column("number", sa.Integer, nullable=False),
)
# Every change of an alias, oldest first: who moved it from which version to which, and why.
alias_events_table = sa.Table(
    "alias_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("alias", sa.String(200), nullable=False),
    sa.Column("from_number", sa.Integer),
    sa.Column("to_number", sa.Integer),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text),
)
# Schedules and what they fired (migration 0007): one row per occurrence, unique per
# (schedule, fire time in UTC), so that inserting it is the claim.
schedules_table = sa.Table(
    "schedules",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("removed_at", sa.String(40)),
)
occurrences_table = sa.Table(
    "occurrences",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("schedule_id", sa.String(32), nullable=False),
    sa.Column("fire_at", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("heartbeat_at", sa.String(40)),
    sa.Column("attempt", sa.Integer, nullable=False, default=0),
    sa.Column("run_id", sa.String(64)),
    sa.Column("version", sa.String(250)),
    sa.Column("next_attempt_at", sa.String(40)),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("finished_at", sa.String(40)),
    sa.Column("detail", sa.Text),
    sa.UniqueConstraint("schedule_id", "fire_at", name="uq_occurrences_fire"),
)
attempts_table = sa.Table(
    "attempts",
    metadata,
    sa.Column("occurrence_id", sa.String(32), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("scheduler_id", sa.String(64), nullable=False),
    sa.Column("started_at", sa.String(40), nullable=False),
)
schedulers_table = sa.Table(
    "schedulers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("heartbeat_at", sa.String(40), nullable=False),
    sa.Column("stopped_at", sa.String(40)),
)
deliveries_table = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("occurrence_id", sa.String(32), nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("at", sa.String(40), nullable=False),
)
# Alembic's own table: the revision the index's schema is at (see ``migrations``).
_revisionmetadata = sa.MetaData()
revision_table = sa.Table(
    "alembic_version",
    _revisionmetadata,
    sa.Column("version_num", sa.String(32), primary_key=True),
)
indexes = [
    sa.Index("ix_runs_notebook", runs_table.c.notebook),
    sa.Index("ix_runs_status", runs_table.c.status),
    sa.Index("ix_runs_created_at", runs_table.c.created_at),
    sa.Index("ix_runs_user_name", runs_table.c.user_name),
    sa.Index("ix_runs_sweep_id", runs_table.c.sweep_id),
    sa.Index("ix_runs_from_version", runs_table.c.from_name, runs_table.c.from_number),
    # A version copied between stores is recognised by its name and manifest digest.
    sa.Index("ix_versions_manifest", versions_table.c.name, versions_table.c.manifest_sha256),
    sa.Index("ix_alias_events_name", alias_events_table.c.name, alias_events_table.c.id),
    # A name is unique among the schedules not removed (a removed one keeps its history).
    sa.Index(
        "ux_schedules_name",
        schedules_table.c.name,
        unique=True,
        sqlite_where=schedules_table.c.removed_at.is_(None),
        postgresql_where=schedules_table.c.removed_at.is_(None),
    ),
    sa.Index("ix_occurrences_status", occurrences_table.c.status),
    sa.Index("ix_deliveries_occurrence", deliveries_table.c.occurrence_id),
]


def revision_of(conn: sa.Connection) -> str | None:
    """The revision an index is stamped with; None for an index from before migrations."""
    if "alembic_version" not in sa.inspect(conn).get_table_names():
        return None
    value = conn.execute(sa.select(revision_table.c.version_num)).scalar()
    return str(value) if value is not None else None


def begin_writing(conn: sa.Connection) -> None:
    """Begin a transaction that will write: SQLite's takes the write lock at once.

    A deferred SQLite transaction that reads and then writes fails at once (it
    cannot wait) when another process wrote meanwhile; ``BEGIN IMMEDIATE`` queues
    for the lock instead, within the busy timeout.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_insert(dialect: str) -> Any:
    """The ``insert`` of a dialect that has ``ON CONFLICT``: SQLite's or PostgreSQL's."""
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    raise InvalidInput(f"Index database {dialect!r} is not supported: use SQLite or PostgreSQL")


def is_contention(exc: sa.exc.OperationalError) -> bool:
    """Whether ``exc`` says that a concurrent transaction won: worth trying again.

    (SQLite queues writers for its lock instead: one that waited too long is
    `StoreUnavailable`.)
    """
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01"}


def make_engine(url: str) -> sa.Engine:
    """An engine for the index at ``url``: SQLite in WAL mode with a long busy timeout, or a
    server database; lost connections, and an SQLite file locked past the timeout or that
    cannot be written, become `StoreUnavailable`."""
    if not url.startswith("sqlite"):
        # A connection the server dropped is replaced before use (pool_pre_ping), so a
        # long-lived process such as the Jupyter server reconnects by itself.
        engine = sa.create_engine(url, pool_pre_ping=True)
        sa.event.listen(engine, "handle_error", _unavailable)
        return engine
    timeout_s = _sqlite_timeout(url)
    engine = sa.create_engine(url, connect_args={"timeout": timeout_s})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={round(timeout_s * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sa.event.listen(engine, "handle_error", _sqlite_unavailable)
    return engine


def _sqlite_timeout(url: str) -> float:
    value = sa.make_url(url).query.get("timeout")
    if value is None:
        return SQLITE_BUSY_TIMEOUT_S
    text = value if isinstance(value, str) else value[-1]
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise InvalidInput(
            f"The index URL's timeout {text!r} is not a number of seconds: give "
            "sqlite:///PATH?timeout=SECONDS with SECONDS of 0 or more"
        )
    return seconds


def _sqlite_unavailable(context: sa.engine.ExceptionContext) -> None:
    """Translate an SQLite index that cannot be written or opened into `StoreUnavailable`.

    Another process holding the write lock past the busy timeout, a full disk, an I/O
    error or an unwritable file: SQLite rolls the statement back, so nothing is half-written.
    """
    original = context.original_exception
    reason = str(original).strip()
    if not isinstance(original, sqlite3.OperationalError) or reason not in _SQLITE_UNAVAILABLE:
        return
    url = context.engine.url.render_as_string(hide_password=True) if context.engine else "?"
    if reason == "database is locked":
        timeout_s = _sqlite_timeout(url)
        reason = f"another process held its write lock for over {timeout_s:g} s"
    problem = f"cannot use the index database at {url} ({reason})"
    raise StoreUnavailable(
        f"greenhouse {problem}; nothing was half-written: try again when it can be used",
        problems=[problem],
    ) from original


def _unavailable(context: sa.engine.ExceptionContext) -> None:
    """Translate a lost or refused connection to the index into `StoreUnavailable`.

    The transaction it was in is rolled back by the server, so nothing half-written stays.
    """
    if context.is_pre_ping:
        return
    lost = context.is_disconnect
    refused = context.connection is None and isinstance(
        context.sqlalchemy_exception, sa.exc.OperationalError
    )
    if not (lost or refused):
        return
    url = context.engine.url.render_as_string(hide_password=True) if context.engine else "?"
    what = "lost its connection to" if lost else "cannot connect to"
    reason = str(context.original_exception).strip().splitlines()[0]
    raise StoreUnavailable(
        f"greenhouse {what} the index database at {url} ({reason}); nothing was half-written: "
        "try again when it is reachable"
    ) from context.original_exception
