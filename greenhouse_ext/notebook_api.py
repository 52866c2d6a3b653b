"""The in-notebook API: values and files a notebook records about itself, in scrapbook's format."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

SCRAP_MIME = "application/scrapbook.scrap.json+json"
FILE_MIME = "application/vnd.greenhouse.file+json"


def _jsonable(value: Any, name: str) -> Any:
    """Return ``value`` as plain JSON data, turning numpy scalars and arrays into Python ones."""
    if hasattr(value, "tolist") and callable(value.tolist):
        value = value.tolist()
    elif hasattr(value, "item") and callable(value.item):
        value = value.item()
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"record({name!r}, ...) needs a JSON value (number, string, bool, None, "
            f"list or dict of those); got {type(value).__name__}: {exc}"
        ) from None
    return value


def record(name: str, value: Any) -> None:
    """Record a named JSON value as a metric of the current run.

    The value is written into the cell's outputs exactly as scrapbook's ``glue`` does,
    so ``scrapbook.read_notebook(...).scraps`` can read it too.

    Parameters
    ----------
    name : str
        The metric's name, e.g. ``"accuracy"``.
    value : JSON-representable
        A number, string, bool, None, or list/dict of those.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("record(name, value): name must be a non-empty string")
    payload = {"name": name, "data": _jsonable(value, name), "encoder": "json", "version": 1}
    metadata = {"scrapbook": {"name": name, "data": True, "display": False}}
    _display({SCRAP_MIME: payload}, metadata)


def record_file(path: str | os.PathLike[str], name: str | None = None) -> None:
    """Capture a file the notebook produced, so that it is kept with the run.

    The file is kept as it is at this call: its bytes are copied aside at once, so a
    later write to the same path (by this notebook, or by another run of it working in
    the same folder, as in a sweep) never changes what the run keeps.

    Parameters
    ----------
    path : path-like
        The file, relative to the notebook's folder or absolute.
    name : str, optional
        The name it is kept under; defaults to the path as given.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"record_file: {path!r} is not a file")
    kept, digest, size = _keep(path)
    payload = {
        "name": name or path,
        "path": os.path.abspath(path),
        "kept": kept,
        "sha256": digest,
        "size": size,
    }
    _display({FILE_MIME: payload}, {})


def _keep(path: str) -> tuple[str, str, int]:
    """Copy ``path`` into this user's folder of kept files; return the copy, its sha256, size.

    The engine takes the copy into the run's record and deletes it when the run ends.
    """
    folder = os.path.join(tempfile.gettempdir(), f"greenhouse-recorded-{getpass.getuser()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    kept = os.path.join(folder, uuid.uuid4().hex)
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as source, open(kept, "wb") as copy:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
            copy.write(chunk)
            size += len(chunk)
    return kept, digest.hexdigest(), size


def _display(data: dict[str, Any], metadata: dict[str, Any]) -> None:
    from IPython.display import display

    display(data, raw=True, metadata=metadata)


def iter_outputs(nb: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """Yield ``(cell_index, output)`` for every output of every code cell."""
    for index, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []) or []:
            yield index, output


def read_metrics(nb: Mapping[str, Any]) -> dict[str, Any]:
    """Return the values recorded in an executed notebook; the last record of a name wins."""
    metrics: dict[str, Any] = {}
    for _, output in iter_outputs(nb):
        payload = (output.get("data") or {}).get(SCRAP_MIME)
        if isinstance(payload, Mapping) and "name" in payload:
            metrics[payload["name"]] = payload.get("data")
    return metrics


def read_file_records(nb: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the ``record_file`` entries of an executed notebook, last one per name."""
    files: dict[str, dict[str, Any]] = {}
    for _, output in iter_outputs(nb):
        payload = (output.get("data") or {}).get(FILE_MIME)
        if isinstance(payload, Mapping) and "path" in payload:
            files[payload["name"]] = dict(payload)
    return list(files.values())
