"""A kernel in a real uv venv that pins ``ghtestpkg``, and projects that run it: what the
tests of ``reproduce --env recorded`` (the command line's and the server's) record and rebuild.

The package that changes (``ghtestpkg`` 1.0, then 2.0) is a wheel written by hand into a
local folder that uv reads as ``--find-links``; everything else comes from the local index.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kernel_envs import INDEX, build_wheel, register_kernel, uv
from notebooks import write_notebook

from greenhouse_ext.store import Store

KERNEL = "ghrebuild"
NOTEBOOK = (
    "import ghtestpkg\nfrom greenhouse_ext import record\n"
    "record('ghtestpkg', ghtestpkg.VERSION)\nprint('ghtestpkg', ghtestpkg.VERSION)"
)
REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass
class PinnedKernel:
    """A venv with ipykernel, ``ghtestpkg`` 1.0 and extra requirements, registered as a
    kernel in a private Jupyter path; ``wheels`` holds ``ghtestpkg`` 1.0 and 2.0."""

    wheels: Path
    python: Path
    jupyter: Path
    uv_cache: Path | None = None

    def argv(self, *wrapper: str) -> list[str]:
        """The kernel's command line, run under ``wrapper`` (such as ``setarch i686``)."""
        return [*wrapper, str(self.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]

    def environ(self) -> dict[str, str]:
        """What a command that runs or rebuilds this kernel needs in its environment."""
        cache = {"UV_CACHE_DIR": str(self.uv_cache)} if self.uv_cache else {}
        return {
            **cache,
            "JUPYTER_PATH": str(self.jupyter),
            # greenhouse_ext reaches the kernels for `record` only: the venvs do not have it.
            "PYTHONPATH": str(REPOSITORY),
            # How a rebuild reaches packages: uv's own settings, as a user would set them.
            "UV_DEFAULT_INDEX": INDEX[1],
            "UV_INDEX": INDEX[3],
            "UV_FIND_LINKS": str(self.wheels),
        }


def build_pinned_kernel(root: Path, *extra: str) -> PinnedKernel:
    """Build the venv of a `PinnedKernel` under ``root``, registered as ``ghrebuild``."""
    wheels = root / "wheels"
    for version in ("1.0", "2.0"):
        build_wheel(wheels, "ghtestpkg", version)
    python = root / "venv" / "bin" / "python"
    uv("venv", "-q", "--python", sys.executable, str(python.parent.parent))
    pip = ["pip", "install", "-q", "--python", str(python), *INDEX, "--find-links", str(wheels)]
    uv(*pip, "ipykernel", "ghtestpkg==1.0", *extra)
    # The cache the venv was built from, for rebuilds run where $HOME is another folder.
    cache = subprocess.run(
        [sys.executable, "-m", "uv", "cache", "dir"], capture_output=True, text=True, check=True
    )
    kernel = PinnedKernel(wheels, python, root / "jupyter", Path(cache.stdout.strip()))
    register_kernel(kernel.jupyter, KERNEL, kernel.argv(), "python")
    return kernel


@dataclass
class Project:
    """A project folder with a store and ``nb.ipynb``, whose commands run ``kernel``."""

    folder: Path
    kernel: PinnedKernel

    @property
    def store(self) -> Store:
        return Store(self.folder / ".greenhouse")

    @property
    def envs(self) -> list[str]:
        cache = self.folder / ".greenhouse" / "envs"
        return sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []

    def greenhouse(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """``greenhouse ARGS`` in the project's folder, as a process of its own."""
        environ = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
        return subprocess.run(
            [sys.executable, "-m", "greenhouse_ext", *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=240,
            env={**environ, **self.kernel.environ(), **extra},
            check=False,
        )

    def json(self, *args: str) -> Any:
        done = self.greenhouse(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def new_project(folder: Path, kernel: PinnedKernel) -> Project:
    """A project in ``folder`` whose notebook records the ``ghtestpkg`` its kernel has."""
    write_notebook(folder / "nb.ipynb", None, NOTEBOOK)
    (folder / ".greenhouse").mkdir(exist_ok=True)
    return Project(folder, kernel)


def rerun_id(stdout: str) -> str:
    """The id of the re-run that ``greenhouse reproduce`` reported."""
    found = re.search(r"re-run as run (\S+) in the", stdout)
    assert found is not None, stdout
    return found.group(1)
