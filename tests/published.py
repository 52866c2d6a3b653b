"""Runs to publish in the tests (real kernels), and ways to damage published copies.

A pytest plugin, named in conftest.py: a module that defines no ``executions``, ``store``
or ``run_id`` fixture of its own gets these.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

import pytest
from notebooks import write_notebook

from greenhouse_ext.execution.execute import execute, prepare
from greenhouse_ext.models import Execution, RunStatus
from greenhouse_ext.store import Store

BODY = (
    "from pathlib import Path\n"
    "from greenhouse_ext import record, record_file\n"
    "record('score', epochs * 0.5)\n"
    "Path('report.csv').write_text('epoch,score\\n1,0.5\\n')\n"
    "record_file('report.csv', 'tables/report.csv')"
)
PATHS = [
    "notebook.ipynb",
    "report.html",
    "metrics.json",
    "files/tables/report.csv",
    "environment/requirements.txt",
    "environment/python_env.yaml",
    "environment/platform.json",
]


@pytest.fixture(scope="module")
def executions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Execution]:
    folder = tmp_path_factory.mktemp("notebooks")
    good = write_notebook(folder / "train.ipynb", "epochs = 3", BODY)
    bad = write_notebook(folder / "bad.ipynb", "a = 1", "raise ValueError('no data')")
    return {
        "succeeded": execute(prepare(good, {}, project_root=folder)),
        "failed": execute(prepare(bad, {}, project_root=folder)),
    }


@pytest.fixture
def store(tmp_path: Path, executions: dict[str, Execution]) -> Store:
    store = Store(tmp_path / ".greenhouse")
    for execution in executions.values():
        store.save_execution(copy.deepcopy(execution))
    return store


@pytest.fixture
def run_id(executions: dict[str, Execution]) -> str:
    assert executions["succeeded"].run.status is RunStatus.SUCCEEDED
    return executions["succeeded"].run.id


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def location_url(kind: str, tmp_path: Path) -> str:
    if kind == "file":
        return (tmp_path / "shared").as_uri()
    return f"memory://greenhouse-{uuid.uuid4().hex}"
