"""CI guards on where a run came from: its notebook and inputs in git, and its environment.

``greenhouse check --clean-git`` fails when the notebook or a declared input was not in
git as committed; ``--same-env REF`` fails when the Python minor version or any package
version differs from REF's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput
from ..models import ENVIRONMENT_RECORDED, Provenance
from ..store import Subject
from .changes import changes


@dataclass
class Difference:
    """One thing that is not as the guard wants: ``what``, and the two sides' values."""

    what: str
    expected: str | None
    actual: str | None


@dataclass
class EnvCheck:
    """One guard checked: ``clean-git`` or ``same-env``, and what failed it."""

    name: str
    differences: list[Difference] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "passed": self.passed}


def provenance_of(subject: Subject, option: str) -> Provenance:
    """The provenance of a run or version; refused for a notebook file, which has none."""
    if subject.run is None or subject.run.provenance is None:
        raise InvalidInput(
            f"{option} needs a run or a published version, whose record says where it came "
            f"from; {subject.label!r} is a notebook file"
        )
    return subject.run.provenance


def clean_git(prov: Provenance) -> EnvCheck:
    """Fail for a notebook or declared input that is untracked or modified, or no git at all."""
    git = prov.git
    if not git:
        return EnvCheck("clean-git", [Difference("git", "a repository", "not in git")])
    if "notebook" not in git:
        return EnvCheck(
            "clean-git",
            [Difference("git", "per-file states", "not recorded (a record made before them)")],
        )
    files = {"notebook": git["notebook"], **(git.get("inputs") or {})}
    return EnvCheck(
        "clean-git",
        [Difference(name, "clean", state) for name, state in files.items() if state != "clean"],
    )


def _minor(prov: Provenance) -> str | None:
    env = prov.environment
    if env is not None and env.status != ENVIRONMENT_RECORDED:
        return None
    version = env.version if env is not None else prov.python.split()[0]
    return ".".join((version or "").split(".")[:2]) or None


def same_env(reference: Provenance, prov: Provenance) -> EnvCheck:
    """Fail when the Python minor version or any package's version differs from the reference's.

    A side whose environment is unknown differs from everything.
    """
    found: list[Difference] = []
    expected, actual = _minor(reference), _minor(prov)
    if expected is None or actual is None or expected != actual:
        found.append(Difference("python", expected or "unknown", actual or "unknown"))
    found.extend(Difference(c.name, c.a, c.b) for c in changes(reference.packages, prov.packages))
    return EnvCheck("same-env", found)
