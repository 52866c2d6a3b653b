"""Builds real kernel environments for the tests: a uv venv with ipykernel, a tiny wheel,
an editable and a git install, registered as a kernelspec in a private JUPYTER_PATH."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

INDEX = [
    "--index-url",
    "file:///opt/pypi/simple",
    "--extra-index-url",
    "file:///opt/pypi-more/simple",
]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


def build_wheel(folder: Path, name: str, version: str, body: str = "") -> Path:
    """Write a pure-Python wheel of one module by hand: no build backend, no index."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": f"VERSION = {version!r}\n{body}",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def source_project(folder: Path, name: str) -> str:
    """A committed git working tree holding a hatchling project; returns its commit."""
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        f'[tool.hatch.build.targets.wheel]\ninclude = ["{name}.py"]\n'
    )
    (folder / f"{name}.py").write_text("X = 1\n")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", ".")
    git(folder, "commit", "-qm", "first")
    return git(folder, "rev-parse", "HEAD")


@dataclass
class KernelEnv:
    """A venv registered as a kernelspec, and where its packages came from."""

    venv: Path
    jupyter_path: Path
    kernel: str
    wheel: Path
    editable: Path
    editable_commit: str
    git_repo: Path
    git_commit: str

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def environ(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
        return {**env, "JUPYTER_PATH": str(self.jupyter_path), **extra}


def uv(*args: str) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    done = subprocess.run(
        [sys.executable, "-m", "uv", *args], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr


def register_kernel(jupyter_path: Path, name: str, argv: list[str], language: str) -> None:
    folder = jupyter_path / "kernels" / name
    folder.mkdir(parents=True)
    spec = {"argv": argv, "display_name": name, "language": language}
    (folder / "kernel.json").write_text(json.dumps(spec))


def build_kernel_env(root: Path) -> KernelEnv:
    """A uv venv with ipykernel and termcolor from the local index, a local wheel with a
    ``+cu121`` label, an editable install of a git working tree and a git URL install."""
    venv = root / "venv"
    uv("venv", "-q", "--python", sys.executable, str(venv))
    wheel = build_wheel(root / "wheels", "ghtiny", "1.2.3+cu121")
    editable = root / "ghedit"
    editable_commit = source_project(editable, "ghedit")
    repo = root / "ghgit"
    git_commit = source_project(repo, "ghgit")
    python = str(venv / "bin" / "python")
    uv("pip", "install", "-q", "--python", python, *INDEX, "ipykernel", "termcolor", str(wheel))
    uv("pip", "install", "-q", "--python", python, *INDEX, "-e", str(editable))
    uv(
        "pip",
        "install",
        "-q",
        "--python",
        python,
        *INDEX,
        f"ghgit @ git+file://{repo}@{git_commit}",
    )
    jupyter_path = root / "jupyter"
    register_kernel(
        jupyter_path,
        "ghenv",
        [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "python",
    )
    return KernelEnv(
        venv=venv,
        jupyter_path=jupyter_path,
        kernel="ghenv",
        wheel=wheel,
        editable=editable,
        editable_commit=editable_commit,
        git_repo=repo,
        git_commit=git_commit,
    )
