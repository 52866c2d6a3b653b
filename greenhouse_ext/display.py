"""One way to show a value in every table and summary: numbers, text, structured values, changes.

Numbers show 6 significant digits; structured values (lists, dicts) show as JSON on one
line, their numbers rounded the same way; any value longer than its column is cut and
ends in ``…``. The full value is what ``--json`` prints. A change shows relative to its
base only when the base is not near zero; otherwise the absolute difference alone tells it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from .models import ENVIRONMENT_RECORDED, TRUNCATION_MARK, KernelEnvironment, Provenance

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


FROM_GREENHOUSE = (
    "taken from the greenhouse process, not the kernel "
    "(recorded before greenhouse asked the kernel)"
)


def describe_kernel(prov: Provenance) -> str:
    """Where the record's environment came from: the kernel, nowhere (why), or greenhouse."""
    env = prov.environment
    if env is None:
        return FROM_GREENHOUSE
    if env.status != ENVIRONMENT_RECORDED:
        return f"unknown: {env.reason}"
    return f"from the kernel: {env.executable} (prefix {env.prefix})"


def describe_origins(env: KernelEnvironment) -> str:
    """E.g. ``index 220, editable 1, git 1``."""
    counts = Counter(d.origin.get("kind", "unknown") for d in env.packages)
    return ", ".join(f"{kind} {n}" for kind, n in counts.most_common())


def describe_platform(env: KernelEnvironment) -> str:
    """E.g. ``Linux 6.1.0 x86_64, glibc 2.36, 2 CPUs, no GPU``."""
    plat = env.platform
    libc = plat.get("libc") or {}
    parts = [" ".join(str(plat.get(k) or "?") for k in ("system", "release", "machine"))]
    if libc.get("name"):
        parts.append(f"{libc['name']} {libc.get('version') or '?'}")
    parts.append(f"{plat.get('cpus') or '?'} CPUs")
    gpu = plat.get("gpu")
    if gpu:
        names = ", ".join(gpu.get("names") or [])
        parts.append(f"GPU {names} (driver {gpu.get('driver')}, CUDA {gpu.get('cuda')})")
    else:
        parts.append("no GPU")
    return ", ".join(parts)


def describe_git(prov: Provenance) -> list[str]:
    """The git state: the commit, and each of the notebook and inputs not clean in it."""
    git = prov.git
    if not git:
        return ["not in git (no repository)"]
    dirty = " (tree dirty)" if git.get("dirty") else ""
    lines = [f"{str(git.get('commit'))[:12]} on {git.get('branch') or '-'}{dirty}"]
    files = {"notebook": git.get("notebook"), **(git.get("inputs") or {})}
    for name, state in files.items():
        if state == "untracked":
            lines.append(f"{name}: not in git (untracked)")
        elif state == "modified":
            lines.append(f"{name}: modified since the commit")
    return lines


def environment_lines(prov: Provenance) -> list[str]:
    """The lines `greenhouse show` prints about the environment and git."""
    env = prov.environment
    lines = [f"environment {describe_kernel(prov)}"]
    origins = f"{describe_origins(env)}; " if env is not None and env.packages else ""
    lines.append(f"packages    {len(prov.packages)} ({origins}sha256:{prov.packages_sha256[:16]})")
    if env is not None and env.status == ENVIRONMENT_RECORDED:
        lines.append(f"platform    {describe_platform(env)}")
        for name, value in env.variables.items():
            lines.append(f"variable    {name}={'(not set)' if value is None else value}")
    lines.extend(f"git         {line}" for line in describe_git(prov))
    return lines
