"""What is made of runs: versions, reports, diffs, reproductions, gates and drift history."""

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
from .reproduce import plan, reproduce, reproduction_of
from .reproduction import Reproduction

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
