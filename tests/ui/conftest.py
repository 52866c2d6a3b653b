"""A real JupyterLab server and a real Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from labs import CHROMIUM, CHROMIUM_ARGS, start_lab, stop_lab

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOKEN = "greenhouse-ui-test"


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
    with (lab_root / "lab.log").open("w") as log:
        server, base = start_lab(lab_root, lab_settings, TOKEN, log)
        try:
            yield base
        finally:
            stop_lab(server)


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
