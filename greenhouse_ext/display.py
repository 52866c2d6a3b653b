"""One way to show a value in every table and summary: numbers, text, structured values, changes.

Numbers show 6 significant digits; structured values (lists, dicts) show as JSON on one
line, their numbers rounded the same way; any value longer than its column is cut and
ends in ``…``. The full value is what ``--json`` prints. A change shows relative to its
base only when the base is not near zero; otherwise the absolute difference alone tells it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .models import TRUNCATION_MARK

SIGNIFICANT_DIGITS = 6
"""How many significant digits a number shows."""
CELL_CHARS = 40
"""The widest a value shows in a table's cell."""
NEAR_ZERO = 1e-3
"""A base smaller than this fraction of a change is near zero: no percentage of it is shown."""


def show_value(value: Any, width: int | None = CELL_CHARS, *, quote_text: bool = False) -> str:
    """``value`` as one line of at most ``width`` characters (None: the whole of it).

    Text is shown as it is, or as a JSON string with ``quote_text`` (where ``name=value``
    pairs must stay readable); ``None`` and booleans as JSON (``null``, ``true``).
    """
    return elide(_text(value, quote_text), width)


def show_values(values: Mapping[str, Any], width: int | None = CELL_CHARS) -> str:
    """``name=value`` pairs on one line, each value shown by `show_value` (text quoted)."""
    return " ".join(f"{k}={show_value(v, width, quote_text=True)}" for k, v in values.items())


def elide(text: str, width: int | None) -> str:
    """``text`` cut to ``width`` characters, the last one ``…``, when it is longer."""
    if width is None or len(text) <= width:
        return text
    return text[: max(width - len(TRUNCATION_MARK), 0)] + TRUNCATION_MARK


def relative_change(base: Any, new: Any) -> float | None:
    """The change from ``base`` to ``new`` in percent of ``|base|``.

    None when either is not a number (booleans are not), or when ``base`` is near zero
    (smaller than `NEAR_ZERO` times the change), where a percentage says nothing.
    """
    if not (_is_number(base) and _is_number(new)):
        return None
    delta = new - base
    if not math.isfinite(delta) or abs(base) <= NEAR_ZERO * abs(delta):
        return None
    return float(100 * delta / abs(base))


def show_number(value: float) -> str:
    """A number with `SIGNIFICANT_DIGITS` significant digits (``nan``, ``inf`` as such)."""
    return f"{value:.{SIGNIFICANT_DIGITS}g}"


def show_delta(value: float) -> str:
    """A signed difference, as `show_number` shows numbers."""
    return f"{value:+.{SIGNIFICANT_DIGITS}g}"


def show_percent(value: float) -> str:
    """A signed percentage with one decimal."""
    return f"{value:+.1f}%"


def _text(value: Any, quote_text: bool) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if quote_text else value
    if isinstance(value, float):
        return show_number(value)
    if value is None or isinstance(value, bool | int):
        return json.dumps(value)
    return json.dumps(_rounded(value), ensure_ascii=False, default=str)


def _rounded(value: Any) -> Any:
    """``value`` with every finite float rounded to `SIGNIFICANT_DIGITS` digits."""
    if isinstance(value, float):
        return float(show_number(value)) if math.isfinite(value) else show_number(value)
    if isinstance(value, Mapping):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
