"""The ``params`` command: the parameters a notebook declares, or a check of its cell."""

from __future__ import annotations

import json

import click

from .group import cli, print_json, print_table

EXIT_MALFORMED = 1
EXIT_UNREADABLE = 2


@cli.command("params")
@click.argument(
    "notebooks", metavar="NOTEBOOK...", nargs=-1, required=True, type=click.Path(dir_okay=False)
)
@click.option("--json", "as_json", is_flag=True, help="Print the parameters as JSON.")
@click.option(
    "--check",
    is_flag=True,
    help="Validate the parameters cell of every NOTEBOOK (a pre-commit hook) instead of "
    "showing one: exit 1 when a cell is malformed, 2 when a file is not a notebook.",
)
@click.pass_context
def params_command(
    ctx: click.Context, notebooks: tuple[str, ...], as_json: bool, check: bool
) -> None:
    """Show the parameters NOTEBOOK declares in its cell tagged `parameters`.

    With --check, read the parameters cell of each NOTEBOOK and print every problem
    (`NOTEBOOK: problem`): a statement that is not valid Python, a default that does not
    fit its declaration, an unknown type, a bad option, a name assigned twice, a tagged
    cell that is not code. A notebook without a parameters cell passes: it declares no
    parameters, and many notebooks need none.
    """
    if check:
        if as_json:
            raise click.UsageError("--check prints one line per problem; it has no --json form")
        ctx.exit(_check_parameters(notebooks))
    if len(notebooks) > 1:
        raise click.UsageError("Give one NOTEBOOK to show its parameters, or --check several")
    from ..parameters import parameter_set_with_fields, read_parameters

    notebook = notebooks[0]
    spec = read_parameters(notebook)
    if as_json:
        print_json(parameter_set_with_fields(spec))
        return
    for warning in spec.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not spec.parameters:
        click.echo(f"{notebook} declares no parameters")
        return
    rows = []
    for p in spec.parameters:
        shown = p.to_dict()
        extras = []
        if p.choices is not None:
            listed = ", ".join(json.dumps(c) for c in p.choices)
            items = p.type.startswith("list")  # a list's choices are its allowed items
            extras.append(f"items from {listed}" if items else f"one of {listed}")
        if p.min is not None:
            extras.append(f"min {p.min:g}")
        if p.max is not None:
            extras.append(f"max {p.max:g}")
        if p.secret:
            extras.append("secret")
        detail = " ".join(filter(None, [p.help or "", f"({'; '.join(extras)})" if extras else ""]))
        rows.append((p.name, p.type, json.dumps(shown["default"]), detail))
    print_table(("NAME", "TYPE", "DEFAULT", "HELP"), rows)


def _check_parameters(notebooks: tuple[str, ...]) -> int:
    """Print the problems of each notebook's parameters cell; return the exit code."""
    from ..errors import GreenhouseError
    from ..parameters import read_parameters

    unreadable = malformed = without = 0
    for notebook in notebooks:
        try:
            spec = read_parameters(notebook)
        except GreenhouseError as exc:
            unreadable += 1
            click.echo(f"{notebook}: {exc.message}", err=True)
            continue
        if spec.cell_index is None:
            without += 1
        elif spec.warnings:
            malformed += 1
            for warning in spec.warnings:
                click.echo(f"{notebook}: {warning}", err=True)
    good = len(notebooks) - unreadable - malformed
    click.echo(
        f"{len(notebooks)} notebook(s): {good} fine ({without} without a parameters cell), "
        f"{malformed} with a malformed parameters cell, {unreadable} not readable"
    )
    if unreadable:
        return EXIT_UNREADABLE
    return EXIT_MALFORMED if malformed else 0
