"""The notebooks in examples/ run, through `greenhouse run` and through plain papermill.

They run in a copy of examples/ with its own store: real kernels, the real penguins data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from greenhouse_ext.notebook_api import read_metrics

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LEFT_BEHIND = shutil.ignore_patterns(
    ".greenhouse", "published", "outputs", ".ipynb_checkpoints", "*.out.ipynb"
)


def command(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` with this interpreter's ``-m`` modules, outside any inherited store."""
    base = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**base, **(env or {})},
        check=False,
    )


def greenhouse_json(*args: str, cwd: Path) -> Any:
    done = command("greenhouse_ext", *args, "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/ (the notebooks as committed) with an empty store."""
    root = tmp_path_factory.mktemp("project") / "examples"
    shutil.copytree(EXAMPLES, root, ignore=LEFT_BEHIND)
    (root / ".greenhouse").mkdir()
    return root


@pytest.fixture(scope="module")
def production(project: Path) -> dict[str, Any]:
    """A `greenhouse run` of penguins.ipynb with its defaults, published as penguins@production."""
    run = greenhouse_json("run", "palmer_penguins/penguins.ipynb", cwd=project)
    greenhouse_json(
        "publish", run["id"], "--name", "penguins", "--alias", "production", cwd=project
    )
    return dict(run)


def test_example_notebooks_are_committed_without_outputs() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=EXAMPLES, capture_output=True, text=True, check=True
    )
    notebooks = [EXAMPLES / name for name in listed.stdout.split()]
    assert {"penguins.ipynb", "drift.ipynb", "train.ipynb", "widgets.ipynb"} <= {
        n.name for n in notebooks
    }
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        executed = [i for i, c in enumerate(cells) if c.get("outputs") or c.get("execution_count")]
        assert executed == [], f"{path} is committed with outputs in cells {executed}"


def test_penguins_records_metrics_model_training_data_and_figure(
    project: Path, production: dict[str, Any]
) -> None:
    assert production["status"] == "succeeded"
    metrics = production["metrics"]
    assert metrics["accuracy"] >= 0.95
    assert 0.9 <= metrics["f1_macro"] <= 1
    assert metrics["test_rows"] == 86  # a quarter of the 342 measured penguins
    assert {f["name"] for f in production["files"]} == {"model.pkl", "train.csv"}
    executed = json.loads(
        Path(
            command("greenhouse_ext", "open", production["id"], cwd=project).stdout.strip()
        ).read_text()
    )
    figures = [
        o
        for c in executed["cells"]
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(figures) == 1
    training = (project / "palmer_penguins/outputs/train.csv").read_text().splitlines()
    assert training[0] == "bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,species"
    assert len(training) == 1 + 342 - 86


def test_penguins_published_version_reproduces(project: Path, production: dict[str, Any]) -> None:
    done = command("greenhouse_ext", "reproduce", "penguins@production", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("reproducible: penguins@1")


def test_penguins_rejects_an_unknown_feature(project: Path) -> None:
    done = command(
        "greenhouse_ext",
        "run",
        "palmer_penguins/penguins.ipynb",
        "-p",
        "features",
        '["beak"]',
        cwd=project,
    )
    assert done.returncode == 2
    assert "features[0]: 'beak' (str) is not one of the allowed items" in done.stderr


@pytest.mark.parametrize(
    ("shift", "gate_exit", "drifted"), [(0.0, 0, 0), (1.0, 1, 4)], ids=["same", "shifted"]
)
def test_drift_against_production_gates(
    project: Path, production: dict[str, Any], shift: float, gate_exit: int, drifted: int
) -> None:
    run = greenhouse_json(
        "run", "palmer_penguins/drift.ipynb", "-p", "shift", str(shift), cwd=project
    )
    assert run["status"] == "succeeded"
    metrics = run["metrics"]
    assert metrics["reference_version"] == "penguins@1"
    assert metrics["batch_rows"] == 119  # the penguins of 2009 with all four measurements
    assert metrics["drifted_features"] == drifted
    assert set(metrics["psi"]) == {
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
    }
    gate = command(
        "greenhouse_ext",
        "check",
        run["id"],
        "--metric",
        "max_psi<=0.25",
        "--metric",
        "drifted_features==0",
        cwd=project,
    )
    assert gate.returncode == gate_exit, gate.stdout + gate.stderr


def test_drift_names_a_missing_reference(project: Path, production: dict[str, Any]) -> None:
    done = command(
        "greenhouse_ext",
        "run",
        "palmer_penguins/drift.ipynb",
        "-p",
        "reference",
        "penguins@staging",
        cwd=project,
    )
    assert done.returncode == 1
    assert "staging" in done.stdout


@pytest.mark.parametrize(
    ("grid", "column", "values"),
    [
        ("grid.yaml", "model", ["logistic_regression", "random_forest"] * 2),
        ("features.yaml", "features", None),
    ],
)
def test_sweep_example_runs_its_grid_best_first(
    project: Path, grid: str, column: str, values: list[str] | None
) -> None:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        [str(project / "sweep" / "sweep.sh"), grid, "--json"],
        cwd=project.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": path, "GREENHOUSE_STORE": str(project / ".greenhouse")},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    runs = result["runs"]
    assert {r["status"] for r in runs} == {"succeeded"}
    assert {r["sweep_id"] for r in runs} == {result["sweep"]}
    accuracies = [r["metrics"]["accuracy"] for r in runs]
    assert accuracies == sorted(accuracies, reverse=True)
    if values is not None:
        assert sorted(r["parameters"][column] for r in runs) == sorted(values)
        assert sorted(r["parameters"]["test_size"] for r in runs) == [0.2, 0.2, 0.3, 0.3]
    else:
        assert sorted(len(r["parameters"][column]) for r in runs) == [2, 2, 4]
    table = greenhouse_json("runs", "--sweep", result["sweep"], cwd=project)
    assert sorted(r["id"] for r in table) == sorted(r["id"] for r in runs)


@pytest.mark.parametrize(
    ("notebook", "parameters", "expected"),
    [
        ("palmer_penguins/penguins.ipynb", ["-p", "model", "logistic_regression"], "accuracy"),
        ("palmer_penguins/drift.ipynb", ["-p", "batch_year", "2008"], "max_psi"),
        ("train.ipynb", ["-p", "epochs", "20"], "r2"),
        ("widgets.ipynb", [], None),
    ],
)
def test_examples_run_with_plain_papermill(
    project: Path,
    production: dict[str, Any],
    tmp_path: Path,
    notebook: str,
    parameters: list[str],
    expected: str | None,
) -> None:
    output = tmp_path / "output.ipynb"
    folder = str((project / notebook).parent)
    done = command("papermill", notebook, str(output), "--cwd", folder, *parameters, cwd=project)
    assert done.returncode == 0, done.stderr
    executed = json.loads(output.read_text())
    assert "papermill" in executed["metadata"]
    metrics = read_metrics(executed)
    if expected is not None:
        assert isinstance(metrics[expected], float)
    else:
        widgets = [
            o
            for c in executed["cells"]
            for o in c.get("outputs", [])
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert len(widgets) == 2


@pytest.mark.parametrize(
    ("notebook", "metrics", "files"),
    [("train.ipynb", {"mse", "r2", "weights"}, ["predictions.csv"]), ("widgets.ipynb", set(), [])],
)
def test_first_examples_run_with_greenhouse(
    project: Path, notebook: str, metrics: set[str], files: list[str]
) -> None:
    run = greenhouse_json("run", notebook, cwd=project)
    assert run["status"] == "succeeded"
    assert set(run["metrics"]) == metrics
    assert [f["name"] for f in run["files"]] == files


def test_operate_schedules_retrain_into_candidate_and_alert(
    project: Path, production: dict[str, Any]
) -> None:
    log = project / "alerts.jsonl"
    receiver = subprocess.Popen(
        [sys.executable, "-u", "operate/alert_receiver.py", str(log)],
        cwd=project,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        url = receiver.stdout.readline().strip()
        assert url.startswith("json://localhost:")
        store = {"GREENHOUSE_STORE": str(project / ".greenhouse")}
        added = subprocess.run(
            ["bash", "operate/schedules.sh", url],
            cwd=project,
            capture_output=True,
            text=True,
            env={**os.environ, **store},
            check=False,
        )
        assert added.returncode == 0, added.stderr
        for name in ("nightly-retrain", "drift-check"):
            greenhouse_json("schedule", "trigger", name, cwd=project)
        fired = command("greenhouse_ext", "scheduler", "--once", cwd=project)
        assert fired.returncode == 0, fired.stderr
        versions = greenhouse_json("versions", "penguins", cwd=project)
        candidate = next(v for v in versions if "candidate" in v["aliases"])
        assert candidate["number"] > production_number(versions)
        retrain = greenhouse_json("schedule", "show", "nightly-retrain", cwd=project)
        (occurrence,) = retrain["occurrences"]
        assert occurrence["status"] == "succeeded"
        assert occurrence["detail"]["published"] == f"penguins@{candidate['number']}"
        drift = greenhouse_json("schedule", "show", "drift-check", cwd=project)
        assert [o["status"] for o in drift["occurrences"]] == ["succeeded"]
        titles = [json.loads(line)["title"] for line in log.read_text().splitlines()]
        ran = f"penguins@{production_number(versions)}"
        assert titles == [f"greenhouse: nightly-retrain succeeded ({ran})"]
    finally:
        receiver.terminate()
        receiver.wait()


def production_number(versions: list[dict[str, Any]]) -> int:
    return int(next(v["number"] for v in versions if "production" in v["aliases"]))
