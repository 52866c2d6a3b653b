"""A real JupyterLab server and a real Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GREENHOUSE_CHROMIUM", "/usr/bin/chromium")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOKEN = "greenhouse-ui-test"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer at {url}")


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(EXAMPLES / "train.ipynb", root / "train.ipynb")
    shutil.copytree(EXAMPLES / "data", root / "data")
    return root


@pytest.fixture(scope="session")
def lab_settings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Lab's user settings and workspaces folder."""
    return tmp_path_factory.mktemp("lab-settings")


@pytest.fixture(scope="session")
def lab_url(lab_root: Path, lab_settings: Path) -> Iterator[str]:
    port = _free_port()
    settings = lab_settings
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    # No "get notified about Jupyter news?" toast over the page (and no fetch for it).
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    log = (lab_root / "lab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--allow-root",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={TOKEN}",
            f"--ServerApp.root_dir={lab_root}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={settings}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        cwd=lab_root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/api/status?token={TOKEN}", time.monotonic() + 120)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            # A loaded machine can still be starting a kernel: stop waiting for it.
            server.kill()
            server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def lab_token() -> str:
    return TOKEN


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(__file__).parent / "screenshots" / datetime.now().strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture
def page(lab_url: str, lab_settings: Path) -> Iterator[object]:
    # Each test starts from an empty workspace, not the tabs an earlier test left open.
    for workspace in lab_settings.glob("*.jupyterlab-workspace"):
        workspace.unlink()
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        context.close()
        browser.close()
