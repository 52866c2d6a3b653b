"""The `greenhouse` command end to end, in real processes with real kernels."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from faults import greenhouse
from notebooks import write_notebook

from greenhouse_ext.models import Run, RunStatus, now
from greenhouse_ext.store import Store

PARAMS = (
    "epochs = 3  # passes | min=1, max=100\n"
    "rate: float = 0.5\n"
    'mode: Literal["fast", "slow"] = "fast"\n'
)
BODY = (
    "from typing import Literal\n"
    "from greenhouse_ext import record\n"
    "record('score', epochs * rate)\nrecord('mode', mode)"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "train.ipynb", "from typing import Literal\n" + PARAMS, BODY)
    return tmp_path


def runs_in_store(project: Path) -> list[dict[str, object]]:
    listing = greenhouse("runs", "--json", cwd=project, check=True)
    result: list[dict[str, object]] = json.loads(listing.stdout)
    return result


def test_params_json(project: Path) -> None:
    done = greenhouse("params", "train.ipynb", "--json", cwd=project, check=True)
    data = json.loads(done.stdout)
    assert data["notebook"] == "train.ipynb"
    by_name = {p["name"]: p for p in data["parameters"]}
    assert set(by_name) == {"epochs", "rate", "mode"}
    assert by_name["epochs"] == {
        "name": "epochs",
        "type": "int",
        "default": 3,
        "help": "passes",
        "choices": None,
        "min": 1,
        "max": 100,
        "secret": False,
        "field": {
            "kind": "integer",
            "nullable": False,
            "item": None,
            "choices": None,
            "minimum": 1,
            "maximum": 100,
            "secret": False,
        },
    }
    assert by_name["mode"]["choices"] == by_name["mode"]["field"]["choices"] == ["fast", "slow"]


def test_params_table_and_missing_notebook(project: Path) -> None:
    table = greenhouse("params", "train.ipynb", cwd=project, check=True).stdout
    assert "epochs" in table and "one of" in table and "min 1" in table
    missing = greenhouse("params", "nope.ipynb", cwd=project)
    assert missing.returncode == 2
    assert "nope.ipynb" in missing.stderr


@pytest.mark.parametrize(
    ("parameters", "exit_code", "problem"),
    [
        ("epochs = 3\nrate: float = 0.5", 0, None),
        (None, 0, None),
        ("epochs = 3\nrate = (", 1, "b.ipynb: The parameters cell is not valid Python"),
        ("epochs: int = 'ten'", 1, "b.ipynb: Line 1: the default does not fit"),
        ("epochs = 3  # | min=x", 1, "b.ipynb: Line 1: option min=x of 'epochs'"),
        ("epochs = 3\nepochs = 4", 1, "b.ipynb: Line 2: 'epochs' is assigned again"),
    ],
    ids=["fine", "no-cell", "syntax", "default", "option", "twice"],
)
def test_params_check(
    project: Path, parameters: str | None, exit_code: int, problem: str | None
) -> None:
    write_notebook(project / "b.ipynb", parameters, "print(1)")
    done = greenhouse("params", "--check", "train.ipynb", "b.ipynb", cwd=project)
    assert done.returncode == exit_code, done.stderr
    without = 1 if parameters is None else 0
    malformed = 1 if problem else 0
    assert done.stdout == (
        f"2 notebook(s): {2 - malformed} fine ({without} without a parameters cell), "
        f"{malformed} with a malformed parameters cell, 0 not readable\n"
    )
    lines = done.stderr.splitlines()
    assert all(line.startswith("b.ipynb: ") for line in lines)
    assert bool(lines) is bool(problem)
    assert not problem or lines[0].startswith(problem)


def test_params_check_reads_every_file_before_exiting_2(project: Path) -> None:
    (project / "notes.ipynb").write_text("not json")
    write_notebook(project / "b.ipynb", "epochs: int = 'ten'", "print(1)")
    done = greenhouse(
        "params", "--check", "missing.ipynb", "notes.ipynb", "b.ipynb", "train.ipynb", cwd=project
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith(
        "missing.ipynb: Notebook file 'missing.ipynb' does not exist"
    )
    assert "notes.ipynb: 'notes.ipynb' is not valid notebook JSON" in done.stderr
    assert "b.ipynb: Line 1: the default does not fit" in done.stderr
    assert done.stdout.endswith("1 with a malformed parameters cell, 2 not readable\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train.ipynb", "train.ipynb"], "Give one NOTEBOOK to show its parameters, or --check"),
        (["--check", "--json", "train.ipynb"], "--check prints one line per problem"),
    ],
)
def test_params_usage_errors(project: Path, args: list[str], message: str) -> None:
    done = greenhouse("params", *args, cwd=project)
    assert done.returncode == 2
    assert message in done.stderr


def test_run_show_runs_open(project: Path) -> None:
    values = project / "values.yaml"
    values.write_text("epochs: 10\nmode: slow\n")
    done = greenhouse(
        "run", "train.ipynb", "-f", "values.yaml", "-p", "epochs", "4", "--json", cwd=project
    )
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["status"] == "succeeded"
    assert run["parameters"] == {"epochs": 4, "mode": "slow"}
    assert run["metrics"] == {"score": 2.0, "mode": "slow"}
    assert "greenhouse: cell" in done.stderr

    shown = json.loads(greenhouse("show", run["id"], "--json", cwd=project, check=True).stdout)
    assert shown == run
    prefix = greenhouse("show", run["id"][:6], cwd=project, check=True).stdout
    assert f"run {run['id']} succeeded" in prefix and "score=2" in prefix

    listed = runs_in_store(project)
    assert [r["id"] for r in listed] == [run["id"]]
    filtered = greenhouse(
        "runs", "--notebook", "train.ipynb", "--status", "failed", "--json", cwd=project
    )
    assert json.loads(filtered.stdout) == []

    path = Path(greenhouse("open", run["id"], cwd=project, check=True).stdout.strip())
    executed = json.loads(path.read_text())
    assert executed["metadata"]["papermill"]["parameters"] == {"epochs": 4, "mode": "slow"}
    source = Path(greenhouse("open", run["id"], "--source", cwd=project, check=True).stdout.strip())
    assert source.read_bytes() == (project / "train.ipynb").read_bytes()


def test_bad_values_exit_2_and_run_nothing(project: Path) -> None:
    done = greenhouse(
        "run",
        "train.ipynb",
        "-p",
        "epochs",
        "lots",
        "-p",
        "mode",
        "medium",
        "-p",
        "rat",
        "1",
        cwd=project,
    )
    assert done.returncode == 2
    for text in ("epochs", "medium", "rat", "rate", "fast"):
        assert text in done.stderr
    assert runs_in_store(project) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.ipynb"], "missing.ipynb"),
        (["run", "train.ipynb", "-f", "nope.yaml"], "nope.yaml"),
        (["run", "train.ipynb", "--timeout", "0"], "--timeout"),
        (["run", "train.ipynb", "--timeout-run", "0"], "--timeout-run"),
        (["run", "train.ipynb", "--kernel", "no-such-kernel"], "no-such-kernel"),
        (["run", "train.ipynb", "-p", "rate", "1" * 70_000], "raise it with --max-value-bytes"),
        (["show", "feedfacecafe"], "feedfacecafe"),
        (["open", "feedfacecafe"], "feedfacecafe"),
    ],
    ids=[
        "no-notebook",
        "no-values-file",
        "zero-timeout",
        "zero-timeout-run",
        "unknown-kernel",
        "value-too-large",
        "unknown-run",
        "open-unknown",
    ],
)
def test_bad_requests_exit_2(project: Path, args: list[str], message: str) -> None:
    done = greenhouse(*args, cwd=project)
    assert done.returncode == 2
    assert message in done.stderr


def test_log_output_never_shows_a_secret_written_a_character_at_a_time(tmp_path: Path) -> None:
    token = "hunter2-SECRET-value"
    drip = (
        "import sys, time\n"
        "for char in api_token:\n"
        "    sys.stdout.write(char)\n"
        "    sys.stdout.flush()\n"
        "    time.sleep(0.02)\n"
        "sys.stderr.write(api_token[:5])\n"
        "sys.stderr.flush()\n"
        "time.sleep(0.1)\n"
        "sys.stderr.write(api_token[5:] + ' on stderr')"
    )
    write_notebook(tmp_path / "drip.ipynb", 'api_token = ""  # | secret', drip)

    done = greenhouse(
        "run", "drip.ipynb", "-p", "api_token", token, "--log-output", cwd=tmp_path, check=True
    )

    assert "***" in done.stdout
    assert "*** on stderr" in done.stderr
    for stream in (done.stdout, done.stderr):
        assert "SECRET" not in stream


def test_a_store_above_the_project_is_named_once_and_none_is_found_past_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    outer = tmp_path / "outer"
    (outer / ".greenhouse").mkdir(parents=True)
    loose = outer / "analysis"
    loose.mkdir()

    first = greenhouse("runs", cwd=loose, check=True)
    again = greenhouse("runs", cwd=loose, check=True)
    assert f"using the store {outer.resolve() / '.greenhouse'}" in first.stderr
    assert "using the store" not in again.stderr

    project = outer / "project"
    (project / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    inside = greenhouse("runs", cwd=project / "sub", check=True)
    assert "using the store" not in inside.stderr
    assert (project / "sub" / ".greenhouse").is_dir()  # its own store, not the outer one


@pytest.mark.parametrize(
    "command",
    [["run", "train.ipynb"], ["sweep", "train.ipynb", "-p", "epochs", "1,2"]],
    ids=["run", "sweep"],
)
def test_a_store_given_with_a_tilde_is_the_home_folders_and_its_project_too(
    project: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("HOME", str(project))
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "train.ipynb").write_bytes((project / "train.ipynb").read_bytes())
    done = greenhouse("--store", "~/.greenhouse", *command, cwd=elsewhere, check=True)
    assert not (elsewhere / "~").exists(), done.stderr
    # Notebooks are named relative to the store's project: the home folder here.
    assert {run["notebook"] for run in runs_in_store(project)} == {"elsewhere/train.ipynb"}


def test_failed_run_exits_1_with_reason(project: Path) -> None:
    write_notebook(project / "bad.ipynb", "a = 1", "raise KeyError('missing column')")
    done = greenhouse("run", "bad.ipynb", cwd=project)
    assert done.returncode == 1
    assert "failed" in done.stdout and "KeyError" in done.stdout and "cell 2" in done.stdout
    [run] = runs_in_store(project)
    assert run["status"] == "failed"
    assert run["error"]["ename"] == "KeyError" and run["error"]["cell_index"] == 1


def test_sigint_cancels_and_keeps_partial_notebook(project: Path) -> None:
    write_notebook(
        project / "slow.ipynb",
        "a = 1",
        "print('started', flush=True)",
        "import time\ntime.sleep(120)",
    )
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "greenhouse_ext", "run", "slow.ipynb"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "cell 3/3" in line:
            break
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "cancelled" in stdout
    [run] = runs_in_store(project)
    assert run["status"] == "cancelled" and run["error"]["cell_index"] == 2
    executed = Path(greenhouse("open", run["id"], cwd=project, check=True).stdout.strip())
    assert "started" in executed.read_text()


def test_sigkill_leaves_store_consistent(project: Path) -> None:
    write_notebook(project / "slow.ipynb", "a = 1", "import time\ntime.sleep(120)")
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "greenhouse_ext", "run", "slow.ipynb"],
        cwd=project,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "cell 2/2" in line:
            break
    proc.kill()
    proc.wait(timeout=30)
    [run] = runs_in_store(project)
    shown = json.loads(greenhouse("show", run["id"], "--json", cwd=project, check=True).stdout)
    assert run["status"] == shown["status"] == "running", "reading changed the record"
    checked = greenhouse("runs", "--json", "--check-orphans", cwd=project, check=True)
    [run] = json.loads(checked.stdout)
    assert run["status"] == "interrupted"
    assert f"run {run['id']} lost its process: now interrupted" in checked.stderr
    store = project / ".greenhouse"
    with sqlite3.connect(store / "index.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        records = [json.loads(r) for (r,) in db.execute("SELECT record FROM runs")]
    for record in records:
        for digest in (record["source_object"], record["output_object"]):
            assert digest is None or (store / "objects" / digest[:2] / digest[2:]).is_file()
    again = greenhouse("run", "train.ipynb", "--json", cwd=project)
    assert again.returncode == 0, again.stderr


def test_eight_concurrent_runs_are_all_recorded(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "greenhouse_ext", "run", "train.ipynb", "-p", "epochs", str(i)],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(1, 9)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    runs = runs_in_store(project)
    assert len(runs) == 8
    assert {r["status"] for r in runs} == {"succeeded"}
    assert sorted(r["parameters"]["epochs"] for r in runs) == list(range(1, 9))


def test_papermill_cli_with_greenhouse_engine_records_a_run(project: Path) -> None:
    papermill = Path(sys.executable).parent / "papermill"
    done = subprocess.run(
        [str(papermill), "--engine", "greenhouse", "train.ipynb", "out.ipynb", "-p", "epochs", "7"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [run] = runs_in_store(project)
    assert run["status"] == "succeeded"
    assert run["parameters"] == {"epochs": 7}
    assert run["metrics"]["score"] == 3.5
    assert (project / "out.ipynb").is_file()


def test_help_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("params", "run", "show", "runs", "open"):
        assert command in done.stdout


def test_a_run_under_the_id_of_a_finished_run_is_refused(project: Path) -> None:
    store = Store(project / ".greenhouse")
    cancelled = Run(
        id="done00000001",
        notebook="train.ipynb",
        status=RunStatus.CANCELLED,
        parameters={},
        created_at=now(),
    )
    store.save_run(cancelled)

    done = greenhouse("run", "train.ipynb", "--run-id", cancelled.id, cwd=project)

    assert done.returncode == 2
    assert f"Run {cancelled.id} is cancelled already: it is not started" in done.stderr
    assert store.get_run(cancelled.id).to_dict() == cancelled.to_dict()


def test_runs_are_listed_with_their_user_and_filtered_by_it(
    project: Path, seed_run: Callable[..., Run]
) -> None:
    store = Store(project / ".greenhouse")
    theirs = seed_run(store, project / "train.ipynb")
    assert theirs.provenance is not None
    mine = dataclasses.replace(
        theirs,
        id="a11ce0000001",
        created_at=now(),
        provenance=dataclasses.replace(theirs.provenance, user="alice"),
    )
    store.save_run(mine)

    only = json.loads(
        greenhouse("runs", "--user", "alice", "--json", cwd=project, check=True).stdout
    )
    assert [(r["id"], r["user"]) for r in only] == [(mine.id, "alice")]
    table = greenhouse("runs", cwd=project, check=True).stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "STATUS", "USER"]
    assert [line.split()[2] for line in table[1:]] == ["alice", "tester"]
    nobody = greenhouse("runs", "--user", "nobody", "--json", cwd=project, check=True)
    assert json.loads(nobody.stdout) == []
