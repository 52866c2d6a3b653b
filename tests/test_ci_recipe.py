"""The CI recipe in examples/ci: the workflow's steps, run here by its local script, and the
pre-commit hook this repository defines, run by pre-commit itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from notebooks import write_notebook
from published import flip_byte

from greenhouse_ext.artefacts.report import network_references
from greenhouse_ext.notebook_api import read_metrics

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / "examples" / "ci" / "greenhouse.yml"
STEPS = ["papermill", "run", "check", "publish", "report"]
LEFT_BEHIND = shutil.ignore_patterns(
    ".greenhouse", "published", "outputs", ".ipynb_checkpoints", "*.out.ipynb"
)


def tools_first() -> dict[str, str]:
    """This environment, with its interpreter's scripts (greenhouse, papermill) first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENHOUSE_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """What the workflow checks out: the repository's examples (as committed), no store."""
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=LEFT_BEHIND)
    return tmp_path


def pipeline(checkout: Path, *steps: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run examples/ci/pipeline.sh with the workflow's settings, the store in the checkout."""
    env = {**tools_first(), **{k: str(v) for k, v in workflow()["env"].items()}}
    env.update(GREENHOUSE_STORE=str(checkout / ".greenhouse"), **settings)
    return subprocess.run(
        ["bash", "examples/ci/pipeline.sh", *steps],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def greenhouse_json(checkout: Path, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "--store", str(checkout / ".greenhouse"), *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_workflow_runs_the_script_steps_on_push_and_schedule() -> None:
    flow = workflow()
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads the key `on` as true
    assert "push" in triggers
    assert triggers["schedule"][0]["cron"]
    steps = flow["jobs"]["notebook"]["steps"]
    calls = {
        step["run"].split()[1]: step
        for step in steps
        if step.get("run", "").startswith("examples/ci/pipeline.sh ")
    }
    assert list(calls) == STEPS
    # Plain papermill runs the notebook before greenhouse is installed.
    installs = [i for i, s in enumerate(steps) if "pip install" in s.get("run", "")]
    greenhouse = next(i for i in installs if "greenhouse_ext" in steps[i]["run"])
    assert installs[0] < steps.index(calls["papermill"]) < greenhouse
    assert "greenhouse" not in steps[installs[0]]["run"]
    assert calls["publish"]["if"] == "github.ref == 'refs/heads/main'"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].rstrip("/") == flow["env"]["GREENHOUSE_CI_OUT"]
    assert upload["if"] == calls["report"]["if"] == "${{ !cancelled() }}"
    assert (REPO / flow["env"]["NOTEBOOK"]).is_file()


def test_pipeline_runs_gates_publishes_and_keeps_the_report(checkout: Path) -> None:
    first = pipeline(checkout, *STEPS)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "no penguins@production yet: gating on accuracy>=0.9 alone" in first.stdout
    out = checkout / "ci-output"
    assert read_metrics(json.loads((out / "papermill.ipynb").read_text()))["accuracy"] >= 0.9
    run = json.loads((out / "run.json").read_text())
    (version,) = greenhouse_json(checkout, "versions", "penguins", "--json")
    assert (version["run_id"], version["aliases"]) == (run["id"], ["production"])
    got = checkout / "got"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "greenhouse_ext",
            "--store",
            str(checkout / ".greenhouse"),
            "get",
            "penguins@production",
            "--out",
            str(got),
        ],
        capture_output=True,
        check=True,
    )
    report = (out / "report.html").read_bytes()
    assert report == (got / "report.html").read_bytes()
    assert network_references(report.decode()) == []

    # Now production exists, the gate compares with it: the run must also not fall below.
    strict = pipeline(checkout, "run", "check", MIN_ACCURACY="1.01")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "failed: 1 of 2 conditions" in strict.stdout

    # A damaged production fails the gate rather than being compared with.
    report_file = next(f for f in version["files"] if f["path"] == "report.html")
    digest = report_file["sha256"]
    flip_byte(checkout / ".greenhouse" / "objects" / digest[:2] / digest[2:])
    damaged = pipeline(checkout, "check")
    assert damaged.returncode == 1
    assert "penguins@1 damaged" in damaged.stderr


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "usage:"),
        (["run", "deploy"], "unknown step 'deploy'"),
        (["check"], "the 'run' step comes first"),
    ],
)
def test_pipeline_refuses_bad_steps(checkout: Path, steps: list[str], message: str) -> None:
    done = pipeline(checkout, *steps)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (checkout / ".greenhouse").exists()


def git(*args: str, cwd: Path) -> None:
    identity = ["-c", "user.name=greenhouse", "-c", "user.email=greenhouse@example.org"]
    subprocess.run(["git", *identity, *args], cwd=cwd, capture_output=True, check=True)


def test_pre_commit_hook_checks_every_notebook(tmp_path: Path) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    shutil.copy(REPO / ".pre-commit-hooks.yaml", hooks)
    git("init", "-q", cwd=hooks)
    git("add", ".", cwd=hooks)
    git("commit", "-q", "-m", "hooks", cwd=hooks)

    project = tmp_path / "project"
    shutil.copytree(REPO / "examples", project, ignore=LEFT_BEHIND)
    broken = write_notebook(project / "broken.ipynb", "epochs: int = 'ten'\nrate = 0.1", "1")
    (project / "notes.txt").write_text("not a notebook, so not checked\n")
    git("init", "-q", cwd=project)
    git("add", ".", cwd=project)
    env = {**tools_first(), "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def try_hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "--all-files"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    failing = try_hook()
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "broken.ipynb: Line 1: the default does not fit the declaration" in failing.stdout
    assert "with a malformed parameters cell" in failing.stdout
    problems = [line for line in failing.stdout.splitlines() if ".ipynb:" in line]
    assert problems and all(line.startswith("broken.ipynb:") for line in problems)

    write_notebook(broken, "epochs: int = 10\nrate = 0.1", "1")
    passing = try_hook()
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "greenhouse params --check" in passing.stdout and "Passed" in passing.stdout


def test_pre_commit_files_are_valid() -> None:
    for kind, path in [
        ("validate-manifest", REPO / ".pre-commit-hooks.yaml"),
        ("validate-config", REPO / "examples" / "ci" / "pre-commit-config.yaml"),
    ]:
        done = subprocess.run(
            [sys.executable, "-m", "pre_commit", kind, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
