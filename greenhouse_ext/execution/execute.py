"""One run of a notebook through papermill with the greenhouse engine, returned as a record."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import GreenhouseError, InvalidInput
from ..models import (
    Execution,
    InputFile,
    NotebookFormat,
    ParameterSet,
    ProgressCallback,
    Provenance,
    RecordedFile,
    Run,
    RunError,
    RunStatus,
    VersionRef,
    new_run_id,
    now,
)
from ..notebook_api import FILE_MIME, iter_outputs, read_file_records, read_metrics
from ..notebooks import NotebookFile, notebook_language, parse_notebook, read_notebook
from ..parameters import (
    DEFAULT_VALUE_LIMIT,
    MaskingWriter,
    ValueLimit,
    discover,
    mask_secrets,
    mask_text,
    scrub_notebook,
    secret_strings,
    split_secrets,
    validate,
)
from ..store import host, identity, sha256_bytes
from . import provenance
from .kernels import kill_kernel
from .trace import ExecutionTrace


@dataclass
class Job:
    """A run that has been validated and is ready to execute."""

    notebook: str
    path: Path
    source: bytes
    spec: ParameterSet
    parameters: dict[str, Any]
    kernel: str | None = None
    timeout: float | None = None
    timeout_run: float | None = None
    inputs: list[InputFile] = field(default_factory=list)
    from_version: VersionRef | None = None
    """The published version whose stored source this is: it runs instead of the file at
    ``path``, whose folder is still where the kernel runs (see `prepare_version`)."""
    nb: Any = None
    """The source as an nbformat 4 notebook (`greenhouse_ext.notebooks` read it)."""
    notebook_format: NotebookFormat | None = None

    @property
    def public_parameters(self) -> dict[str, Any]:
        return split_secrets(self.spec, self.parameters)[0]

    @property
    def secrets(self) -> dict[str, Any]:
        return split_secrets(self.spec, self.parameters)[1]

    @property
    def kernel_spec_name(self) -> str | None:
        """The kernel the notebook itself names in its metadata."""
        return _kernel_name(self.nb)


def notebook_label(path: Path, project_root: Path | None) -> str:
    """How a notebook is named in run records: relative to the project when inside it."""
    resolved = path.resolve()
    if project_root is not None:
        try:
            return resolved.relative_to(project_root.resolve()).as_posix()
        except ValueError:
            pass
    return resolved.as_posix()


def prepare(
    notebook: str | os.PathLike[str],
    values: Mapping[str, Any],
    *,
    text_values: Mapping[str, str] | None = None,
    kernel: str | None = None,
    timeout: float | None = None,
    timeout_run: float | None = None,
    inputs: Iterable[str] = (),
    project_root: Path | None = None,
    value_limit: ValueLimit = DEFAULT_VALUE_LIMIT,
) -> Job:
    """Read the notebook and validate everything about the run before any kernel starts.

    ``values`` are typed (from a YAML/JSON file or the API); ``text_values`` are strings
    from a command line, converted to each parameter's type. Text values win.
    ``value_limit`` bounds the size of each value. ``timeout`` bounds each cell and
    ``timeout_run`` the whole execution, in seconds.

    Raises
    ------
    NotFound
        The notebook does not exist.
    InvalidInput
        Parameter values, the timeout, the kernel or declared inputs are wrong.
    """
    path = Path(notebook)
    read = read_notebook(path, str(notebook))
    check_options(kernel, timeout, timeout_run)
    spec = discover(read.notebook, str(notebook))
    coerced = validate(spec, values, text_values=text_values, limit=value_limit)
    return Job(
        notebook=notebook_label(path, project_root),
        path=path.resolve(),
        source=read.source,
        spec=spec,
        parameters=coerced,
        kernel=run_kernel(read, kernel),
        timeout=timeout,
        timeout_run=timeout_run,
        inputs=provenance.hash_inputs(inputs, path.parent),
        nb=read.notebook,
        notebook_format=read.format,
    )


def run_kernel(read: NotebookFile, kernel: str | None) -> str | None:
    """The kernel to run ``read`` with: ``kernel`` if given, else None when the notebook
    names its own. Text notebooks and notebooks of format 2 or 3 often name none: they get
    an installed kernel for their language (Jupytext and their metadata know it).

    Raises
    ------
    InvalidInput
        An nbformat 4 ``.ipynb`` that names no kernel, with no ``kernel`` given (the
        message names --kernel and the installed kernels); or no kernel for the language.
    """
    if kernel is not None:
        return kernel
    if read.kernel_name is not None:
        return None
    if read.format.format == "ipynb" and read.format.nbformat >= 4:
        known = ", ".join(installed_kernels()) or "none"
        raise InvalidInput(
            f"{read.name!r} names no kernel (its metadata has no kernelspec): choose one with "
            f"--kernel NAME (installed: {known})"
        )
    from jupyter_client.kernelspec import KernelSpecManager

    language = read.language.lower()
    specs = KernelSpecManager().get_all_specs()
    found = sorted(
        name
        for name, entry in specs.items()
        if str(entry["spec"].get("language", "")).lower() == language
    )
    if not found:
        raise InvalidInput(
            f"{read.name!r} names no kernel, and no kernel for its language ({read.language}) "
            "is installed: install one or give a kernel"
        )
    return "python3" if "python3" in found else found[0]


def check_options(kernel: str | None, timeout: float | None, timeout_run: float | None) -> None:
    """Check a run's kernel (installed here) and timeouts (positive), as `prepare` does.

    Raises
    ------
    InvalidInput
        Naming the option that is wrong.
    """
    for name, seconds in (("timeout", timeout), ("timeout_run", timeout_run)):
        if seconds is not None and seconds <= 0:
            raise InvalidInput(f"{name} must be a positive number of seconds, got {seconds}")
    if kernel is not None:
        check_kernel(kernel)


def check_kernel(name: str) -> str:
    """Return ``name`` if a kernel of that name is installed here.

    Raises
    ------
    InvalidInput
        No such kernel; the message lists the installed ones.
    """
    installed = installed_kernels()
    if name.lower() not in installed:
        known = ", ".join(installed) or "none"
        raise InvalidInput(f"No kernel named {name!r} is installed (installed: {known})")
    return name


def installed_kernels() -> list[str]:
    """The names of the kernels installed here, sorted."""
    from jupyter_client.kernelspec import KernelSpecManager

    return sorted(KernelSpecManager().find_kernel_specs())


def check_notebook_kernel(notebook: str | os.PathLike[str], kernel: str | None) -> None:
    """`run_kernel`'s check for a notebook file; one that cannot be read is left to `prepare`."""
    try:
        read = read_notebook(notebook)
    except GreenhouseError:
        return
    run_kernel(read, kernel)


class Recorder:
    """Turns what the engine observes during one execution into a run record.

    Environment facts (packages, git, host) are gathered in a thread while the kernel
    runs, so recording adds almost nothing to the run's wall time.
    """

    def __init__(
        self,
        job: Job,
        run_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.job = job
        self.run = Run(
            id=run_id or new_run_id(),
            notebook=job.notebook,
            status=RunStatus.RUNNING,
            parameters=mask_secrets(job.spec, job.parameters),
            created_at=now(),
            started_at=now(),
            pid=os.getpid(),
            identity=identity.current(),
            timeout=job.timeout,
            timeout_run=job.timeout_run,
            from_version=job.from_version,
        )
        self.trace = ExecutionTrace(on_progress=on_progress, timeout_run=job.timeout_run)
        self._started = time.perf_counter()
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._environment = self._pool.submit(_environment, job.path.parent)

    def interrupted(self, exc: BaseException) -> None:
        """Note an exception that ended the execution, unless the engine already said why."""
        if isinstance(exc, KeyboardInterrupt):
            self.trace.error = self.trace.error or RunError(
                reason="cancelled", ename="KeyboardInterrupt", evalue="interrupted by the user"
            )
            self.trace.error.reason = "cancelled"
        elif self.trace.error is None:
            self.trace.error = RunError(
                reason="papermill error", ename=type(exc).__name__, evalue=str(exc)
            )

    def finish(self) -> Execution:
        """Complete the record: status, metrics, files, provenance; secrets scrubbed."""
        import nbformat

        run, job, trace = self.run, self.job, self.trace
        run.finished_at = now()
        run.duration_s = round(time.perf_counter() - self._started, 4)
        run.timings = trace.timings
        run.error = trace.error
        run.status = _status(trace.error)
        files: dict[str, bytes] = {}
        output: bytes | None = None
        if trace.nb is not None:
            scrub_notebook(trace.nb, job.secrets)
            run.metrics = read_metrics(trace.nb)
            run.files, files = _read_recorded_files(trace.nb)
            output = nbformat.writes(trace.nb).encode()
        if run.error is not None and run.error.evalue:
            run.error.evalue = mask_text(run.error.evalue, secret_strings(job.secrets))
        environment = self._environment.result()
        self._pool.shutdown()
        run.provenance = _provenance(job, trace, environment)
        return Execution(run=run, source=job.source, output=output, files=files)


def execute(
    job: Job,
    *,
    run_id: str | None = None,
    on_progress: ProgressCallback | None = None,
    on_start: Callable[[Run], None] | None = None,
    progress_bar: bool = False,
    log_output: bool = False,
    cancel: threading.Event | None = None,
) -> Execution:
    """Execute a prepared job and return its record and outputs; nothing is stored.

    The kernel runs in the notebook's folder; the calling process's working directory
    is not changed. A failing cell, a cell over ``job.timeout``, a run over
    ``job.timeout_run`` (whose kernel is then stopped), a dead kernel and Ctrl-C all end
    in a record that says so, with the partially executed notebook kept. ``on_start`` gets
    the new record in the ``running`` state before the kernel starts. ``log_output``
    copies the cells' stdout and stderr to this process's own as they arrive. Setting
    ``cancel`` (from any thread) kills the run's kernel and ends the run as cancelled.
    """
    import papermill

    recorder = Recorder(job, run_id, on_progress)
    if on_start is not None:
        on_start(recorder.run)
    stdout = MaskingWriter(sys.stdout, job.secrets) if log_output else None
    stderr = MaskingWriter(sys.stderr, job.secrets) if log_output else None
    try:
        with (
            _kernel_killed_on(cancel, recorder.trace),
            _source_file(job) as source_path,
        ):
            papermill.execute_notebook(
                str(source_path),
                None,
                parameters=job.public_parameters,
                engine_name="greenhouse",
                kernel_name=job.kernel,
                language=notebook_language(job.nb, job.path.name),
                progress_bar=progress_bar,
                execution_timeout=job.timeout,
                request_save_on_cell_execute=False,
                resources={"metadata": {"path": str(job.path.parent)}},
                greenhouse_trace=recorder.trace,
                greenhouse_secrets=job.secrets,
                stdout_file=stdout,
                stderr_file=stderr,
            )
    except (Exception, KeyboardInterrupt) as exc:
        recorder.interrupted(exc)
    finally:
        for writer in (stdout, stderr):
            if writer is not None:
                writer.drain()
    if cancel is not None and cancel.is_set() and recorder.trace.error is not None:
        recorder.interrupted(KeyboardInterrupt())
    return recorder.finish()


@contextmanager
def _source_file(job: Job) -> Iterator[Path]:
    """The file papermill reads: the notebook, or its source as read, in a private copy.

    A version's stored source, and a notebook that reading changed (a text notebook, an
    older format, normalised ids), run from a copy in nbformat 4.

    The copy lives in a temporary folder of its own, not beside the notebook: the kernel's
    folder is set apart from it, so nothing appears in the project while the run lasts.
    """
    import nbformat

    fmt = job.notebook_format
    as_written = fmt is None or (fmt.format == "ipynb" and not (fmt.upgraded or fmt.ids_normalised))
    if job.from_version is None and as_written:
        yield job.path
        return
    with tempfile.TemporaryDirectory(prefix="greenhouse-version-") as folder:
        staged = Path(folder, job.path.with_suffix(".ipynb").name)
        staged.write_text(nbformat.writes(job.nb), encoding="utf-8")
        yield staged


@contextmanager
def _kernel_killed_on(cancel: threading.Event | None, trace: ExecutionTrace) -> Iterator[None]:
    """Watch ``cancel`` while the block runs; once it is set, kill whatever kernel it started."""
    if cancel is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        # Waits on ``done``, so the run never waits for the watcher to notice its end.
        while not done.wait(0.1):
            if cancel.is_set() and trace.kernel_manager is not None:
                kill_kernel(trace.kernel_manager)

    watcher = threading.Thread(target=watch, name="greenhouse-cancel", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def job_for_papermill(
    input_path: str, parameters: Mapping[str, Any], kernel: str, project_root: Path
) -> Job:
    """Describe a run that ``papermill --engine greenhouse`` is making, for its record."""
    from papermill.iorw import papermill_io

    source = papermill_io.read(input_path).encode()
    path = Path(input_path)
    # papermill reads JSON notebooks only, whatever the name ends with.
    read = parse_notebook(
        source, path.with_suffix(".ipynb").name if path.name else "notebook.ipynb"
    )
    return Job(
        notebook=notebook_label(path, project_root),
        path=path.resolve(),
        source=source,
        spec=discover(read.notebook, input_path),
        parameters=dict(parameters),
        kernel=kernel,
        nb=read.notebook,
        notebook_format=read.format,
    )


def _status(error: RunError | None) -> RunStatus:
    if error is None:
        return RunStatus.SUCCEEDED
    return RunStatus.CANCELLED if error.reason == "cancelled" else RunStatus.FAILED


def _environment(folder: Path) -> dict[str, Any]:
    return {
        "packages": provenance.packages(),
        "git": provenance.git_state(folder),
        "host": host(),
        "user": identity.user(),
    }


def _provenance(job: Job, trace: ExecutionTrace, env: dict[str, Any]) -> Provenance:
    import papermill

    pkgs = trace.kernel_packages or env["packages"]
    kernel = job.kernel or _kernel_name(trace.nb) or "python3"
    return Provenance(
        source_sha256=provenance.source_sha256(job.nb),
        kernel=kernel,
        python=trace.kernel_python or provenance.python_version(),
        packages=pkgs,
        packages_sha256=provenance.packages_sha256(pkgs),
        git=env["git"],
        inputs=job.inputs,
        host=env["host"],
        user=env["user"],
        greenhouse_version=__version__,
        papermill_version=papermill.__version__,
        notebook_format=job.notebook_format,
    )


def _kernel_name(nb: Any) -> str | None:
    if nb is None:
        return None
    name = (nb.get("metadata") or {}).get("kernelspec", {}).get("name")
    return str(name) if name else None


def _read_recorded_files(nb: Any) -> tuple[list[RecordedFile], dict[str, bytes]]:
    entries: list[RecordedFile] = []
    blobs: dict[str, bytes] = {}
    for payload in read_file_records(nb):
        # The copy `record_file` kept is the file as recorded; a notebook run without it
        # (older greenhouse) names only the file itself.
        kept = payload.get("kept")
        path = Path(kept or payload["path"])
        if not path.is_file():
            continue
        data = path.read_bytes()
        entries.append(
            RecordedFile(
                name=str(payload["name"]),
                sha256=sha256_bytes(data),
                size=len(data),
            )
        )
        blobs[str(payload["name"])] = data
    _drop_kept_copies(nb)
    return entries, blobs


def _drop_kept_copies(nb: Any) -> None:
    """Delete the copies `record_file` kept, and their paths from the notebook.

    A kept copy's path is how the kernel hands the bytes over, nothing the notebook
    recorded: left in, it would differ between two runs of the same notebook.
    """
    for _, output in iter_outputs(nb):
        payload = (output.get("data") or {}).get(FILE_MIME)
        if isinstance(payload, dict) and payload.get("kept"):
            Path(payload.pop("kept")).unlink(missing_ok=True)
