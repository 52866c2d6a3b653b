"""The code a Python kernel runs to describe its own environment, sent as a silent request.

This module's source is executed inside the kernel, in a namespace of its own, before the
notebook's first cell (see `greenhouse_ext.execution.kernel_env`): it must use the
standard library only, run on any Python 3.8 or later, and leave nothing behind in the
kernel's namespace. `probe` returns its findings as one JSON text.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from typing import Any

_COMMAND_TIMEOUT_S = 5


def _run(*command: str, cwd: str | None = None) -> str | None:
    try:
        done = subprocess.run(
            list(command),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_COMMAND_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _local_path(url: str) -> str:
    return urllib.request.url2pathname(urllib.parse.urlparse(url).path)


def _git_checkout(path: str) -> dict[str, Any]:
    """The commit and dirtiness of the git working tree at ``path``, when it is one."""
    commit = _run("git", "rev-parse", "HEAD", cwd=path) if os.path.isdir(path) else None
    if commit is None:
        return {}
    status = _run("git", "status", "--porcelain", "--untracked-files=no", cwd=path)
    return {"commit": commit, "dirty": bool(status)}


def _origin(direct_url: str | None, installer: str, conda: bool) -> dict[str, Any]:
    """Where a distribution came from, read from its ``direct_url.json`` (PEP 610)."""
    if direct_url:
        try:
            info = json.loads(direct_url)
        except ValueError:
            info = {}
        url = str(info.get("url", ""))
        if "vcs_info" in info:
            vcs = info["vcs_info"]
            return {
                "kind": vcs.get("vcs", "git"),
                "url": url,
                "commit": vcs.get("commit_id"),
                "requested": vcs.get("requested_revision"),
            }
        if "dir_info" in info:
            path = _local_path(url)
            if info["dir_info"].get("editable"):
                return {"kind": "editable", "path": path, **_git_checkout(path)}
            return {"kind": "local-folder", "path": path}
        if "archive_info" in info:
            if url.startswith("file:"):
                return {"kind": "local-file", "path": _local_path(url)}
            return {"kind": "url", "url": url}
    if conda or installer == "conda":
        return {"kind": "conda"}
    return {"kind": "index", "installer": installer or None}


def _distributions() -> list[dict[str, Any]]:
    from importlib import metadata

    conda = os.path.isdir(os.path.join(sys.prefix, "conda-meta"))
    found: dict[str, dict[str, Any]] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found:
            continue  # an earlier entry of sys.path wins, as it does for imports
        installer = (dist.read_text("INSTALLER") or "").strip()
        found[key] = {
            "name": key,
            "version": dist.version,
            "origin": _origin(dist.read_text("direct_url.json"), installer, conda),
        }
    return [found[key] for key in sorted(found)]


def _libc() -> dict[str, str | None]:
    name, version = platform.libc_ver()
    return {"name": name or None, "version": version or None}


def _gpu() -> dict[str, Any] | None:
    """The NVIDIA driver, CUDA version and GPU names, or None without ``nvidia-smi``."""
    if shutil.which("nvidia-smi") is None:
        return None
    listing = _run("nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader")
    if listing is None:
        return None
    rows = [[part.strip() for part in line.split(",")] for line in listing.splitlines() if line]
    banner = _run("nvidia-smi") or ""
    cuda = re.search(r"CUDA Version:\s*([0-9.]+)", banner)
    return {
        "driver": rows[0][1] if rows and len(rows[0]) > 1 else None,
        "cuda": cuda.group(1) if cuda else None,
        "names": [row[0] for row in rows],
    }


def probe(variables: list[str]) -> str:
    """Describe this interpreter, its distributions, the platform and ``variables``."""
    return json.dumps(
        {
            "executable": sys.executable,
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "prefix": sys.prefix,
            "base_prefix": getattr(sys, "base_prefix", sys.prefix),
            "packages": _distributions(),
            "platform": {
                "system": platform.system(),
                "release": platform.release(),
                "machine": platform.machine(),
                "libc": _libc(),
                "cpus": os.cpu_count(),
                "gpu": _gpu(),
            },
            "variables": {name: os.environ.get(name) for name in variables},
        }
    )
