"""Options that line up: what `run` and `sweep` share, their messages, --strict, kernels,
the store's index URL and the count of a version's files, in real processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from notebooks import write_notebook

PARAMS = "rate: float = 0.5\nlabel = 'a'"
BODY = (
    "from greenhouse_ext import record\n"
    "print('said by the cell', label)\n"
    "record('score', rate * 10)\n"
    "record_file = None"
)
TYPED_CELL = "rate: float = 0.5  # | min=0, max=1\nlabel = 'a'"
BAD_CELL = "rate: float = 0.5\nepochs: int = 'ten'\nlabel = 'a'  # | mni=0\na, b = 1, 2"
SHARED = (
    "-p",
    "-f",
    "--input",
    "--timeout",
    "--timeout-run",
    "--kernel",
    "--kernel-start",
    "--max-value-bytes",
    "--log-output",
    "--strict",
)


def greenhouse(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI in ``cwd`` with the store it finds there, and ``env`` added."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GREENHOUSE_")}
    return subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        env={**environment, **(env or {})},
        check=False,
    )


def listed(project: Path, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    done = greenhouse("runs", "--json", "--limit", "100", cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store for the module: notebooks plain, typed, with a bad cell, naming no kernel."""
    root = tmp_path_factory.mktemp("options")
    (root / ".greenhouse").mkdir()
    write_notebook(root / "score.ipynb", PARAMS, BODY)
    write_notebook(root / "bad.ipynb", BAD_CELL, BODY)
    write_notebook(root / "typed.ipynb", TYPED_CELL, BODY)
    nb = json.loads(write_notebook(root / "nokernel.ipynb", PARAMS, BODY).read_text())
    del nb["metadata"]["kernelspec"]
    (root / "nokernel.ipynb").write_text(json.dumps(nb))
    (root / "values.yaml").write_text("rate: 0.25\nlabel: from-file\n")
    (root / "data.csv").write_text("x,y\n1,2\n")
    return root


@pytest.mark.parametrize("command", ["run", "sweep"])
@pytest.mark.parametrize("option", SHARED)
def test_run_and_sweep_take_the_same_options(project: Path, command: str, option: str) -> None:
    shown = greenhouse(command, "--help", cwd=project)
    assert shown.returncode == 0
    assert re.search(rf"(^|[\s,]){re.escape(option)}[\s,]", shown.stdout), shown.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["run", "score.ipynb", "-p", "rate=0.1"],
            "Option '-p' requires 2 arguments: write -p rate 0.1 (NAME and VALUE as two "
            "words), not -p rate=0.1",
        ),
        (
            ["run", "-p", "rate=0.1", "score.ipynb"],
            "Invalid value for '-p' / '--parameter': write -p rate 0.1 (NAME and VALUE as two "
            "words), not -p rate=0.1",
        ),
        (
            ["run", "score.ipynb", "-p", "rate=0.1", "-p", "label", "b"],
            "write -p rate 0.1 (NAME and VALUE as two words), not -p rate=0.1",
        ),
        (
            ["run", "score.ipynb", "-p", "rate"],
            "Option '-p' requires 2 arguments: write -p NAME VALUE, two words (e.g. -p epochs 10)",
        ),
        (
            ["sweep", "score.ipynb", "-p", "rate=0.1,0.2"],
            "write -p rate 0.1,0.2 (NAME and VALUE as two words), not -p rate=0.1,0.2",
        ),
        (
            ["sweep", "score.ipynb", "-p", "rate"],
            "write -p NAME VALUE, two words (e.g. -p epochs 10,20)",
        ),
    ],
    ids=["run-last", "run-first", "run-then-another", "run-no-value", "sweep", "sweep-no-value"],
)
def test_a_misused_p_says_the_right_form(project: Path, args: list[str], said: str) -> None:
    done = greenhouse(*args, cwd=project)
    assert done.returncode == 2
    assert said in done.stderr, done.stderr


def test_sweep_takes_files_inputs_limits_kernels_and_log_output(project: Path) -> None:
    before = {r["id"] for r in listed(project)}
    done = greenhouse(
        "sweep", "score.ipynb", "-p", "rate", "0.1,0.2", "-f", "values.yaml",
        "--input", "data.csv", "--kernel", "python3", "--kernel-start", "plain",
        "--max-value-bytes", "100", "--log-output", "--workers", "1", cwd=project,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("said by the cell from-file") == 2
    runs = [r for r in listed(project) if r["id"] not in before]
    assert sorted((r["parameters"]["rate"], r["parameters"]["label"]) for r in runs) == [
        (0.1, "from-file"),
        (0.2, "from-file"),
    ]
    for run in runs:
        record = json.loads(greenhouse("show", run["id"], "--json", cwd=project).stdout)
        assert [i["path"] for i in record["provenance"]["inputs"]] == ["data.csv"]
        assert record["provenance"]["kernel"] == "python3"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-p", "label", "x" * 50, "--max-value-bytes", "10"], "--max-value-bytes"),
        (["-p", "rate", "0.1", "--kernel", "nokernel"], "No kernel named 'nokernel'"),
        (["-p", "rate", "0.1", "--kernel-start", "spawn"], "'spawn' is not one of"),
        (["-p", "rate", "0.1", "--input", "missing.csv"], "missing.csv"),
        (["-p", "rate", "0.1", "-f", "missing.yaml"], "missing.yaml"),
    ],
    ids=["value-limit", "kernel", "kernel-start", "input", "file"],
)
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_bad_execution_options_exit_2_and_record_nothing(
    project: Path, command: str, args: list[str], said: str
) -> None:
    before = listed(project)
    done = greenhouse(command, "score.ipynb", *args, cwd=project)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert listed(project) == before


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_strict_refuses_a_bad_parameters_cell(project: Path, command: str) -> None:
    before = listed(project)
    done = greenhouse(command, "bad.ipynb", "-p", "rate", "0.1", "--strict", cwd=project)
    assert done.returncode == 2
    assert "refused under --strict" in done.stderr
    for problem in (
        "Line 2: the default does not fit",
        "Line 3: unknown option 'mni=0'",
        "Line 4: tuple",
    ):
        assert f"  - bad.ipynb: {problem}" in done.stderr
    assert listed(project) == before


def test_without_strict_a_bad_parameters_cell_is_warned_of(project: Path) -> None:
    done = greenhouse("run", "bad.ipynb", "-p", "rate", "0.1", cwd=project)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3
    assert warnings[1].startswith("warning: bad.ipynb: Line 3: unknown option 'mni=0'")


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_notebook_naming_no_kernel_exits_2_naming_kernel(project: Path, command: str) -> None:
    before = listed(project)
    done = greenhouse(command, "nokernel.ipynb", "-p", "rate", "0.1", cwd=project)
    assert done.returncode == 2
    assert "'nokernel.ipynb' names no kernel (its metadata has no kernelspec)" in done.stderr
    assert "--kernel NAME (installed: " in done.stderr and "python3" in done.stderr
    assert listed(project) == before


def test_a_notebook_naming_no_kernel_runs_with_kernel(project: Path) -> None:
    done = greenhouse(
        "run", "nokernel.ipynb", "--kernel", "python3", "--kernel-start", "plain", cwd=project
    )
    assert done.returncode == 0, done.stderr


def test_store_info_prints_an_index_url_that_works_given_back(project: Path) -> None:
    info = json.loads(greenhouse("store", "info", "--json", cwd=project).stdout)
    assert info["index"] == f"sqlite:///{project / '.greenhouse' / 'index.sqlite'}"
    text = greenhouse("store", "info", cwd=project).stdout
    assert f"index      {info['index']} (sqlite)" in text
    elsewhere = project / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    env = {"GREENHOUSE_INDEX_URL": info["index"]}
    assert listed(elsewhere, env) == listed(project)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "sqlite://tmp/index.sqlite",
            "an SQLite URL names no host: the path follows three slashes",
        ),
        ("nonsense", "it is not a database URL"),
        ("mysql://u@h/db", "the database 'mysql' is not supported"),
        ("postgresql+nodriver://u@h/db", "its driver is unknown"),
    ],
)
@pytest.mark.parametrize("command", [["runs"], ["store", "info"]])
def test_a_malformed_index_url_exits_2_with_the_expected_form(
    project: Path, url: str, problem: str, command: list[str]
) -> None:
    done = greenhouse(*command, cwd=project, env={"GREENHOUSE_INDEX_URL": url})
    assert done.returncode == 2
    assert f"The index URL {url!r} in $GREENHOUSE_INDEX_URL is malformed ({problem})" in done.stderr
    assert "expected sqlite:////ABSOLUTE/PATH/index.sqlite" in done.stderr
    assert "Traceback" not in done.stderr


def test_publish_and_verify_count_the_manifest_files_alike(project: Path) -> None:
    done = greenhouse("run", "score.ipynb", "--json", "--kernel-start", "plain", cwd=project)
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["id"]
    published = greenhouse("publish", run_id, "--name", "score", cwd=project)
    assert published.returncode == 0, published.stderr
    count = re.search(r"\((\d+) files\)", published.stdout)
    assert count is not None, published.stdout
    version = json.loads(greenhouse("versions", "score", "--json", cwd=project).stdout)[-1]
    assert int(count.group(1)) == len(version["files"])
    verified = greenhouse("verify", f"score@{version['number']}", cwd=project)
    assert verified.stdout == (
        f"score@{version['number']} intact: {count.group(1)} files match the manifest\n"
    )


def commands() -> list[str]:
    import click

    from greenhouse_ext.cli import cli

    def walk(group: click.Group, prefix: str) -> list[str]:
        found = []
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                found += walk(command, f"{prefix}{name} ")
            else:
                found.append(f"{prefix}{name}")
        return found

    return walk(cli, "")


@pytest.mark.parametrize("command", commands())
def test_every_command_has_json(command: str) -> None:
    from greenhouse_ext.cli import cli

    found: Any = cli
    for name in command.split():
        found = found.commands[name]
    assert any("--json" in p.opts for p in found.params)


def test_alias_get_open_and_upgrade_print_json(project: Path) -> None:
    done = greenhouse("run", "score.ipynb", "--json", "--kernel-start", "plain", cwd=project)
    run_id = json.loads(done.stdout)["id"]
    version = json.loads(
        greenhouse("publish", run_id, "--name", "js", "--json", cwd=project).stdout
    )
    alias = json.loads(greenhouse("alias", "js@1", "prod", "--json", cwd=project).stdout)
    assert alias["change"]["alias"] == "prod" and alias["change"]["action"] == "set"
    assert alias["version"]["aliases"] == ["prod"]
    assert alias["version"]["manifest_sha256"] == version["manifest_sha256"]
    got = json.loads(greenhouse("get", "js@prod", "--out", "out", "--json", cwd=project).stdout)
    assert got["ref"] == "js@prod" and got["out"] == "out"
    assert sorted(got["files"]) == sorted(
        [f"out/{f['path']}" for f in version["files"]] + ["out/manifest.json"]
    )
    opened = json.loads(greenhouse("open", run_id, "--source", "--json", cwd=project).stdout)
    assert opened["run"] == run_id and opened["source"] is True
    assert Path(opened["path"]).read_bytes() == (project / "score.ipynb").read_bytes()
    upgraded = json.loads(greenhouse("store", "upgrade", "--json", cwd=project).stdout)
    assert upgraded["upgraded"] is False and upgraded["before"] == upgraded["after"]
    assert upgraded["store"] == str(project / ".greenhouse")


@pytest.mark.parametrize(
    ("engine", "notebook", "said", "unsaid"),
    [
        (
            "greenhouse",
            "typed.ipynb",
            ["Passed unknown parameter: nosuch", "greenhouse: recorded run "],
            ["Unable to parse line", "Passed unknown parameter: rate"],
        ),
        (
            "greenhouse",
            "bad.ipynb",
            ["greenhouse: warning: bad.ipynb: Line 3: unknown option 'mni=0'"],
            ["Unable to parse line"],
        ),
        (
            "nbclient",
            "typed.ipynb",
            ["Unable to parse line 1", "Passed unknown parameter: rate"],
            ["greenhouse:"],
        ),
    ],
    ids=["greenhouse", "greenhouse-bad-cell", "papermills-own"],
)
def test_papermill_engine_keeps_only_warnings_that_matter(
    project: Path, engine: str, notebook: str, said: list[str], unsaid: list[str]
) -> None:
    write_notebook(
        project / "typed.ipynb", "rate: float = 0.5  # | min=0, max=1\nlabel = 'a'", BODY
    )
    papermill = Path(sys.executable).parent / "papermill"
    done = subprocess.run(
        [
            str(papermill), "--engine", engine, "--no-progress-bar", notebook, "out.ipynb",
            "-p", "rate", "0.1", "-p", "nosuch", "1",
        ],
        cwd=project, capture_output=True, text=True, timeout=180, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("GREENHOUSE_")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for text in said:
        assert text in done.stderr, done.stderr
    for text in unsaid:
        assert text not in done.stderr, done.stderr
    recorded = re.search(r"greenhouse: recorded run (\w+) \(succeeded\)", done.stderr)
    if engine == "greenhouse":
        assert recorded is not None
        shown = greenhouse("show", recorded.group(1), "--json", cwd=project)
        assert json.loads(shown.stdout)["parameters"]["rate"] == 0.1
