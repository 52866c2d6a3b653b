"""Notebook normalisation: what differs between two executions by design, removed on a copy.

Two levels, each used by one comparison:

- `normalise_notebook` (structural, for ``greenhouse diff``): papermill's cells are dropped
  (the one tagged ``injected-parameters`` and the error banner tagged
  ``papermill-error-cell-tag``), so cell indices are those the author sees; cell and
  ``execute_result`` execution counts become null; cell metadata ``execution`` (nbclient's
  timestamps), ``papermill`` (timings, status) and ``ExecuteTime`` are dropped, as is the
  notebook's ``metadata.papermill``; sources, stream texts and MIME data stored as lists
  of lines are joined into one string. Cell ids are kept: nbdime aligns cells by them. An
  output's data bundle, a stream's text or a markdown attachment larger than
  ``OUTPUT_SIZE_CAP`` has its largest payloads replaced by a `stand_in`.
- `normalise_outputs` (for ``greenhouse reproduce``): the structural normalisation, then
  only what a re-run must reproduce, with the `VOLATILE_PATTERNS` of text replaced.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

OUTPUT_SIZE_CAP = 64 * 1024
PAPERMILL_CELL_TAGS = frozenset({"injected-parameters", "papermill-error-cell-tag"})
NOISY_CELL_METADATA = ("execution", "papermill", "ExecuteTime")
NOISY_NOTEBOOK_METADATA = ("papermill",)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

_STAND_IN = re.compile(r"<greenhouse: (\d+) bytes omitted, sha256:([0-9a-f]{64})>")


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
            # Tried only where a line or a carriage-return segment starts (a match found
            # later in one would also be found at its start): the scan stays linear on
            # long outputs, where trying every position was quadratic.
            r"(?m)(?:^|(?<=\r)|(?=\r))\r?(?:[^\r\n]*\d+%\|[^\r\n]*(?:\r\n?|\n|$))+",
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
text or JSON output data (never in binary data such as PNG images)."""


def stand_in(payload: Any) -> str:
    """Return ``<greenhouse: N bytes omitted, sha256:HEX>`` for a string or JSON payload.

    Equal payloads get equal stand-ins and a changed one a changed stand-in, so a
    comparison still sees the change without reading megabytes.
    """
    data = _payload_bytes(payload)
    return f"<greenhouse: {len(data)} bytes omitted, sha256:{hashlib.sha256(data).hexdigest()}>"


def parse_stand_in(value: Any) -> tuple[int, str] | None:
    """Return ``(size, sha256)`` if ``value`` is a stand-in made by `stand_in`, else None."""
    match = _STAND_IN.fullmatch(value) if isinstance(value, str) else None
    return (int(match[1]), match[2]) if match else None


def map_strings(value: Any, function: Callable[[str], str]) -> Any:
    """Return a copy of a JSON-like ``value`` with ``function`` applied to every string in it.

    Dict subclasses (nbdime's ``DiffEntry``, nbformat's ``NotebookNode``) keep their type.
    """
    if isinstance(value, str):
        return function(value)
    if isinstance(value, dict):
        return type(value)((key, map_strings(item, function)) for key, item in value.items())
    if isinstance(value, list):
        return [map_strings(item, function) for item in value]
    return value


def _payload_bytes(payload: Any) -> bytes:
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def _joined(value: Any) -> Any:
    return "".join(value) if isinstance(value, list) else value


def _cap(fields: Mapping[str, Any], size_cap: int | None) -> dict[str, Any]:
    """Replace the largest payloads of ``fields`` by stand-ins until they fit ``size_cap``."""
    capped = dict(fields)
    if size_cap is None:
        return capped
    sizes = {key: len(_payload_bytes(value)) for key, value in fields.items()}
    total = sum(sizes.values())
    for key in sorted(sizes, key=sizes.__getitem__, reverse=True):
        if total <= size_cap:
            break
        capped[key] = stand_in(fields[key])
        total -= sizes[key]
    return capped


def _bundle(data: Mapping[str, Any], size_cap: int | None) -> dict[str, Any]:
    """Join multi-line MIME values (JSON ones are data, not lines), then cap the bundle."""
    json_mime = {mime for mime in data if mime == "application/json" or mime.endswith("+json")}
    return _cap({k: v if k in json_mime else _joined(v) for k, v in data.items()}, size_cap)


def _normalise_output(output: Mapping[str, Any], size_cap: int | None) -> dict[str, Any]:
    result = dict(output)
    if "execution_count" in result:
        result["execution_count"] = None
    if isinstance(result.get("data"), Mapping):
        result["data"] = _bundle(result["data"], size_cap)
    if "text" in result:
        result["text"] = _cap({"text": _joined(result["text"])}, size_cap)["text"]
    return result


def _normalise_cell(cell: Mapping[str, Any], size_cap: int | None) -> dict[str, Any]:
    result = dict(cell)
    result["source"] = _joined(cell.get("source", ""))
    metadata = cell.get("metadata") or {}
    result["metadata"] = {k: v for k, v in metadata.items() if k not in NOISY_CELL_METADATA}
    if "execution_count" in result:
        result["execution_count"] = None
    if "outputs" in result:
        result["outputs"] = [_normalise_output(output, size_cap) for output in cell["outputs"]]
    if isinstance(result.get("attachments"), Mapping):
        result["attachments"] = {
            name: _bundle(bundle, size_cap) for name, bundle in result["attachments"].items()
        }
    return result


def _inserted_by_papermill(cell: Mapping[str, Any]) -> bool:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return not PAPERMILL_CELL_TAGS.isdisjoint(tags)


def normalise_notebook(
    nb: Mapping[str, Any], *, size_cap: int | None = OUTPUT_SIZE_CAP
) -> dict[str, Any]:
    """Return ``nb`` without the structural noise listed in the module docstring.

    Parameters
    ----------
    nb : mapping
        An nbformat 4 notebook as a dict; it is not modified.
    size_cap : int or None
        The bytes an output's payloads may take before the largest are stood in
        (see `stand_in`); None keeps every payload whole.

    Returns
    -------
    dict
        The notebook with every other key, cell ids included, as it was.
    """
    metadata = nb.get("metadata") or {}
    return {
        **nb,
        "metadata": {k: v for k, v in metadata.items() if k not in NOISY_NOTEBOOK_METADATA},
        "cells": [
            _normalise_cell(cell, size_cap)
            for cell in nb.get("cells", [])
            if not _inserted_by_papermill(cell)
        ],
    }


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


def normalise_outputs(nb: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of an executed notebook with everything volatile removed.

    On top of `normalise_notebook` (with every payload whole), this drops cell ids and
    all notebook, cell and output metadata, and widget model ids; merges consecutive
    outputs of the same stream, whose splitting into messages depends on timing; and
    replaces the `VOLATILE_PATTERNS`. A real result that looks like noise (a date the
    notebook computes, a number of seconds) is hidden too: print it in another form to
    compare it.

    Parameters
    ----------
    nb : mapping
        An nbformat 4 notebook as a dict.

    Returns
    -------
    dict
        A notebook holding only cell types, sources and normalised outputs.
    """
    cells = [_stable_cell(cell) for cell in normalise_notebook(nb, size_cap=None)["cells"]]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _stable_cell(cell: Mapping[str, Any]) -> dict[str, Any]:
    kind = cell.get("cell_type", "code")
    normal = {"cell_type": kind, "metadata": {}, "source": str(cell.get("source", ""))}
    if kind == "code":
        normal["execution_count"] = None
        normal["outputs"] = [_stable_output(o) for o in _merged_streams(cell.get("outputs"))]
    return normal


def _merged_streams(outputs: Any) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for output in outputs or []:
        if output.get("output_type") != "stream":
            merged.append(dict(output))
        elif merged and merged[-1].get("name") == output.get("name") and "text" in merged[-1]:
            merged[-1]["text"] += str(output.get("text", ""))
        else:
            merged.append({**output, "text": str(output.get("text", ""))})
    return merged


def _stable_output(output: Mapping[str, Any]) -> dict[str, Any]:
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
    data = {mime: _stable_data(mime, value) for mime, value in (output.get("data") or {}).items()}
    normal: dict[str, Any] = {"output_type": kind, "data": data, "metadata": {}}
    if kind == "execute_result":
        normal["execution_count"] = None
    return normal


def is_binary(mime: str) -> bool:
    """True for MIME types whose data is base64 (images, audio, video, PDF), not text."""
    return mime.startswith(("image/", "audio/", "video/", "application/pdf")) and not (
        mime.endswith(("+xml", "+json"))
    )


def _stable_data(mime: str, value: Any) -> Any:
    if mime == WIDGET_MIME and isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "model_id"}
    return value if is_binary(mime) else map_strings(value, normalise_text)
