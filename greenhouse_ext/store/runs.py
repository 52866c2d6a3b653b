"""The runs the index keeps: guarded status transitions, lookups, orphans, live records."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from ..errors import (
    LISTED_MATCHES,
    Conflict,
    InvalidInput,
    NotFound,
    StoreUnavailable,
    ambiguous,
)
from ..models import (
    MIN_PREFIX,
    Execution,
    Progress,
    ProgressCallback,
    Run,
    RunError,
    RunStatus,
)
from . import identity
from .objects import Objects
from .records import run_from_record, run_record
from .schema import attempts_table, dialect_insert, occurrences_table, runs_table

_log = logging.getLogger(__name__)

ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
"""The statuses of a run that has not finished: the only ones a record may leave."""
_Query = TypeVar("_Query", bound="sa.Select[Any]")


class RunIndex:
    """The store's runs (a part of `Store`): one writer per status change."""

    root: Path
    objects: Objects
    objects_url: str
    _engine: sa.Engine

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
            "host": run.provenance.host if run.provenance else identity.host(),
            "pid": run.pid,
            "created_at": run.created_at,
            "record": run_record(run),
            "user_name": run.provenance.user if run.provenance else None,
            "sweep_id": run.sweep_id,
            "from_name": run.from_version.name if run.from_version else None,
            "from_number": run.from_version.number if run.from_version else None,
        }
        insert = dialect_insert(self._engine.dialect.name)(runs_table).values(**row)
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

        A queued run keeps the time it was queued as its ``created_at`` (``run`` is
        changed to say so): the order of the runs is the order they were asked for.

        Raises
        ------
        Conflict
            The run with this id has started or finished already.
        """
        with self._engine.connect() as conn:
            queued = conn.execute(
                sa.select(runs_table.c.created_at).where(
                    runs_table.c.id == run.id, runs_table.c.status == RunStatus.QUEUED.value
                )
            ).first()
        if queued is not None:
            run.created_at = queued.created_at
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
            The objects could not be stored (unreachable, a full disk, a file over its
            size limit, an I/O error, a refused permission); the run is recorded as failed,
            saying that the notebook finished but its results could not be saved, when the
            index can still be reached.
        """
        run = execution.run
        try:
            self._put_objects(execution)
        except StoreUnavailable as exc:
            recorded = self._record_unsaved(run, "; ".join(exc.problems) or exc.message)
            outcome = "it is recorded as failed" if recorded else "nor could its record be"
            raise StoreUnavailable(
                f"Run {run.id}: the notebook finished ({run.status.value}) but its results "
                f"could not be saved ({outcome}): {exc.message}",
                problems=exc.problems,
            ) from exc
        if not self.save_run(run):
            stored = self.get_run(run.id)
            raise Conflict(
                f"Run {run.id} is recorded as {stored.status.value} already: its outcome "
                f"({run.status.value}) was not recorded"
            )
        return run

    def _put_objects(self, execution: Execution) -> None:
        """Store an execution's notebooks and files, naming them in its record.

        Raises
        ------
        StoreUnavailable
            An object could not be written (see `Objects.put`).
        """
        run = execution.run
        run.source_object = self.objects.put(execution.source)
        if execution.output is not None:
            run.output_object = self.objects.put(execution.output)
        for data in execution.files.values():
            self.objects.put(data)

    def _record_unsaved(self, run: Run, reason: str) -> bool:
        """Record ``run`` as failed because its results could not be stored (see
        `unsaved_record`); False when the index cannot take that either."""
        try:
            return self.save_run(unsaved_record(run, reason))
        except StoreUnavailable:
            return False

    def get_run(self, ref: str) -> Run:
        """Return the run with this id, or with this unique id prefix (`MIN_PREFIX`+ characters).

        Raises
        ------
        InvalidInput
            ``ref`` is a prefix of several ids (the message lists them), or a prefix too
            short to look up.
        NotFound
            No run's id is or starts with ``ref``.
        """
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(runs_table.c.record).where(runs_table.c.id == ref)).first()
        if row is not None:
            return run_from_record(row.record)
        ids = self.run_ids(ref) if len(ref) >= MIN_PREFIX and ref.isalnum() else []
        if len(ids) == 1:
            return self.get_run(ids[0])
        if ids:
            raise InvalidInput(ambiguous("Run id prefix", ref, ids))
        if 0 < len(ref) < MIN_PREFIX and ref.isalnum() and self.run_ids(ref, 1):
            raise InvalidInput(
                f"Run id prefix {ref!r} is too short: give at least {MIN_PREFIX} characters"
            )
        raise NotFound(f"No run {ref!r} in the store at {self.root}; `greenhouse runs` lists them")

    def run_ids(self, prefix: str, limit: int = LISTED_MATCHES + 1) -> list[str]:
        """The ids starting with ``prefix``, sorted, at most ``limit`` of them."""
        return self._ids_starting(runs_table.c.id, prefix, limit)

    def sweep_ids(self, prefix: str = "", limit: int = LISTED_MATCHES + 1) -> list[str]:
        """The sweep ids starting with ``prefix``, sorted, at most ``limit`` of them."""
        return self._ids_starting(runs_table.c.sweep_id, prefix, limit)

    def _ids_starting(self, column: Any, prefix: str, limit: int) -> list[str]:
        query = (
            sa.select(column)
            .distinct()
            .where(column.startswith(prefix, autoescape=True))
            .order_by(column)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [str(value) for value in conn.execute(query).scalars()]

    def list_runs(
        self,
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
        """Runs, newest first, optionally filtered by notebook path, status, sweep id and user.

        ``from_version`` is ``(name, number)``: the runs of that published version, or of
        any version of ``name`` when the number is None. ``since`` (a time in the store's
        form) keeps the runs created then or later; ``schedule`` (a schedule's id) the
        runs its occurrences started. ``offset`` skips that many runs of
        the order (oldest first with ``oldest_first``) before ``limit`` counts, so a long
        listing is read a page at a time.
        """
        created, ids = runs_table.c.created_at, runs_table.c.id
        order = (created, ids) if oldest_first else (created.desc(), ids.desc())
        # The page is chosen by id first: sorting the records themselves would carry
        # every matching record through the sort, not only the page's.
        page = _filtered(sa.select(ids), notebook, status, sweep, user, from_version)
        page = _windowed(page, since, schedule)
        page = page.order_by(*order).offset(offset or None)
        if limit is not None:
            page = page.limit(limit)
        query = sa.select(runs_table.c.record).where(ids.in_(page.scalar_subquery()))
        with self._engine.connect() as conn:
            return [run_from_record(r.record) for r in conn.execute(query.order_by(*order))]

    def count_runs(self, sweep: str | None = None) -> int:
        """How many runs the store holds, or how many of one sweep."""
        query = _filtered(sa.select(sa.func.count()).select_from(runs_table), sweep=sweep)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def mark_interrupted(self) -> list[str]:
        """Mark this machine's unfinished runs whose process has gone as ``interrupted``.

        A process is told by its pid and its start time, so a process that took the pid
        of a run's ended one since is not taken for it; a run recorded by another machine
        or container of the same hostname is left to it, and one of this machine before it
        rebooted has ended (see `greenhouse_ext.store.identity`). Each change is a
        transition from the status that was read: a run that records its outcome and exits
        between the reading and the writing keeps its outcome.

        Returns
        -------
        list of str
            The ids of the runs now recorded as interrupted.
        """
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(runs_table.c.record).where(
                    runs_table.c.status.in_([s.value for s in ACTIVE]),
                    runs_table.c.host == identity.host(),
                )
            ).all()
        gone = []
        for row in rows:
            run = run_from_record(row.record)
            if identity.is_elsewhere(run.identity):
                continue
            if run.pid is not None and identity.is_alive(run.identity, run.pid):
                continue
            expected = run.status
            run.status = RunStatus.INTERRUPTED
            run.error = RunError(reason="the process running it ended before it finished")
            if self.save_run(run, replaces=(expected,)):
                gone.append(run.id)
        return gone


def unsaved_record(run: Run, reason: str) -> Run:
    """``run`` as failed because the store could not take its results, saying ``reason``.

    The notebook finished: its error (a cell's exception, if any) is kept, and the record
    names no object, since none could be stored.
    """
    kept = run.error or RunError(reason="")
    return dataclasses.replace(
        run,
        status=RunStatus.FAILED,
        error=dataclasses.replace(
            kept, reason=f"the notebook finished but its results could not be saved: {reason}"
        ),
        source_object=None,
        output_object=None,
        files=[],
    )


def _filtered(
    query: _Query,
    notebook: str | None = None,
    status: RunStatus | None = None,
    sweep: str | None = None,
    user: str | None = None,
    from_version: tuple[str, int | None] | None = None,
) -> _Query:
    """``query`` limited to the runs of a notebook, status, sweep, user and version, those
    given (a version's number None: any version of its name)."""
    name, number = from_version or (None, None)
    columns = (
        (runs_table.c.notebook, notebook),
        (runs_table.c.status, status.value if status is not None else None),
        (runs_table.c.sweep_id, sweep),
        (runs_table.c.user_name, user),
        (runs_table.c.from_name, name),
        (runs_table.c.from_number, number),
    )
    for column, wanted in columns:
        if wanted is not None:
            query = query.where(column == wanted)
    return query


def _windowed(query: _Query, since: str | None, schedule: str | None) -> _Query:
    """``query`` limited to the runs created at ``since`` or later and to those that the
    occurrences of the schedule with id ``schedule`` started, those given."""
    if since is not None:
        query = query.where(runs_table.c.created_at >= since)
    if schedule is not None:
        started = (
            sa.select(attempts_table.c.run_id)
            .join(occurrences_table, occurrences_table.c.id == attempts_table.c.occurrence_id)
            .where(occurrences_table.c.schedule_id == schedule)
        )
        query = query.where(runs_table.c.id.in_(started))
    return query


class LiveRecord:
    """Keeps an executing run's stored record current: running first, then its progress.

    Give `started` and `progressed` to `execute` as ``on_start`` and ``on_progress``.
    ``reproduces`` names the run that a re-run re-runs; ``on_progress`` hears of each
    cell as well. Progress is kept at best: a store that cannot take it is warned of
    once and the run goes on (its outcome is saved by `RunIndex.save_execution`).
    """

    def __init__(
        self,
        store: RunIndex,
        *,
        reproduces: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.reproduces = reproduces
        self.on_progress = on_progress
        self.run: Run | None = None
        self._warned = False

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
            try:
                self.store.save_progress(self.run)
            except StoreUnavailable as exc:
                if not self._warned:
                    _log.warning(
                        "The progress of run %s could not be recorded (%s); the run goes on "
                        "and its outcome is saved when it ends",
                        self.run.id,
                        exc.message,
                    )
                    self._warned = True
        if self.on_progress is not None:
            self.on_progress(done, total, current)
