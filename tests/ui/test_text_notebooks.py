"""The panel on a text notebook (Jupytext's percent `.py`), in a real JupyterLab and
Debian's Chromium: opened as a notebook through Jupytext's "Open With", the notebook's
toolbar has the Run button, and the sidebar reads its parameters cell and runs it with a
value typed in its form."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

RUN_TIMEOUT_MS = 180_000
PERCENT = """# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
rows: int = 3  # how many rows | min=1, max=100

# %%
from greenhouse_ext import record

record("total", sum(range(rows)))
"""


def test_the_panel_runs_a_percent_notebook_opened_with_jupytext(
    page: Any, lab_url: str, lab_token: str, lab_root: Path
) -> None:
    (lab_root / "analysis.py").write_text(PERCENT)
    page.goto(f"{lab_url}/lab?token={lab_token}")
    page.click('.jp-DirListing-item[title^="Name: analysis.py"]', button="right", timeout=120_000)
    page.click('.lm-Menu-item:has-text("Open With")')
    page.click('.lm-Menu-item:has-text("Jupytext Notebook")')
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    if not page.is_visible(".jp-greenhouse-panel"):
        page.click('[data-id="greenhouse-panel"]')
    page.wait_for_selector('.jp-greenhouse-param[data-name="rows"]')
    assert "analysis.py" in page.inner_text(".jp-greenhouse-notebook")
    assert page.is_visible(".jp-NotebookPanel-toolbar .jp-greenhouse-toolbar-run")

    field = page.locator('.jp-greenhouse-param[data-name="rows"] .jp-greenhouse-param-input')
    field.fill("5")
    field.dispatch_event("change")
    page.click(".jp-greenhouse-run-button")
    card = page.wait_for_selector(
        '.jp-greenhouse-run[data-status="succeeded"]', timeout=RUN_TIMEOUT_MS
    )
    assert (
        card.query_selector('.jp-greenhouse-metric[data-name="total"]').inner_text().endswith("10")
    )

    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    shown = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "--store", str(lab_root / ".greenhouse"),
         "runs", "--notebook", "analysis.py", "--json"],
        cwd=lab_root, capture_output=True, text=True, env=env, check=True, timeout=120,
    )  # fmt: skip
    (run,) = json.loads(shown.stdout)
    assert run["parameters"] == {"rows": 5}
    assert run["metrics"] == {"total": 10}


MYST = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Notes

```{code-cell} ipython3
:tags: [parameters]

scale: float = 2.0  # how much to scale
```

```{code-cell} ipython3
from greenhouse_ext import record

record("scaled", scale * 10)
```
"""


def test_the_file_browser_offers_a_text_notebook_to_the_panel_without_opening_it(
    page: Any, lab_url: str, lab_token: str, lab_root: Path
) -> None:
    (lab_root / "notes.md").write_text(MYST)
    page.goto(f"{lab_url}/lab?token={lab_token}")
    page.click('.jp-DirListing-item[title^="Name: data"]', button="right", timeout=120_000)
    assert not page.is_visible('.lm-Menu-item:has-text("Show in Greenhouse Sidebar")')
    page.keyboard.press("Escape")

    page.click('.jp-DirListing-item[title^="Name: notes.md"]', button="right")
    page.click('.lm-Menu-item:has-text("Show in Greenhouse Sidebar")')
    page.wait_for_selector('.jp-greenhouse-param[data-name="scale"]')
    assert "notes.md" in page.inner_text(".jp-greenhouse-notebook")
    assert page.locator(".jp-NotebookPanel").count() == 0

    page.click(".jp-greenhouse-run-button")
    card = page.wait_for_selector(
        '.jp-greenhouse-run[data-status="succeeded"]', timeout=RUN_TIMEOUT_MS
    )
    assert (
        card.query_selector('.jp-greenhouse-metric[data-name="scaled"]').inner_text().endswith("20")
    )
