"""A sweep's results: its runs found in the store, as a table, sorted, or side by side."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..display import show_value
from ..errors import InvalidInput, NotFound
from ..models import Run
from ..store import Store, find_sweep

ERROR_CELL_CHARS = 80
"""How much of a failed run's error the results table shows; `greenhouse show` has it all."""
RECORD_COLUMNS = ("id", "status", "created", "duration", "notebook", "user")
"""What every run can be sorted by, besides its parameters and metrics."""


def sorted_runs(runs: Sequence[Run], sort: str | None) -> list[Run]:
    """``runs`` sorted by ``sort``: a parameter, a metric or one of `RECORD_COLUMNS`.

    Prefix ``-`` for descending; runs without that value come last. No ``sort`` keeps
    the order given.

    Raises
    ------
    InvalidInput
        ``sort`` names no parameter or metric of the runs, nor a column of every run.
    """
    rows = list(runs)
    if not sort:
        return rows
    key = sort.lstrip("-")
    columns = [*_ordered_keys(r.parameters for r in runs), *_ordered_keys(r.metrics for r in runs)]
    if key not in {*columns, *RECORD_COLUMNS}:
        choices = ", ".join([*columns, *RECORD_COLUMNS])
        raise InvalidInput(f"--sort {sort!r} names no column; sort by one of: {choices}")
    present = [r for r in rows if _sort_value(r, key) is not None]
    absent = [r for r in rows if _sort_value(r, key) is None]
    present.sort(key=lambda r: _comparable(_sort_value(r, key)), reverse=sort.startswith("-"))
    return present + absent


def results_table(
    runs: Sequence[Run], sort: str | None = None
) -> tuple[list[str], list[list[str]]]:
    """A sweep's runs as a table: id, status, every parameter, every metric.

    When a run did not succeed, a last column ``ERROR`` says why (the exception and its
    message, or the reason). The rows are in the order of `sorted_runs`.

    Raises
    ------
    InvalidInput
        ``sort`` names no column of the table.
    """
    names = _ordered_keys(r.parameters for r in runs)
    metrics = _ordered_keys(r.metrics for r in runs)
    errors = any(r.error is not None for r in runs)
    header = ["RUN", "STATUS", *names, *metrics, *(["ERROR"] if errors else [])]
    table = [
        [
            r.id,
            r.status.value,
            *(_cell(r.parameters.get(n, "")) for n in names),
            *(_cell(r.metrics.get(m, "-")) for m in metrics),
            *([_error_cell(r)] if errors else []),
        ]
        for r in sorted_runs(runs, sort)
    ]
    return header, table


def _ordered_keys(mappings: Iterable[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for mapping in mappings:
        keys.update(dict.fromkeys(mapping))
    return list(keys)


def _sort_value(run: Run, key: str) -> Any:
    record = {
        "id": run.id,
        "status": run.status.value,
        "created": run.created_at,
        "duration": run.duration_s,
        "notebook": run.notebook,
        "user": run.provenance.user if run.provenance else None,
    }
    if key in record:
        return record[key]
    if key in run.metrics:
        return run.metrics[key]
    return run.parameters.get(key)


def _comparable(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return (1, str(value))
    return (0, value)


def _error_cell(run: Run) -> str:
    if run.error is None:
        return "-"
    if run.error.ename is None:
        return run.error.reason
    text = f"{run.error.ename}: {run.error.evalue or ''}".strip()
    return text if len(text) <= ERROR_CELL_CHARS else text[: ERROR_CELL_CHARS - 1] + "…"


def _cell(value: Any) -> str:
    return show_value(value)


def sweep_runs(store: Store, sweep_ref: str) -> list[Run]:
    """The runs of a sweep (its id or a unique prefix of one), oldest first.

    Raises
    ------
    InvalidInput
        An ambiguous or too short prefix.
    NotFound
        The store holds no run of that sweep.
    """
    return store.list_runs(sweep=find_sweep(store, sweep_ref), oldest_first=True)


def sweep_page(
    store: Store, sweep_id: str, offset: int, limit: int, *, active: bool = False
) -> tuple[int, list[Run]]:
    """How many runs a sweep has, and ``limit`` of them from ``offset``, oldest first.

    Raises
    ------
    NotFound
        The store holds no run of that sweep, and it is not ``active``.
    """
    total = store.count_runs(sweep=sweep_id)
    if not total and not active:
        raise _no_sweep(store, sweep_id)
    return total, store.list_runs(sweep=sweep_id, limit=limit, offset=offset, oldest_first=True)


def _no_sweep(store: Store, sweep_id: str) -> NotFound:
    return NotFound(
        f"No runs of sweep {sweep_id!r} in the store at {store.root}; "
        "`greenhouse sweep` prints the id of each sweep it starts"
    )


def side_by_side(runs: Sequence[Run]) -> tuple[list[str], list[list[str]]]:
    """A sweep's parameters and metrics as rows, one column per run."""
    header = ["", *(r.id for r in runs)]
    rows = [["status", *(r.status.value for r in runs)]]
    for name in _ordered_keys(r.parameters for r in runs):
        rows.append([name, *(_cell(r.parameters.get(name, "-")) for r in runs)])
    for name in _ordered_keys(r.metrics for r in runs):
        rows.append([name, *(_cell(r.metrics.get(name, "-")) for r in runs)])
    return header, rows
