"""The ``greenhouse`` command group, its error translation, and the options and output
helpers its commands share."""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import GreenhouseError, InvalidInput
from ..parameters import DEFAULT_MAX_VALUE_BYTES, ValueLimit
from .commands import COMMANDS

if TYPE_CHECKING:
    from ..models import ParameterSet
    from ..store import Store

MAX_VALUE_BYTES_ENV = "GREENHOUSE_MAX_VALUE_BYTES"
Command = TypeVar("Command", bound=Callable[..., Any])


class GreenhouseGroup(click.Group):
    """Translates greenhouse errors into a message and an exit code, once for every command.

    Its commands are those of :data:`COMMANDS`: a command's module is imported when the
    command is looked up, and the listing in ``--help`` is the table's summaries.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is not None and cmd_name not in self.commands:
            importlib.import_module(f"{__package__}.{entry.module}")
        return super().get_command(ctx, cmd_name)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        entry = COMMANDS.get(name or cmd.name or "")
        if entry is not None:
            cmd.short_help = entry.summary
        super().add_command(cmd, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, entry.summary) for name, entry in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # The command line as given, for messages about it (see `ParameterOption.explain`).
        ctx.meta["greenhouse.args"] = list(args)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.BadOptionUsage as exc:
            raise ParameterOption.explain(self, ctx, exc) from None
        except GreenhouseError as exc:
            click.echo(f"error: {exc.message}", err=True)
            for problem in exc.problems:
                if problem not in exc.message:
                    click.echo(f"  - {problem}", err=True)
            ctx.exit(exc.exit_code)


class ParameterOption(click.Option):
    """``-p NAME VALUE``: two words, and a mistake such as ``-p epochs=10`` says so.

    ``example`` is a value shown in the right form (``10``, or ``10,20`` for a sweep).
    """

    def __init__(self, *args: Any, example: str, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "nargs": 2, "multiple": True})
        self.example = example

    def right_form(self, given: str | None = None) -> str:
        """How to write the option: with the name and value of ``NAME=VALUE`` when given."""
        if given is None:
            return f"write -p NAME VALUE, two words (e.g. -p epochs {self.example})"
        name, _, value = given.partition("=")
        return f"write -p {name} {value or self.example} (NAME and VALUE as two words)"

    def type_cast_value(self, ctx: click.Context, value: Any) -> Any:
        for name, _ in value or ():
            if "=" in name:
                raise click.BadParameter(f"{self.right_form(name)}, not -p {name}", ctx, self)
        return super().type_cast_value(ctx, value)

    @classmethod
    def explain(
        cls, group: click.Group, ctx: click.Context, exc: click.BadOptionUsage
    ) -> click.BadOptionUsage:
        """``exc`` saying the right form when it is about a ``-p`` missing its VALUE."""
        command = group.get_command(ctx, ctx.invoked_subcommand or "")
        option = next(
            (
                p
                for p in (command.params if command is not None else [])
                if isinstance(p, cls) and exc.option_name in p.opts
            ),
            None,
        )
        if option is None:
            return exc
        args = ctx.meta.get("greenhouse.args") or [""]
        given = args[-1] if "=" in args[-1] else None
        shown = f", not -p {given}" if given else ""
        return click.BadOptionUsage(
            exc.option_name, f"{exc.message.rstrip('.')}: {option.right_form(given)}{shown}"
        )


@dataclass(frozen=True)
class ExecutionOptions:
    """The options of every command that executes a notebook (`run`, `sweep`)."""

    parameters: tuple[tuple[str, str], ...]
    files: tuple[str, ...]
    inputs: tuple[str, ...]
    kernel: str | None
    kernel_start: str | None
    timeout: float | None
    timeout_run: float | None
    max_value_bytes: int
    log_output: bool
    strict: bool

    def file_values(self) -> dict[str, Any]:
        """The values of the ``-f`` files, later files winning."""
        values: dict[str, Any] = {}
        for path in self.files:
            values.update(_read_values_file(path))
        return values

    @property
    def value_limit(self) -> ValueLimit:
        return ValueLimit(self.max_value_bytes, f"--max-value-bytes (or ${MAX_VALUE_BYTES_ENV})")

    def use_kernel_start(self) -> None:
        """Make ``--kernel-start`` (else the environment's mode) this process's and its
        workers' way of starting kernels; InvalidInput for an unknown mode."""
        from ..execution import kernels

        if self.kernel_start is not None:
            os.environ[kernels.KERNEL_START_ENV] = self.kernel_start
        kernels.kernel_start_mode()

    def check_cell(self, spec: ParameterSet) -> None:
        """Warn of the parameters cell's problems on stderr; refuse them with ``--strict``.

        Raises
        ------
        InvalidInput
            With ``--strict``, when `greenhouse params --check` would find problems.
        """
        if not spec.warnings:
            return
        problems = [f"{spec.notebook}: {warning}" for warning in spec.warnings]
        if self.strict:
            raise InvalidInput(
                f"The parameters cell of {spec.notebook} has {len(problems)} problem(s), "
                "refused under --strict (`greenhouse params --check` lists them)",
                problems,
            )
        for problem in problems:
            click.echo(f"warning: {problem}", err=True)


def _read_values_file(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle) if path.endswith(".json") else yaml.safe_load(handle)
    except OSError as exc:
        raise InvalidInput(f"Cannot read parameters file {path!r}: {exc.strerror}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(f"Parameters file {path!r} is not valid JSON/YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput(
            f"Parameters file {path!r} must hold a mapping of names to values, "
            f"not a {type(data).__name__}"
        )
    return data


timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Fail a run when one cell runs longer than this (seconds).",
)
timeout_run_option = click.option(
    "--timeout-run",
    type=click.FloatRange(min=0, min_open=True),
    help="Fail a run when the whole of it (kernel start included) takes longer than "
    "this (seconds); its kernel is stopped and the notebook so far kept.",
)
kernel_option = click.option("--kernel", help="Kernel to use (default: the notebook's own).")
against_option = click.option(
    "--against", metavar="REF", help="The reference for --max-drop and --max-rise."
)
max_drop_option = click.option(
    "--max-drop",
    multiple=True,
    metavar="NAME=AMOUNT[%]",
    help="How much NAME may fall below its --against value: absolute, or % of that value.",
)
max_rise_option = click.option(
    "--max-rise",
    multiple=True,
    metavar="NAME=AMOUNT[%]",
    help="How much NAME may rise above its --against value (for losses and errors).",
)


def execution_options(
    parameter_metavar: str, parameter_help: str, example: str
) -> Callable[[Command], Command]:
    """Add the options of `ExecutionOptions` to a command, handed to it as ``execution``.

    ``-p`` is told by ``parameter_metavar`` and ``parameter_help`` (one value for a run,
    several for a sweep), with ``example`` shown in the right form when it is misused.
    """
    options = [
        click.option(
            "-p",
            "--parameter",
            "parameters",
            cls=ParameterOption,
            example=example,
            metavar=parameter_metavar,
            help=parameter_help,
        ),
        click.option(
            "-f",
            "--parameters-file",
            "files",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="A YAML or JSON file of parameter values (repeatable; later wins, -p wins "
            "over all).",
        ),
        click.option(
            "--input",
            "inputs",
            multiple=True,
            help="A data file the run reads (repeatable); its sha256 is recorded. Relative "
            "to the notebook's folder. A version's own inputs are read again anyway.",
        ),
        timeout_option,
        timeout_run_option,
        kernel_option,
        click.option(
            "--kernel-start",
            type=click.Choice(["fork", "plain"]),
            help="fork: fresh kernels forked from a server that has imported ipykernel "
            "(default); plain: start each kernel the ordinary way. Also "
            "$GREENHOUSE_KERNEL_START.",
        ),
        click.option(
            "--max-value-bytes",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_VALUE_BYTES,
            show_default=True,
            envvar=MAX_VALUE_BYTES_ENV,
            help=f"The largest parameter value accepted, in bytes (also ${MAX_VALUE_BYTES_ENV}).",
        ),
        click.option(
            "--log-output",
            is_flag=True,
            help="Copy the cells' stdout and stderr to this terminal.",
        ),
        click.option(
            "--strict",
            is_flag=True,
            help="Refuse (exit 2) a notebook whose parameters cell has problems that "
            "`greenhouse params --check` finds; without it they are warnings on stderr and "
            "the run goes on.",
        ),
    ]
    names = [f.name for f in fields(ExecutionOptions)]

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def with_options(*args: Any, **kwargs: Any) -> Any:
            execution = ExecutionOptions(**{name: kwargs.pop(name) for name in names})
            return command(*args, execution=execution, **kwargs)

        decorated: Any = with_options
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate


@click.group(cls=GreenhouseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    envvar="GREENHOUSE_STORE",
    type=click.Path(file_okay=False),
    help="The store folder (default: the nearest .greenhouse/ upwards, else ./.greenhouse).",
)
@click.option(
    "--local",
    is_flag=True,
    envvar="GREENHOUSE_LOCAL",
    help="Use the project's own .greenhouse store even where greenhouse.toml names a team "
    "store (also $GREENHOUSE_LOCAL=1).",
)
@click.version_option(package_name="greenhouse_ext", prog_name="greenhouse")
@click.pass_context
def cli(ctx: click.Context, store: str | None, local: bool) -> None:
    """Run notebooks reproducibly, with validated parameters and a full record of each run."""
    ctx.obj = {"store": store, "local": local}


def open_store(ctx: click.Context, *, reading: bool = False) -> Store:
    """The store named by ``--store`` / ``$GREENHOUSE_STORE``, or found from the cwd.

    Its index and objects are the team store's where the project's ``greenhouse.toml``
    names one, unless ``--local`` is given. A store found above the working folder with
    no git work tree to say that it is the project's own is named on stderr, the first
    time it is used from that folder. A command that only reads gives ``reading``: a
    folder's own store is then read without importing SQLAlchemy (see
    :mod:`greenhouse_ext.store.reading`).
    """
    if reading:
        from ..store.reading import open_for_reading

        return open_for_reading(store_root(ctx), ctx.obj["local"])
    from ..store import Store

    return Store.open(store_root(ctx), local=ctx.obj["local"])


def store_root(ctx: click.Context) -> Path:
    """The folder of the store named by ``--store`` / ``$GREENHOUSE_STORE``, or found.

    Every command resolves its store here, once: ``~`` is expanded, the path made
    absolute, and a store found above the working folder is named on stderr.
    """
    from ..store import find_store_root

    if "root" not in ctx.obj:
        if ctx.obj["store"]:
            ctx.obj["root"] = Path(ctx.obj["store"]).expanduser().resolve()
        else:
            ctx.obj["root"] = find_store_root()
            _announce_if_outside(ctx.obj["root"])
    root: Path = ctx.obj["root"]
    return root


def _announce_if_outside(root: Path) -> None:
    here = Path.cwd().resolve()
    if root.parent == here or (root.parent / ".git").exists():
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    memo = cache / "greenhouse" / "stores-announced"
    entry = f"{here}\t{root}"
    with contextlib.suppress(OSError):
        if entry in memo.read_text().splitlines():
            return
    click.echo(
        f"greenhouse: using the store {root}, found above this folder and outside any git "
        "work tree; give --store or $GREENHOUSE_STORE to use another",
        err=True,
    )
    with contextlib.suppress(OSError):
        memo.parent.mkdir(parents=True, exist_ok=True)
        with memo.open("a") as handle:
            handle.write(entry + "\n")


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows as left-aligned columns under a header."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
