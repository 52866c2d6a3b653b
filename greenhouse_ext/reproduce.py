"""Re-run a recorded run from its stored source and tell whether its outputs reproduce."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import params, provenance
from .errors import Conflict, InvalidInput, NotFound
from .models import SECRET_MASK, InputFile, Provenance, Run, RunStatus
from .recording import SCRAP_MIME
from .refs import Subject, resolve
from .store import Store
from .trace import ProgressCallback


@dataclass(frozen=True)
class Noise:
    """One volatile pattern of output text, and what every match of it becomes."""

    name: str
    pattern: re.Pattern[str]
    replacement: str
    example: str


_TEMP_ROOTS = "|".join(
    re.escape(root)
    for root in sorted({tempfile.gettempdir(), "/tmp", "/var/tmp", "/private/var/folders"})
)
_DATETIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
_UUID = r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
_DURATION = r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ns|µs|us|ms|s|secs?|seconds?|mins?|minutes?)\b"

VOLATILE_PATTERNS: tuple[Noise, ...] = tuple(
    Noise(name, re.compile(pattern), replacement, example)
    for name, pattern, replacement, example in (
        ("terminal colours", r"\x1b\[[0-9;]*[A-Za-z]", "", "\x1b[0;31mKeyError\x1b[0m"),
        (
            "progress bar (tqdm)",
            r"\r?(?:[^\r\n]*\d+%\|[^\r\n]*(?:\r\n?|\n|$))+",
            "<progress>\n",
            " 40%|####      | 4/10 [00:01<00:01,  3.9it/s]",
        ),
        ("ISO date and time", _DATETIME, "<datetime>", "2026-11-27T03:49:12.123+00:00"),
        (
            "temporary path",
            rf"(?<![\w/.-])(?:{_TEMP_ROOTS})/[^\s'\":,)\]]*",
            "<tmp>",
            "/tmp/ipykernel_42/3.py",
        ),
        ("memory address", r"\b0x[0-9a-fA-F]{6,16}\b", "0x<address>", "<A at 0x7f3a2c1d5e90>"),
        ("traceback cell number", r"\bIn ?\[\d+\]", "In[<n>]", "Cell In[7], line 2"),
        ("UUID", _UUID, "<uuid>", "5f0c9e3a-1b2d-4c5e-8f90-a1b2c3d4e5f6"),
        ("duration", _DURATION, "<duration>", "trained in 0.12s; Wall time: 3.4 ms"),
    )
)
"""Volatile text, replaced in this order in stream text, error values and tracebacks, and
text or JSON output data (never in binary data such as PNG images).

Besides these patterns, normalisation drops execution counts, cell ids, all notebook, cell
and output metadata (papermill's timings and timestamps live there), the injected-parameters
cell and papermill's error banner (so cell indices are the source notebook's), and widget
model ids; and it merges consecutive outputs of the same stream, whose splitting into
messages depends on timing. A real result that looks like noise (a date the notebook
computes, a number of seconds) is hidden too: print it in another form to compare it.
"""

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
DROPPED_CELL_TAGS = frozenset({"injected-parameters", "papermill-error-cell-tag"})
SNIPPET_CHARS = 120
DIFF_TEXT_CHARS = 2000
DIFF_OUTPUTS_PER_CELL = 50


@dataclass
class CellDifference:
    """A code cell whose outputs differ once normalised; ``index`` counts source cells from 0."""

    index: int
    source: str
    what: str
    before: str
    after: str


@dataclass
class InputChange:
    """A declared input whose content is not what the run read (``current_sha256`` None: gone)."""

    path: str
    recorded_sha256: str
    current_sha256: str | None


@dataclass
class Reproduction:
    """The answer of :func:`reproduce`: the verdict, the evidence and the context."""

    ref: str
    label: str
    run_id: str
    rerun_id: str
    reproducible: bool
    reason: str | None
    compared_cells: int
    cells: list[CellDifference] = field(default_factory=list)
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    inputs: list[InputChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    diff: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "reproducible" if self.reproducible else "differs"

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "verdict": self.verdict}


def normalise_text(text: str) -> str:
    """Replace every volatile pattern of :data:`VOLATILE_PATTERNS` in ``text``.

    Parameters
    ----------
    text : str
        Output text: a stream, an error message, a text or JSON representation.

    Returns
    -------
    str
        The text with timestamps, addresses, durations and the like replaced by markers.
    """
    for noise in VOLATILE_PATTERNS:
        text = noise.pattern.sub(noise.replacement, text)
    return text


def normalise_notebook(nb: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of an executed notebook with everything volatile removed.

    Parameters
    ----------
    nb : mapping
        An nbformat 4 notebook as a dict.

    Returns
    -------
    dict
        A notebook holding only cell types, sources and normalised outputs.
    """
    cells = [
        _normal_cell(cell)
        for cell in nb.get("cells", [])
        if not DROPPED_CELL_TAGS & set(cell.get("metadata", {}).get("tags", []))
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _normal_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    kind = cell.get("cell_type", "code")
    normal = {"cell_type": kind, "metadata": {}, "source": _text(cell.get("source", ""))}
    if kind == "code":
        normal["execution_count"] = None
        normal["outputs"] = [_normal_output(o) for o in _merged_streams(cell.get("outputs"))]
    return normal


def _merged_streams(outputs: Any) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for output in outputs or []:
        if output.get("output_type") != "stream":
            merged.append(dict(output))
        elif merged and merged[-1].get("name") == output.get("name") and "text" in merged[-1]:
            merged[-1]["text"] += _text(output.get("text", ""))
        else:
            merged.append({**output, "text": _text(output.get("text", ""))})
    return merged


def _normal_output(output: Mapping[str, Any]) -> dict[str, Any]:
    kind = output.get("output_type")
    if kind == "stream":
        return {
            "output_type": kind,
            "name": output.get("name"),
            "text": normalise_text(output["text"]),
        }
    if kind == "error":
        return {
            "output_type": kind,
            "ename": output.get("ename", ""),
            "evalue": normalise_text(str(output.get("evalue", ""))),
            "traceback": [normalise_text(line) for line in output.get("traceback") or []],
        }
    data = {mime: _normal_data(mime, value) for mime, value in (output.get("data") or {}).items()}
    normal: dict[str, Any] = {"output_type": kind, "data": data, "metadata": {}}
    if kind == "execute_result":
        normal["execution_count"] = None
    return normal


def _is_binary(mime: str) -> bool:
    return mime.startswith(("image/", "audio/", "video/", "application/pdf")) and not (
        mime.endswith(("+xml", "+json"))
    )


def _normal_data(mime: str, value: Any) -> Any:
    if isinstance(value, list) and not mime.endswith("json"):
        value = "".join(value)
    if mime == WIDGET_MIME and isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "model_id"}
    return value if _is_binary(mime) else _normal_json(value)


def _normal_json(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, list):
        return [_normal_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal_json(v) for k, v in value.items()}
    return value


def _compare_outputs(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[CellDifference]:
    """The code cells whose outputs differ between two normalised notebooks."""
    found = []
    pairs = zip(before["cells"], after["cells"], strict=False)
    for index, (old, new) in enumerate(pairs):
        if old.get("outputs") != new.get("outputs"):
            found.append(_cell_difference(index, old, new))
    if len(before["cells"]) != len(after["cells"]):
        count = min(len(before["cells"]), len(after["cells"]))
        shown = (f"{len(before['cells'])} cells", f"{len(after['cells'])} cells")
        found.append(CellDifference(count, "", "cells", *shown))
    return found


def _cell_difference(index: int, old: Mapping[str, Any], new: Mapping[str, Any]) -> CellDifference:
    olds, news = old["outputs"], new["outputs"]
    first = next(
        i
        for i in range(max(len(olds), len(news)))
        if i >= len(olds) or i >= len(news) or olds[i] != news[i]
    )
    a = olds[first] if first < len(olds) else None
    b = news[first] if first < len(news) else None
    what = _output_kind(a if a is not None else b)
    if len(olds) != len(news):
        what += f" ({len(olds)} outputs before, {len(news)} after)"
    text_a, text_b = _render(a), _render(b)
    if text_a == text_b:
        text_a, text_b = json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True)
    source = _text(old.get("source", "")).strip().split("\n")[0]
    return CellDifference(index, _clip(source, 0), what, *_snippets(text_a, text_b))


def _output_kind(output: Mapping[str, Any] | None) -> str:
    if output is None:
        return "outputs"
    if output.get("output_type") == "stream":
        return str(output.get("name"))
    if output.get("output_type") == "error":
        return "error"
    data = output.get("data") or {}
    return "record" if SCRAP_MIME in data else next(iter(data), "display")


def _render(output: Mapping[str, Any] | None) -> str:
    if output is None:
        return "(no output)"
    if output.get("output_type") == "stream":
        return str(output["text"])
    if output.get("output_type") == "error":
        return f"{output['ename']}: {output['evalue']}"
    data = output.get("data") or {}
    if isinstance(data.get(SCRAP_MIME), Mapping):
        scrap = data[SCRAP_MIME]
        return f"record({scrap.get('name')!r}, {json.dumps(scrap.get('data'))})"
    for mime, value in data.items():
        if _is_binary(mime):
            digest = provenance.sha256_bytes(str(value).encode())[:12]
            return f"<{mime}, {len(str(value))} characters, sha256 {digest}>"
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return "(empty output)"


def _snippets(before: str, after: str) -> tuple[str, str]:
    """The first differing line of each text, centred on the first differing character."""
    lines_a, lines_b = before.split("\n"), after.split("\n")
    row = next(
        (i for i, (x, y) in enumerate(zip(lines_a, lines_b, strict=False)) if x != y),
        min(len(lines_a), len(lines_b)),
    )
    line_a = lines_a[row] if row < len(lines_a) else ""
    line_b = lines_b[row] if row < len(lines_b) else ""
    column = next(
        (i for i, (x, y) in enumerate(zip(line_a, line_b, strict=False)) if x != y),
        min(len(line_a), len(line_b)),
    )
    start = max(0, column - SNIPPET_CHARS // 3)
    return _clip(line_a, start), _clip(line_b, start)


def _clip(line: str, start: int) -> str:
    head = "…" if start > 0 else ""
    tail = "…" if len(line) > start + SNIPPET_CHARS else ""
    return head + line[start : start + SNIPPET_CHARS] + tail


def _notebook_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """nbdime's diff of two normalised notebooks, huge outputs cut first (nbdime is slow on them).

    A text longer than ``DIFF_TEXT_CHARS`` keeps its head and a hash of the whole, so a
    change in the cut part still shows; a cell keeps ``DIFF_OUTPUTS_PER_CELL`` outputs.
    """
    import nbformat

    # nbdime ships no type information; reached through import_module, its API is Any.
    diff_notebooks = importlib.import_module("nbdime").diff_notebooks
    # nbdime reads outputs by attribute, so it needs NotebookNodes rather than dicts.
    diff = diff_notebooks(nbformat.from_dict(_bounded(before)), nbformat.from_dict(_bounded(after)))
    result: list[dict[str, Any]] = json.loads(json.dumps(diff))
    return result


def _bounded(nb: Mapping[str, Any]) -> dict[str, Any]:
    cells = [
        {**cell, "outputs": _cut_strings(cell["outputs"][:DIFF_OUTPUTS_PER_CELL])}
        if "outputs" in cell
        else cell
        for cell in nb["cells"]
    ]
    return {**nb, "cells": cells}


def _cut_strings(value: Any) -> Any:
    if isinstance(value, str) and len(value) > DIFF_TEXT_CHARS:
        digest = provenance.sha256_bytes(value.encode())[:16]
        return f"{value[:DIFF_TEXT_CHARS]}\n… [{len(value)} characters in all, sha256 {digest}]"
    if isinstance(value, list):
        return [_cut_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _cut_strings(v) for k, v in value.items()}
    return value


def _environment_changes(before: Provenance | None, after: Provenance | None) -> dict[str, Any]:
    """``{"python"|"kernel": [then, now], "packages": {name: [then, now]}}``, changes only."""
    if before is None or after is None:
        return {}
    changes: dict[str, Any] = {
        key: [getattr(before, key), getattr(after, key)]
        for key in ("python", "kernel")
        if getattr(before, key) != getattr(after, key)
    }
    names = sorted(set(before.packages) | set(after.packages))
    packages = {
        name: [before.packages.get(name), after.packages.get(name)]
        for name in names
        if before.packages.get(name) != after.packages.get(name)
    }
    if packages:
        changes["packages"] = packages
    return changes


def reproduce(
    store: Store,
    ref: str,
    secrets: Mapping[str, str] | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    base: Path | None = None,
) -> Reproduction:
    """Re-run a recorded run from its stored source, store the re-run and compare outputs.

    The stored source (not today's file) runs with the recorded parameters, kernel and
    declared inputs, in the original notebook's folder when it still exists.

    Parameters
    ----------
    store : Store
        Where the run is recorded and the re-run is saved.
    ref : str
        A run id, ``NAME@N``, ``NAME@ALIAS`` or ``NAME``.
    secrets : mapping of str to str, optional
        Values of the run's secret parameters, which are never stored, as command-line text.
    on_progress : callable, optional
        Passed to :func:`greenhouse_ext.execute.execute`.
    base : Path, optional
        The folder relative references are read from (default: the working directory).

    Returns
    -------
    Reproduction
        ``reproducible`` when the re-run succeeded and every normalised output matches.

    Raises
    ------
    InvalidInput
        The reference is malformed or names a file, or secrets are missing or unexpected.
    NotFound
        Nothing has that reference, or its source is not in the store.
    Conflict
        The run did not succeed.
    """
    from .execute import execute, prepare

    subject = resolve(store, ref, base)
    run, source_object = _succeeded_run(subject)
    source = store.get_object(source_object)
    values, secret_values = _parameters(run, json.loads(source), secrets or {})
    original = Path(store.root.parent, run.notebook)
    changes, inputs, warnings = _inputs(run, original.parent)
    with _staged(source, original, warnings) as staged:
        kernel = run.provenance.kernel if run.provenance else None
        job = prepare(staged, values, text_values=secret_values, kernel=kernel)
        job.notebook, job.inputs = run.notebook, inputs
        rerun = store.save_execution(execute(job, on_progress=on_progress))
    result = _compare(subject, run, rerun, store)
    result.inputs, result.warnings = changes, warnings
    return result


def _succeeded_run(subject: Subject) -> tuple[Run, str]:
    """The subject's run and its stored source, if it is a run that can be reproduced."""
    if subject.run is None:
        raise InvalidInput(
            f"{subject.ref!r} is a notebook file: reproduce needs a run id, NAME@N, "
            "NAME@ALIAS or NAME"
        )
    run = subject.run
    if run.status is not RunStatus.SUCCEEDED:
        raise Conflict(f"Run {run.id} {run.status.value}: only a succeeded run can be reproduced")
    if run.source_object is None:
        raise NotFound(f"Run {run.id} has no stored source notebook")
    return run, run.source_object


def _parameters(
    run: Run, nb: Mapping[str, Any], secrets: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The recorded values to re-use, and the secret values given again (checked)."""
    spec = params.discover(nb, run.notebook)
    masked = {
        name
        for name, value in run.parameters.items()
        if value == SECRET_MASK and (p := spec.get(name)) is not None and p.secret
    }
    unexpected = sorted(set(secrets) - masked)
    if unexpected:
        raise InvalidInput(
            f"-p only supplies the secret parameters of run {run.id} again "
            f"({', '.join(sorted(masked)) or 'it has none'}); "
            f"{', '.join(unexpected)} are re-used as recorded"
        )
    missing = sorted(masked - set(secrets))
    if missing:
        flags = " ".join(f"-p {name} VALUE" for name in missing)
        raise InvalidInput(
            f"Run {run.id} used the secret parameter(s) {', '.join(missing)}, whose values "
            f"are never stored: supply them again with {flags}"
        )
    return {k: v for k, v in run.parameters.items() if k not in masked}, dict(secrets)


def _inputs(run: Run, folder: Path) -> tuple[list[InputChange], list[InputFile], list[str]]:
    """Hash the declared inputs again: what changed, what to record, and warnings."""
    changes, present, warnings = [], [], []
    for recorded in run.provenance.inputs if run.provenance else []:
        path = Path(folder, recorded.path)
        digest, size = provenance.sha256_file(path) if path.is_file() else (None, 0)
        if digest is not None:
            present.append(InputFile(path=recorded.path, sha256=digest, size=size))
        if digest != recorded.sha256:
            changes.append(InputChange(recorded.path, recorded.sha256, digest))
            state = "is missing" if digest is None else "has changed since the run"
            warnings.append(f"input {recorded.path} {state} ({path})")
    return changes, present, warnings


@contextmanager
def _staged(source: bytes, original: Path, warnings: list[str]) -> Iterator[Path]:
    """Write the stored source beside the original notebook, so relative paths work."""
    prefix, folder = f".{original.stem}.reproduce-", original.parent
    try:
        handle, name = tempfile.mkstemp(".ipynb", prefix, folder if folder.is_dir() else None)
    except OSError:
        handle, name = tempfile.mkstemp(".ipynb", prefix)
    if Path(name).parent != folder:
        warnings.append(f"{folder} is gone or read-only: re-ran in a temporary folder")
    try:
        with open(handle, "wb") as stream:
            stream.write(source)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _compare(subject: Subject, run: Run, rerun: Run, store: Store) -> Reproduction:
    before = normalise_notebook(subject.notebook)
    after = (
        normalise_notebook(json.loads(store.get_object(rerun.output_object)))
        if rerun.output_object
        else {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    )
    cells = _compare_outputs(before, after)
    reason = _failure(rerun) or (
        f"{len(cells)} of {_code_cells(before)} code cells differ" if cells else None
    )
    metrics = {
        name: [run.metrics.get(name), rerun.metrics.get(name)]
        for name in sorted(set(run.metrics) | set(rerun.metrics))
        if run.metrics.get(name) != rerun.metrics.get(name)
    }
    return Reproduction(
        ref=subject.ref,
        label=subject.label,
        run_id=run.id,
        rerun_id=rerun.id,
        reproducible=reason is None,
        reason=reason,
        compared_cells=_code_cells(before),
        cells=cells,
        metrics=metrics,
        environment=_environment_changes(run.provenance, rerun.provenance),
        diff=_notebook_diff(before, after),
    )


def _code_cells(nb: Mapping[str, Any]) -> int:
    return sum(1 for cell in nb["cells"] if cell["cell_type"] == "code")


def _failure(rerun: Run) -> str | None:
    if rerun.status is RunStatus.SUCCEEDED:
        return None
    error = rerun.error
    if error is None:
        return f"the re-run {rerun.status.value}"
    where = f" in cell {error.cell_index + 1}" if error.cell_index is not None else ""
    detail = f": {error.ename}: {error.evalue}" if error.ename else ""
    return f"the re-run {rerun.status.value} ({error.reason}{where}){detail}"
