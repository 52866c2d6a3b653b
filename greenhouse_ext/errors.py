"""The error hierarchy: one root, translated once per front door (CLI exit code, HTTP status)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class GreenhouseError(Exception):
    """Root of every error greenhouse raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong and, where possible, what would be right.
    problems : list of str, optional
        The individual problems when several were found at once.
    """

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])


class InvalidInput(GreenhouseError):
    """The caller asked for something malformed: bad parameter values, a bad option."""

    exit_code = 2
    http_status = 400


class TooLarge(InvalidInput):
    """A request or a value over a configured size limit; the message names the setting."""

    http_status = 413


class NotFound(GreenhouseError):
    """A notebook, run, version or alias that does not exist."""

    exit_code = 2
    http_status = 404


class Conflict(GreenhouseError):
    """The request clashes with the current state (e.g. publishing a failed run)."""

    exit_code = 2
    http_status = 409


class OutdatedStore(Conflict):
    """The store was written in a format older (or newer) than this greenhouse reads."""


class StoreUnavailable(GreenhouseError):
    """The store's index database or object store cannot be reached, or the connection to it
    was lost mid-command; nothing half-written is left, and trying again is safe."""

    exit_code = 3
    http_status = 503


def nearest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to ``word`` (a misspelling's likely meaning), closest first."""
    import difflib  # only when a message needs it: off the commands' read path

    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=0.6)


LISTED_MATCHES = 10
"""How many matching ids a message about an ambiguous prefix lists."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean X?"`` naming the nearest candidates, or ``""`` when none is close."""
    close = nearest(word, candidates)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def ambiguous(what: str, prefix: str, ids: list[str]) -> str:
    """The message for a prefix of several ids: the first `LISTED_MATCHES` of them."""
    listed = ", ".join(ids[:LISTED_MATCHES]) + (", ..." if len(ids) > LISTED_MATCHES else "")
    return f"{what} {prefix!r} is ambiguous: it matches {listed}; give more characters"


def missing_notebook(ref: str, base: Path | None = None) -> NotFound:
    """The error for a notebook path (relative to ``base``, else the working directory)
    that names no file, suggesting the nearest notebook in the folder it names."""
    given = Path(ref)
    folder = Path(base or Path.cwd(), given.parent)
    # Names are compared without their common suffix, which would make any two look alike.
    stems = {p.stem: p.name for p in folder.glob("*.ipynb")} if folder.is_dir() else {}
    close = [(given.parent / stems[stem]).as_posix() for stem in nearest(given.stem, stems)]
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return NotFound(f"Notebook file {ref!r} does not exist{hint}")
