"""What changed between two records: named values and environments, as neutral `Change` lists.

This is the one comparison of two runs' values (parameters, metrics, inputs) and of their
environments: ``greenhouse diff`` and ``greenhouse reproduce`` each build their own JSON
form from its result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..models import Provenance

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
RUNTIME = ("python", "kernel")


@dataclass(frozen=True)
class Change:
    """A named value that differs: ``change`` is ``added``, ``removed`` or ``changed``.

    ``a`` and ``b`` are the two sides' values; a missing side is None.
    """

    name: str
    change: str
    a: Any
    b: Any


@dataclass(frozen=True)
class EnvironmentChanges:
    """How run b's environment differs from run a's.

    ``runtime`` holds the changes of ``python`` and ``kernel``, in that order;
    ``packages`` those of the installed packages, by name.
    """

    runtime: list[Change]
    packages: list[Change]


def changes(
    a: Mapping[str, Any], b: Mapping[str, Any], names: Iterable[str] | None = None
) -> list[Change]:
    """List the values that differ between two mappings.

    Parameters
    ----------
    a, b : mapping of str to any
        The two sides, such as two runs' parameters, metrics or packages.
    names : iterable of str, optional
        The keys to compare, in this order (default: every key of either side, sorted);
        a key neither side has is skipped.

    Returns
    -------
    list of Change
        ``added`` for a key only ``b`` has, ``removed`` for one only ``a`` has, and
        ``changed`` for one whose values are unequal; equal values are left out.
    """
    found = []
    for name in sorted(set(a) | set(b)) if names is None else names:
        if name in a and name in b:
            if a[name] != b[name]:
                found.append(Change(name, CHANGED, a[name], b[name]))
        elif name in b:
            found.append(Change(name, ADDED, None, b[name]))
        elif name in a:
            found.append(Change(name, REMOVED, a[name], None))
    return found


def environment_changes(a: Provenance, b: Provenance) -> EnvironmentChanges:
    """Compare two runs' Python, kernel and packages, as recorded in their provenance.

    Returns
    -------
    EnvironmentChanges
        The `changes` of Python and kernel (in that order) and of the packages' versions.
    """
    return EnvironmentChanges(
        runtime=changes(_runtime(a), _runtime(b), RUNTIME),
        packages=changes(a.packages, b.packages),
    )


def _runtime(provenance: Provenance) -> dict[str, str]:
    return {key: getattr(provenance, key) for key in RUNTIME}
