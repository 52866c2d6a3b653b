"""The metrics of every published version of a name, in order, as a table or a chart."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from ..store import Store, find_name

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PLOT_INSTALL = "pip install 'greenhouse_ext[plot]'"
PANEL_HEIGHT_IN = 2.0
FIGURE_WIDTH_IN = 8.0
ALIAS_TICKS_MAX = 30  # beyond this many versions, one tick per version would overlap


@dataclass
class HistoryEntry:
    """One version: its number, date, run, aliases and the chosen metrics (None: not recorded)."""

    number: int
    created_at: str
    run_id: str
    aliases: list[str]
    metrics: dict[str, Any]


@dataclass
class History:
    """The versions of ``name``, oldest first, with the values of ``metrics``."""

    name: str
    metrics: list[str]
    versions: list[HistoryEntry] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def numeric_metrics(self) -> list[str]:
        """The metrics with at least one numeric value, which a chart can draw."""
        return [
            name
            for name in self.metrics
            if any(_is_number(entry.metrics.get(name)) for entry in self.versions)
        ]


def history(store: Store, name: str, metrics: Sequence[str] = ()) -> History:
    """Read every version of ``name`` with its metrics.

    Parameters
    ----------
    store : Store
        Where versions are recorded.
    name : str
        The published name.
    metrics : sequence of str, optional
        The metrics to show, in this order; default: every metric any version recorded,
        sorted by name.

    Returns
    -------
    History

    Raises
    ------
    InvalidInput
        ``name`` is not a valid name, or a requested metric is recorded by no version.
    NotFound
        Nothing is published under ``name``.
    """
    versions = store.list_versions(find_name(store, name))
    recorded = sorted({metric for version in versions for metric in version.metrics})
    unknown = [metric for metric in metrics if metric not in recorded]
    if unknown:
        raise InvalidInput(
            f"No version of {name!r} recorded {', '.join(map(repr, unknown))} "
            f"(recorded: {', '.join(recorded) or 'none'})"
        )
    chosen = list(dict.fromkeys(metrics)) or recorded
    entries = [
        HistoryEntry(
            number=version.number,
            created_at=version.created_at,
            run_id=version.run_id,
            aliases=list(version.aliases),
            metrics={metric: version.metrics.get(metric) for metric in chosen},
        )
        for version in versions
    ]
    return History(name=name, metrics=chosen, versions=entries)


def plot_history(found: History, path: str | os.PathLike[str]) -> Path:
    """Draw each numeric metric against the version number and write a PNG.

    One panel per metric, stacked over a shared version axis, so that each line keeps
    its own scale and drift shows at a glance; a version that did not record a metric
    leaves a gap. Aliases label their versions on the axis. matplotlib draws through
    its Agg canvas directly, leaving pyplot and the process's backend untouched.

    Parameters
    ----------
    found : History
        From :func:`history`.
    path : path-like
        The PNG to write; its folder must exist.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InvalidInput
        matplotlib is not installed, the path is not a ``.png`` in an existing folder,
        or no metric is numeric.
    """
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise InvalidInput(f"--plot writes a PNG: give a file name ending in .png, not {target}")
    if not target.parent.is_dir():
        raise InvalidInput(f"Cannot write {target}: folder {target.parent} does not exist")
    numeric = found.numeric_metrics()
    if not numeric:
        raise InvalidInput(
            f"Nothing to plot: none of {', '.join(found.metrics) or 'the metrics'} "
            f"of {found.name!r} is numeric"
        )
    figure = _figure(found, numeric)
    figure.savefig(target, format="png", dpi=100)
    return target


def _figure(found: History, numeric: list[str]) -> Figure:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise InvalidInput(f"--plot needs matplotlib: {PLOT_INSTALL}") from None
    figure = Figure(figsize=(FIGURE_WIDTH_IN, 1.0 + PANEL_HEIGHT_IN * len(numeric)))
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(numeric), 1, sharex=True, squeeze=False)[:, 0]
    numbers = [entry.number for entry in found.versions]
    for ax, metric in zip(axes, numeric, strict=True):
        values = [_as_float(entry.metrics.get(metric)) for entry in found.versions]
        ax.plot(numbers, values, marker="o")
        ax.set_ylabel(metric)
        ax.grid(True, alpha=0.3)
    bottom = axes[-1]
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_xlabel("version")
    labelled = [entry for entry in found.versions if entry.aliases]
    if labelled and len(found.versions) <= ALIAS_TICKS_MAX:
        bottom.set_xticks(numbers)
        bottom.set_xticklabels([_tick(entry.number, entry.aliases) for entry in found.versions])
    figure.suptitle(f"{found.name}: metrics by version")
    figure.tight_layout()
    return figure


def _tick(number: int, aliases: list[str]) -> str:
    return "\n".join([str(number), *aliases])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_float(value: Any) -> float:
    return float(value) if _is_number(value) else math.nan
