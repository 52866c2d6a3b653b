"""`greenhouse runs` (filters, --where, --since, --columns, --sort) and `greenhouse sweeps`,
on one store of recorded runs shared by the module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from faults import greenhouse
from notebooks import write_notebook

from greenhouse_ext.models import Execution, Provenance, Run, RunStatus
from greenhouse_ext.store import Store, host

# id, notebook, status, user, created_at, sweep, parameters, metrics
RUNS = [
    ("aaaa00000001", "a.ipynb", "succeeded", "alice", "2026-01-01T10:00:00.000+00:00", None,
     {"epochs": 5}, {"accuracy": 0.90, "loss": 0.4}),
    ("aaaa00000002", "a.ipynb", "failed", "bob", "2026-01-02T10:00:00.000+00:00", None,
     {"epochs": 10}, {}),
    ("aaaa00000003", "b.ipynb", "succeeded", "alice", "2026-01-03T10:00:00.000+00:00", "swp1",
     {"epochs": 20}, {"accuracy": 0.97, "loss": 0.1}),
    ("aaaa00000004", "b.ipynb", "succeeded", "bob", "2026-01-04T10:00:00.000+00:00", "swp1",
     {"epochs": 30}, {"accuracy": 0.96, "loss": 0.2, "weights": {"w": 1.5}}),
    ("aaaa00000005", "b.ipynb", "failed", "alice", "2026-01-05T10:00:00.000+00:00", "swp1",
     {"epochs": 40}, {}),
    ("aaaa00000006", "a.ipynb", "succeeded", "bob", "2026-01-06T10:00:00.000+00:00", "swp2",
     {"epochs": 50}, {"accuracy": 0.99, "loss": 0.05}),
]  # fmt: skip


def seeded(row: tuple[Any, ...], source: bytes) -> Execution:
    run_id, notebook, status, user, created, sweep, parameters, metrics = row
    run = Run(
        id=run_id,
        notebook=notebook,
        status=RunStatus(status),
        parameters=parameters,
        created_at=created,
        metrics=metrics,
        finished_at=created,
        duration_s=float(parameters["epochs"]) / 10,
        sweep_id=sweep,
        provenance=Provenance(
            source_sha256="0" * 64,
            kernel="python3",
            python="3.11.9",
            packages={},
            packages_sha256="0" * 64,
            git=None,
            inputs=[],
            host=host(),
            user=user,
            greenhouse_version="test",
            papermill_version="2.7.0",
        ),
    )
    return Execution(run=run, source=source)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("listing")
    for name in ("a.ipynb", "b.ipynb"):
        write_notebook(root / name, "epochs = 1", "print(epochs)")
    store = Store(root / ".greenhouse")
    for row in RUNS:
        store.save_execution(seeded(row, (root / row[1]).read_bytes()))
    store.close()
    return root


def ids(project: Path, *args: str) -> list[str]:
    done = greenhouse("runs", "--json", *args, cwd=project)
    assert done.returncode == 0, done.stderr
    return [r["id"][-1] for r in json.loads(done.stdout)]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], list("654321")),
        (["--limit", "2"], list("65")),
        (["--status", "failed"], list("52")),
        (["--user", "alice"], list("531")),
        (["--notebook", "a.ipynb"], list("621")),
        (["--where", "accuracy>0.95"], list("643")),
        (["--where", "accuracy>0.95", "--where", "loss>=0.1"], list("43")),
        (["--where", "epochs<=10"], list("21")),
        (["--where", "accuracy > 0.95", "--limit", "1"], list("6")),
        (["--since", "2026-01-04"], list("654")),
        (["--since", "2026-01-04T12:00"], list("65")),
        (["--since", "2026-01-04T12:00+02:00"], list("654")),
        (["--since", "3650d"], list("654321")),
        (["--sort", "accuracy"], list("143652")),
        (["--sort", "-accuracy", "--limit", "3"], list("634")),
        (["--sort", "created"], list("123456")),
        (["--sort", "-duration", "--user", "bob"], list("642")),
        (["--sort", "notebook", "--status", "failed"], list("25")),
        (["--user", "bob", "--notebook", "b.ipynb", "--where", "loss<1"], list("4")),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_runs_filters_and_sorts(project: Path, args: list[str], expected: list[str]) -> None:
    assert ids(project, *args) == expected


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--where", "accuracy>>1"],
            "--where: Malformed condition 'accuracy>>1': expected NAME OP",
        ),
        (["--since", "yesterday"], "--since 'yesterday' is neither a duration nor a date"),
        (["--sort", "nope"], "--sort 'nope' names no column; sort by one of: epochs"),
        (["--status", "lost"], "'lost' is not one of"),
    ],
)
def test_bad_listing_options_exit_2(project: Path, args: list[str], said: str) -> None:
    done = greenhouse("runs", *args, cwd=project)
    assert done.returncode == 2
    assert said in done.stderr, done.stderr


def test_columns_show_chosen_parameters_and_metrics(project: Path) -> None:
    done = greenhouse(
        "runs", "--columns", "epochs,accuracy", "--columns", "weights", "--limit", "3",
        cwd=project,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[-3:] == ["epochs", "accuracy", "weights"]
    assert "METRICS" not in lines[0]
    assert [line.split()[-3:] for line in lines[1:]] == [
        ["50", "0.99", "-"],
        ["40", "-", "-"],
        ["30", "0.96", '{"w":1.5}'],
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--sweep", "swp1"], list("345")),
        (["--sweep", "swp1", "--sort", "-loss"], list("435")),
        (["--sweep", "swp1", "--where", "loss<0.15"], list("3")),
        (["--sweep", "swp1", "--status", "failed"], list("5")),
    ],
)
def test_a_sweeps_listing_filters_and_sorts(
    project: Path, args: list[str], expected: list[str]
) -> None:
    assert ids(project, *args) == expected


def test_sweeps_lists_each_sweep_with_its_outcomes(project: Path) -> None:
    done = greenhouse("sweeps", "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {
            "id": "swp2",
            "notebook": "a.ipynb",
            "started_at": "2026-01-06T10:00:00.000+00:00",
            "last_at": "2026-01-06T10:00:00.000+00:00",
            "runs": 1,
            "statuses": {"succeeded": 1},
        },
        {
            "id": "swp1",
            "notebook": "b.ipynb",
            "started_at": "2026-01-03T10:00:00.000+00:00",
            "last_at": "2026-01-05T10:00:00.000+00:00",
            "runs": 3,
            "statuses": {"failed": 1, "succeeded": 2},
        },
    ]
    table = greenhouse("sweeps", "--limit", "1", cwd=project).stdout.splitlines()
    assert table[0].split() == ["SWEEP", "STARTED", "(UTC)", "NOTEBOOK", "RUNS", "OUTCOMES"]
    assert table[1].split() == ["swp2", "2026-01-06", "10:00:00", "a.ipynb", "1", "1", "succeeded"]
    assert len(table) == 2
