"""Keeping secret parameter values out of everything greenhouse writes: outputs, errors, logs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from .models import SECRET_MASK

# Output fields that carry what the notebook printed or displayed; the others (output_type,
# name, metadata keys, MIME types) are structure and are never rewritten.
_TEXT_FIELDS = ("text", "evalue", "traceback", "data")


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


def scrub_outputs(nb: Any, secrets: Mapping[str, Any]) -> None:
    """Mask secret values in the text a notebook's outputs carry, in place."""
    strings = secret_strings(secrets)
    if not strings:
        return
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            for field in _TEXT_FIELDS:
                if field in output:
                    output[field] = _mask_payload(output[field], strings)


class MaskingWriter:
    """A text stream that masks secret values before passing text on."""

    def __init__(self, stream: TextIO, secrets: Mapping[str, Any]) -> None:
        self.stream = stream
        self.secrets = secret_strings(secrets)

    def write(self, text: str) -> int:
        self.stream.write(mask_text(text, self.secrets))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()
