"""Compare two runs, versions or notebook files: nbdime on normalised copies, plus the records.

The notebooks nbdime sees are copies normalised by
`greenhouse_ext.artefacts.normalise.normalise_notebook` (papermill's cells, execution counts and
timing metadata removed; payloads over ``OUTPUT_SIZE_CAP`` stood in), so nbdime's
process-global ignore rules are never touched and concurrent callers cannot disturb each
other. Cell ids are kept, as nbdime aligns cells by them first (fast on big notebooks),
but a changed id is dropped from the diff. Any base64-looking string longer than
``BASE64_CAP`` left in the nbdime diff is then replaced by a stand-in too.

`compare` returns a `Comparison`, whose ``to_dict()`` is ``{a, b, parameters, metrics,
inputs, environment, notebook}``: ``a``/``b`` are the labels; ``parameters`` lists
``{name, change, a, b}``; ``metrics`` lists ``{name, change, a, b, delta, percent}``;
``inputs`` lists ``{path, change, a, b}`` with sides ``{sha256, size}``; ``environment``
is ``{python: {a, b}, kernel: {a, b}, packages: {added: [{name, version}], removed:
[{name, version}], changed: [{name, a, b}]}}``; ``notebook`` is ``{changed_cells,
nbdime}`` (see `changed_cells`; ``nbdime`` is the diff of the normalised notebooks).
``change`` is ``added``, ``removed`` or ``changed``, only differences are listed, and a
missing side is null. ``delta`` (b - a) and ``percent`` (of ``|a|``; null when a is near 0)
are set only when both are numbers. Parameters are effective values (recorded over the
``parameters`` cell's defaults, secrets left out); metrics are the run's, or those
recorded in a file's outputs. Inputs and environment come from provenance: with a file
on either side they are ``[]``/null.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..display import relative_change
from ..models import Provenance
from ..notebook_api import read_metrics
from ..parameters import discover
from ..store import Subject
from .changes import ADDED, CHANGED, REMOVED, Change, changes, environment_changes
from .normalise import is_binary, map_strings, normalise_notebook, parse_stand_in, stand_in

BASE64_CAP = 1024
PAYLOAD_SEND_CAP = 4 * 1024 * 1024

_BASE64 = re.compile(r"[A-Za-z0-9+/=\r\n]+")


def effective_parameters(subject: Subject) -> dict[str, Any]:
    """Return the values a subject ran with: recorded values over the declared defaults.

    A file's recorded values are its ``metadata.papermill.parameters``; secret
    parameters are left out.
    """
    spec = discover(subject.notebook, subject.ref)
    secret = {p.name for p in spec.parameters if p.secret}
    if subject.run is not None:
        recorded = subject.run.parameters
    else:
        papermill = (subject.notebook.get("metadata") or {}).get("papermill") or {}
        recorded = papermill.get("parameters") or {}
    values = {p.name: p.default for p in spec.parameters} | dict(recorded)
    return {name: value for name, value in values.items() if name not in secret}


def diff_parameters(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """List the parameters whose values differ, as ``{name, change, a, b}``."""
    return [_row(change) for change in changes(a, b)]


def _row(change: Change) -> dict[str, Any]:
    return {"name": change.name, "change": change.change, "a": change.a, "b": change.b}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def diff_metrics(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """List the metrics whose values differ, as ``{name, change, a, b, delta, percent}``.

    ``delta`` is ``b - a`` and ``percent`` is ``100 * delta / |a|``, both only when both
    values are numbers (booleans are not); ``percent`` is also null when ``a`` is near zero
    (see `greenhouse_ext.display.relative_change`), where a percentage would say nothing.
    """
    rows = []
    for change in changes(a, b):
        delta, percent = _delta(change.a, change.b)
        rows.append({**_row(change), "delta": delta, "percent": percent})
    return rows


def _delta(old: Any, new: Any) -> tuple[float | None, float | None]:
    if not (_is_number(old) and _is_number(new)):
        return None, None
    return new - old, relative_change(old, new)


def diff_inputs(a: Provenance | None, b: Provenance | None) -> list[dict[str, Any]]:
    """List declared inputs added, removed or with another sha256; empty without provenance."""
    if a is None or b is None:
        return []
    old = {item.path: {"sha256": item.sha256, "size": item.size} for item in a.inputs}
    new = {item.path: {"sha256": item.sha256, "size": item.size} for item in b.inputs}
    old_hashes = {path: entry["sha256"] for path, entry in old.items()}
    new_hashes = {path: entry["sha256"] for path, entry in new.items()}
    return [
        {"path": c.name, "change": c.change, "a": old.get(c.name), "b": new.get(c.name)}
        for c in changes(old_hashes, new_hashes)
    ]


def diff_environment(a: Provenance | None, b: Provenance | None) -> dict[str, Any] | None:
    """Compare Python, kernel and packages; None when either side has no provenance.

    Python and kernel are given for both sides whether or not they differ.
    """
    if a is None or b is None:
        return None
    packages: dict[str, list[dict[str, Any]]] = {ADDED: [], REMOVED: [], CHANGED: []}
    for c in environment_changes(a, b).packages:
        if c.change == CHANGED:
            packages[CHANGED].append({"name": c.name, "a": c.a, "b": c.b})
        else:
            packages[c.change].append(
                {"name": c.name, "version": c.b if c.change == ADDED else c.a}
            )
    return {
        "python": {"a": a.python, "b": b.python},
        "kernel": {"a": a.kernel, "b": b.kernel},
        "packages": packages,
    }


def environment_changed(environment: Mapping[str, Any] | None) -> bool:
    """True when a `diff_environment` result reports any difference."""
    if environment is None:
        return False
    sides = (environment["python"], environment["kernel"])
    return any(side["a"] != side["b"] for side in sides) or any(environment["packages"].values())


def _large_payloads(cell: Mapping[str, Any] | None) -> list[tuple[str, int, str]]:
    found = []
    for output in (cell or {}).get("outputs") or []:
        fields = {**(output.get("data") or {}), "text": output.get("text")}
        for key, value in fields.items():
            parsed = parse_stand_in(value)
            if parsed:
                found.append((key, *parsed))
    return found


def _large_output_changes(
    a_cell: Mapping[str, Any] | None, b_cell: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Pair the stand-ins only one side has, by key: changed, else added or removed."""
    old, new = _large_payloads(a_cell), _large_payloads(b_cell)
    only_a = [item for item in old if item not in new]
    only_b = [item for item in new if item not in old]
    changes = []
    for key, size, _ in only_a:
        match = next((item for item in only_b if item[0] == key), None)
        if match is not None:
            only_b.remove(match)
        changes.append({"key": key, "a_size": size, "b_size": match[1] if match else None})
    changes += [{"key": key, "a_size": None, "b_size": size} for key, size, _ in only_b]
    return changes


def _cell_change(
    kind: str, a_index: int | None, b_index: int | None, a_cells: list[Any], b_cells: list[Any]
) -> dict[str, Any]:
    a_cell = a_cells[a_index] if a_index is not None else None
    b_cell = b_cells[b_index] if b_index is not None else None
    cell = b_cell if b_cell is not None else a_cell or {}
    return {
        "a_index": a_index,
        "b_index": b_index,
        "kind": kind,
        "cell_type": cell.get("cell_type"),
        "source_changed": bool(cell.get("source")),
        "outputs_changed": bool(cell.get("outputs")),
        "metadata_changed": bool(cell.get("metadata")),
        "large_outputs": _large_output_changes(a_cell, b_cell),
    }


def changed_cells(
    a: Mapping[str, Any], b: Mapping[str, Any], diff: list[Any]
) -> list[dict[str, Any]]:
    """Summarise the cell entries of ``diff``, the nbdime diff of normalised ``a`` and ``b``.

    Returns one ``{a_index, b_index, kind, cell_type, source_changed, outputs_changed,
    metadata_changed, large_outputs}`` per added, removed or modified cell (``kind``), in
    order. ``a_index`` is null for an added cell, ``b_index`` for a removed one; for those
    the ``*_changed`` flags say whether the cell has that part at all. ``large_outputs``
    lists ``{key, a_size, b_size}`` (key: a MIME type or ``text``) for stand-ins that
    differ; a null size means that side has no such large payload.
    """
    cells_diff: list[Any] = next((e["diff"] for e in diff if e["key"] == "cells"), [])
    a_cells, b_cells = a["cells"], b["cells"]
    found, offset = [], 0
    for entry in cells_diff:
        key = entry["key"]
        if entry["op"] == "addrange":
            for i in range(len(entry["valuelist"])):
                found.append(_cell_change("added", None, key + offset + i, a_cells, b_cells))
            offset += len(entry["valuelist"])
        elif entry["op"] == "removerange":
            for i in range(entry["length"]):
                found.append(_cell_change("removed", key + i, None, a_cells, b_cells))
            offset -= entry["length"]
        else:
            change = _cell_change("modified", key, key + offset, a_cells, b_cells)
            parts = {e["key"] for e in entry["diff"]}
            for part in ("source", "outputs", "metadata"):
                change[f"{part}_changed"] = part in parts
            found.append(change)
    return found


def _without_id_changes(diff: list[Any]) -> list[Any]:
    """Return an nbdime notebook diff without changes of cell ids (and patches left empty)."""
    return [kept for entry in diff if (kept := _cells_without_ids(entry)) is not None]


def _cells_without_ids(entry: Any) -> Any:
    if entry["key"] != "cells" or entry["op"] != "patch":
        return entry
    cells = [kept for e in entry["diff"] if (kept := _without_id_change(e)) is not None]
    return type(entry)({**entry, "diff": cells}) if cells else None


def _without_id_change(entry: Any) -> Any:
    if entry["op"] != "patch":
        return entry
    parts = [e for e in entry["diff"] if e["key"] != "id"]
    return type(entry)({**entry, "diff": parts}) if parts else None


def strip_payloads(value: Any) -> Any:
    """Return a copy of a diff with base64-looking strings over ``BASE64_CAP`` stood in.

    Dict subclasses (nbdime's ``DiffEntry``, nbformat's ``NotebookNode``) keep their type,
    so the result can still be pretty-printed by nbdime.
    """
    return map_strings(value, _stood_in_if_payload)


def _stood_in_if_payload(text: str) -> str:
    return stand_in(text) if len(text) > BASE64_CAP and _BASE64.fullmatch(text) else text


def binary_payloads(*notebooks: Mapping[str, Any]) -> dict[str, str]:
    """Map the sha256 of each binary output payload (an image...) to the payload itself.

    Payloads over ``PAYLOAD_SEND_CAP`` are left out, so their stand-ins stay stand-ins.
    The hash is `stand_in`'s, so `restore_payloads` can put the images back in a diff
    meant for a browser.
    """
    found: dict[str, str] = {}
    for nb in notebooks:
        for cell in nb.get("cells", []):
            for output in cell.get("outputs") or []:
                for mime, value in (output.get("data") or {}).items():
                    text = "".join(value) if isinstance(value, list) else value
                    if is_binary(mime) and isinstance(text, str) and len(text) <= PAYLOAD_SEND_CAP:
                        found[hashlib.sha256(text.encode()).hexdigest()] = text
    return found


def restore_payloads(value: Any, payloads: Mapping[str, str]) -> Any:
    """Return a copy of ``value`` with the stand-in of each payload in ``payloads`` put back."""

    def restored(text: str) -> str:
        parsed = parse_stand_in(text)
        return payloads.get(parsed[1], text) if parsed else text

    return map_strings(value, restored)


@dataclass
class Comparison:
    """The differences of two references, plus the normalised base nbdime's printer needs."""

    a: str
    b: str
    parameters: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    inputs: list[dict[str, Any]]
    environment: dict[str, Any] | None
    changed_cells: list[dict[str, Any]]
    notebook_diff: list[Any]
    base: Any

    @property
    def has_differences(self) -> bool:
        """True when any section reports a difference."""
        listed = (self.parameters, self.metrics, self.inputs, self.notebook_diff)
        return any(listed) or environment_changed(self.environment)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape described in the module docstring."""
        return {
            "a": self.a,
            "b": self.b,
            "parameters": self.parameters,
            "metrics": self.metrics,
            "inputs": self.inputs,
            "environment": self.environment,
            "notebook": {"changed_cells": self.changed_cells, "nbdime": self.notebook_diff},
        }


def compare(a: Subject, b: Subject) -> Comparison:
    """Compare two resolved references (see `greenhouse_ext.store.refs.resolve`).

    The result's ``base`` is ``a``'s normalised notebook as an nbformat ``NotebookNode``.
    """
    import nbdime
    import nbformat

    base = nbformat.from_dict(normalise_notebook(a.notebook))
    other = nbformat.from_dict(normalise_notebook(b.notebook))
    notebook_diff = _without_id_changes(nbdime.diff_notebooks(base, other))
    a_prov = a.run.provenance if a.run else None
    b_prov = b.run.provenance if b.run else None
    return Comparison(
        a=a.label,
        b=b.label,
        parameters=diff_parameters(effective_parameters(a), effective_parameters(b)),
        metrics=diff_metrics(_metrics(a), _metrics(b)),
        inputs=diff_inputs(a_prov, b_prov),
        environment=diff_environment(a_prov, b_prov),
        changed_cells=changed_cells(base, other, notebook_diff),
        notebook_diff=strip_payloads(notebook_diff),
        base=base,
    )


def _metrics(subject: Subject) -> dict[str, Any]:
    return subject.run.metrics if subject.run is not None else read_metrics(subject.notebook)
