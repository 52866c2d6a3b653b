"""The code a Python kernel runs to describe its own environment, sent as a silent request.

This module's source is executed inside the kernel, in a namespace of its own, before the
notebook's first cell (see `greenhouse_ext.execution.kernel_env`): it must use the
standard library only, run on any Python 3.8 or later, and leave nothing behind in the
kernel's namespace. `probe` returns its findings as one JSON text.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

_COMMAND_TIMEOUT_S = 5


def _start(*command: str, cwd: str | None = None) -> subprocess.Popen[str] | None:
    try:
        return subprocess.Popen(
            list(command), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
    except OSError:
        return None


def _output(process: subprocess.Popen[str] | None, deadline: float) -> str | None:
    """What ``process`` printed, or None when it failed or outlived ``deadline`` (monotonic)."""
    if process is None:
        return None
    try:
        out, _ = process.communicate(timeout=max(deadline - time.monotonic(), 0.0))
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return out.strip() if process.returncode == 0 else None


def _run(*command: str) -> str | None:
    return _output(_start(*command), time.monotonic() + _COMMAND_TIMEOUT_S)


def _local_path(url: str) -> str:
    # urllib.request costs a few milliseconds to import; few distributions need it.
    from urllib.request import url2pathname

    return url2pathname(urllib.parse.urlparse(url).path)


def _git_checkout(status: str | None) -> dict[str, Any]:
    """The commit and dirtiness of a git working tree, read from its ``git status``.

    Its ``branch.oid`` header is HEAD's commit (``(initial)`` before the first commit) and
    any further line a tracked file that differs.
    """
    lines = (status or "").splitlines()
    heads = [line.split()[2] for line in lines if line.startswith("# branch.oid ")]
    if not heads or heads[0] == "(initial)":
        return {}
    return {"commit": heads[0], "dirty": any(not line.startswith("#") for line in lines)}


def _git_checkouts(paths: list[str]) -> dict[str, dict[str, Any]]:
    """`_git_checkout` of each folder of ``paths``, one ``git status`` each, side by side."""
    status = ("git", "status", "--porcelain=v2", "--branch", "--untracked-files=no")
    started = {path: _start(*status, cwd=path) for path in paths if os.path.isdir(path)}
    deadline = time.monotonic() + _COMMAND_TIMEOUT_S
    return {path: _git_checkout(_output(process, deadline)) for path, process in started.items()}


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
                return {"kind": "editable", "path": path}  # its git state: _distributions
            return {"kind": "local-folder", "path": path}
        if "archive_info" in info:
            if url.startswith("file:"):
                return {"kind": "local-file", "path": _local_path(url)}
            return {"kind": "url", "url": url}
    if conda or installer == "conda":
        return {"kind": "conda"}
    return {"kind": "index", "installer": installer or None}


# A header line as `email`'s parser (and so `importlib.metadata`) reads one: a field
# name and a colon, or a continuation of the previous field.
_HEADER_LINE = re.compile(r"[\041-\071\073-\176]*:|[\t ]")


def _read_text(folder: str, name: str) -> str | None:
    """The text of ``folder``/``name``, or None where `importlib.metadata` would find none."""
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as file:
            return file.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return None


def _name_and_version(info: str) -> tuple[str | None, str | None]:
    """The ``Name`` and ``Version`` fields of the metadata in ``info``, read from its head.

    The same file `importlib.metadata` reads (``METADATA``, else ``PKG-INFO``, else a
    ``.egg-info`` file itself), and the same values its parser gives (the first of each
    field, continuation lines included), reading no further than both fields.
    """
    for path in (os.path.join(info, "METADATA"), os.path.join(info, "PKG-INFO"), info):
        try:
            with open(path, encoding="utf-8") as file:
                first = file.readline()
                if not first:
                    continue  # an empty file: importlib.metadata reads the next one
                fields: dict[str, str] = {}
                field = ""
                for line in itertools.chain((first,), file):
                    if not _HEADER_LINE.match(line) or line[0] in "\r\n":
                        break
                    if line[0] in " \t":
                        fields[field] = fields.get(field, "") + line
                        continue
                    if "name" in fields and "version" in fields:
                        break
                    key, value = line.split(":", 1)
                    field = key.lower() if key.lower() not in fields else ""
                    fields[field] = value.lstrip(" \t")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            continue
        name, version = fields.get("name"), fields.get("version")
        return (
            name.rstrip("\r\n") if name is not None else None,
            version.rstrip("\r\n") if version is not None else None,
        )
    return None, None


def _metadata_folders(entry: str) -> list[str]:
    """The ``.dist-info`` and ``.egg-info`` paths of one folder of ``sys.path``.

    In the order `importlib.metadata` gives them: by the project name of their file name,
    in order of first appearance, then the ``EGG-INFO`` of an ``.egg`` folder.
    """
    root = entry or "."
    children = os.listdir(root)
    groups: dict[str, list[str]] = {}
    for child in children:
        low = child.lower()
        if low.endswith((".dist-info", ".egg-info")):
            name = re.sub(r"[-_.]+", "_", low.rpartition(".")[0].partition("-")[0])
            groups.setdefault(name, []).append(os.path.join(entry, child))
    found = [path for paths in groups.values() for path in paths]
    if os.path.basename(entry).lower().endswith(".egg"):
        found += [os.path.join(entry, child) for child in children if child.lower() == "egg-info"]
    return found


def _path_distributions() -> Iterator[tuple[str | None, str | None, Callable[[str], str | None]]]:
    """Name, version and a file reader of each distribution found along ``sys.path``.

    Folders are read directly; any other entry (a zip file) through `importlib.metadata`.
    """
    for entry in sys.path:
        if not isinstance(entry, str):
            continue
        if os.path.isdir(entry or "."):
            try:
                folders = _metadata_folders(entry)
            except OSError:
                continue
            for info in folders:
                name, version = _name_and_version(info)
                yield name, version, partial(_read_text, info)
        elif os.path.exists(entry):
            from importlib import metadata

            for dist in metadata.distributions(path=[entry]):
                yield dist.metadata["Name"], dist.version, dist.read_text


def _all_distributions() -> Iterator[tuple[str | None, str | None, Callable[[str], str | None]]]:
    """What `importlib.metadata.distributions` finds, in its order, read cheaply."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is PathFinder:
            yield from _path_distributions()
        elif hasattr(finder, "find_distributions"):
            from importlib import metadata

            for dist in finder.find_distributions(metadata.DistributionFinder.Context()):
                yield dist.metadata["Name"], dist.version, dist.read_text


def _distributions() -> list[dict[str, Any]]:
    conda = os.path.isdir(os.path.join(sys.prefix, "conda-meta"))
    found: dict[str, dict[str, Any]] = {}
    for name, version, read in _all_distributions():
        if not name:
            continue
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found:
            continue  # an earlier entry of sys.path wins, as it does for imports
        installer = (read("INSTALLER") or "").strip()
        found[key] = {
            "name": key,
            "version": version,
            "origin": _origin(read("direct_url.json"), installer, conda),
        }
    editables = [d["origin"] for d in found.values() if d["origin"]["kind"] == "editable"]
    checkouts = _git_checkouts([origin["path"] for origin in editables])
    for origin in editables:
        origin.update(checkouts.get(origin["path"], {}))
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
