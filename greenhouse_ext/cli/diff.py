"""The ``diff`` command: two runs, versions or notebook files side by side, then nbdime's diff."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from .group import cli, open_store, print_json, print_table

if TYPE_CHECKING:
    from ..artefacts import Comparison
    from ..store import Store

MISSING = "-"


@cli.command("diff")
@click.argument("ref_a", metavar="A", required=False)
@click.argument("ref_b", metavar="B", required=False)
@click.option(
    "--sweep",
    "sweep_id",
    metavar="ID",
    help="Instead of A and B: the parameters and metrics of every run of sweep ID side by side.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print {a, b, parameters, metrics, inputs, environment, "
    "notebook: {changed_cells, nbdime}} as JSON (shapes: greenhouse_ext.artefacts.diff).",
)
@click.option(
    "--no-color",
    is_flag=True,
    help="No colour (also off when stdout is not a TTY or NO_COLOR is set).",
)
@click.option(
    "--exit-code", is_flag=True, help="Exit 1 when there are differences (like git diff)."
)
@click.pass_context
def diff_command(
    ctx: click.Context,
    ref_a: str | None,
    ref_b: str | None,
    sweep_id: str | None,
    as_json: bool,
    no_color: bool,
    exit_code: bool,
) -> None:
    """Compare A and B: parameters, metrics, inputs, environment, then the notebooks.

    A and B are run ids, NAME@N, NAME@ALIAS, NAME (its latest version) or .ipynb
    files. The notebooks are compared with nbdime after removing what differs between
    any two runs by design:

    \b
    - papermill's injected-parameters cell (values are compared under Parameters)
      and its error banner cell;
    - changed cell ids (ids still align cells), cell and output execution counts;
    - cell metadata execution, papermill and ExecuteTime; notebook metadata papermill;
    - payloads over 64 KiB in one output, replaced by a stand-in holding their size
      and sha256, so a changed one shows as "changed (N MB)".

    \b
    Exit status: 0 when the diff was computed, with or without differences (like
    nbdiff); 1 with --exit-code when there are differences; 2 for a bad reference.
    """
    from ..artefacts import compare
    from ..errors import InvalidInput
    from ..store import file_subject, resolve

    if sweep_id is not None:
        if ref_a or ref_b:
            raise InvalidInput("Give either two references A B or --sweep ID, not both")
        _print_sweep(open_store(ctx), sweep_id, as_json)
        return
    if not (ref_a and ref_b):
        raise InvalidInput("Give two references A B to compare (or --sweep ID)")
    # Two notebook files need no store, and do not make one.
    store = None
    subjects = []
    for ref in (ref_a, ref_b):
        subject = file_subject(ref)
        if subject is None:
            store = store or open_store(ctx)
            subject = resolve(store, ref)
        subjects.append(subject)
    comparison = compare(*subjects)
    if as_json:
        print_json(comparison.to_dict())
    else:
        color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
        _print_comparison(comparison, color)
    if exit_code and comparison.has_differences:
        ctx.exit(1)


def _print_sweep(store: Store, sweep_id: str, as_json: bool) -> None:
    from ..execution import side_by_side, sweep_runs

    runs = sweep_runs(store, sweep_id)
    if as_json:
        print_json(
            {
                "sweep": runs[0].sweep_id,
                "runs": [
                    {
                        "id": r.id,
                        "status": r.status.value,
                        "parameters": r.parameters,
                        "metrics": r.metrics,
                    }
                    for r in runs
                ],
            }
        )
        return
    print_table(*side_by_side(runs))


def _print_comparison(comparison: Comparison, color: bool) -> None:
    click.echo(f"A  {comparison.a}\nB  {comparison.b}")
    _print_parameters(comparison.parameters, color)
    _print_metrics(comparison.metrics, color)
    _print_inputs(comparison.inputs, color)
    _print_environment(comparison.environment, color)
    _print_cells(comparison.changed_cells, color)
    if comparison.notebook_diff:
        click.echo(f"\n--- {comparison.a}\n+++ {comparison.b}")
        click.echo(_render_notebook_diff(comparison, color), nl=False)


def _title(text: str, color: bool, empty: str | None = None) -> None:
    shown = click.style(text, bold=True) if color else text
    click.echo(f"\n{shown}" + (f": {empty}" if empty else ""))


def _value(value: Any) -> str:
    from ..display import show_value

    return show_value(value, quote_text=True)


def _side(row: Mapping[str, Any], side: str) -> str:
    return (
        MISSING if row["change"] == ("added" if side == "a" else "removed") else _value(row[side])
    )


def _print_parameters(rows: list[dict[str, Any]], color: bool) -> None:
    if not rows:
        _title("Parameters", color, "no changes")
        return
    _title("Parameters", color)
    print_table(("NAME", "A", "B"), [(r["name"], _side(r, "a"), _side(r, "b")) for r in rows])


def _print_metrics(rows: list[dict[str, Any]], color: bool) -> None:
    from ..display import show_delta, show_percent

    if not rows:
        _title("Metrics", color, "no changes")
        return
    _title("Metrics", color)
    table = [
        (
            r["name"],
            _side(r, "a"),
            _side(r, "b"),
            MISSING if r["delta"] is None else show_delta(r["delta"]),
            MISSING if r["percent"] is None else show_percent(r["percent"]),
        )
        for r in rows
    ]
    print_table(("NAME", "A", "B", "DELTA", "CHANGE"), table)


def _file(entry: Mapping[str, Any] | None) -> str:
    return MISSING if entry is None else f"sha256:{entry['sha256'][:12]} ({_size(entry['size'])})"


def _print_inputs(rows: list[dict[str, Any]], color: bool) -> None:
    if not rows:
        _title("Inputs", color, "no changes")
        return
    _title("Inputs", color)
    table = [(r["path"], r["change"], _file(r["a"]), _file(r["b"])) for r in rows]
    print_table(("PATH", "CHANGE", "A", "B"), table)


def _print_environment(environment: Mapping[str, Any] | None, color: bool) -> None:
    if environment is None:
        _title("Environment", color, "not compared (a notebook file has no run record)")
        return
    from ..artefacts import environment_changed

    python, kernel, packages = (environment[k] for k in ("python", "kernel", "packages"))
    if not environment_changed(environment):
        _title("Environment", color, f"no changes (Python {python['a']}, kernel {kernel['a']})")
        return
    _title("Environment", color)
    rows = [("python", python["a"], python["b"]), ("kernel", kernel["a"], kernel["b"])]
    rows += [(p["name"], p["a"], p["b"]) for p in packages["changed"]]
    rows += [(p["name"], MISSING, p["version"]) for p in packages["added"]]
    rows += [(p["name"], p["version"], MISSING) for p in packages["removed"]]
    print_table(("", "A", "B"), rows)


def _print_cells(cells: list[dict[str, Any]], color: bool) -> None:
    if not cells:
        _title("Notebook", color, "no changes")
        return
    _title("Notebook (cells numbered from 1)", color)
    for cell in cells:
        click.echo(f"cell {_cell_number(cell)} ({cell['cell_type']}) {_cell_change(cell)}")


def _cell_number(cell: Mapping[str, Any]) -> str:
    a, b = cell["a_index"], cell["b_index"]
    if a is None or b is None or a == b:
        return str((b if a is None else a) + 1)
    return f"{a + 1}->{b + 1}"


def _cell_change(cell: Mapping[str, Any]) -> str:
    if cell["kind"] != "modified":
        text = cell["kind"]
    else:
        parts = [p for p in ("source", "outputs", "metadata") if cell[f"{p}_changed"]]
        text = "modified: " + ", ".join(parts)
    large = [_large_output(entry) for entry in cell["large_outputs"]]
    return "; ".join([text, *large])


def _large_output(entry: Mapping[str, Any]) -> str:
    a, b = entry["a_size"], entry["b_size"]
    if a is None:
        return f"{entry['key']} added ({_size(b)})"
    if b is None:
        return f"{entry['key']} removed ({_size(a)})"
    sizes = _size(a) if _size(a) == _size(b) else f"{_size(a)} -> {_size(b)}"
    return f"{entry['key']} changed ({sizes})"


def _size(count: int) -> str:
    """A byte count for people: ``512 B``, ``64.0 kB``, ``10.5 MB``."""
    if count < 1000:
        return f"{count} B"
    if count < 1000**2:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1000**2:.1f} MB"


def _render_notebook_diff(comparison: Comparison, color: bool) -> str:
    """nbdime's pretty printer, in-process (no git or diff subprocess per changed string)."""
    from nbdime.prettyprint import (
        PrettyPrintConfig,
        pretty_print_diff,
    )

    from ..artefacts.diff import strip_payloads

    out = io.StringIO()
    config = PrettyPrintConfig(out=out, use_git=False, use_diff=False, use_color=color)
    # The diff's payloads are stand-ins: the base's get the same form, not nbdime's "snip".
    pretty_print_diff(strip_payloads(comparison.base), comparison.notebook_diff, "", config)
    return out.getvalue()
