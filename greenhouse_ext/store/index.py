"""The store: where it is found, how it is opened, its objects, and its schema's upgrades."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import NotFound, OutdatedStore, StoreUnavailable
from .checkouts import checkout
from .config import config_path, env_index_url, read_config, redacted
from .location import find_store_root
from .migrations import HEAD, REVISIONS, SCRIPTS
from .objects import Objects
from .occurrences import OccurrenceIndex
from .runs import RunIndex
from .schedules import ScheduleIndex
from .schema import (
    begin_writing,
    dialect_insert,
    indexes,
    make_engine,
    metadata,
    revision_of,
    revision_table,
)
from .sweeps import SweepIndex
from .versions import VersionIndex

OBJECTS_URL_ENV = "GREENHOUSE_OBJECTS_URL"


class Store(RunIndex, VersionIndex, SweepIndex, ScheduleIndex, OccurrenceIndex):
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
        index_url = index_url or env_index_url()
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
        self._engine = make_engine(self.index_url)
        self._open_schema()

    @classmethod
    def open(cls, location: str | os.PathLike[str] | None = None, *, local: bool = False) -> Store:
        """Open the store at ``location``, or the one found from the working directory.

        When the project holding the store folder (its parent) has a ``greenhouse.toml``
        naming a team store, the index and objects are the team's (see
        :mod:`greenhouse_ext.store.config`); ``$GREENHOUSE_INDEX_URL`` and
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
                revision = revision_of(conn)
            else:
                revision = HEAD
                begin_writing(conn)
                conn.execute(sa.schema.CreateTable(revision_table, if_not_exists=True))
                stamp = dialect_insert(self._engine.dialect.name)(revision_table)
                conn.execute(stamp.values(version_num=HEAD).on_conflict_do_nothing())
                for table in metadata.sorted_tables:
                    conn.execute(sa.schema.CreateTable(table, if_not_exists=True))
                for index in indexes:
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

        A read-only copy (mode 0444), not a link, so that editing the file can never
        change the stored object. A file already there is handed back only when its
        sha256 is ``digest``; one edited since (or damaged) is written afresh.
        """
        return checkout(self.root, digest, name, self.get_object)

    def log_path(self, run_id: str) -> Path:
        """Where the process running ``run_id`` writes its log (a local file of the store)."""
        folder = self.root / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{run_id}.log"


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
        env_index_url() or config.index,
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
    index = index or env_index_url() or f"sqlite:///{root / 'index.sqlite'}"
    objects = objects or os.environ.get(OBJECTS_URL_ENV) or str(root / "objects")
    config = config_path(root.parent)
    url = sa.make_url(index)
    schema: str | None = None
    problem: str | None = None
    if url.get_backend_name() != "sqlite" or Path(url.database or "").is_file():
        engine = make_engine(index)
        try:
            with engine.connect() as conn:
                if "runs" in sa.inspect(conn).get_table_names():
                    schema = revision_of(conn) or "v0"
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

    index_url = index_url or _addresses(Path(root), False)[0] or env_index_url()
    if index_url is None and not (Path(root) / "index.sqlite").is_file():
        raise NotFound(f"There is no store at {root} to upgrade")
    engine = make_engine(index_url or f"sqlite:///{Path(root) / 'index.sqlite'}")
    try:
        with engine.begin() as conn:
            before = revision_of(conn)
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
