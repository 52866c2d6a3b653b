"""The ``greenhouse`` papermill engine: per-cell timings, progress, failure reasons, secrets.

papermill imports this module itself, through its ``papermill.engine`` entry point, when
``papermill.engines`` is first imported; greenhouse code reaches it only through papermill.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager
from papermill.translators import papermill_translators
from traitlets.config import Config

from ..models import CellTiming, RunError
from ..parameters import discover
from .kernels import ForkingKernelManager
from .trace import ExecutionTrace

_LEAST_WAIT_S = 0.01
_KERNEL_ENV_EXPRESSIONS = {
    "executable": "__import__('sys').executable",
    "python": "__import__('platform').python_version()",
}
_KERNEL_PACKAGES_EXPRESSION = (
    "__import__('json').dumps({d.metadata['Name'].lower().replace('_', '-'): d.version "
    "for d in __import__('importlib.metadata').metadata.distributions() if d.metadata['Name']})"
)


class _MootInspectionWarnings(logging.Filter):
    """Drops papermill's parameter-inspection warnings about a run of the greenhouse engine.

    papermill reads the parameters cell with a regex before any engine starts: it cannot
    parse typed declarations (``epochs: int = 50  # | min=1``) and then calls the values
    given for them unknown. Greenhouse reads the cell itself (the engine says what is
    really wrong with it), so under ``--engine greenhouse`` those lines go, and so does an
    "unknown parameter" that the cell declares. Other engines keep every warning.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(("Unable to parse line", "Passed unknown parameter: ")):
            return True
        call = _papermill_call()
        if call is None or call.get("engine_name") != "greenhouse":
            return True
        if message.startswith("Unable to parse line"):
            return False
        nb = call.get("nb")
        declared = {p.name for p in discover(nb, "").parameters} if nb is not None else set()
        return message.removeprefix("Passed unknown parameter: ") not in declared


def _papermill_call() -> dict[str, Any] | None:
    """The local variables of the ``papermill.execute_notebook`` call that is logging."""
    frame = sys._getframe(1)
    while frame is not None:
        if (
            frame.f_code.co_name == "execute_notebook"
            and frame.f_globals.get("__name__") == "papermill.execute"
        ):
            return frame.f_locals
        frame = frame.f_back  # type: ignore[assignment]
    return None


for _name in ("papermill", "papermill.translators"):
    logging.getLogger(_name).addFilter(_MootInspectionWarnings())


def _tagged(cells: list[Any], tag: str) -> int | None:
    return next(
        (i for i, cell in enumerate(cells) if tag in cell.get("metadata", {}).get("tags", [])),
        None,
    )


def secrets_anchor(cells: list[Any]) -> int | None:
    """Index of the cell after which secrets are set: the injected cell, else ``parameters``."""
    injected = _tagged(cells, "injected-parameters")
    return injected if injected is not None else _tagged(cells, "parameters")


def _source_index(index: int, injected: int | None) -> int | None:
    """Map an executed cell's index to the source notebook's (None for the injected cell)."""
    if injected is None or index < injected:
        return index
    return None if index == injected else index - 1


class GreenhouseNotebookClient(PapermillNotebookClient):
    """papermill's client, plus timings, honest failure reasons and out-of-band secrets."""

    def __init__(
        self,
        nb_man: NotebookExecutionManager,
        trace: ExecutionTrace,
        secrets: Mapping[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(nb_man, **kwargs)
        self.trace = trace
        self.secrets = dict(secrets)
        self.timeout_func = self._cell_timeout

    def _cell_timeout(self, cell: Any) -> float | None:
        """The per-cell timeout, shortened to what is left of the whole-run timeout."""
        remaining = self.trace.remaining()
        if remaining is None:
            return self.timeout
        # nbclient reads 0 as "no timeout": a run out of time gets a moment, not forever.
        remaining = max(remaining, _LEAST_WAIT_S)
        return remaining if self.timeout is None else min(self.timeout, remaining)

    def execute(self, **kwargs: Any) -> Any:
        """Run every cell, then read the kernel's environment before it shuts down."""
        self.reset_execution_trackers()
        with self.setup_kernel(**kwargs):
            self.trace.kernel_manager = self.km
            self.papermill_execute_cells()
            if self.trace.error is None or self.trace.error.reason == "exception":
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                self.set_widgets_metadata()
                self._read_kernel_environment()
        return self.nb

    def papermill_execute_cells(self) -> None:
        """Execute cells in order, stopping at the first failure and saying why.

        Cell indices in the trace are those of the source notebook, as its author sees
        it: the injected-parameters cell is not counted.
        """
        cells = self.nb.cells
        injected = _tagged(cells, "injected-parameters")
        anchor = secrets_anchor(cells) if self.secrets else None
        total = len(cells)
        finished = 0
        for index, cell in enumerate(cells):
            self.trace.progress(index, total, index)
            source_index = _source_index(index, injected)
            started = time.perf_counter()
            try:
                self.nb_man.cell_start(cell, index)
                if self.trace.remaining() == 0:
                    raise CellTimeoutError("The whole-run timeout passed before this cell")
                self.execute_cell(cell, index)
                if index == anchor:
                    self._set_secrets()
            except CellExecutionError as exc:
                self._fail(index, source_index, "exception", exc.ename, exc.evalue, exc)
                break
            except CellTimeoutError as exc:
                if self.trace.remaining() == 0:
                    self._fail(
                        index,
                        source_index,
                        "whole-run timeout",
                        "RunTimeoutError",
                        f"the run took longer than its whole-run timeout of "
                        f"{self.trace.timeout_run:g} s",
                        exc,
                    )
                else:
                    self._fail(
                        index, source_index, "timeout", "CellTimeoutError", _first_line(exc), exc
                    )
                break
            except DeadKernelError as exc:
                self._fail(
                    index, source_index, "kernel died", "DeadKernelError", _first_line(exc), exc
                )
                break
            except KeyboardInterrupt as exc:
                self._fail(
                    index,
                    source_index,
                    "cancelled",
                    "KeyboardInterrupt",
                    "interrupted by the user",
                    exc,
                )
                raise
            finally:
                if source_index is not None:
                    self.trace.timings.append(
                        CellTiming(
                            cell_index=source_index, duration_s=time.perf_counter() - started
                        )
                    )
                self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)
                finished = index + 1
        self.trace.progress(finished, total, None)

    def _fail(
        self,
        index: int,
        source_index: int | None,
        reason: str,
        ename: str,
        evalue: str,
        exc: BaseException,
    ) -> None:
        self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=exc)
        if source_index is None:
            reason = f"{reason} in the injected parameters"
        self.trace.error = RunError(
            reason=reason, ename=ename, evalue=evalue, cell_index=source_index
        )

    def _set_secrets(self) -> None:
        """Assign secret values in the kernel without a cell, so no notebook ever holds them."""
        language = self.nb.metadata.get("kernelspec", {}).get("language", "python")
        translator = papermill_translators.find_translator(self.kernel_name, language)
        code = translator.codify(self.secrets, "secrets")
        reply = self.wait_for_reply(self.kc.execute(code, silent=True, store_history=False))
        if reply is None or reply["content"]["status"] != "ok":
            raise CellExecutionError("", "SecretInjectionError", "setting secret values failed")

    def _read_kernel_environment(self) -> None:
        """Ask a Python kernel which interpreter and packages it runs on."""
        if self.nb.metadata.get("language_info", {}).get("name") != "python":
            return
        values = self._user_expressions(_KERNEL_ENV_EXPRESSIONS)
        self.trace.kernel_python = values.get("python")
        self.trace.kernel_executable = values.get("executable")
        here = str(Path(sys.executable).resolve())
        there = values.get("executable")
        if there and str(Path(there).resolve()) != here:
            listing = self._user_expressions({"packages": _KERNEL_PACKAGES_EXPRESSION})
            if "packages" in listing:
                self.trace.kernel_packages = json.loads(listing["packages"])

    def _user_expressions(self, expressions: Mapping[str, str]) -> dict[str, Any]:
        reply = self.wait_for_reply(
            self.kc.execute(
                "", silent=True, store_history=False, user_expressions=dict(expressions)
            )
        )
        found: dict[str, Any] = {}
        results = (reply or {}).get("content", {}).get("user_expressions", {})
        for key, value in results.items():
            if value.get("status") == "ok":
                found[key] = ast.literal_eval(value["data"]["text/plain"])
        return found


def _kernel_transport(folder: str) -> Config:
    """Talk to the kernel over Unix sockets in a private folder, where the platform allows.

    With TCP, every process picks "free" ports by probing them, so runs started at the same
    moment can pick the same port and a kernel fails to start. IPC sockets named inside a
    fresh 0700 folder cannot collide, and no other user can connect to them.
    """
    if sys.platform == "win32":
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "kernel")}})


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class GreenhouseEngine(NBClientEngine):
    """A papermill engine that records a greenhouse run.

    Used by ``greenhouse run`` with a ``greenhouse_trace``; used directly as
    ``papermill --engine greenhouse IN OUT``, it records the run in the store itself.
    """

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: NotebookExecutionManager,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: float | None = None,
        greenhouse_trace: ExecutionTrace | None = None,
        greenhouse_secrets: Mapping[str, Any] | None = None,
        input_path: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Execute the managed notebook; see papermill's ``NBClientEngine``."""
        if greenhouse_trace is None:
            return _record_standalone(
                lambda trace: cls.execute_managed_notebook(
                    nb_man,
                    kernel_name,
                    log_output=log_output,
                    stdout_file=stdout_file,
                    stderr_file=stderr_file,
                    start_timeout=start_timeout,
                    execution_timeout=execution_timeout,
                    greenhouse_trace=trace,
                    **kwargs,
                ),
                nb_man,
                input_path,
                kernel_name,
            )
        greenhouse_trace.nb = nb_man.nb
        kwargs.pop("timeout", None)
        kwargs.pop("startup_timeout", None)
        with tempfile.TemporaryDirectory(prefix="greenhouse-") as sockets:
            kwargs.setdefault("config", _kernel_transport(sockets))
            # The run is over when the cells are: stop the kernel at once rather than
            # interrupting it first, which only makes it print a KeyboardInterrupt.
            kwargs.setdefault("shutdown_kernel", "immediate")
            kwargs.setdefault("kernel_manager_class", ForkingKernelManager)
            client = GreenhouseNotebookClient(
                nb_man,
                greenhouse_trace,
                greenhouse_secrets or {},
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            return client.execute()


def _record_standalone(
    run_engine: Callable[[ExecutionTrace], Any],
    nb_man: NotebookExecutionManager,
    input_path: str | None,
    kernel_name: str,
) -> Any:
    """Record a run made by ``papermill --engine greenhouse`` in the store found from here."""
    from ..store import Store
    from .execute import Recorder, job_for_papermill

    store = Store.open()
    values = nb_man.nb.metadata.get("papermill", {}).get("parameters", {})
    job = job_for_papermill(input_path or "", values, kernel_name, store.root.parent)
    for warning in job.spec.warnings:
        print(f"greenhouse: warning: {job.notebook}: {warning}", file=sys.stderr)
    recorder = Recorder(job)
    store.save_run(recorder.run)
    try:
        result = run_engine(recorder.trace)
    except BaseException as exc:
        recorder.interrupted(exc)
        _save(store, recorder)
        raise
    _save(store, recorder)
    return result


def _save(store: Any, recorder: Any) -> None:
    """Store the run and say on stderr which it is, as `greenhouse run` would."""
    run = store.save_execution(recorder.finish())
    print(
        f"greenhouse: recorded run {run.id} ({run.status.value}) in the store at {store.root}; "
        f"`greenhouse show {run.id}` shows it",
        file=sys.stderr,
    )
