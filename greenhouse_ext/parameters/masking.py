"""Keeping secret parameter values out of what greenhouse writes: notebooks, messages, logs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from ..models import SECRET_MASK, Parameter, ParameterSet

# Output fields that carry what the notebook printed or displayed; the others (output_type,
# name, metadata keys, MIME types) are structure and are never rewritten.
_TEXT_FIELDS = ("text", "evalue", "traceback", "data")


_KINDS = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number"),
    (str, "a string"),
    (list, "a list"),
    (tuple, "a list"),
    (dict, "an object"),
)


def value_kind(value: Any) -> str:
    """What a value is, in words that say nothing of the value itself (``a string``)."""
    if value is None:
        return "null"
    kind = next((words for type_, words in _KINDS if isinstance(value, type_)), None)
    return kind or f"a value of type {type(value).__name__}"


def is_secret(name: Any, spec: ParameterSet | Parameter | None) -> bool:
    """Whether ``name`` is a secret parameter of ``spec`` (a notebook's parameters or one).

    With no ``spec`` no parameter is known to be secret.
    """
    if isinstance(spec, Parameter):
        return spec.secret
    parameter = spec.get(name) if spec is not None and isinstance(name, str) else None
    return parameter is not None and parameter.secret


def describe_value(
    name: Any, value: Any, spec: ParameterSet | Parameter | None, *, with_type: bool = True
) -> str:
    """A value as a message may show it: a secret parameter's by its kind only.

    Parameters
    ----------
    name : str
        The parameter the value was given for.
    value : Any
        The value.
    spec : ParameterSet, Parameter or None
        The notebook's parameters (or the one parameter), which say which are secret.
    with_type : bool, optional
        Whether a shown value is followed by its Python type, ``'x' (str)``.

    Returns
    -------
    str
        ``'x' (str)`` (shortened), or for a secret ``a value of type str (secret, not shown)``.
    """
    type_name = type(value).__name__
    if is_secret(name, spec):
        return f"a value of type {type_name} (secret, not shown)"
    shown = shorten(repr(value))
    return f"{shown} ({type_name})" if with_type else shown


def shown_value(name: Any, value: Any, spec: ParameterSet | Parameter | None) -> str:
    """A value in JSON, as a listing of values shows it; a secret parameter's is ``***``."""
    if is_secret(name, spec):
        return SECRET_MASK
    return shorten(json.dumps(value, default=str))


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, ending in ``...`` when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def secret_strings(secrets: Mapping[str, Any]) -> list[str]:
    """The text forms of the secret values, longest first so no value is half-masked."""
    shown = {value if isinstance(value, str) else json.dumps(value) for value in secrets.values()}
    return sorted((s for s in shown if s), key=len, reverse=True)


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every appearance of each secret string in ``text`` with ``***``."""
    for secret in secrets:
        text = text.replace(secret, SECRET_MASK)
    return text


def _mask_payload(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, list):
        return [_mask_payload(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: _mask_payload(item, secrets) for key, item in value.items()}
    return value


KERNEL_METADATA = ("kernelspec", "language_info")
"""The notebook metadata that describes its kernel, left as it is by `scrub_notebook`."""


def scrub_notebook(nb: Any, secrets: Mapping[str, Any]) -> None:
    """Mask secret values in a notebook, in place: wherever it keeps what the kernel held.

    That is the text of the cells' outputs, the cells' metadata, and the notebook's
    metadata, whose ``widgets`` entry holds the state of every widget the run displayed
    (a ``Password`` widget's value among them). Keys and the outputs' structure are
    never rewritten, nor the kernel's description (`KERNEL_METADATA`), which names the
    kernel and its language, not anything the code held: a short secret must not turn
    ``ipython3`` into ``ipy***hon3``.
    """
    strings = secret_strings(secrets)
    if not strings:
        return
    metadata = nb.get("metadata")
    if isinstance(metadata, dict):
        for key, value in metadata.items():
            if key not in KERNEL_METADATA:
                metadata[key] = _mask_payload(value, strings)
    for cell in nb.get("cells", []):
        if "metadata" in cell:
            cell["metadata"] = _mask_payload(cell["metadata"], strings)
        for output in cell.get("outputs", []) or []:
            for field in _TEXT_FIELDS:
                if field in output:
                    output[field] = _mask_payload(output[field], strings)


class MaskingWriter:
    """A text stream that masks secret values before passing text on, across writes.

    Masking each write alone misses a secret written in pieces (a cell printing it one
    character at a time, flushing each). So the end of the text that could still grow
    into a secret is held back until the next write shows whether it does; `drain`
    passes on what is held once nothing more will come. Only a possible start of a
    secret is held, so ordinary output flows through at once.
    """

    def __init__(self, stream: TextIO, secrets: Mapping[str, Any]) -> None:
        self.stream = stream
        self.secrets = secret_strings(secrets)
        self._held = ""

    def write(self, text: str) -> int:
        pending = self._held + text
        cut = _clear_cut(pending, len(pending) - _open_end(pending, self.secrets), self.secrets)
        self._held = pending[cut:]
        self.stream.write(mask_text(pending[:cut], self.secrets))
        return len(text)

    def flush(self) -> None:
        """Flush what was passed on; a possible start of a secret stays held."""
        self.stream.flush()

    def drain(self) -> None:
        """Pass on the held text, once no more text can follow it, and flush."""
        self.stream.write(mask_text(self._held, self.secrets))
        self._held = ""
        self.stream.flush()


def _open_end(text: str, secrets: list[str]) -> int:
    """The length of the longest end of ``text`` that begins a secret without ending it."""
    longest = 0
    for secret in secrets:
        start = text.find(secret[0], max(0, len(text) - len(secret) + 1))
        while start != -1 and len(text) - start > longest:
            if secret.startswith(text[start:]):
                longest = len(text) - start
                break
            start = text.find(secret[0], start + 1)
    return longest


def _clear_cut(text: str, cut: int, secrets: list[str]) -> int:
    """``cut``, moved back until no whole secret in ``text`` straddles it."""
    moved = True
    while moved:
        moved = False
        for secret in secrets:
            start = text.find(secret, max(0, cut - len(secret) + 1))
            if start != -1 and start < cut:
                cut, moved = start, True
    return cut
