"""The store: the runs index, reached through SQLAlchemy, and its objects (`objects`)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .errors import (
    Conflict,
    InvalidInput,
    NotFound,
    OutdatedStore,
    StoreUnavailable,
)
from .migrations import HEAD, REVISIONS, SCRIPTS
from .models import Progress, Run, RunError, RunStatus, Version
from .objects import Objects
from .provenance import host
from .records import run_from_record, run_record, version_from_record, version_record
from .storeconfig import CONFIG_FILENAME, config_path, read_config, redacted
from .trace import ProgressCallback

STORE_DIRNAME = ".greenhouse"
STORE_ENV = "GREENHOUSE_STORE"
INDEX_URL_ENV = "GREENHOUSE_INDEX_URL"
OBJECTS_URL_ENV = "GREENHOUSE_OBJECTS_URL"
VERSION_ATTEMPTS = 50
"""How often a version is tried again after a clash with a concurrent publisher."""
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
"""The statuses of a run that has not finished: the only ones a record may leave."""

_meta = sa.MetaData()
MAX_VERSION_NUMBER = 2**31 - 1
"""The largest version number the index holds (a 32-bit integer column on every back end)."""

runs_table = sa.Table(
    "runs",
    _meta,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("notebook", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("host", sa.Text),
    sa.Column("pid", sa.Integer),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("user_name", sa.Text),
    sa.Column("sweep_id", sa.String(64)),
)
versions_table = sa.Table(
    "versions",
    _meta,
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
    _meta,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)
aliases_table = sa.Table(
    "aliases",
    _meta,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("alias", sa.String(200), primary_key=True),
    sa.Column("number", sa.Integer, nullable=False),
)
# Alembic's own table: the revision the index's schema is at (see ``migrations``).
_revision_meta = sa.MetaData()
revision_table = sa.Table(
    "alembic_version",
    _revision_meta,
    sa.Column("version_num", sa.String(32), primary_key=True),
)
_indexes = [
    sa.Index("ix_runs_notebook", runs_table.c.notebook),
    sa.Index("ix_runs_status", runs_table.c.status),
    sa.Index("ix_runs_created_at", runs_table.c.created_at),
    sa.Index("ix_runs_user_name", runs_table.c.user_name),
    sa.Index("ix_runs_sweep_id", runs_table.c.sweep_id),
    # A version copied between stores is recognised by its name and manifest digest.
    sa.Index("ix_versions_manifest", versions_table.c.name, versions_table.c.manifest_sha256),
]


@dataclass
class Execution:
    """What one execution produced, before it is stored: the record and the bytes it refers to."""

    run: Run
    source: bytes
    output: bytes | None = None
    files: dict[str, bytes] = field(default_factory=dict)


def find_store_root(start: str | os.PathLike[str] | None = None) -> Path:
    """Locate the store the way git finds ``.git``.

    ``$GREENHOUSE_STORE`` wins; otherwise the nearest ``.greenhouse`` folder in ``start``
    or one of its parents, searching no higher than the git work tree ``start`` is in
    (its root holds ``.git``) or the file system ``start`` is on; otherwise
    ``start/.greenhouse`` (created on first write). A folder holding a store
    configuration (``greenhouse.toml``) is a project root too: its store is
    ``.greenhouse`` there, whose index and objects the configuration names. So a project
    never silently uses the store of a folder around it.
    """
    named = os.environ.get(STORE_ENV)
    if named:
        return Path(named).expanduser().resolve()
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / STORE_DIRNAME
        if candidate.is_dir() or (folder / CONFIG_FILENAME).is_file():
            return candidate
        if is_search_boundary(folder):
            break
    return here / STORE_DIRNAME


def is_search_boundary(folder: Path) -> bool:
    """Whether the upward search for a store ends at ``folder``: a git work tree's root,
    or the top of a file system."""
    return (folder / ".git").exists() or os.path.ismount(folder)


class Store:
    """The one place that reads and writes the index, and its objects (`Objects`).

    Parameters
    ----------
    root : path-like
        The store folder (``.greenhouse``); holds ``index.sqlite`` and ``objects/``
        unless ``index_url`` / ``objects_url`` point elsewhere.
    index_url : str, optional
        An SQLAlchemy URL for the index (default: SQLite in ``root``, WAL mode).
    objects_url : str, optional
        An fsspec URL for the objects (default: ``root/objects``).
    storage_options : dict, optional
        Options of the objects' file system (such as an S3 ``endpoint_url``).

    Notes
    -----
    ``$GREENHOUSE_INDEX_URL`` and ``$GREENHOUSE_OBJECTS_URL`` stand in for an index or
    objects URL not given.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        index_url: str | None = None,
        objects_url: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        self.root = Path(root)
        index_url = index_url or os.environ.get(INDEX_URL_ENV)
        objects_url = objects_url or os.environ.get(OBJECTS_URL_ENV)
        own_index, own_objects = (
            f"sqlite:///{self.root / 'index.sqlite'}",
            str(self.root / "objects"),
        )
        self.index_url = index_url or own_index
        self.objects_url = objects_url or own_objects
        if own_index == self.index_url or own_objects == self.objects_url:
            self.root.mkdir(parents=True, exist_ok=True)
        self.objects = Objects(self.objects_url, storage_options)
        self._engine = _make_engine(self.index_url)
        self._open_schema()

    @classmethod
    def open(cls, location: str | os.PathLike[str] | None = None, *, local: bool = False) -> Store:
        """Open the store at ``location``, or the one found from the working directory.

        When the project holding the store folder (its parent) has a ``greenhouse.toml``
        naming a team store, the index and objects are the team's (see
        :mod:`greenhouse_ext.storeconfig`); ``$GREENHOUSE_INDEX_URL`` and
        ``$GREENHOUSE_OBJECTS_URL`` still win. With ``local``, the store is the folder's
        own SQLite index and objects, whatever is configured.
        """
        root = Path(location).expanduser().resolve() if location else find_store_root()
        return cls(root, *_addresses(root, local))

    def close(self) -> None:
        """Release the index's connections."""
        self._engine.dispose()

    def _open_schema(self) -> None:
        """Create the schema of a new index; refuse an index at another schema revision.

        A new index is stamped with the revision before its tables are made, so that a
        process opening it meanwhile never takes it for an index from before migrations.
        """
        with self._engine.connect() as conn:
            made = "runs" in sa.inspect(conn).get_table_names()
        with self._engine.connect() as conn:
            if made:
                revision = _revision(conn)
            else:
                revision = HEAD
                self._begin_writing(conn)
                conn.execute(sa.schema.CreateTable(revision_table, if_not_exists=True))
                stamp = _dialect_insert(self._engine.dialect.name)(revision_table)
                conn.execute(stamp.values(version_num=HEAD).on_conflict_do_nothing())
                for table in _meta.sorted_tables:
                    conn.execute(sa.schema.CreateTable(table, if_not_exists=True))
                for index in _indexes:
                    conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))
                conn.commit()
        if revision == HEAD:
            return
        self.close()
        if revision is None or revision in REVISIONS:
            raise OutdatedStore(
                f"The store at {self.root} is in an older format (schema "
                f"{revision or 'from before migrations'}, this greenhouse reads {HEAD}): "
                "run `greenhouse store upgrade` to bring it up to date"
            )
        raise OutdatedStore(
            f"The store at {self.root} was written by a newer greenhouse (schema "
            f"{revision}, this greenhouse reads {HEAD}): upgrade greenhouse to use it"
        )

    # Objects -----------------------------------------------------------------

    def put_object(self, data: bytes) -> str:
        """Store ``data`` once under its sha256 and return the digest (`Objects.put`)."""
        return self.objects.put(data)

    def get_object(self, digest: str) -> bytes:
        """Return an object's content; NotFound when the store has no such object."""
        return self.objects.get(digest)

    def has_object(self, digest: str) -> bool:
        """True when an object with this sha256 is stored."""
        return self.objects.has(digest)

    def checkout(self, digest: str, name: str) -> Path:
        """Copy an object to ``checkouts/NAME`` in a local store, for opening in other tools.

        A copy, not a link, so that editing the file can never change the stored object.
        """
        target = self.root / "checkouts" / name
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
            tmp.write_bytes(self.get_object(digest))
            os.replace(tmp, target)
        return target

    def log_path(self, run_id: str) -> Path:
        """Where the process running ``run_id`` writes its log (a local file of the store)."""
        folder = self.root / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{run_id}.log"

    # Runs --------------------------------------------------------------------

    def save_run(self, run: Run, replaces: Collection[RunStatus] = ACTIVE) -> bool:
        """Record ``run``: insert it, or replace its record while its status is in ``replaces``.

        One statement (``INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE status IN
        (...)``), so a status change is a conditional transition: of writers racing on
        one run, only those whose expected status still holds write, and a finished
        run (``succeeded``, ``failed``, ``cancelled``, ``interrupted``) is never
        replaced. The ``status`` column and the record's JSON are written together.

        Parameters
        ----------
        run : Run
            The record to write; its status is the status it moves to.
        replaces : collection of RunStatus
            The statuses a stored record of the same id may have for it to be replaced
            (default: queued or running); empty to only ever insert.

        Returns
        -------
        bool
            Whether the record was written.

        Raises
        ------
        ValueError
            ``replaces`` names a finished status.
        """
        finished = sorted(s.value for s in replaces if s.finished)
        if finished:
            raise ValueError(f"a finished run is never replaced, got {', '.join(finished)}")
        row = {
            "id": run.id,
            "notebook": run.notebook,
            "status": run.status.value,
            "host": run.provenance.host if run.provenance else host(),
            "pid": run.pid,
            "created_at": run.created_at,
            "record": run_record(run),
            "user_name": run.provenance.user if run.provenance else None,
            "sweep_id": run.sweep_id,
        }
        insert = _dialect_insert(self._engine.dialect.name)(runs_table).values(**row)
        if replaces:
            update = {k: v for k, v in row.items() if k != "id"}
            allowed = [s.value for s in replaces]
            statement = insert.on_conflict_do_update(
                index_elements=["id"], set_=update, where=runs_table.c.status.in_(allowed)
            )
        else:
            statement = insert.on_conflict_do_nothing(index_elements=["id"])
        # RETURNING tells whether the row was written: a driver's rowcount may not.
        with self._engine.begin() as conn:
            return conn.execute(statement.returning(runs_table.c.id)).first() is not None

    def start_run(self, run: Run) -> None:
        """Record ``run`` as running: a new run, or the one a server queued under its id.

        Raises
        ------
        Conflict
            The run with this id has started or finished already.
        """
        if not self.save_run(run, replaces=(RunStatus.QUEUED,)):
            stored = self.get_run(run.id)
            raise Conflict(f"Run {run.id} is {stored.status.value} already: it is not started")

    def save_progress(self, run: Run) -> bool:
        """Record a running run's progress; a run no longer running keeps its record."""
        return self.save_run(run, replaces=(RunStatus.RUNNING,))

    def save_execution(self, execution: Execution) -> Run:
        """Store what an execution produced: the objects first, then the record naming them.

        The record replaces a queued or running one only (see `save_run`).

        Raises
        ------
        Conflict
            The run is recorded as finished already (say, cancelled or marked
            interrupted meanwhile): that outcome stands and this one is not recorded.
        StoreUnavailable
            The objects could not be stored; the run is recorded as failed, saying so,
            when the index can still be reached.
        """
        run = execution.run
        try:
            run.source_object = self.put_object(execution.source)
            if execution.output is not None:
                run.output_object = self.put_object(execution.output)
            for data in execution.files.values():
                self.put_object(data)
        except StoreUnavailable:
            unstored = dataclasses.replace(
                run,
                status=RunStatus.FAILED,
                error=RunError(
                    reason="its notebook and files could not be stored: the object store "
                    f"at {redacted(self.objects_url)} could not be reached"
                ),
                source_object=None,
                output_object=None,
                files=[],
            )
            with contextlib.suppress(StoreUnavailable):
                self.save_run(unstored)
            raise
        if not self.save_run(run):
            stored = self.get_run(run.id)
            raise Conflict(
                f"Run {run.id} is recorded as {stored.status.value} already: its outcome "
                f"({run.status.value}) was not recorded"
            )
        return run

    def get_run(self, ref: str) -> Run:
        """Return the run with this id, or with this unique id prefix (at least 4 characters)."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(runs_table.c.record).where(runs_table.c.id == ref)).first()
            if row is None and len(ref) >= 4 and ref.isalnum():
                rows = conn.execute(
                    sa.select(runs_table.c.record).where(runs_table.c.id.startswith(ref)).limit(2)
                ).all()
                if len(rows) > 1:
                    raise InvalidInput(f"Run id prefix {ref!r} is ambiguous: give more characters")
                row = rows[0] if rows else None
        if row is None:
            raise NotFound(
                f"No run {ref!r} in the store at {self.root}; `greenhouse runs` lists them"
            )
        return run_from_record(row.record)

    def list_runs(
        self,
        notebook: str | None = None,
        status: RunStatus | None = None,
        limit: int | None = None,
        sweep: str | None = None,
        user: str | None = None,
    ) -> list[Run]:
        """Runs, newest first, optionally filtered by notebook path, status, sweep id and user."""
        query = sa.select(runs_table.c.record).order_by(
            runs_table.c.created_at.desc(), runs_table.c.id.desc()
        )
        if notebook is not None:
            query = query.where(runs_table.c.notebook == notebook)
        if status is not None:
            query = query.where(runs_table.c.status == status.value)
        if sweep is not None:
            query = query.where(runs_table.c.sweep_id == sweep)
        if user is not None:
            query = query.where(runs_table.c.user_name == user)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as conn:
            return [run_from_record(r.record) for r in conn.execute(query)]

    def mark_interrupted(self) -> list[str]:
        """Mark this host's unfinished runs whose process has gone as ``interrupted``.

        Each change is a transition from the status that was read: a run that records
        its outcome and exits between the reading and the writing keeps its outcome.

        Returns
        -------
        list of str
            The ids of the runs now recorded as interrupted.
        """
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(runs_table.c.record).where(
                    runs_table.c.status.in_([s.value for s in ACTIVE]),
                    runs_table.c.host == host(),
                )
            ).all()
        gone = []
        for row in rows:
            run = run_from_record(row.record)
            if run.pid is not None and _alive(run.pid):
                continue
            expected = run.status
            run.status = RunStatus.INTERRUPTED
            run.error = RunError(reason="the process running it ended before it finished")
            if self.save_run(run, replaces=(expected,)):
                gone.append(run.id)
        return gone

    # Versions and aliases ----------------------------------------------------

    def add_version(self, version: Version, aliases: Collection[str] = ()) -> Version:
        """Record ``version`` as the next number of its name, with ``aliases``; return it.

        One transaction takes the number from the name's counter row (an upsert that
        increments it and returns the new value, so concurrent publishers queue on that
        row; SQLite's is begun ``IMMEDIATE``), inserts the version and points the aliases
        at it. Numbers are gapless and unique across processes and machines: a
        transaction that fails gives its number back, and the unique ``(name, number)``
        key stays as a backstop; a clash is rolled back and tried again. The version's
        objects must be stored first: the row naming them is the last thing written.
        """
        return self._insert_version(version, aliases, reuse=False)[0]

    def import_version(self, version: Version) -> tuple[Version, bool]:
        """Record a version copied from another store, numbered by this one.

        A version is known by its name and manifest digest: one already here is returned
        as it is, so copying twice makes no duplicate.

        Returns
        -------
        tuple of (Version, bool)
            The version as numbered here, and whether it was new.
        """
        return self._insert_version(version, (), reuse=True)

    def _insert_version(
        self, version: Version, aliases: Collection[str], *, reuse: bool
    ) -> tuple[Version, bool]:
        record = version_record(version)
        for _ in range(VERSION_ATTEMPTS):
            try:
                with self._engine.connect() as conn:
                    self._begin_writing(conn)
                    number = conn.execute(self._next_number(version.name)).scalar_one()
                    # Checked under the counter row's lock: no copy of it can commit meanwhile.
                    known = self._known_number(conn, version) if reuse else None
                    if known is not None:
                        conn.rollback()
                        return self.get_version(version.name, known), False
                    conn.execute(
                        versions_table.insert().values(
                            name=version.name,
                            number=number,
                            run_id=version.run_id,
                            created_at=version.created_at,
                            record=record,
                            manifest_sha256=version.manifest_sha256,
                        )
                    )
                    for alias in aliases:
                        conn.execute(self._alias_upsert(version.name, alias, number))
                    conn.commit()
            except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
                if isinstance(exc, sa.exc.OperationalError) and not _is_contention(exc):
                    raise
                continue
            version.number = int(number)
            version.aliases = sorted(aliases)
            return version, True
        raise Conflict(f"Could not allocate a version number for {version.name!r}; try again")

    def _known_number(self, conn: sa.Connection, version: Version) -> int | None:
        """The number of the version of this name and manifest already here, if any."""
        number = conn.execute(
            sa.select(versions_table.c.number).where(
                versions_table.c.name == version.name,
                versions_table.c.manifest_sha256 == version.manifest_sha256,
            )
        ).scalar()
        return None if number is None else int(number)

    def _next_number(self, name: str) -> Any:
        """``UPDATE ... RETURNING`` on the name's counter row, made first if missing.

        A missing row starts after the highest version already stored, so an index
        whose counters were lost can never hand out a number twice.
        """
        first = (
            sa.select(sa.func.coalesce(sa.func.max(versions_table.c.number), 0) + 1)
            .where(versions_table.c.name == name)
            .scalar_subquery()
        )
        insert = _dialect_insert(self._engine.dialect.name)(counters_table)
        return (
            insert.values(name=name, last=first)
            .on_conflict_do_update(
                index_elements=["name"], set_={"last": counters_table.c.last + 1}
            )
            .returning(counters_table.c.last)
        )

    def _begin_writing(self, conn: sa.Connection) -> None:
        """Begin a transaction that will write: SQLite's takes the write lock at once.

        A deferred SQLite transaction that reads and then writes fails at once (it
        cannot wait) when another process wrote meanwhile; ``BEGIN IMMEDIATE`` queues
        for the lock instead, within the busy timeout.
        """
        if self._engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _alias_upsert(self, name: str, alias: str, number: int) -> Any:
        insert = _dialect_insert(self._engine.dialect.name)(aliases_table).values(
            name=name, alias=alias, number=number
        )
        return insert.on_conflict_do_update(
            index_elements=["name", "alias"], set_={"number": number}
        )

    def get_version(
        self, name: str, number: int | None = None, alias: str | None = None
    ) -> Version:
        """A version by number, by alias, or the latest; NotFound names what exists."""
        if number is not None and not 1 <= number <= MAX_VERSION_NUMBER:
            raise NotFound(
                f"{name!r} has no version {number}: versions are numbered from 1 up; "
                f"`greenhouse versions {name}` lists them"
            )
        with self._engine.connect() as conn:
            if alias is not None:
                number = conn.execute(
                    sa.select(aliases_table.c.number).where(
                        aliases_table.c.name == name, aliases_table.c.alias == alias
                    )
                ).scalar()
                if number is None:
                    known = ", ".join(self.aliases(name)) or "none"
                    raise NotFound(f"{name!r} has no alias {alias!r} (aliases: {known})")
            query = sa.select(versions_table.c.number, versions_table.c.record).where(
                versions_table.c.name == name
            )
            if number is not None:
                query = query.where(versions_table.c.number == number)
            row = conn.execute(query.order_by(versions_table.c.number.desc()).limit(1)).first()
        if row is None:
            if number is None:
                raise NotFound(
                    f"Nothing is published as {name!r}; `greenhouse publish` makes versions"
                )
            raise NotFound(
                f"{name!r} has no version {number}; `greenhouse versions {name}` lists them"
            )
        return self._with_aliases(_version(row))

    def artefact_names(self) -> list[str]:
        """Every name something is published as, sorted."""
        query = sa.select(versions_table.c.name).distinct().order_by(versions_table.c.name)
        with self._engine.connect() as conn:
            return [row.name for row in conn.execute(query)]

    def list_versions(self, name: str) -> list[Version]:
        """Every version of ``name``, oldest first, with their aliases."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(versions_table.c.number, versions_table.c.record)
                .where(versions_table.c.name == name)
                .order_by(versions_table.c.number)
            ).all()
        names = self.aliases(name)
        versions = [_version(r) for r in rows]
        for version in versions:
            version.aliases = sorted(a for a, n in names.items() if n == version.number)
        return versions

    def set_alias(self, name: str, alias: str, number: int) -> None:
        """Point ``alias`` at version ``number`` of ``name``, in one atomic statement."""
        self.get_version(name, number)
        with self._engine.begin() as conn:
            conn.execute(self._alias_upsert(name, alias, number))

    def aliases(self, name: str) -> dict[str, int]:
        """``{alias: version number}`` for ``name``."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(aliases_table.c.alias, aliases_table.c.number).where(
                    aliases_table.c.name == name
                )
            ).all()
        return {r.alias: int(r.number) for r in rows}

    def _with_aliases(self, version: Version) -> Version:
        version.aliases = sorted(
            a for a, n in self.aliases(version.name).items() if n == version.number
        )
        return version


def _addresses(root: Path, local: bool) -> tuple[str | None, str | None, dict[str, Any]]:
    """The index URL, objects URL and objects' options of the store at ``root``.

    None stands for "not configured": `Store` then takes ``$GREENHOUSE_INDEX_URL`` /
    ``$GREENHOUSE_OBJECTS_URL``, else the folder's own.
    """
    if local:
        return f"sqlite:///{root / 'index.sqlite'}", str(root / "objects"), {}
    config = read_config(root.parent)
    if config is None:
        return None, None, {}
    return (
        os.environ.get(INDEX_URL_ENV) or config.index,
        os.environ.get(OBJECTS_URL_ENV) or config.objects,
        config.storage_options(),
    )


def describe(root: str | os.PathLike[str], local: bool = False) -> dict[str, Any]:
    """Where the store at ``root`` keeps its index and objects, and its schema revision.

    Nothing is created or changed; passwords and keys in URLs are shown as ``***``.
    ``schema`` is None where there is no index yet (or it cannot be reached: then
    ``problem`` says why), ``"v0"`` for an index from before migrations.
    """
    root = Path(root)
    index, objects, options = _addresses(root, local)
    index = index or os.environ.get(INDEX_URL_ENV) or f"sqlite:///{root / 'index.sqlite'}"
    objects = objects or os.environ.get(OBJECTS_URL_ENV) or str(root / "objects")
    config = config_path(root.parent)
    url = sa.make_url(index)
    schema: str | None = None
    problem: str | None = None
    if url.get_backend_name() != "sqlite" or Path(url.database or "").is_file():
        engine = _make_engine(index)
        try:
            with engine.connect() as conn:
                if "runs" in sa.inspect(conn).get_table_names():
                    schema = _revision(conn) or "v0"
        except StoreUnavailable as exc:
            problem = exc.message
        finally:
            engine.dispose()
    return {
        "store": str(root),
        "config": str(config) if config.is_file() and not local else None,
        "index": redacted(index),
        "database": url.get_backend_name(),
        "objects": redacted(objects),
        "endpoint_url": options.get("endpoint_url"),
        "schema": schema,
        "latest_schema": HEAD,
        "problem": problem,
    }


def upgrade(root: str | os.PathLike[str], index_url: str | None = None) -> tuple[str | None, str]:
    """Bring the index of the store at ``root`` to this greenhouse's schema.

    The index is the one ``index_url`` names, else ``$GREENHOUSE_INDEX_URL``, else the
    team store's of the project's ``greenhouse.toml``, else the folder's own.

    Runs the Alembic migrations shipped in ``greenhouse_ext/migrations`` on one
    connection and commits their changes with the new revision stamp at the end, so an
    upgrade that is interrupted leaves the records and the stamp as they were.

    Returns
    -------
    tuple
        The revision before (None for a store from before migrations) and after.

    Raises
    ------
    NotFound
        No store at ``root``.
    OutdatedStore
        The store was written by a newer greenhouse.
    """
    from alembic import command
    from alembic.config import Config

    index_url = index_url or _addresses(Path(root), False)[0] or os.environ.get(INDEX_URL_ENV)
    if index_url is None and not (Path(root) / "index.sqlite").is_file():
        raise NotFound(f"There is no store at {root} to upgrade")
    engine = _make_engine(index_url or f"sqlite:///{Path(root) / 'index.sqlite'}")
    try:
        with engine.begin() as conn:
            before = _revision(conn)
            if before is not None and before not in REVISIONS:
                raise OutdatedStore(
                    f"The store at {root} was written by a newer greenhouse (schema {before}); "
                    "upgrade greenhouse instead"
                )
            config = Config()
            config.set_main_option("script_location", str(SCRIPTS))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    return before, HEAD


def _revision(conn: sa.Connection) -> str | None:
    """The revision an index is stamped with; None for an index from before migrations."""
    if "alembic_version" not in sa.inspect(conn).get_table_names():
        return None
    value = conn.execute(sa.select(revision_table.c.version_num)).scalar()
    return str(value) if value is not None else None


def _version(row: Any) -> Version:
    return version_from_record(row.record, int(row.number))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dialect_insert(dialect: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    raise InvalidInput(f"Index database {dialect!r} is not supported: use SQLite or PostgreSQL")


def _is_contention(exc: sa.exc.OperationalError) -> bool:
    """Whether ``exc`` says that a concurrent transaction won: worth trying again."""
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01"} or "database is locked" in str(exc.orig)


def _make_engine(url: str) -> sa.Engine:
    if not url.startswith("sqlite"):
        # A connection the server dropped is replaced before use (pool_pre_ping), so a
        # long-lived process such as the Jupyter server reconnects by itself.
        engine = sa.create_engine(url, pool_pre_ping=True)
        sa.event.listen(engine, "handle_error", _unavailable)
        return engine
    engine = sa.create_engine(url, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


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


class LiveRecord:
    """Keeps an executing run's stored record current: running first, then its progress.

    Give `started` and `progressed` to `execute` as ``on_start`` and ``on_progress``.
    ``reproduces`` names the run that a re-run re-runs; ``on_progress`` hears of each
    cell as well.
    """

    def __init__(
        self,
        store: Store,
        *,
        reproduces: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.reproduces = reproduces
        self.on_progress = on_progress
        self.run: Run | None = None

    def started(self, run: Run) -> None:
        """Record ``run`` as running (a new run, or the one queued under its id)."""
        if self.reproduces is not None:
            run.reproduces = self.reproduces
        self.store.start_run(run)
        self.run = run

    def progressed(self, done: int, total: int, current: int | None) -> None:
        """Record how far the run has got, then tell ``on_progress``."""
        if self.run is not None:
            self.run.progress = Progress(done=done, total=total, current=current)
            self.store.save_progress(self.run)
        if self.on_progress is not None:
            self.on_progress(done, total, current)
