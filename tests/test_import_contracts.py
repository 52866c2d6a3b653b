"""The import contracts (import-linter, `[tool.importlinter]` in pyproject.toml) hold, and break.

Each wrong import is added to a copy of the package, and `lint-imports` must then fail,
naming the contract it broke: a contract that cannot fail would guard nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "Wings stand on floors"
NO_CIRCLES = "No circles"
CORE = "The core imports no web server"
WIDGETS = "The widgets import no web server"
CLI = "The command line imports no web server"
SERVER = "The server imports no widget"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the package under ``root`` with the project's contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package and its contracts, away from the installed one."""
    root = tmp_path_factory.mktemp("contracts")
    shutil.copytree(
        REPO / "greenhouse_ext",
        root / "greenhouse_ext",
        ignore=shutil.ignore_patterns("labextension", "__pycache__"),
    )
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_package_keeps_every_contract() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("store/refs.py", "from ..execution import execute", LAYERS),
        ("parameters/grid.py", "from ..store import Store", LAYERS),
        ("execution/sweep.py", "from ..artefacts import publish", LAYERS),
        ("models.py", "from .parameters import validate", LAYERS),
        ("cli/group.py", "from ..server import app", LAYERS),
        ("store/migrations/env.py", "from ...artefacts import diff", LAYERS),
        ("store/objects.py", "from .index import Store", NO_CIRCLES),
        ("artefacts/diff.py", "import click", CORE),
        ("execution/kernels.py", "import tornado.web", CORE),
        ("widgets.py", "import jupyter_server", WIDGETS),
        ("cli/runs.py", "import ipywidgets", CLI),
        ("server/handlers/diff.py", "import click", SERVER),
    ],
    ids=[
        "store-imports-execution",
        "parameters-imports-store",
        "execution-imports-artefacts",
        "ground-imports-parameters",
        "cli-imports-server",
        "a-module-deep-in-a-subfolder",
        "a-circle-inside-a-wing",
        "core-imports-click",
        "core-imports-tornado",
        "widgets-import-jupyter-server",
        "cli-imports-ipywidgets",
        "server-imports-click",
    ],
)
def test_a_wrong_import_breaks_its_contract(
    copy: Path, module: str, line: str, contract: str
) -> None:
    path = copy / "greenhouse_ext" / module
    original = path.read_text()
    path.write_text(f"{original}\n{line}  # noqa\n")
    try:
        done = lint_imports(copy)
    finally:
        path.write_text(original)
    assert done.returncode == 1, done.stdout + done.stderr
    broken = [row for row in done.stdout.splitlines() if row.endswith("BROKEN")]
    assert [row for row in broken if row.startswith(contract)], done.stdout


def test_a_module_outside_the_layers_breaks_the_layers_contract(copy: Path) -> None:
    stray = copy / "greenhouse_ext" / "stray.py"
    stray.write_text('"""A module that belongs to no floor."""\n')
    try:
        done = lint_imports(copy)
    finally:
        stray.unlink()
    assert done.returncode == 1
    assert "stray" in done.stdout + done.stderr
