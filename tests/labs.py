"""A real JupyterLab server for the browser tests and the UI benchmark: started on a free
port with its own settings folder (no news toast), answered once its API does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

CHROMIUM = os.environ.get("GREENHOUSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_lab(
    root: Path, settings: Path, token: str, log: IO[str] | int = subprocess.DEVNULL
) -> tuple[subprocess.Popen[bytes], str]:
    """JupyterLab serving ``root`` (whose store is ``root/.greenhouse``), and its URL.

    Raises
    ------
    TimeoutError
        It did not answer within `START_TIMEOUT_S` (it is killed).
    """
    port = free_port()
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    # No "get notified about Jupyter news?" toast over the page (and no fetch for it).
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--allow-root",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={settings}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as reply:
                if reply.status == 200:
                    return server, base
        except OSError:
            time.sleep(0.5)
    server.kill()
    server.wait(timeout=30)
    raise TimeoutError(f"JupyterLab did not answer at {base}")


def stop_lab(server: subprocess.Popen[bytes]) -> None:
    """Stop the server; a loaded machine can still be starting a kernel: then kill it."""
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)
