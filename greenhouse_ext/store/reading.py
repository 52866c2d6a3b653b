"""The read path of a folder's own store: its SQLite index and object files, read directly.

Importing SQLAlchemy and fsspec costs more than answering ``greenhouse runs`` or
``greenhouse show`` on a large store. A `StoreReader` answers the common reads of a store
whose index and objects are its folder's own (``index.sqlite`` and ``objects/``) itself,
with the same results as `Store`; every other call, and every read that ends in an error
(so that the messages are `Store`'s own), goes to a full `Store`, opened on first need.
"""

from __future__ import annotations

import inspect
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import Run, RunStatus, Version
from .checkouts import checkout
from .config import CONFIG_FILENAME
from .migrations import HEAD
from .packing import unpack
from .records import run_from_record, version_from_record

if TYPE_CHECKING:
    from .index import Store

_ENVIRONMENT = ("GREENHOUSE_INDEX_URL", "GREENHOUSE_OBJECTS_URL")
MIN_PREFIX = 4
IDS_PER_QUERY = 500
"""Run ids bound in one ``IN (...)`` query, as `occurrences.IDS_PER_QUERY` (not imported:
that module imports SQLAlchemy)."""
_OCCURRENCE_KEYS = ("schedule_id", "schedule", "occurrence", "fire_at", "kind", "attempt")


def open_for_reading(root: Path, local: bool) -> Store:
    """The store at ``root`` for a command that mostly reads: a `StoreReader` where the
    store is its folder's own and at this greenhouse's schema, else a `Store`."""
    index = root / "index.sqlite"
    own = local or not (
        any(os.environ.get(name) for name in _ENVIRONMENT)
        or (root.parent / CONFIG_FILENAME).is_file()
    )
    if own and index.is_file():
        reader = StoreReader(root, index, local)
        if reader.revision() == HEAD:
            return reader  # type: ignore[return-value]
        reader.close()
    from .index import Store

    return Store.open(root, local=local)


class StoreReader:
    """Reads of a folder's own store without SQLAlchemy or fsspec; the rest by a `Store`.

    Parameters
    ----------
    root : Path
        The store folder.
    index : Path
        Its SQLite index (which exists).
    local : bool
        Whether the store was asked for with ``--local`` (for the full `Store`).
    """

    def __init__(self, root: Path, index: Path, local: bool) -> None:
        self.root = root
        self.index_url = f"sqlite:///{index}"
        self.objects_url = str(root / "objects")
        self._local = local
        self._db = sqlite3.connect(index, timeout=60.0, check_same_thread=False)
        self._full: Store | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store(), name)

    def _store(self) -> Store:
        if self._full is None:
            from .index import Store

            self._full = Store.open(self.root, local=self._local)
        return self._full

    def close(self) -> None:
        self._db.close()
        if self._full is not None:
            self._full.close()

    def revision(self) -> str | None:
        """The schema revision the index is stamped with; None when it has none."""
        try:
            row = self._db.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            return None
        return str(row[0]) if row else None

    # Runs --------------------------------------------------------------------

    def get_run(self, ref: str) -> Run:
        """`Store.get_run`: the run with this id, or this unique prefix of one."""
        rows = self._db.execute("SELECT record FROM runs WHERE id = ?", (ref,)).fetchall()
        if not rows and len(ref) >= MIN_PREFIX and ref.isalnum():
            rows = self._db.execute(
                "SELECT record FROM runs WHERE substr(id, 1, ?) = ? LIMIT 2", (len(ref), ref)
            ).fetchall()
        if len(rows) != 1:
            return self._store().get_run(ref)
        return run_from_record(rows[0][0])

    def occurrences_of_runs(self, run_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """`Store.occurrences_of_runs`: the schedule, occurrence and attempt that ran each run
        a schedule started, by run id."""
        wanted = list(dict.fromkeys(run_ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), IDS_PER_QUERY):
            batch = wanted[start : start + IDS_PER_QUERY]
            rows = self._db.execute(
                "SELECT a.run_id, s.id, s.name, o.id, o.fire_at, o.kind, a.number "
                "FROM attempts a JOIN occurrences o ON o.id = a.occurrence_id "
                "JOIN schedules s ON s.id = o.schedule_id "
                f"WHERE a.run_id IN ({', '.join('?' * len(batch))})",
                batch,
            )
            for run_id, *values in rows:
                found[run_id] = dict(zip(_OCCURRENCE_KEYS, values, strict=True))
        return found

    def occurrence_of_run(self, run_id: str) -> dict[str, Any] | None:
        """`Store.occurrence_of_run`: the schedule, occurrence and attempt that ran a run."""
        return self.occurrences_of_runs([run_id]).get(run_id)

    def list_runs(self, *args: Any, **kwargs: Any) -> list[Run]:
        """`Store.list_runs`, with the same filters and order."""
        try:
            given = inspect.signature(_list_runs).bind(self, *args, **kwargs)
        except TypeError:
            return list(self._store().list_runs(*args, **kwargs))
        return _list_runs(*given.args, **given.kwargs)

    def count_runs(self, sweep: str | None = None) -> int:
        """`Store.count_runs`."""
        where, values = _conditions(sweep=sweep)
        row = self._db.execute(f"SELECT count(*) FROM runs{where}", values).fetchone()
        return int(row[0])

    # Versions ----------------------------------------------------------------

    def get_version(
        self, name: str, number: int | None = None, alias: str | None = None
    ) -> Version:
        """`Store.get_version`: by number, by alias, or the latest."""
        if alias is not None:
            row = self._db.execute(
                "SELECT number FROM aliases WHERE name = ? AND alias = ?", (name, alias)
            ).fetchone()
            if row is None:
                return self._store().get_version(name, number, alias)
            number = int(row[0])
        query = "SELECT number, record FROM versions WHERE name = ?"
        values: tuple[Any, ...] = (name,)
        if number is not None:
            query, values = query + " AND number = ?", (name, number)
        found = self._db.execute(query + " ORDER BY number DESC LIMIT 1", values).fetchone()
        if found is None:
            return self._store().get_version(name, number, alias)
        version = version_from_record(found[1], int(found[0]))
        version.aliases = sorted(a for a, n in self.aliases(name).items() if n == version.number)
        return version

    def list_versions(self, name: str) -> list[Version]:
        """`Store.list_versions`: every version of ``name``, oldest first, with aliases."""
        rows = self._db.execute(
            "SELECT number, record FROM versions WHERE name = ? ORDER BY number", (name,)
        ).fetchall()
        names = self.aliases(name)
        versions = [version_from_record(record, int(number)) for number, record in rows]
        for version in versions:
            version.aliases = sorted(a for a, n in names.items() if n == version.number)
        return versions

    def aliases(self, name: str) -> dict[str, int]:
        """`Store.aliases`: ``{alias: version number}`` for ``name``."""
        rows = self._db.execute("SELECT alias, number FROM aliases WHERE name = ?", (name,))
        return {alias: int(number) for alias, number in rows}

    def artefact_names(self) -> list[str]:
        """`Store.artefact_names`."""
        rows = self._db.execute("SELECT DISTINCT name FROM versions ORDER BY name")
        return [name for (name,) in rows]

    # Objects -----------------------------------------------------------------

    def _path(self, digest: str) -> Path:
        return self.root / "objects" / digest[:2] / digest[2:]

    def get_object(self, digest: str) -> bytes:
        """`Store.get_object`, from the object files themselves."""
        try:
            stored = self._path(digest).read_bytes()
        except OSError:
            return bytes(self._store().get_object(digest))
        return unpack(stored, self.get_object)

    def has_object(self, digest: str) -> bool:
        """`Store.has_object`."""
        return self._path(digest).is_file()

    def checkout(self, digest: str, name: str) -> Path:
        """`Store.checkout`."""
        return checkout(self.root, digest, name, self.get_object)


def _conditions(
    notebook: str | None = None,
    status: RunStatus | None = None,
    sweep: str | None = None,
    user: str | None = None,
    from_version: tuple[str, int | None] | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """The ``WHERE`` clause of the filters given (`store.runs._filtered`), and its values."""
    name, number = from_version or (None, None)
    columns = (
        ("notebook", notebook),
        ("status", status.value if status is not None else None),
        ("sweep_id", sweep),
        ("user_name", user),
        ("from_name", name),
        ("from_number", number),
    )
    wanted = [(column, value) for column, value in columns if value is not None]
    if not wanted:
        return "", ()
    return " WHERE " + " AND ".join(f"{c} = ?" for c, _ in wanted), tuple(v for _, v in wanted)


def _window(since: str | None, schedule: str | None) -> tuple[str, tuple[Any, ...]]:
    """The conditions of a start time and a schedule (`store.runs._windowed`), and their
    values."""
    clauses = [
        (clause, value)
        for clause, value in (
            ("created_at >= ?", since),
            (
                "id IN (SELECT a.run_id FROM attempts a JOIN occurrences o "
                "ON o.id = a.occurrence_id WHERE o.schedule_id = ?)",
                schedule,
            ),
        )
        if value is not None
    ]
    return " AND ".join(c for c, _ in clauses), tuple(v for _, v in clauses)


def _list_runs(
    reader: StoreReader,
    notebook: str | None = None,
    status: RunStatus | None = None,
    limit: int | None = None,
    sweep: str | None = None,
    user: str | None = None,
    offset: int = 0,
    oldest_first: bool = False,
    from_version: tuple[str, int | None] | None = None,
    since: str | None = None,
    schedule: str | None = None,
) -> list[Run]:
    where, values = _conditions(notebook, status, sweep, user, from_version)
    window, bounds = _window(since, schedule)
    if window:
        where = f"{where} AND {window}" if where else f" WHERE {window}"
        values = (*values, *bounds)
    order = "created_at, id" if oldest_first else "created_at DESC, id DESC"
    page = f"SELECT id FROM runs{where} ORDER BY {order} LIMIT ? OFFSET ?"
    query = f"SELECT record FROM runs WHERE id IN ({page}) ORDER BY {order}"
    rows = reader._db.execute(query, (*values, -1 if limit is None else limit, offset or 0))
    return [run_from_record(record) for (record,) in rows]
