"""What is made of runs: versions, reports, diffs, reproductions, gates and drift history."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .aliases import AliasHistory, alias_history, remove_alias, set_alias
    from .diff import (
        Comparison,
        binary_payloads,
        compare,
        environment_changed,
        restore_payloads,
    )
    from .gate import GateReport, Outcome, check
    from .history import History, history, plot_history
    from .locations import verify_at, write_to
    from .manifest import VerifyResult
    from .publish import export, publish, verify
    from .report import render_html
    from .reproduce import Reproduction, plan, reproduce, reproduction_of

# Each name is imported from its module on first use (PEP 562), so a command imports
# only the modules it needs.
_HOMES = {
    "AliasHistory": "aliases",
    "Comparison": "diff",
    "GateReport": "gate",
    "History": "history",
    "Outcome": "gate",
    "Reproduction": "reproduce",
    "VerifyResult": "manifest",
    "alias_history": "aliases",
    "binary_payloads": "diff",
    "check": "gate",
    "compare": "diff",
    "environment_changed": "diff",
    "export": "publish",
    "history": "history",
    "plan": "reproduce",
    "plot_history": "history",
    "publish": "publish",
    "remove_alias": "aliases",
    "render_html": "report",
    "reproduce": "reproduce",
    "reproduction_of": "reproduce",
    "restore_payloads": "diff",
    "set_alias": "aliases",
    "verify": "publish",
    "verify_at": "locations",
    "write_to": "locations",
}

__all__ = [
    "AliasHistory",
    "Comparison",
    "GateReport",
    "History",
    "Outcome",
    "Reproduction",
    "VerifyResult",
    "alias_history",
    "binary_payloads",
    "check",
    "compare",
    "environment_changed",
    "export",
    "history",
    "plan",
    "plot_history",
    "publish",
    "remove_alias",
    "render_html",
    "reproduce",
    "reproduction_of",
    "restore_payloads",
    "set_alias",
    "verify",
    "verify_at",
    "write_to",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value
