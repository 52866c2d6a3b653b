"""Runs started by the server: each executes in its own ``greenhouse run`` process."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol

from ..errors import Conflict, InvalidInput, NotFound
from ..models import Run, RunError, RunStatus, new_run_id, now
from ..parameters import DEFAULT_MAX_VALUE_BYTES, mask_secrets
from ..store import Store, find_run, identity
from .execute import Job
from .processes import (
    VALUES_PREFIX,
    ended_outcome,
    execution_options,
    runs_here,
    write_values,
)
from .runserver import RunServer, run_server
from .sweep import CANCEL_GRACE_S, SweepPlan

SWEEP_STOP_MARGIN_S = 30.0
"""How much longer than a sweep's own grace a cancelled sweep process may take to stop."""
_POLL_S = 0.2
_log = logging.getLogger(__name__)


class RunProcess(Protocol):
    """A started run process: a `subprocess.Popen`, or a `ForkedRun` of the run server."""

    pid: int

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int | None: ...

    def send_signal(self, signum: int) -> None: ...


@dataclass
class _Child:
    """A run process this launcher started, and what it knows about it."""

    process: RunProcess
    values_dir: str
    cancel_requested: bool = False


class RunLauncher:
    """Starts runs in their own processes, cancels them and reads their logs.

    Each run is a ``python -m greenhouse_ext run`` process in a session of its own, so
    stopping the server does not stop it: a fork of the run server
    (`greenhouse_ext.execution.runserver`) once that has imported greenhouse, else a new
    interpreter. The process writes the run's record itself,
    and its stdout and stderr go to the store's log for the run. A thread per process
    deletes the values file once the process has read it, reaps the process when it
    ends, and records an outcome when it died before recording one.

    Parameters
    ----------
    store : Store
        Where the records and logs go; the child opens the same store.
    python : str, optional
        The Python that runs the child (default: this one).
    max_value_bytes : int, optional
        The size limit of one parameter value that the child checks the values against
        again (the server's own limit, so that a value the server took is taken).
    fork : bool, optional
        Fork runs from the run server, started at the first launch (default); False
        starts each run as a new interpreter (for a process that launches a few runs and
        exits, which a server's start would only slow down).
    """

    def __init__(
        self,
        store: Store,
        python: str = sys.executable,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        fork: bool = True,
    ) -> None:
        self.store = store
        self.python = python
        self.max_value_bytes = max_value_bytes
        self.fork = fork
        self._children: dict[str, _Child] = {}
        self._sweeps: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Start the run server now, so that it has imported greenhouse by the first run.

        Raises
        ------
        InvalidInput
            ``$GREENHOUSE_RUN_START`` names no mode.
        """
        self._server()

    def command(self, job: Job, run_id: str, values_file: str) -> list[str]:
        """The command line of the process that executes ``job`` as run ``run_id``.

        Values travel in a JSON file (typed, unlike command-line text) and every option
        is written ``--name=value`` so that no value can be read as an option.

        Parameters
        ----------
        job : Job
            The prepared run.
        run_id : str
            The id the process records the run under.
        values_file : str
            The JSON file holding the parameter values.

        Returns
        -------
        list of str
            ``python -m greenhouse_ext --store STORE run OPTIONS -- NOTEBOOK``, or
            ``... -- NAME@N`` for a job from a published version (by number, so that an
            alias moved meanwhile does not change what runs).
        """
        options = [
            f"--run-id={run_id}",
            "--log-output",
            f"--parameters-file={values_file}",
            f"--max-value-bytes={self.max_value_bytes}",
            *execution_options(job),
        ]
        options += [f"--input={item.path}" for item in job.inputs]
        store = ["--store", str(self.store.root)]
        target = job.from_version.ref if job.from_version else str(job.path)
        return [self.python, "-m", "greenhouse_ext", *store, "run", *options, "--", target]

    def launch(self, job: Job, run_id: str | None = None) -> Run:
        """Record a prepared job as ``queued``, then start it in its own process.

        The queued record names this process until it names the run's own (see
        `_start`): no reader ever sees a queued run without a process (which would count
        as gone).

        Parameters
        ----------
        job : Job
            What `greenhouse_ext.execution.execute.prepare` (or `prepare_version`) returned:
            validated values included.
        run_id : str, optional
            The id of the new run (default: a fresh one).

        Returns
        -------
        Run
            The queued record, naming the run's process.

        Raises
        ------
        Conflict
            A run with this id exists.
        InvalidInput
            ``$GREENHOUSE_RUN_START`` names no mode (nothing is recorded).
        """
        run_id = run_id or new_run_id()
        return self._start(
            run_id,
            job.parameters,
            lambda values_file: self.command(job, run_id, values_file),
            job.path.parent,
            _queued_record(job, run_id),
        )

    def reproduce(
        self,
        original: Run,
        ref: str,
        secrets: Mapping[str, str],
        base: Path,
        run_id: str | None = None,
        *,
        inputs: str | None = None,
        env: str | None = None,
        allow_partial: bool = False,
    ) -> Run:
        """Start re-running ``ref`` in its own process, as `launch` starts a run.

        The caller checks everything first (`greenhouse_ext.artefacts.plan` gives
        ``original``); the process runs ``greenhouse reproduce``, which records the
        re-run (with ``reproduces`` naming the run), its progress, its outcome and the
        comparison of its outputs.

        Parameters
        ----------
        original : Run
            The recorded run that ``ref`` names, as the plan found it.
        ref : str
            A run id, ``NAME@N``, ``NAME@ALIAS`` or ``NAME``.
        secrets : mapping of str to str
            The values of the run's secret parameters, as text.
        base : Path
            The folder relative references are read from; the process runs there.
        run_id : str, optional
            The id of the re-run (default: a fresh one).
        inputs, env, allow_partial
            ``reproduce``'s ``--inputs``, ``--env`` and ``--allow-partial``, as the plan
            checked them.

        Returns
        -------
        Run
            The re-run's queued record.

        Raises
        ------
        Conflict
            The id is in use.
        InvalidInput
            ``$GREENHOUSE_RUN_START`` names no mode (nothing is recorded).
        """
        run = original
        run_id = run_id or new_run_id()
        store = ["--store", str(self.store.root)]

        def command(values_file: str) -> list[str]:
            options = [f"--run-id={run_id}", "--log-output", f"--secrets-file={values_file}"]
            options += [f"--inputs={inputs}"] if inputs else []
            options += [f"--env={env}"] if env else []
            options += ["--allow-partial"] if allow_partial else []
            return [self.python, "-m", "greenhouse_ext", *store, "reproduce", *options, "--", ref]

        record = Run(
            id=run_id,
            notebook=run.notebook,
            status=RunStatus.QUEUED,
            parameters=dict(run.parameters),
            created_at=now(),
            pid=os.getpid(),
            identity=identity.current(),
            timeout=run.timeout,
            timeout_run=run.timeout_run,
            reproduces=run.id,
        )

        return self._start(run_id, dict(secrets), command, base, record)

    def _start(
        self,
        run_id: str,
        values: Mapping[str, Any],
        command: Callable[[str], list[str]],
        cwd: Path,
        run: Run,
    ) -> Run:
        """Record ``run`` as queued, start ``command(values_file)`` in ``cwd``, name its process.

        The record is written before the process starts, so the process (which records
        the run as running) never races this one to create it; ``run`` names this
        process until it names the run's own, and only while it is still queued. A
        process that could not be started leaves the run recorded as failed.
        """
        server = self._server()
        if not self.store.save_run(run, replaces=()):
            raise Conflict(f"A run with id {run_id} exists already")
        values_dir = None
        try:
            values_dir = tempfile.mkdtemp(prefix=f"{VALUES_PREFIX}{run_id}-")
            process = self._spawn(run_id, command(write_values(values_dir, values)), cwd, server)
        except BaseException as exc:
            if values_dir is not None:
                shutil.rmtree(values_dir, ignore_errors=True)
            self._unstarted(run, exc)
            raise
        child = _Child(process, values_dir)
        with self._lock:
            self._children[run_id] = child
        threading.Thread(
            target=self._watch, args=(run_id, child), name=f"greenhouse-{run_id}", daemon=True
        ).start()
        run.pid, run.identity = process.pid, identity.of(process.pid)
        try:
            self.store.save_run(run, replaces=(RunStatus.QUEUED,))
        except Exception:
            # The process records the run itself; until then the record names this one.
            _log.exception("Could not record the process of run %s", run_id)
        return run

    def _unstarted(self, run: Run, exc: BaseException) -> None:
        """Record the queued ``run`` as failed: its process could not be started."""
        run.status = RunStatus.FAILED
        run.error = RunError(
            reason="its process could not be started", ename=type(exc).__name__, evalue=str(exc)
        )
        run.finished_at = now()
        try:
            self.store.save_run(run, replaces=(RunStatus.QUEUED,))
        except Exception:
            _log.exception("Could not record that run %s did not start", run.id)

    def cancel(self, run_ref: str) -> Run:
        """Ask a queued or running run to stop; its process records it as ``cancelled``.

        The process gets SIGTERM, which ``greenhouse run`` turns into a cancellation
        that stops the kernel and saves the record. Only processes this launcher
        started, or whose command line names the run, are signalled.

        Returns
        -------
        Run
            The record as it is now (the process ends shortly after).

        Raises
        ------
        NotFound
            No such run.
        Conflict
            The run has finished, or its cells have (its results are being saved), or no
            process of this machine runs it.
        """
        run = find_run(self.store, run_ref)
        if run.status.finished:
            raise Conflict(
                f"Run {run.id} is {run.status.value}: only a queued or running run can be cancelled"
            )
        if run.progress is not None and run.progress.current is None:
            raise Conflict(
                f"Run {run.id} had already finished: its notebook has run and its results are "
                "being saved, so it is too late to cancel it"
            )
        with self._lock:
            child = self._children.get(run.id)
        if child is not None:
            child.cancel_requested = True
            child.process.send_signal(signal.SIGTERM)
        elif run.pid is not None and runs_here(run):
            os.kill(run.pid, signal.SIGTERM)
        else:
            self._refuse_cancel(run)
        return run

    def launch_sweep(self, plan: SweepPlan, workers: int, retries: int) -> int:
        """Start a validated sweep in its own ``greenhouse sweep`` process; return its pid.

        The parameter sets (secrets included) reach the process through its stdin, never
        a file, with a run limit that admits them all; its output goes to the store's log
        under the sweep's id. The process stores each run, tagged with the sweep's id, as
        it finishes.
        """
        job = plan.tasks[0].job
        options = [f"--sweep-id={plan.id}", "--grid=-", f"--workers={workers}"]
        # The server checked the sweep's size against its own limit, which may be higher.
        options += [f"--max-runs={len(plan.tasks)}"]
        options += [f"--retries={retries}", "--json", *execution_options(job)]
        store = ["--store", str(self.store.root)]
        command = [self.python, "-m", "greenhouse_ext", *store, "sweep", *options, "--"]
        with open(self.store.log_path(plan.id), "ab") as log:
            process = subprocess.Popen(
                [*command, str(job.path)],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=job.path.parent,
                start_new_session=True,
            )
        grid = {"runs": [task.job.parameters for task in plan.tasks]}
        assert process.stdin is not None
        with process.stdin:
            process.stdin.write(json.dumps(grid).encode())
        with self._lock:
            self._sweeps[plan.id] = process
        threading.Thread(
            target=process.wait, name=f"greenhouse-sweep-{plan.id}", daemon=True
        ).start()
        return process.pid

    def sweep_active(self, sweep_id: str) -> bool:
        """True while a sweep this launcher started is still running."""
        with self._lock:
            process = self._sweeps.get(sweep_id)
        return process is not None and process.poll() is None

    def cancel_sweep(self, sweep_id: str) -> None:
        """Cancel a running sweep this launcher started; end it if it does not stop.

        The process gets SIGTERM, which ``greenhouse sweep`` turns into a cancellation
        (unlike SIGINT, which a server started in the background passes on ignored). A
        process still running `CANCEL_GRACE_S` (and a margin) later is killed with its
        workers; its unfinished runs are then found by the orphan check.

        Raises
        ------
        Conflict
            The sweep has finished, or this server did not start it.
        """
        if not self.sweep_active(sweep_id):
            raise Conflict(
                f"Sweep {sweep_id} is not running here: only a running sweep this server "
                "started can be cancelled"
            )
        process = self._sweeps[sweep_id]
        process.send_signal(signal.SIGTERM)
        threading.Thread(
            target=_end_unless_stopped,
            args=(process, CANCEL_GRACE_S + SWEEP_STOP_MARGIN_S),
            name=f"greenhouse-sweep-cancel-{sweep_id}",
            daemon=True,
        ).start()

    def discard_stale_values(self) -> list[str]:
        """Delete the values files of this store's runs that have left the queue.

        The thread that deletes a values file once its run has read it ends with the
        server; a server stopped while runs were queued leaves their files behind.

        Returns
        -------
        list of str
            The ids of the runs whose values were deleted.
        """
        discarded = []
        for folder in Path(tempfile.gettempdir()).glob(f"{VALUES_PREFIX}*"):
            run_id = folder.name.removeprefix(VALUES_PREFIX).rsplit("-", 1)[0]
            try:
                run = self.store.get_run(run_id)
            except (NotFound, InvalidInput):
                continue
            if run.id == run_id and run.status is not RunStatus.QUEUED:
                shutil.rmtree(folder, ignore_errors=True)
                discarded.append(run_id)
        return discarded

    def _server(self) -> RunServer | None:
        """The run server to fork runs from, when it is ready (and is to be used).

        Raises
        ------
        InvalidInput
            ``$GREENHOUSE_RUN_START`` names no mode.
        """
        return run_server() if self.fork and self.python == sys.executable else None

    def _spawn(
        self, run_id: str, command: list[str], cwd: Path, server: RunServer | None
    ) -> RunProcess:
        """Start ``command`` (``PYTHON -m greenhouse_ext ...``): forked by ``server`` when
        given, else (or when that fails) as a new process."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if server is not None:
            try:
                return server.start(command[2], command[3:], cwd, env, self.store.log_path(run_id))
            except TimeoutError:
                raise
            except OSError as exc:
                _log.warning(
                    "greenhouse: the run server failed (%s); starting run %s plainly", exc, run_id
                )
        with open(self.store.log_path(run_id), "ab") as log:
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=env,
                start_new_session=True,
            )

    def _watch(self, run_id: str, child: _Child) -> None:
        """Delete the values once read, reap the process, record an outcome it left out."""
        try:
            while child.process.poll() is None and self._queued(run_id):
                time.sleep(_POLL_S)
        finally:
            shutil.rmtree(child.values_dir, ignore_errors=True)
        returncode = child.process.wait()
        with self._lock:
            self._children.pop(run_id, None)
        try:
            self._settle(run_id, returncode, child.cancel_requested)
        except Exception:
            _log.exception("Could not record the end of run %s", run_id)

    def _queued(self, run_id: str) -> bool:
        try:
            return self.store.get_run(run_id).status is RunStatus.QUEUED
        except Exception:
            _log.exception("Could not read the record of run %s", run_id)
            return False

    def _settle(self, run_id: str, returncode: int | None, cancelled: bool) -> None:
        run = self.store.get_run(run_id)
        if run.status.finished:
            return
        expected = run.status
        run.status, run.error = ended_outcome(returncode, cancelled)
        run.finished_at = now()
        self.store.save_run(run, replaces=(expected,))

    def _refuse_cancel(self, run: Run) -> NoReturn:
        if run.id in self.store.mark_interrupted():
            raise Conflict(f"Run {run.id} had no process left: it is now recorded as interrupted")
        if run.identity is not None and identity.is_elsewhere(run.identity):
            raise Conflict(
                f"Run {run.id} runs on another machine or container named "
                f"{run.identity.host!r}: stop it there (process {run.pid}, e.g. with "
                f"`kill -TERM {run.pid}`)"
            )
        raise Conflict(
            f"Run {run.id} was not started by this server: stop it where it runs "
            f"(process {run.pid}, e.g. with `kill -TERM {run.pid}` on its machine)"
        )


def _end_unless_stopped(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Kill ``process`` and its process group when it is still running after ``timeout``."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _queued_record(job: Job, run_id: str) -> Run:
    """The first record of a launched run: its values with secrets masked, this process."""
    return Run(
        id=run_id,
        notebook=job.notebook,
        status=RunStatus.QUEUED,
        parameters=mask_secrets(job.spec, job.parameters),
        created_at=now(),
        pid=os.getpid(),
        identity=identity.current(),
        timeout=job.timeout,
        timeout_run=job.timeout_run,
        from_version=job.from_version,
    )
