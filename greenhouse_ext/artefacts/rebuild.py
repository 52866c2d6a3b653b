"""Rebuild a run's recorded environment with uv, and a throw-away kernel that runs in it.

`plan_environment` checks, before anything runs, that the lock can be rebuilt here: the
recorded Python minor version is one uv finds, the platform (OS and architecture) is
this one, and every package can be installed (an editable or local install cannot);
`recorded_kernel` then builds the venv once per lock (cached under the store by the
lock's sha256, see `greenhouse_ext.store.envs`) and registers a kernelspec for it in a
temporary Jupyter path, never the user's.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GreenhouseError, InvalidInput
from ..models import ENVIRONMENT_RECORDED, KernelEnvironment, Run
from ..store import EnvCache, Store, Subject, sha256_bytes
from .environment import REQUIREMENTS, not_rebuildable, requirements_txt
from .manifest import read_checked

UV_ENV = "GREENHOUSE_UV"
RECORDED = "recorded"
CURRENT = "current"
ENV_SOURCES = (CURRENT, RECORDED)
INSTALL_HINT = "pip install 'greenhouse_ext[env]' (or pip install uv)"
_MESSAGE_CHARS = 4000


class BuildFailed(GreenhouseError):
    """``uv`` could not build the recorded environment; the message is uv's own."""


@dataclass
class EnvPlan:
    """A recorded environment checked and ready to build: its lock and what is left out."""

    lock: bytes
    sha256: str
    python: str
    interpreter: str
    uv: str
    left_out: list[str] = field(default_factory=list)


@dataclass
class Rebuilt:
    """The environment a reproduction ran in: its lock, Python, and whether it was cached."""

    sha256: str
    python: str
    cached: bool
    seconds: float
    left_out: list[str] = field(default_factory=list)


def find_uv() -> str:
    """The uv binary: ``$GREENHOUSE_UV``, else the one beside this Python, else on PATH.

    Raises
    ------
    InvalidInput
        No uv there, saying how to install it.
    """
    named = os.environ.get(UV_ENV)
    if named:
        if not os.access(named, os.X_OK) or not Path(named).is_file():
            raise InvalidInput(
                f"${UV_ENV} names {named}, which is not an executable file: point it at uv "
                f"or unset it (install uv with {INSTALL_HINT})"
            )
        return named
    beside = Path(sys.executable).parent / "uv"
    if os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("uv")
    if found is None:
        raise InvalidInput(
            "--env recorded builds the environment with uv, which is not installed here "
            f"(not beside {sys.executable}, nor on PATH, nor named by ${UV_ENV}): "
            f"install it with {INSTALL_HINT}"
        )
    return found


def plan_environment(store: Store, subject: Subject, run: Run, allow_partial: bool) -> EnvPlan:
    """Check that the environment ``run`` recorded can be rebuilt here, before anything runs.

    Raises
    ------
    InvalidInput
        The run has no lock; uv is missing; the recorded Python is not one uv finds; or,
        without ``allow_partial``, the platform differs or the lock holds editable or
        local installs. The problems are listed.
    """
    lock, env = _lock(store, subject, run)
    version = str(env.version)
    uv = find_uv()
    request = _python_request(version, env.implementation)
    interpreter = _find_python(uv, request)
    if interpreter is None:
        here = _pythons_here(uv)
        only = f", only {', '.join(here)}" if here else ""
        raise InvalidInput(
            f"{subject.label} cannot be rebuilt here: it ran on Python {version} "
            f"({env.implementation}) and uv finds no {request} interpreter{only} "
            "(install one, or put it on PATH); reproduce it with --env current",
            [f"python {version}: not found by uv"],
        )
    partial = [*_platform_differences(env.platform), *not_rebuildable(lock.decode())]
    if partial and not allow_partial:
        raise InvalidInput(
            f"{subject.label} cannot be rebuilt here as recorded ({len(partial)} problem(s)): "
            "give --allow-partial to install the rest, or reproduce it with --env current",
            partial,
        )
    return EnvPlan(
        lock=lock,
        sha256=sha256_bytes(lock),
        python=version,
        interpreter=interpreter,
        uv=uv,
        left_out=partial,
    )


@contextmanager
def recorded_kernel(
    store: Store, plan: EnvPlan, on_build: Callable[[], None] | None = None
) -> Iterator[tuple[str, Rebuilt]]:
    """The name of a throw-away kernel that runs in the rebuilt environment, while the
    block runs; the environment is built first unless the cache holds it.

    ``on_build`` is called before a build starts. The kernelspec lives in a temporary
    folder put first on ``$JUPYTER_PATH`` for the block, then removed.

    Raises
    ------
    BuildFailed
        uv could not create the venv or install the lock; no cache entry is left.
    """
    cache = EnvCache(store.root)
    started = time.perf_counter()
    entry = cache.get(plan.sha256)
    cached = entry is not None
    if entry is None:
        if on_build is not None:
            on_build()
        _build(cache, plan)
        entry = cache.get(plan.sha256)
        if entry is None:
            raise BuildFailed(f"The environment {plan.sha256[:12]} vanished from {cache.folder}")
    rebuilt = Rebuilt(
        sha256=plan.sha256,
        python=entry.python,
        cached=cached,
        seconds=round(time.perf_counter() - started, 3),
        left_out=list(plan.left_out),
    )
    name = f"greenhouse-env-{plan.sha256[:12]}"
    with _kernelspec(name, entry.python_executable):
        yield name, rebuilt


def _lock(store: Store, subject: Subject, run: Run) -> tuple[bytes, KernelEnvironment]:
    """The lock of a version (as published, checked) or of a run (made from its record),
    and the recorded environment it was made from."""
    env = run.provenance.environment if run.provenance else None
    if env is not None and env.status == ENVIRONMENT_RECORDED and env.version:
        if subject.version is None:
            return requirements_txt(env).encode(), env
        sha = {f.path: f.sha256 for f in subject.version.files}.get(REQUIREMENTS)
        if sha is not None:
            return read_checked(store, sha, REQUIREMENTS), env
    why = env.reason if env is not None and env.reason else "it was not recorded"
    raise InvalidInput(
        f"{subject.label} has no lock to rebuild (its kernel's environment is unknown: "
        f"{why}): reproduce it with --env current"
    )


def _python_request(version: str, implementation: str | None) -> str:
    minor = ".".join(version.split(".")[:2])
    known = {"CPython": "cpython", "PyPy": "pypy"}
    return f"{known[implementation]}@{minor}" if implementation in known else minor


def _uv_environ() -> dict[str, str]:
    # Fetching a Python build is not what a rebuild should do behind the user's back.
    return {"UV_PYTHON_DOWNLOADS": "never", **os.environ}


def _find_python(uv: str, request: str) -> str | None:
    done = subprocess.run(
        [uv, "python", "find", "--system", request],
        capture_output=True,
        text=True,
        env=_uv_environ(),
        check=False,
    )
    return done.stdout.strip() or None if done.returncode == 0 else None


def _pythons_here(uv: str) -> list[str]:
    """The Pythons uv finds here (``CPython 3.11.2``); none when it cannot say."""
    done = subprocess.run(
        [uv, "python", "list", "--only-installed", "--output-format", "json"],
        capture_output=True,
        text=True,
        env=_uv_environ(),
        check=False,
    )
    try:
        found = {(p["implementation"], p["version"]) for p in json.loads(done.stdout)}
    except (ValueError, TypeError, KeyError):
        return []
    names = {"cpython": "CPython", "pypy": "PyPy"}
    return [f"{names.get(kind, kind)} {version}" for kind, version in sorted(found)]


def _platform_differences(recorded: dict[str, object]) -> list[str]:
    here = {"system": platform.system(), "machine": platform.machine()}
    words = {"system": "OS", "machine": "architecture"}
    return [
        f"platform: recorded {words[key]} {recorded.get(key)}, this machine's is {value}"
        for key, value in here.items()
        if recorded.get(key) and recorded.get(key) != value
    ]


def _build(cache: EnvCache, plan: EnvPlan) -> None:
    with (
        cache.building(plan.sha256, plan.left_out) as venv,
        tempfile.TemporaryDirectory(prefix="greenhouse-lock-") as scratch,
    ):
        lock = Path(scratch, "requirements.txt")
        lock.write_bytes(plan.lock)
        _uv(plan.uv, "venv", "--quiet", "--relocatable", "--python", plan.interpreter, str(venv))
        python = str(venv / "bin" / "python")
        _uv(plan.uv, "pip", "install", "--quiet", "--python", python, "-r", str(lock), "ipykernel")


def _uv(uv: str, *args: str) -> None:
    done = subprocess.run(
        [uv, *args], capture_output=True, text=True, env=_uv_environ(), check=False
    )
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()[-_MESSAGE_CHARS:]
        raise BuildFailed(f"uv {args[0]} {args[1]} failed (exit {done.returncode}): {message}")


@contextmanager
def _kernelspec(name: str, python: Path) -> Iterator[None]:
    folder = Path(tempfile.mkdtemp(prefix="greenhouse-kernels-"))
    spec = folder / "kernels" / name
    spec.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": name, "language": "python"})
    )
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(folder), before) if p)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = before
        shutil.rmtree(folder, ignore_errors=True)
