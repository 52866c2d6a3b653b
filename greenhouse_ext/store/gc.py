"""Cleaning the store: the runs a stated policy lets go, and the objects nothing names any more.

The rows go first, in one transaction; then the objects that no row names. So a process
killed midway leaves at worst objects that nothing names, which the next cleaning removes:
never a record naming a missing object. A published version's run, and every object a
version names, are never removed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import Conflict
from ..models import Run, RunStatus
from .objects import StoredFile
from .records import record_objects, run_from_record, version_from_record
from .schema import begin_writing, runs_table, versions_table

if TYPE_CHECKING:
    from .index import Store

DEFAULT_GRACE_S = 3600
"""How long an object that nothing names is spared after it was written: a run or a
publish writes its objects before the record that names them."""
FINISHED = tuple(s.value for s in RunStatus if s.finished)
UNSUCCESSFUL = tuple(s.value for s in RunStatus if s.finished and s is not RunStatus.SUCCEEDED)
"""What ``failed_older_than`` takes: the runs that finished without succeeding."""
_BATCH = 500
"""Ids per statement: well under every database's limit of bound values."""


@dataclass(frozen=True)
class Policy:
    """Which runs a cleaning removes; with neither rule, only objects that nothing names.

    Parameters
    ----------
    failed_older_than_s : int, optional
        Remove the runs that failed, were cancelled or were interrupted, created longer
        ago than this (seconds).
    keep_last : int, optional
        Keep the newest ``keep_last`` finished runs of each notebook; remove the rest.
    grace_s : int
        Spare an object that nothing names when it was written less than this long ago.
    """

    failed_older_than_s: int | None = None
    keep_last: int | None = None
    grace_s: int = DEFAULT_GRACE_S


@dataclass
class Removal:
    """What a cleaning removed, or would remove in a dry run.

    ``runs`` are the removed runs with why each went; ``kept_published`` the runs the
    policy chose but kept because a version was published from them; ``objects`` and
    ``bytes`` count the stored files removed (their stored, packed size).
    """

    runs: list[tuple[Run, str]] = field(default_factory=list)
    kept_published: list[str] = field(default_factory=list)
    objects: int = 0
    bytes: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "runs": [{**run.to_summary(), "why": why} for run, why in self.runs],
            "kept_published": list(self.kept_published),
            "objects": self.objects,
            "bytes": self.bytes,
        }


def collect_garbage(store: Store, policy: Policy, *, dry_run: bool = False) -> Removal:
    """Remove the runs ``policy`` chooses, then every object that nothing names.

    An object that nothing names is removed when the runs removed now named it, or when
    it was written longer ago than ``policy.grace_s`` (left by a killed writer or an
    earlier cleaning); a part of a kept object (an image it keeps apart) stays.

    Parameters
    ----------
    store : Store
        The store to clean.
    policy : Policy
        Which runs go.
    dry_run : bool
        Count what would go, and change nothing.
    """
    started = time.time()
    chosen, published = _chosen(store, policy, started)
    removal = Removal(
        runs=[(run, why) for run, why in chosen if run.id not in published],
        kept_published=[run.id for run, _ in chosen if run.id in published],
        dry_run=dry_run,
    )
    gone = {run.id for run, _ in removal.runs}
    if not dry_run:
        gone = _delete_rows(store, gone)
        removal.runs = [(run, why) for run, why in removal.runs if run.id in gone]
    named = {digest for run, _ in removal.runs for _, digest in record_objects(run)}
    garbage = _unreachable(store, named, gone, started, started - policy.grace_s)
    _remove(store, garbage, removal, dry_run)
    if not dry_run:
        _forget_local_files(store, gone)
    return removal


def delete_run(store: Store, run_id: str) -> Removal:
    """Remove the finished run ``run_id`` and the objects that only it named.

    Raises
    ------
    Conflict
        The run is published (its versions are named), or has not finished.
    NotFound
        No such run.
    """
    started = time.time()
    run = store.get_run(run_id)
    if not run.status.finished:
        raise Conflict(
            f"Run {run.id} is {run.status.value}: only a finished run is deleted; wait for "
            "it to end, or cancel it"
        )
    _refuse_published(store, run)
    if not _delete_rows(store, {run.id}):
        raise Conflict(f"Run {run.id} was published or deleted meanwhile: it is not deleted")
    named = {digest for _, digest in record_objects(run)}
    removal = Removal(runs=[(run, "deleted by name")])
    garbage = _unreachable(store, named, {run.id}, started, None)
    own = _with_parts(store, named)
    _remove(store, [f for f in garbage if f.digest in own], removal, False)
    _forget_local_files(store, {run.id})
    return removal


def _refuse_published(store: Store, run: Run) -> None:
    query = sa.select(versions_table.c.name, versions_table.c.number).where(
        versions_table.c.run_id == run.id
    )
    with store._engine.connect() as conn:
        versions = [f"{r.name}@{r.number}" for r in conn.execute(query.order_by("name", "number"))]
    if versions:
        raise Conflict(
            f"Run {run.id} is published as {', '.join(versions)}: a published version's "
            "run is never deleted"
        )


def _chosen(store: Store, policy: Policy, now: float) -> tuple[list[tuple[Run, str]], set[str]]:
    """The finished runs the policy lets go, oldest first, with why; and the published runs."""
    columns = (runs_table.c.id, runs_table.c.notebook, runs_table.c.status, runs_table.c.created_at)
    query = sa.select(*columns).where(runs_table.c.status.in_(FINISHED))
    with store._engine.connect() as conn:
        rows = conn.execute(query.order_by(runs_table.c.created_at.desc(), runs_table.c.id.desc()))
        finished = rows.all()
        published = set(conn.execute(sa.select(versions_table.c.run_id).distinct()).scalars())
    reasons: dict[str, list[str]] = {}
    if policy.keep_last is not None:
        seen: dict[str, int] = {}
        for row in finished:
            seen[row.notebook] = seen.get(row.notebook, 0) + 1
            if seen[row.notebook] > policy.keep_last:
                reasons.setdefault(row.id, []).append(
                    f"older than the last {policy.keep_last} of its notebook"
                )
    if policy.failed_older_than_s is not None:
        cutoff = now - policy.failed_older_than_s
        for row in finished:
            if row.status in UNSUCCESSFUL and _timestamp(row.created_at) < cutoff:
                reasons.setdefault(row.id, []).append(f"{row.status} before the cut-off")
    return [(run, "; ".join(reasons[run.id])) for run in _runs(store, reasons)], published


def _runs(store: Store, ids: Iterable[str]) -> list[Run]:
    """The records of the runs ``ids``, oldest first."""
    wanted = list(ids)
    runs: list[Run] = []
    with store._engine.connect() as conn:
        for start in range(0, len(wanted), _BATCH):
            query = sa.select(runs_table.c.record).where(
                runs_table.c.id.in_(wanted[start : start + _BATCH])
            )
            runs.extend(run_from_record(text) for text in conn.execute(query).scalars())
    return sorted(runs, key=lambda run: (run.created_at, run.id))


def _timestamp(created_at: str) -> float:
    moment = datetime.fromisoformat(created_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _delete_rows(store: Store, ids: set[str]) -> set[str]:
    """Delete the rows of the finished, unpublished runs among ``ids``, in one transaction.

    The conditions are checked again by the statement itself, so a run published or
    still running meanwhile stays. Returns the ids deleted.
    """
    wanted = sorted(ids)
    deleted: set[str] = set()
    if not wanted:
        return deleted
    published = sa.select(versions_table.c.run_id)
    with store._engine.connect() as conn:
        begin_writing(conn)
        for start in range(0, len(wanted), _BATCH):
            statement = (
                runs_table.delete()
                .where(
                    runs_table.c.id.in_(wanted[start : start + _BATCH]),
                    runs_table.c.status.in_(FINISHED),
                    runs_table.c.id.not_in(published),
                )
                .returning(runs_table.c.id)
            )
            deleted.update(conn.execute(statement).scalars())
        conn.commit()
    return deleted


def _referenced(store: Store, excluded: set[str]) -> set[str]:
    """Every object a stored run (except ``excluded``) or version names."""
    named: set[str] = set()
    with store._engine.connect() as conn:
        for row in conn.execute(sa.select(runs_table.c.id, runs_table.c.record)):
            if row.id not in excluded:
                named.update(digest for _, digest in record_objects(run_from_record(row.record)))
        versions = sa.select(versions_table.c.number, versions_table.c.record)
        for row in conn.execute(versions):
            version = version_from_record(row.record, int(row.number))
            named.update(digest for _, digest in record_objects(version))
    return named


def _unreachable(
    store: Store, named: set[str], excluded: set[str], started: float, spared_since: float | None
) -> list[StoredFile]:
    """The stored files that nothing kept names, directly or as a part.

    Kept: what a stored run (but ``excluded``) or version names; an object written since
    ``started`` (written again for a record not stored yet); one written since
    ``spared_since`` unless the removed runs (``named``) named it; and the parts of all
    of these. With ``spared_since`` None, every file written before ``started`` that
    nothing names is returned: the caller chooses among them.
    """
    files = store.objects.listing()
    referenced = _referenced(store, excluded)

    def spared(stored: StoredFile) -> bool:
        if stored.modified is None:
            return True
        if spared_since is None or stored.digest in named:
            return stored.modified >= started
        return stored.modified >= spared_since

    candidates = [f for f in files if f.digest not in referenced and not spared(f)]
    if not any(f.digest is not None for f in candidates):
        return candidates
    doomed = {f.key for f in candidates}
    kept = {f.digest for f in files if f.digest is not None and f.key not in doomed}
    reachable = _with_parts(store, kept)
    return [f for f in candidates if f.digest not in reachable]


def _with_parts(store: Store, digests: set[str]) -> set[str]:
    """``digests`` and the objects they are made of, those stored.

    Raises
    ------
    Conflict
        An object is damaged, so its parts cannot be told: nothing is removed.
    """
    found = set(digests)
    frontier = list(digests)
    while frontier:
        digest = frontier.pop()
        try:
            parts = store.objects.parts(digest)
        except FileNotFoundError:
            continue
        except Conflict as exc:
            raise Conflict(
                f"Object {digest} is damaged ({exc.message}): what it is made of cannot be "
                "told, so no object was removed; `greenhouse verify` finds what names it"
            ) from None
        for part in parts:
            if part not in found:
                found.add(part)
                frontier.append(part)
    return found


def _remove(store: Store, garbage: list[StoredFile], removal: Removal, dry_run: bool) -> None:
    for stored in garbage:
        if not dry_run:
            store.objects.remove(stored.key)
        removal.objects += 1
        removal.bytes += stored.size


def _forget_local_files(store: Store, ids: set[str]) -> None:
    """Remove the logs and the opened copies of the removed runs (the store folder's own)."""
    for run_id in ids:
        with contextlib.suppress(OSError):
            (store.root / "logs" / f"{run_id}.log").unlink()
        for copy in (store.root / "checkouts").glob(f"{run_id}.*.ipynb"):
            with contextlib.suppress(OSError):
                copy.chmod(0o644)
                copy.unlink()
