"""Durations written the way people write them: ``30s``, ``5m``, ``1h``, ``30d``."""

from __future__ import annotations

import re

from .errors import InvalidInput

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
FORM = "a whole number and a unit (s, m, h, d or w), such as 30s, 5m, 1h or 30d"
_PATTERN = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(text: str, *, what: str = "duration") -> int:
    """Read a duration and return it in whole seconds.

    Parameters
    ----------
    text
        The duration as written, such as ``"90s"`` or ``"30d"``.
    what
        How the message names the value when it is wrong (an option's name).

    Raises
    ------
    InvalidInput
        When the text is not a positive whole number followed by a known unit.
    """
    match = _PATTERN.match(text)
    if match is None:
        raise InvalidInput(f"{what} {text!r} is not a duration: write {FORM}")
    seconds = int(match.group(1)) * UNITS[match.group(2)]
    if seconds == 0:
        raise InvalidInput(f"{what} {text!r} is zero: write a positive duration, such as 30s")
    return seconds


def format_duration(seconds: float) -> str:
    """Write seconds back in the largest unit that divides them, as ``parse_duration`` reads."""
    if not float(seconds).is_integer() or seconds <= 0:
        return f"{seconds:g}s"
    whole = int(seconds)
    unit, size = next(
        (u, s) for u, s in sorted(UNITS.items(), key=lambda i: -i[1]) if whole % s == 0
    )
    return f"{whole // size}{unit}"
