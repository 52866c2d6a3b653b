"""Aliases are decisions: set, move and remove them with a reason, and read their history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput
from ..models import AliasEvent, Version
from ..store import Store, check_name, find_name, find_version
from .locations import Location, write_to

MAX_REASON_CHARS = 2000
"""The longest reason kept with an alias change."""


def check_alias(alias: str) -> str:
    """Return ``alias`` if it is a valid alias name; a number would read as a version."""
    check_name(alias, "alias")
    if alias.isdigit():
        raise InvalidInput(f"{alias!r} is not a valid alias: NAME@{alias} means version {alias}")
    return alias


def check_reason(reason: str | None) -> str | None:
    """Return the reason stripped, or None when none was given; refuse an empty or huge one."""
    if reason is None:
        return None
    text = reason.strip()
    if not text:
        raise InvalidInput("The reason is empty: say why the alias changes, or leave it out")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"The reason has {len(text)} characters: keep it under {MAX_REASON_CHARS}, "
            "and link to a longer text"
        )
    return text


def set_alias(
    store: Store, ref: str, alias: str, to: str | None = None, reason: str | None = None
) -> tuple[Version, AliasEvent | None]:
    """Point ``alias`` at the version ``ref`` names, atomically; also at ``to`` if given.

    Returns
    -------
    tuple of (Version, AliasEvent or None)
        The version the alias now points at, and the recorded change (None when the
        alias already pointed there).

    Raises
    ------
    InvalidInput
        A bad reference, alias, reason or URL.
    NotFound
        No such version.
    """
    check_alias(alias)
    reason = check_reason(reason)
    location = Location(to) if to is not None else None
    version = find_version(store, ref)
    event = store.set_alias(version.name, alias, version.number, reason)
    version = store.get_version(version.name, version.number)
    if location is not None:
        if location.holds(version):
            location.write_index(store, version.name)
        else:
            write_to(store, version, location.url)
    return version, event


def remove_alias(store: Store, name: str, alias: str, reason: str | None = None) -> AliasEvent:
    """Remove ``alias`` from ``name``'s versions and record who did and why.

    Raises
    ------
    NotFound
        ``name`` has no such alias.
    """
    return store.remove_alias(find_name(store, name), check_alias(alias), check_reason(reason))


@dataclass
class AliasHistory:
    """Every recorded change of a name's aliases, and where each alias points now."""

    name: str
    events: list[AliasEvent] = field(default_factory=list)
    current: dict[str, int] = field(default_factory=dict)

    @property
    def unrecorded(self) -> dict[str, int]:
        """Aliases that point somewhere with no recorded change: set before history was kept."""
        seen = {e.alias for e in self.events}
        return {a: n for a, n in self.current.items() if a not in seen}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "events": [e.to_dict() for e in self.events],
            "current": self.current,
            "unrecorded": self.unrecorded,
        }


def alias_history(store: Store, name: str) -> AliasHistory:
    """The history of ``name``'s aliases, oldest first.

    Raises
    ------
    NotFound
        Nothing is published as ``name``.
    """
    find_name(store, name)
    return AliasHistory(name, store.alias_history(name), store.aliases(name))
