"""The table of commands agrees with the modules that define them, and is what --help lists."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click
import pytest

import greenhouse_ext.cli as cli_package
from greenhouse_ext.cli import cli
from greenhouse_ext.cli.commands import COMMANDS


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_is_defined_where_the_table_says(name: str) -> None:
    module = importlib.import_module(f"greenhouse_ext.cli.{COMMANDS[name].module}")
    defined = {value.name for value in vars(module).values() if isinstance(value, click.Command)}
    assert name in defined
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert command.get_short_help_str() == COMMANDS[name].summary


def test_every_command_a_module_defines_is_in_the_table() -> None:
    for info in pkgutil.iter_modules(cli_package.__path__):
        importlib.import_module(f"greenhouse_ext.cli.{info.name}")
    assert set(cli.commands) == set(COMMANDS)


def test_help_lists_the_table_without_importing_a_command_module() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from greenhouse_ext.cli import cli\n"
        "result = CliRunner().invoke(cli, ['--help'])\n"
        "print(result.output)\n"
        "print(sorted(m for m in sys.modules if m.startswith('greenhouse_ext.cli.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    for name, entry in COMMANDS.items():
        assert f"  {name.ljust(10)} {entry.summary}" in out
    assert (
        out.strip().splitlines()[-1]
        == "['greenhouse_ext.cli.commands', 'greenhouse_ext.cli.group']"
    )
