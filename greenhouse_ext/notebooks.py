"""Read a notebook file of any format: nbformat 2 to 4 JSON, and text notebooks through Jupytext.

Every command, the server and sweeps read notebooks here. What comes back is always an
nbformat 4 notebook in memory, with the file's bytes kept as they were (the stored source)
and a `NotebookFormat` saying what reading changed: an upgrade from format 2 or 3, cell
ids replaced the way nbformat's own normalisation does. A file that cannot be read raises
`InvalidInput` naming the file, the JSON path of the bad field and what was expected.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidInput, missing_notebook
from .models import NotebookFormat

TEXT_SUFFIXES = (".py", ".md", ".myst", ".mystnb", ".Rmd", ".R", ".r", ".jl")
"""The text notebooks Jupytext reads that greenhouse runs: percent scripts and Markdown."""
NOTEBOOK_SUFFIXES = (".ipynb", *TEXT_SUFFIXES)
KNOWN_FORMATS = "an .ipynb file or a text notebook (" + ", ".join(TEXT_SUFFIXES) + ")"

# The nbformat 4.5 schema's pattern and length for a cell id.
_CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_SCRIPT_LANGUAGES = {".py": "python", ".R": "R", ".r": "R", ".jl": "julia"}


@dataclass
class NotebookFile:
    """A notebook as read: nbformat 4 in memory, the file's bytes, and how it was written."""

    name: str
    notebook: Any
    """An nbformat 4 ``NotebookNode`` (a dict)."""
    source: bytes
    format: NotebookFormat

    @property
    def kernel_name(self) -> str | None:
        """The kernel the notebook names in its metadata, if any."""
        spec = self.notebook.get("metadata", {}).get("kernelspec")
        name = spec.get("name") if isinstance(spec, dict) else None
        return str(name) if name else None

    @property
    def language(self) -> str:
        """The notebook's language (see `notebook_language`)."""
        return notebook_language(self.notebook, self.name)


def notebook_language(notebook: Any, name: str) -> str:
    """A notebook's language: its metadata's, else its script's (by ``name``), else Python.

    Notebooks of format 2 and 3, and text notebooks, often say nothing of it.
    """
    metadata = notebook.get("metadata", {})
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        entry = metadata.get(key)
        if isinstance(entry, dict) and entry.get(field):
            return str(entry[field])
    language = metadata.get("jupytext", {}).get("main_language")
    return str(language or _SCRIPT_LANGUAGES.get(Path(name).suffix, "python"))


def names_notebook(name: str) -> bool:
    """Whether ``name`` ends like a notebook file greenhouse reads (``.ipynb``, ``.py``...)."""
    return name.endswith(NOTEBOOK_SUFFIXES)


def read_notebook(path: str | os.PathLike[str], name: str | None = None) -> NotebookFile:
    """Read the notebook file at ``path``, in any format `parse_notebook` reads.

    A Jupytext pair (an ``.ipynb`` and its text twin, by the pairing metadata) is one
    notebook: ``format.paired`` names the pair's files that exist.

    Raises
    ------
    NotFound
        No file at ``path``.
    InvalidInput
        The file is not a notebook greenhouse reads; the message says where and why.
    """
    file = Path(path)
    label = name or str(path)
    if file.is_dir():
        raise InvalidInput(f"{label!r} is not a notebook: it is a folder")
    if not file.is_file():
        raise missing_notebook(label)
    result = parse_notebook(file.read_bytes(), label)
    result.format.paired = _paired(file, result)
    return result


def parse_notebook(source: bytes, name: str) -> NotebookFile:
    """Read a notebook's bytes; ``name`` (a file name or path) says its format by its suffix.

    JSON notebooks of nbformat 2, 3 and 4 are read by nbformat and upgraded to 4; text
    notebooks by Jupytext. Cell ids that are missing, repeated or break the schema are
    replaced through nbformat's normalisation. The result is checked against the nbformat
    schema.

    Raises
    ------
    InvalidInput
        Naming ``name``, the JSON path of what is wrong and what was expected.
    """
    if not names_notebook(name):
        raise InvalidInput(f"{name!r} is not a notebook: expected {KNOWN_FORMATS}")
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name!r} is not a notebook: it is not UTF-8 text ({exc})") from None
    if name.endswith(".ipynb"):
        notebook, fmt = _read_json(text, name)
    else:
        notebook, fmt = _read_text(text, name)
    fmt.ids_normalised = _normalise_ids(notebook)
    _check_schema(notebook, name)
    return NotebookFile(name=name, notebook=notebook, source=source, format=fmt)


def _read_json(text: str, name: str) -> tuple[Any, NotebookFormat]:
    import nbformat

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{name!r} is not valid notebook JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{name!r} is not a notebook: at $ expected a JSON object")
    major, minor = data.get("nbformat"), data.get("nbformat_minor", 0)
    if major not in (2, 3, 4) or isinstance(major, bool):
        raise InvalidInput(
            f"{name!r} is not a notebook: at $.nbformat expected 2, 3 or 4, found {major!r}"
        )
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise InvalidInput(f"{name!r}: at $.nbformat_minor expected an integer, found {minor!r}")
    if major == 3:
        _check_schema(data, name)
    if major == 4:
        return nbformat.from_dict(data), NotebookFormat("ipynb", major, minor)
    try:
        # Each format's own reader first: format 2 keeps its source lines without newlines.
        notebook = nbformat.convert(nbformat.versions[major].to_notebook_json(data, minor=minor), 4)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{name!r} could not be upgraded from nbformat {major} to 4: {exc!r}"
        ) from None
    return notebook, NotebookFormat("ipynb", major, minor, upgraded=True)


def _read_text(text: str, name: str) -> tuple[Any, NotebookFormat]:
    import jupytext
    from jupytext.formats import JupytextFormatError, guess_format

    suffix = Path(name).suffix
    try:
        format_name = guess_format(text, suffix)[0]
        given = {"extension": suffix, **({"format_name": format_name} if format_name else {})}
        notebook = jupytext.reads(text, fmt=given)
    except (JupytextFormatError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{name!r} is not a notebook Jupytext reads: {exc}") from None
    written = notebook.metadata.get("jupytext", {}).get("text_representation", {})
    format_name = written.get("format_name") or format_name
    fmt = f"{suffix[1:]}:{format_name}" if format_name else suffix[1:]
    return notebook, NotebookFormat(fmt, notebook.nbformat, notebook.nbformat_minor)


def _normalise_ids(notebook: Any) -> bool:
    """Give every cell a legal, unique id, as nbformat's normalisation does; True if any changed.

    nbformat replaces missing and repeated ids; an id that breaks the schema's pattern is
    removed first, so that the same normalisation gives it a fresh one.
    """
    from nbformat.validator import normalize

    cells = notebook.get("cells")
    version = (notebook.get("nbformat"), notebook.get("nbformat_minor", 0))
    if version < (4, 5) or not isinstance(cells, list):
        return False
    illegal = 0
    for cell in cells:
        if isinstance(cell, dict) and "id" in cell and not _CELL_ID.match(str(cell["id"])):
            del cell["id"]
            illegal += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        changes, normalised = normalize(notebook)
    notebook["cells"] = normalised["cells"]
    return bool(changes or illegal)


def _check_schema(notebook: Any, name: str) -> None:
    """Raise InvalidInput at the most relevant place ``notebook`` breaks its nbformat schema."""
    from jsonschema.exceptions import relevance
    from nbformat.validator import better_validation_error, get_validator

    major, minor = notebook.get("nbformat"), notebook.get("nbformat_minor", 0)
    fast = get_validator(version=major, version_minor=minor)
    if fast is None:
        return  # nbformat 2 has no schema: its upgrade checks its shape
    if next(iter(fast.iter_errors(notebook)), None) is None:
        return
    # The notebook breaks the schema: jsonschema (slower) says where, and what was expected.
    validator = get_validator(version=major, version_minor=minor, name="jsonschema")
    for error in sorted(validator.iter_errors(notebook), key=relevance):
        better = better_validation_error(error, major, minor)
        where = list(better.absolute_path)
        # A cell or output missing a field nbformat fills in (``outputs``...) still runs,
        # as it always did; a field of the wrong shape, or no cells at all, does not.
        if better.validator == "required" and where:
            continue
        raise InvalidInput(
            f"{name!r} is not a valid nbformat {major}.{minor} notebook: "
            f"at {_json_path(where)} {_expected(better.message)}"
        )


def _json_path(parts: Iterable[Any]) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


def _expected(message: str) -> str:
    """jsonschema's message, phrased as what was expected."""
    found, sep, wanted = message.partition(" is not of type ")
    if sep:
        return f"expected {wanted.replace(chr(39), '')}, found {found}"
    if message.endswith(" is a required property"):
        return f"expected the property {message.removesuffix(' is a required property')}"
    return f"expected otherwise: {message}"


def _paired(file: Path, read: NotebookFile) -> list[str]:
    """The files of the Jupytext pair ``file`` belongs to that exist, or [] when unpaired."""
    from jupytext.paired_paths import InconsistentPath, paired_paths

    formats = read.notebook.get("metadata", {}).get("jupytext", {}).get("formats")
    if not formats:
        return []
    fmt = "ipynb" if file.suffix == ".ipynb" else read.format.format
    try:
        pairs = paired_paths(str(file), fmt, formats)
    except (InconsistentPath, ValueError):
        return []
    found = [Path(path) for path, _ in pairs if Path(path).is_file()]
    if len(found) < 2:
        return []
    return [path.relative_to(file.parent).as_posix() for path in found]
