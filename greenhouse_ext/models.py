"""Typed records shared by every layer: parameters, runs, provenance."""

from __future__ import annotations

import dataclasses
import enum
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SECRET_MASK = "***"
SUMMARY_VALUE_CHARS = 200
"""The longest value text a run's summary (its form in listings) carries whole."""
TRUNCATION_MARK = "…"
"""What ends a value a summary cut."""
MIN_PREFIX = 4
"""The fewest characters of a run or sweep id that a reference may give: a unique prefix."""
REF_FORMS = (
    f"a run id (or a unique prefix of {MIN_PREFIX}+ characters), NAME@N, NAME@ALIAS "
    "or NAME (its latest version)"
)
"""Every form a reference to a run or version takes, as help texts and messages quote them."""
FILE_REF_FORMS = REF_FORMS.replace(" or NAME", ", NAME") + " or a path to an .ipynb file"
"""The forms of a reference to anything compared (`diff`, `check`): a notebook file too."""
INTERNAL_RUN_FIELDS = ("pid", "identity", "source_object", "output_object")
"""Fields of a run that are stored but never served: see `Run.to_dict`."""

ProgressCallback = Callable[[int, int, int | None], None]
"""Called with (cells finished, total cells, index of the cell now running or None)."""


def now() -> str:
    """The current UTC time in ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    """A fresh run id: 12 hex digits, unique in practice and short enough to type."""
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Parameter:
    """One name declared in a notebook's ``parameters`` cell.

    ``type`` is a normalised type expression: ``int``, ``float``, ``bool``, ``str``,
    ``list``, ``list[T]``, ``dict``, ``dict[str, T]``, ``any``, and ``T | None`` for a
    value that may also be ``None``. ``greenhouse_ext.parameters.types`` alone reads it.
    """

    name: str
    type: str
    default: Any = None
    help: str | None = None
    choices: list[Any] | None = None
    min: float | None = None
    max: float | None = None
    secret: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if self.secret and self.default not in (None, ""):
            data["default"] = SECRET_MASK
        return data


@dataclass(frozen=True)
class ParameterSet:
    """Everything read from a notebook's parameters cell."""

    notebook: str
    parameters: list[Parameter]
    cell_index: int | None = None
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "parameters": [p.to_dict() for p in self.parameters],
            "warnings": list(self.warnings),
        }


class RunStatus(str, enum.Enum):
    """The life of a run: queued -> running -> succeeded | failed | cancelled | interrupted."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


@dataclass
class RunError:
    """Why a run did not succeed, and where."""

    reason: str
    ename: str | None = None
    evalue: str | None = None
    cell_index: int | None = None


@dataclass
class InputFile:
    """A declared input file and its content hash at run time."""

    path: str
    sha256: str
    size: int


@dataclass
class RecordedFile:
    """A file the notebook captured with ``record_file``; its bytes live in the store."""

    name: str
    sha256: str
    size: int


@dataclass
class Distribution:
    """One installed distribution of a kernel's environment and where it came from.

    ``origin["kind"]`` is ``index``, ``editable`` (with ``path``, and ``commit`` and
    ``dirty`` when that path is a git working tree), ``git`` (``url``, ``commit``),
    ``local-file`` or ``local-folder`` (``path``), ``url`` or ``conda``.
    """

    name: str
    version: str
    origin: dict[str, Any]


ENVIRONMENT_RECORDED = "recorded"
ENVIRONMENT_UNKNOWN = "unknown"


@dataclass
class KernelEnvironment:
    """What the kernel that ran the notebook said about itself, before the first cell.

    ``status`` is ``recorded``, or ``unknown`` (with the ``reason``) for a kernel that is
    not Python or that did not answer in time: then nothing else is filled in, never
    with greenhouse's own environment.
    """

    status: str
    reason: str | None = None
    executable: str | None = None
    version: str | None = None
    implementation: str | None = None
    prefix: str | None = None
    base_prefix: str | None = None
    packages: list[Distribution] = field(default_factory=list)
    platform: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, str | None] = field(default_factory=dict)

    @property
    def versions(self) -> dict[str, str]:
        """``{name: version}`` of every distribution."""
        return {d.name: d.version for d in self.packages}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KernelEnvironment:
        return cls(
            **{
                **data,
                "packages": [Distribution(**d) for d in data.get("packages") or []],
            }
        )


@dataclass
class NotebookFormat:
    """How a notebook file was written, and what reading it changed (never the stored source).

    ``format`` is ``ipynb`` or a Jupytext format (``py:percent``, ``md:myst``...);
    ``nbformat``/``nbformat_minor`` the version the file declared (4 for text notebooks);
    ``upgraded`` that it was converted to nbformat 4 to run; ``ids_normalised`` that
    missing, duplicated or illegal cell ids were replaced; ``paired`` the files of a
    Jupytext pair (this one included), relative to the notebook's folder.
    """

    format: str
    nbformat: int
    nbformat_minor: int
    upgraded: bool = False
    ids_normalised: bool = False
    paired: list[str] = field(default_factory=list)


@dataclass
class Provenance:
    """Where a run came from: source, environment, code version, inputs.

    ``environment`` is the kernel's own account (`KernelEnvironment`); None in a record
    made before greenhouse asked the kernel, whose ``python`` and ``packages`` were then
    those of the greenhouse process. ``git`` holds ``commit``, ``branch`` and ``dirty``
    (the tree's tracked files) and, in newer records, ``notebook`` and ``inputs``: each
    file's state, ``untracked``, ``modified`` or ``clean``.
    """

    source_sha256: str
    kernel: str
    python: str
    packages: dict[str, str]
    packages_sha256: str
    git: dict[str, Any] | None
    inputs: list[InputFile]
    host: str
    user: str
    greenhouse_version: str
    papermill_version: str
    environment: KernelEnvironment | None = None
    notebook_format: NotebookFormat | None = None


@dataclass
class CellTiming:
    """How long one executed cell took."""

    cell_index: int
    duration_s: float


@dataclass
class Progress:
    """How far a run has got: cells finished of the total, and the cell now running."""

    done: int
    total: int
    current: int | None = None


@dataclass(frozen=True)
class ProcessIdentity:
    """The process responsible for a run, told apart from one that took its pid later.

    Its machine is more than its hostname: ``machine`` is the installation's id
    (``/etc/machine-id``, or ""), ``boot`` the kernel's boot id and ``namespace`` the
    inode of the process's pid namespace (a container's own); ``started`` is when the
    process started, in clock ticks since boot. See `greenhouse_ext.store.identity`.
    """

    host: str
    machine: str
    boot: str
    namespace: int
    started: int


@dataclass(frozen=True)
class VersionRef:
    """The published version a run ran: its artefact's name and its number."""

    name: str
    number: int

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.number}"


@dataclass
class Run:
    """The record of one execution of a notebook."""

    id: str
    notebook: str
    status: RunStatus
    parameters: dict[str, Any]
    created_at: str
    metrics: dict[str, Any] = field(default_factory=dict)
    error: RunError | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    provenance: Provenance | None = None
    timings: list[CellTiming] = field(default_factory=list)
    files: list[RecordedFile] = field(default_factory=list)
    source_object: str | None = None
    output_object: str | None = None
    pid: int | None = None
    identity: ProcessIdentity | None = None
    progress: Progress | None = None
    sweep_id: str | None = None
    timeout: float | None = None
    timeout_run: float | None = None
    reproduces: str | None = None
    reproduction: str | None = None
    from_version: VersionRef | None = None
    kept_inputs: list[str] = field(default_factory=list)

    def to_dict(self, occurrence: dict[str, Any] | None = None) -> dict[str, Any]:
        """The run as the API serves and prints it.

        Fields only greenhouse itself needs (the process id and identity, the digests of
        the stored notebooks) are left out; ``has_notebook`` says whether an executed notebook is
        stored. The stored form is :func:`greenhouse_ext.store.records.run_record`.
        ``occurrence`` is the schedule occurrence that started the run, as
        ``Store.occurrences_of_runs`` gives it: served as ``occurrence`` when there is one.
        """
        data = dataclasses.asdict(self)
        for internal in INTERNAL_RUN_FIELDS:
            del data[internal]
        data["status"] = self.status.value
        data["has_notebook"] = self.output_object is not None
        if occurrence is not None:
            data["occurrence"] = occurrence
        return data

    def to_summary(
        self, max_chars: int = SUMMARY_VALUE_CHARS, occurrence: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The run as a listing shows it: lean, whatever the run was given or recorded.

        The provenance, the per-cell timings and the kept inputs are left out. Every
        parameter, metric and error text whose JSON form is longer than ``max_chars`` is cut
        to that many characters followed by ``…`` (so a cut value is a string), and its place
        (``parameters.NAME``, ``metrics.NAME``, ``error.evalue``) is listed under
        ``truncated``. ``occurrence`` is served as in `to_dict`. The full record is what
        `to_dict` gives.
        """
        # Built field by field, not through `to_dict`: a listing serialises thousands of
        # runs, and copying each one's provenance (hundreds of packages) to drop it, or
        # its values to read them, was most of a listing's time.
        data: dict[str, Any] = {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in _NOT_SUMMARISED
        }
        data["status"] = self.status.value
        data["has_notebook"] = self.output_object is not None
        data["user"] = self.provenance.user if self.provenance else None
        truncated: list[str] = []
        for group in ("parameters", "metrics"):
            data[group] = {
                name: _cut(value, max_chars, f"{group}.{name}", truncated)
                for name, value in getattr(self, group).items()
            }
        if data["error"] is not None:
            for name in ("reason", "evalue"):
                data["error"][name] = _cut(
                    data["error"][name], max_chars, f"error.{name}", truncated
                )
        data["truncated"] = truncated
        if occurrence is not None:
            data["occurrence"] = occurrence
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        """The run from its full (stored) fields, the internal ones included."""
        prov = data.get("provenance")
        return cls(
            id=data["id"],
            notebook=data["notebook"],
            status=RunStatus(data["status"]),
            parameters=dict(data.get("parameters") or {}),
            created_at=data["created_at"],
            metrics=dict(data.get("metrics") or {}),
            error=RunError(**data["error"]) if data.get("error") else None,
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            duration_s=data.get("duration_s"),
            provenance=(
                Provenance(
                    **{
                        **prov,
                        "inputs": [InputFile(**i) for i in prov.get("inputs") or []],
                        "environment": (
                            KernelEnvironment.from_dict(prov["environment"])
                            if prov.get("environment")
                            else None
                        ),
                        "notebook_format": (
                            NotebookFormat(**prov["notebook_format"])
                            if prov.get("notebook_format")
                            else None
                        ),
                    }
                )
                if prov
                else None
            ),
            timings=[CellTiming(**t) for t in data.get("timings") or []],
            files=[RecordedFile(**f) for f in data.get("files") or []],
            kept_inputs=list(data.get("kept_inputs") or []),
            source_object=data.get("source_object"),
            output_object=data.get("output_object"),
            pid=data.get("pid"),
            identity=ProcessIdentity(**data["identity"]) if data.get("identity") else None,
            progress=Progress(**data["progress"]) if data.get("progress") else None,
            sweep_id=data.get("sweep_id"),
            timeout=data.get("timeout"),
            timeout_run=data.get("timeout_run"),
            reproduces=data.get("reproduces"),
            reproduction=data.get("reproduction"),
            from_version=VersionRef(**data["from_version"]) if data.get("from_version") else None,
        )


_NOT_SUMMARISED = frozenset(
    (*INTERNAL_RUN_FIELDS, "provenance", "timings", "kept_inputs", "parameters", "metrics")
)


def _plain(value: Any) -> Any:
    """A field of a run as `dataclasses.asdict` gives it, without copying plain values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _cut(value: Any, max_chars: int, place: str, truncated: list[str]) -> Any:
    """``value``, or its text cut to ``max_chars`` and marked, noting ``place`` when cut."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) <= max_chars:
        return value
    truncated.append(place)
    return text[:max_chars] + TRUNCATION_MARK


@dataclass
class ManifestFile:
    """One file of a published version, as the manifest lists it."""

    path: str
    sha256: str
    size: int


@dataclass
class Version:
    """An immutable, numbered version of a named artefact, made from one succeeded run."""

    name: str
    number: int
    run_id: str
    created_at: str
    manifest_sha256: str
    files: list[ManifestFile] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    published_by: str | None = None
    """The account that published it (None: published before greenhouse recorded it)."""

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.number}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Version:
        return cls(
            **{
                **data,
                "files": [ManifestFile(**f) for f in data.get("files") or []],
                "metrics": dict(data.get("metrics") or {}),
                "aliases": list(data.get("aliases") or []),
            }
        )


@dataclass
class AliasEvent:
    """One change of an alias: set, moved or removed, by whom, when and why.

    ``from_number`` is None when the alias was set for the first time, ``to_number`` when
    it was removed.
    """

    name: str
    alias: str
    from_number: int | None
    to_number: int | None
    user: str
    at: str
    reason: str | None = None

    @property
    def action(self) -> str:
        if self.from_number is None:
            return "set"
        return "removed" if self.to_number is None else "moved"

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "action": self.action}


@dataclass
class Execution:
    """What one execution produced, before it is stored: the record and the bytes it refers to."""

    run: Run
    source: bytes
    output: bytes | None = None
    files: dict[str, bytes] = field(default_factory=dict)
