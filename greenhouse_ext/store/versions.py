"""The versions and aliases the index keeps: gapless numbers, copies, aliases."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, NotFound
from ..models import AliasEvent, Version, now
from .identity import user
from .records import version_from_record, version_record
from .schema import (
    MAX_VERSION_NUMBER,
    alias_events_table,
    aliases_table,
    begin_writing,
    counters_table,
    dialect_insert,
    is_contention,
    versions_table,
)

VERSION_ATTEMPTS = 50
"""How often a version is tried again after a clash with a concurrent publisher."""


class VersionIndex:
    """The store's versions and aliases (a part of `Store`)."""

    _engine: sa.Engine

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
                    begin_writing(conn)
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
                        self._move_alias(conn, version.name, alias, int(number), None)
                    conn.commit()
            except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
                if isinstance(exc, sa.exc.OperationalError) and not is_contention(exc):
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
        insert = dialect_insert(self._engine.dialect.name)(counters_table)
        return (
            insert.values(name=name, last=first)
            .on_conflict_do_update(
                index_elements=["name"], set_={"last": counters_table.c.last + 1}
            )
            .returning(counters_table.c.last)
        )

    def _alias_upsert(self, name: str, alias: str, number: int) -> Any:
        insert = dialect_insert(self._engine.dialect.name)(aliases_table).values(
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
        return self._with_aliases(_version_of(row))

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
        versions = [_version_of(r) for r in rows]
        for version in versions:
            version.aliases = sorted(a for a, n in names.items() if n == version.number)
        return versions

    def versions_of_run(self, run_id: str) -> list[Version]:
        """The versions published from run ``run_id``, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(versions_table.c.number, versions_table.c.record)
                .where(versions_table.c.run_id == run_id)
                .order_by(versions_table.c.created_at, versions_table.c.name)
            ).all()
        return [self._with_aliases(_version_of(r)) for r in rows]

    def set_alias(
        self, name: str, alias: str, number: int, reason: str | None = None
    ) -> AliasEvent | None:
        """Point ``alias`` at version ``number`` of ``name`` and record the change.

        The move and its event are one transaction, so the history never misses a move
        nor records one that did not happen. An alias that already points there is left
        alone and records nothing (returns None).
        """
        self.get_version(name, number)
        with self._engine.connect() as conn:
            begin_writing(conn)
            event = self._move_alias(conn, name, alias, number, reason)
            conn.commit()
        return event

    def remove_alias(self, name: str, alias: str, reason: str | None = None) -> AliasEvent:
        """Remove ``alias`` of ``name`` and record the removal.

        Raises
        ------
        NotFound
            ``name`` has no such alias; the message lists the aliases it has.
        """
        with self._engine.connect() as conn:
            begin_writing(conn)
            current = self._current(conn, name, alias)
            if current is None:
                conn.rollback()
                known = ", ".join(sorted(self.aliases(name))) or "none"
                raise NotFound(f"{name!r} has no alias {alias!r} to remove (aliases: {known})")
            conn.execute(
                aliases_table.delete().where(
                    aliases_table.c.name == name, aliases_table.c.alias == alias
                )
            )
            event = self._record_event(conn, name, alias, current, None, reason)
            conn.commit()
        return event

    def alias_history(self, name: str) -> list[AliasEvent]:
        """Every recorded change of ``name``'s aliases, oldest first."""
        table = alias_events_table
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(table).where(table.c.name == name).order_by(table.c.id)
            ).all()
        return [
            AliasEvent(
                name=r.name,
                alias=r.alias,
                from_number=r.from_number,
                to_number=r.to_number,
                user=r.user_name,
                at=r.at,
                reason=r.reason,
            )
            for r in rows
        ]

    def _current(self, conn: sa.Connection, name: str, alias: str) -> int | None:
        """Where ``alias`` points now, its row locked until the transaction ends."""
        number = conn.execute(
            sa.select(aliases_table.c.number)
            .where(aliases_table.c.name == name, aliases_table.c.alias == alias)
            .with_for_update()
        ).scalar()
        return None if number is None else int(number)

    def _move_alias(
        self, conn: sa.Connection, name: str, alias: str, number: int, reason: str | None
    ) -> AliasEvent | None:
        current = self._current(conn, name, alias)
        if current == number:
            return None
        conn.execute(self._alias_upsert(name, alias, number))
        return self._record_event(conn, name, alias, current, number, reason)

    def _record_event(
        self,
        conn: sa.Connection,
        name: str,
        alias: str,
        from_number: int | None,
        to_number: int | None,
        reason: str | None,
    ) -> AliasEvent:
        event = AliasEvent(name, alias, from_number, to_number, user(), now(), reason)
        conn.execute(
            alias_events_table.insert().values(
                name=name,
                alias=alias,
                from_number=from_number,
                to_number=to_number,
                user_name=event.user,
                at=event.at,
                reason=reason,
            )
        )
        return event

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


def _version_of(row: Any) -> Version:
    return version_from_record(row.record, int(row.number))
