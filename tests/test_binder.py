"""The Binder set-up, replayed: binder/postBuild in a fresh virtual environment.

repo2docker builds the environment of binder/environment.yml (conda: Python, Node,
JupyterLab) and then runs binder/postBuild from the repository's root. Here a fresh
``python -m venv`` with environment.yml's Python packages installed by pip stands in for
the conda environment. Before postBuild, while greenhouse is not installed, the penguins
example runs there with plain papermill. postBuild then runs as it is, in a copy of the
committed files that also holds the JupyterLab extension the development install built,
so ``pip install .`` packages it instead of running a webpack build. pip's cache serves
the packages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
BUILT_EXTENSION = REPO / "greenhouse_ext" / "labextension"
PANEL_ID = "greenhouse-panel"


def copy_of_repository(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    # The development install (`jupyter-builder develop`) adds install.json to the built
    # folder; the wheel maps the root's install.json to the same place, so a wheel built
    # from a development tree fails on the duplicate. Copy the build without it.
    shutil.copytree(
        BUILT_EXTENSION,
        target / "greenhouse_ext" / "labextension",
        ignore=shutil.ignore_patterns("install.json"),
    )
    return target


def fresh_environment(venv: Path, home: Path) -> dict[str, str]:
    """The environment postBuild sees: the new venv first on PATH, Jupyter's folders in ``home``."""
    ours = str(Path(sys.executable).parent)
    path = [str(venv / "bin")] + [
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != ours
    ]
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "GREENHOUSE_", "JUPYTER")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {
        **env,
        "PATH": os.pathsep.join(path),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def conda_packages() -> list[str]:
    """environment.yml's packages that pip installs here: the venv has Python and pip, and
    Node only builds the JupyterLab extension, which the copy holds already built."""
    environment = yaml.safe_load((REPO / "binder" / "environment.yml").read_text())
    names = {
        str(d): re.split(r"[=<>!~\s]", str(d), maxsplit=1)[0] for d in environment["dependencies"]
    }
    assert {"python", "nodejs", "pip", "jupyterlab"} <= set(names.values())
    return [spec for spec, name in names.items() if name not in {"python", "nodejs", "pip"}]


def example_packages() -> list[str]:
    """The ``examples`` extra (what the example notebooks import), as installed here."""
    requirements = [Requirement(r) for r in metadata.requires("greenhouse_ext") or []]
    return [
        f"{r.name}{r.specifier}"
        for r in requirements
        if r.marker is not None and r.marker.evaluate({"extra": "examples"})
    ]


@pytest.mark.slow
def test_binder_set_up_in_a_fresh_environment(tmp_path: Path) -> None:
    assert (BUILT_EXTENSION / "static" / "style.js").is_file(), (
        "the JupyterLab extension is not built: `make .venv/.installed` builds it"
    )
    repo = copy_of_repository(tmp_path / "repo")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = fresh_environment(venv, tmp_path / "home")

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            args, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    # Before greenhouse is there, the example runs with plain papermill (as in the CI recipe).
    packages = [*conda_packages(), *example_packages(), "papermill", "ipykernel"]
    run(str(venv / "bin" / "pip"), "install", "--quiet", *packages, timeout=600)
    absent = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import greenhouse_ext"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        check=False,
    )
    assert absent.returncode == 1
    plain = tmp_path / "plain.ipynb"
    run(
        str(venv / "bin" / "papermill"),
        "examples/palmer_penguins/penguins.ipynb",
        str(plain),
        "--cwd",
        "examples/palmer_penguins",
    )
    printed = [
        "".join(o["text"])
        for cell in json.loads(plain.read_text())["cells"]
        for o in cell.get("outputs", [])
        if o.get("name") == "stdout"
    ]
    assert any(text.startswith("accuracy = ") for text in printed)

    run("bash", "binder/postBuild", timeout=900)

    def listing(*args: str) -> str:
        done = run(str(venv / "bin" / "jupyter"), *args)
        return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # no colours

    servers = listing("server", "extension", "list")
    assert "greenhouse_ext enabled" in servers
    assert "greenhouse_ext 0.1.0 OK" in servers
    labs = listing("labextension", "list")
    assert str(venv / "share" / "jupyter" / "labextensions") in labs
    assert "greenhouse-ext v0.1.0 enabled OK (python, greenhouse_ext)" in labs

    exported = run(str(venv / "bin" / "jupyter"), "lab", "workspaces", "export", "default")
    layout = json.loads(exported.stdout)["data"]["layout-restorer:data"]
    assert layout["left"]["current"] == PANEL_ID and layout["left"]["collapsed"] is False
    assert layout["main"]["current"] == "notebook:examples/palmer_penguins/penguins.ipynb"

    greenhouse = str(venv / "bin" / "greenhouse")
    schedules = json.loads(run(greenhouse, "schedule", "list", "--json").stdout)
    assert sorted(s["name"] for s in schedules) == ["drift-check", "nightly-retrain"]
    config = venv / "etc" / "jupyter" / "jupyter_server_config.d" / "greenhouse-scheduler.json"
    assert json.loads(config.read_text()) == {"GreenhouseApp": {"scheduler": True}}
    (version,) = json.loads(run(greenhouse, "versions", "penguins", "--json").stdout)
    assert version["aliases"] == ["production"]
    assert version["metrics"]["accuracy"] >= 0.95
    drift = json.loads(
        run(greenhouse, "run", "examples/palmer_penguins/drift.ipynb", "--json").stdout
    )
    assert drift["status"] == "succeeded"
    assert drift["metrics"]["reference_version"] == "penguins@1"
    # The kernel is the fresh environment's: it has the examples' packages, not the test tools.
    packages = drift["provenance"]["packages"]
    assert "scikit-learn" in packages and "mypy" not in packages
