"""The size limits of parameter values and of sweeps, and how a caller raises them."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput

DEFAULT_MAX_VALUE_BYTES = 64 * 1024
"""The default size limit of one parameter value, in bytes of its JSON (or command-line) form."""


@dataclass(frozen=True)
class ValueLimit:
    """The largest parameter value accepted, and how the caller can raise it.

    Parameters
    ----------
    max_bytes : int
        The limit, in UTF-8 bytes of the value's JSON form (of the text, for a value
        given on a command line).
    setting : str
        What raises the limit, as the caller's front door spells it (a CLI option, a
        server setting), for the message that refuses a larger value.
    """

    max_bytes: int = DEFAULT_MAX_VALUE_BYTES
    setting: str = "max_value_bytes"


DEFAULT_VALUE_LIMIT = ValueLimit()
"""The limit of callers that set none."""

DEFAULT_MAX_SWEEP_RUNS = 5000
"""The default limit of the runs one sweep makes."""


@dataclass(frozen=True)
class GridLimit:
    """The most runs one sweep may make, and how the caller can raise it.

    Parameters
    ----------
    max_runs : int
        The limit, counted before any parameter set is built.
    setting : str
        What raises the limit, as the caller's front door spells it (a CLI option, a
        server setting), for the message that refuses a larger sweep.
    """

    max_runs: int = DEFAULT_MAX_SWEEP_RUNS
    setting: str = "max_sweep_runs"

    def check(self, runs: int, counted: str) -> None:
        """Refuse a sweep of ``runs`` runs over the limit; ``counted`` says how they add up.

        Raises
        ------
        InvalidInput
            ``runs`` is over `max_runs`; the message names the limit and the setting.
        """
        if runs > self.max_runs:
            raise InvalidInput(
                f"The sweep would make {runs:,} runs ({counted}), over the limit of "
                f"{self.max_runs:,} runs per sweep; raise it with {self.setting}"
            )


DEFAULT_GRID_LIMIT = GridLimit()
"""The limit of callers that set none."""
