"""Every command takes every reference form, and says the same things about bad ones.

The store is made once for the module by real `greenhouse run`, `sweep` and `publish`
processes; the commands under test then run in this process (click's runner), which keeps
the table of every command and every form fast.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from notebooks import write_notebook

from greenhouse_ext.cli import cli
from greenhouse_ext.models import MIN_PREFIX

A, B, C, D = "aaaa00000001", "bbbb00000002", "bbbbc0000003", "dddd00000004"
SWEEP = "5eed00000001"
# Run forms: the run each names and the label a comparison gives it.
RUN_FORMS = {
    "id": (B, B, f"run {B}"),
    "prefix": (B[:5], B, f"run {B}"),
    "NAME@N": ("linefit@1", A, "linefit@1"),
    "NAME@ALIAS": ("linefit@production", A, "linefit@1"),
    "NAME": ("linefit", B, "linefit@2"),
}
# Version forms: the version each names (a published run means its version).
VERSION_FORMS = {
    "NAME@N": ("linefit@1", "linefit@1"),
    "NAME@ALIAS": ("linefit@production", "linefit@1"),
    "NAME": ("linefit", "linefit@2"),
    "run id": (D, "solo@1"),
    "run prefix": (D[:5], "solo@1"),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Runs A, B, C, D; linefit@1 (production) from A, linefit@2 from B, other@1 and @2
    from C, solo@1 from D; a sweep of two runs. Made by the real commands, once."""
    folder = tmp_path_factory.mktemp("refs")
    (folder / ".greenhouse").mkdir()
    write_notebook(
        folder / "linefit.ipynb",
        "x = 1",
        "from greenhouse_ext import record",
        "record('score', x * 2.0)",
    )
    with working_in(folder) as run:
        for run_id, x in ((A, "1"), (B, "2"), (C, "3"), (D, "4")):
            ok(run("run", "linefit.ipynb", "-p", "x", x, "--run-id", run_id))
        ok(run("sweep", "linefit.ipynb", "-p", "x", "5,6", "--sweep-id", SWEEP))
        for run_id, name, *extra in (
            (A, "linefit", "--alias", "production"),
            (B, "linefit"),
            (C, "other"),
            (C, "other"),
            (D, "solo"),
        ):
            ok(run("publish", run_id, "--name", name, *extra))
    yield folder


@contextmanager
def working_in(folder: Path) -> Iterator[Callable[..., Result]]:
    """Run greenhouse commands in this process, in ``folder``."""
    here = Path.cwd()
    os.chdir(folder)
    runner = CliRunner()
    try:
        yield lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(here)


@pytest.fixture
def invoke(project: Path) -> Iterator[Callable[..., Result]]:
    with working_in(project) as run:
        yield run


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


PUBLISHED = {A: "linefit@1", B: "linefit@2", D: "solo@1"}
# Each command that wants a run: what it answers for a reference, as (run id, label).
RUN_COMMANDS: dict[str, Callable[[Callable[..., Result], str, Path], tuple[str, str]]] = {
    "show": lambda run, ref, _: (as_json(run("show", ref, "--json"))["id"], ""),
    "open": lambda run, ref, _: (Path(ok(run("open", ref)).strip()).name.split(".")[0], ""),
    "publish": lambda run, ref, _: (
        as_json(run("publish", ref, "--name", f"copy-{abs(hash(ref))}", "--json"))["run_id"],
        "",
    ),
    "diff": lambda run, ref, _: ("", as_json(run("diff", ref, "linefit.ipynb", "--json"))["a"]),
    "check --against": lambda run, ref, _: (
        "",
        as_json(run("check", ref, "--against", ref, "--max-drop", "score=0", "--json"))["against"],
    ),
    "reproduce": lambda run, ref, _: (as_json(run("reproduce", ref, "--json"))["run_id"], ""),
}


@pytest.mark.parametrize("form", RUN_FORMS)
@pytest.mark.parametrize("command", RUN_COMMANDS)
def test_every_run_command_takes_every_form(
    invoke: Callable[..., Result], project: Path, command: str, form: str
) -> None:
    ref, run_id, label = RUN_FORMS[form]
    got_id, got_label = RUN_COMMANDS[command](invoke, ref, project)
    assert got_id in ("", run_id)
    assert got_label in ("", label)
    assert (got_id or got_label) != ""


VERSION_COMMANDS: dict[str, Callable[[Callable[..., Result], str, Path], str]] = {
    "verify": lambda run, ref, _: as_json(run("verify", ref, "--json"))["ref"],
    "get": lambda run, ref, tmp: PUBLISHED[
        json.loads(
            next(
                Path(line)
                for line in ok(run("get", ref, "--out", str(tmp / "out"))).splitlines()
                if line.endswith("manifest.json")
            ).read_text()
        )["run"]["id"]
    ],
    "alias": lambda run, ref, _: ok(run("alias", ref, "latest")).split(" -> ")[1].split()[0],
    "push --to": lambda run, ref, tmp: "@".join(
        ok(run("push", ref, "--to", (tmp / "copies").as_uri())).strip().split("/")[-2:]
    ),
}


@pytest.mark.parametrize("form", VERSION_FORMS)
@pytest.mark.parametrize("command", VERSION_COMMANDS)
def test_every_version_command_takes_every_form(
    invoke: Callable[..., Result], tmp_path: Path, command: str, form: str
) -> None:
    ref, version = VERSION_FORMS[form]
    assert VERSION_COMMANDS[command](invoke, ref, tmp_path) == version


@pytest.mark.parametrize("ref", [SWEEP, SWEEP[:6]])
@pytest.mark.parametrize("command", [("runs", "--sweep"), ("diff", "--sweep")])
def test_sweep_commands_take_an_id_or_prefix(
    invoke: Callable[..., Result], command: tuple[str, str], ref: str
) -> None:
    answer = as_json(invoke(*command, ref, "--json"))
    runs = answer if isinstance(answer, list) else answer["runs"]
    assert len(runs) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "bbbb"], f"Run id prefix 'bbbb' is ambiguous: it matches {B}, {C}; give more"),
        (["open", "bb"], f"Run id prefix 'bb' is too short: give at least {MIN_PREFIX} characters"),
        (["publish", "aa", "--name", "x"], f"at least {MIN_PREFIX} characters"),
        (["show", "linfit@1"], "Nothing is published as 'linfit'; did you mean linefit?"),
        (
            ["verify", "linfit@production"],
            "Nothing is published as 'linfit'; did you mean linefit?",
        ),
        (["get", "linfit", "--out", "x"], "did you mean linefit?"),
        (["alias", "lnefit@1", "x"], "did you mean linefit?"),
        (["versions", "linefti"], "did you mean linefit?"),
        (["history", "linefti"], "did you mean linefit?"),
        (["show", "linfit"], "'linfit' is not a run or a published name"),
        (["show", "linfit"], "did you mean linefit?"),
        (["verify", C], f"Run {C} is published as several versions (other@1, other@2): give one"),
        (["verify", A[:6] + "ff"], "Nothing is published as"),
        (["verify", "linefit@7"], "'linefit' has no version 7"),
        (["diff", "linefti.ipynb", "linefit.ipynb"], "does not exist; did you mean linefit.ipynb?"),
        (["check", "lnefit.ipynb", "--metric", "score>0"], "did you mean linefit.ipynb?"),
        (["run", "lienfit.ipynb"], "did you mean linefit.ipynb?"),
        (["params", "linefit.ipnb"], "linefit.ipnb"),
        (["runs", "--sweep", "5e"], f"at least {MIN_PREFIX} characters"),
        (["runs", "--sweep", "ffff"], "No sweep 'ffff'"),
        (["diff", "--sweep", "ffff"], "No sweep 'ffff'"),
        (["runs", "--notebook", "lnefit.ipynb"], "did you mean linefit.ipynb?"),
        (["reproduce", "bbbb"], "ambiguous"),
    ],
)
def test_bad_references_say_what_is_right(
    invoke: Callable[..., Result], args: list[str], message: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_runs_notebook_is_relative_to_the_working_directory(
    invoke: Callable[..., Result], project: Path
) -> None:
    (project / "sub").mkdir(exist_ok=True)
    os.chdir(project / "sub")
    listed = as_json(invoke("runs", "--notebook", "../linefit.ipynb", "--json", "--limit", "100"))
    assert {r["id"] for r in listed} >= {A, B, C}
    wrong = invoke("runs", "--notebook", "linefit.ipynb")
    assert wrong.exit_code == 2
    assert "paths are relative to the working directory; give ../linefit.ipynb" in wrong.output
