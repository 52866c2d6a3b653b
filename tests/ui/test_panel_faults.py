"""The panel's faults found by a walk in a real browser (issue 21), fixed and kept fixed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import EXAMPLES
from test_panel import shot

PLOT_SOURCE = """\
import base64, random, struct, zlib
from IPython.display import Image, display

def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

noise = random.Random(seed)
rows = b"".join(b"\\0" + noise.randbytes(3 * 120) for _ in range(80))
header = struct.pack(">IIBBBBB", 120, 80, 8, 2, 0, 0, 0)
png = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
png += chunk(b"IEND", b"")
display(Image(data=png))
"""


# The notebook on show: earlier tests leave theirs open in hidden tabs.
SHOWN_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"


def plots_notebook(path: Path) -> None:
    """A notebook drawing a 28 KB noise image from its ``seed`` parameter."""
    cells = [
        {
            "cell_type": "code",
            "id": "parameters",
            "metadata": {"tags": ["parameters"]},
            "source": 'seed = 1\nfeatures: list[str] = ["bill_depth_mm"]',
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "id": "plot",
            "metadata": {},
            "source": PLOT_SOURCE,
            "outputs": [],
            "execution_count": None,
        },
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def cli_run(root: Path, notebook: str, **values: object) -> str:
    """Run ``notebook`` with ``greenhouse run`` in the Lab's store; return the run's id."""
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    parameters = [arg for name, value in values.items() for arg in ("-p", name, str(value))]
    store = str(root / ".greenhouse")
    command = [sys.executable, "-m", "greenhouse_ext", "--store", store, "run", notebook]
    done = subprocess.run(
        [*command, *parameters, "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run_id: str = json.loads(done.stdout)["id"]
    return run_id


def test_diff_images_selection_validation_and_unsaved_edits(
    page: Any, lab_url: str, lab_token: str, lab_root: Path, screenshots: Path
) -> None:
    plots_notebook(lab_root / "plots.ipynb")
    runs = [cli_run(lab_root, "plots.ipynb", seed=seed) for seed in (1, 2)]
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))

    page.goto(f"{lab_url}/lab/tree/plots.ipynb?token={lab_token}")
    page.wait_for_selector(f"{SHOWN_NOTEBOOK} .jp-Cell", timeout=120_000)
    if not page.is_visible(".jp-greenhouse-panel"):
        page.click('[data-id="greenhouse-panel"]')
    for run_id in runs:
        page.locator(
            f'.jp-greenhouse-run[data-run-id="{run_id}"] .jp-greenhouse-run-select'
        ).check()
    note = page.locator(".jp-greenhouse-selection").inner_text()
    assert note == f"Diff will compare {runs[0]} and {runs[1]}."
    page.click(".jp-greenhouse-diff-button")
    page.wait_for_selector(".jp-greenhouse-diff .jp-greenhouse-diff-notebook", timeout=60_000)
    images = page.locator(".jp-greenhouse-diff-notebook img")
    images.first.wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-greenhouse-diff-notebook img')]"
        ".every(img => img.complete)"
    )
    sources = images.evaluate_all("imgs => imgs.map(img => [img.src, img.naturalWidth])")
    assert len(sources) == 2
    assert all(src.startswith("data:image/png;base64,iVBOR") for src, _ in sources)
    assert [width for _, width in sources] == [120, 120]
    assert not [text for text in errors if "ERR_INVALID_URL" in text]
    shot(page, screenshots, "20-diff-images")

    # Validation on the right field: a sweep's further value, a list written with commas.
    seed = page.locator('.jp-greenhouse-param[data-name="seed"]')
    seed.locator(".jp-greenhouse-param-more").fill("2; x; 3")
    sweep_button = page.locator(".jp-greenhouse-sweep-button")
    assert sweep_button.inner_text() == "Sweep (3 runs)"
    assert sweep_button.is_disabled()
    assert "jp-greenhouse-invalid" not in (seed.get_attribute("class") or "")
    assert seed.locator(".jp-greenhouse-param-more-error").inner_text().startswith("x: ")
    seed.locator(".jp-greenhouse-param-more").fill("")
    features = page.locator('.jp-greenhouse-param[data-name="features"]')
    features.locator(".jp-greenhouse-param-input").fill("[bill")
    error = features.locator(".jp-greenhouse-param-error").inner_text()
    assert error.startswith("expected a list: values separated by commas")
    features.locator(".jp-greenhouse-param-input").fill("bill_depth_mm, body_mass_g")
    assert features.locator(".jp-greenhouse-param-error").inner_text() == ""
    shot(page, screenshots, "21-validation")
    features.locator(".jp-greenhouse-param-input").fill('["bill_depth_mm"]')

    # Unsaved edits of the parameters cell: the form follows them, Run asks first.
    page.click('.lm-TabBar-tab[data-type="document-title"]:has-text("plots.ipynb")')
    page.locator(f"{SHOWN_NOTEBOOK} .jp-Cell").first.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nscale = 2")
    page.wait_for_selector('.jp-greenhouse-param[data-name="scale"]', timeout=20_000)
    page.click(".jp-greenhouse-run-button")
    dialog = page.locator(".jp-Dialog")
    assert "unsaved changes" in dialog.inner_text()
    buttons = dialog.locator(".jp-Dialog-button").all_inner_texts()
    assert buttons == ["Cancel", "Run the Saved Version", "Save and Run"]
    shot(page, screenshots, "22-unsaved-edits")
    dialog.locator('.jp-Dialog-button:has-text("Cancel")').click()
    dialog.wait_for(state="detached")
    assert page.locator(".jp-greenhouse-run").count() == 2
    page.click(".jp-greenhouse-run-button")
    dialog.locator('.jp-Dialog-button:has-text("Save and Run")').click()
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-greenhouse-run[data-status=\"succeeded\"]')"
        ".length === 3",
        timeout=180_000,
    )
    assert "scale = 2" in (lab_root / "plots.ipynb").read_text()


def test_run_unedited_notebook_lists_parameters_and_titles_report(
    page: Any, lab_url: str, lab_token: str, lab_root: Path, screenshots: Path
) -> None:
    (lab_root / "unedited.ipynb").write_text((EXAMPLES / "train.ipynb").read_text())
    page.goto(f"{lab_url}/lab/tree/unedited.ipynb?token={lab_token}")
    page.wait_for_selector(f"{SHOWN_NOTEBOOK} .jp-Cell", timeout=120_000)
    if not page.is_visible(".jp-greenhouse-panel"):
        page.click('[data-id="greenhouse-panel"]')
    page.wait_for_selector('.jp-greenhouse-param[data-name="epochs"]')
    # Lab marks the notebook changed once its kernel reports its language: no edit of
    # the user's, and nothing that changes what runs.
    tab = page.locator('.lm-TabBar-tab[data-type="document-title"]:has-text("unedited.ipynb")')
    page.wait_for_function(
        "tab => tab.classList.contains('jp-mod-dirty')",
        arg=tab.element_handle(),
        timeout=120_000,
    )
    field = page.locator('.jp-greenhouse-param[data-name="epochs"] .jp-greenhouse-param-input')
    field.fill("60")
    field.dispatch_event("change")

    page.click(".jp-greenhouse-run-button")
    card = page.locator(".jp-greenhouse-run").first
    card.wait_for()
    assert page.locator(".jp-Dialog").count() == 0
    listed = card.locator(".jp-greenhouse-run-param")
    names = ["learning_rate", "epochs", "model", "data_path", "api_token"]
    assert listed.evaluate_all("items => items.map(item => item.dataset.name)") == names
    page.wait_for_function(
        "() => document.querySelector('.jp-greenhouse-run')?.dataset.status === 'succeeded'",
        timeout=180_000,
    )
    assert listed.evaluate_all("items => items.map(item => item.dataset.name)") == names
    changed = card.locator(".jp-greenhouse-run-param.jp-greenhouse-changed")
    assert changed.evaluate_all("items => items.map(item => item.dataset.name)") == ["epochs"]
    assert changed.locator(".jp-greenhouse-value").inner_text() == "60"
    assert card.locator(".jp-greenhouse-run-log").evaluate("log => log.open")
    run_id = card.get_attribute("data-run-id")
    card.locator(".jp-greenhouse-open-report-button").click()
    report_tab = page.locator(f'.lm-TabBar-tab:has-text("Report {run_id}")')
    report_tab.wait_for()
    assert report_tab.get_attribute("title") == f"Report of {run_id} (unedited.ipynb)"
    shot(page, screenshots, "23-unedited-run-report")

    # A real edit of the notebook is still asked about.
    tab.click()
    page.locator(f"{SHOWN_NOTEBOOK} .jp-Cell").nth(1).locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nscale = 2")
    page.click(".jp-greenhouse-run-button")
    dialog = page.locator(".jp-Dialog")
    assert "unsaved changes" in dialog.inner_text()
    dialog.locator('.jp-Dialog-button:has-text("Cancel")').click()
    dialog.wait_for(state="detached")


RECORDS_SOURCE = """\
from pathlib import Path
from greenhouse_ext import record, record_file

print(" ".join(f"line-{seed}-{n}" for n in range(60)))
record("score", seed / 10)
Path("weights.txt").write_text(str(seed) * 100)
record_file("weights.txt")
"""


def test_diff_draws_records_as_lines_and_keeps_streams_apart(
    page: Any, lab_url: str, lab_token: str, lab_root: Path, screenshots: Path
) -> None:
    cells = [
        {
            "cell_type": "code",
            "id": "parameters",
            "metadata": {"tags": ["parameters"]},
            "source": "seed = 1",
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "id": "records",
            "metadata": {},
            "source": RECORDS_SOURCE,
            "outputs": [],
            "execution_count": None,
        },
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
    (lab_root / "records.ipynb").write_text(json.dumps(nb))
    runs = [cli_run(lab_root, "records.ipynb", seed=seed) for seed in (1, 2)]

    page.goto(f"{lab_url}/lab/tree/records.ipynb?token={lab_token}")
    page.wait_for_selector(f"{SHOWN_NOTEBOOK} .jp-Cell", timeout=120_000)
    if not page.is_visible(".jp-greenhouse-panel"):
        page.click('[data-id="greenhouse-panel"]')
    for run_id in runs:
        page.locator(
            f'.jp-greenhouse-run[data-run-id="{run_id}"] .jp-greenhouse-run-select'
        ).check()
    page.click(".jp-greenhouse-diff-button")
    notebook = page.locator(".jp-greenhouse-diff .jp-greenhouse-diff-notebook")
    notebook.wait_for(timeout=60_000)
    page.wait_for_selector(".jp-greenhouse-diff-notebook .jp-greenhouse-record")
    shot(page, screenshots, "24-diff-records-streams")

    lines = notebook.locator(".jp-greenhouse-record").all_inner_texts()
    assert "recorded score = 0.1" in lines
    assert "recorded score = 0.2" in lines
    assert any(line.startswith("recorded file weights.txt (100 B, sha256 ") for line in lines)
    assert '"encoder"' not in notebook.inner_text()
    # The two sides' stream outputs each stay within their own half.
    boxes = notebook.locator(".jp-Diff-renderedOutput pre").evaluate_all(
        "pres => pres.filter(pre => pre.textContent.includes('line-'))"
        ".map(pre => { const r = pre.getBoundingClientRect(); return [r.left, r.right]; })"
    )
    assert len(boxes) == 2
    (_, left_end), (right_start, _) = sorted(boxes)
    assert left_end <= right_start
    widths = notebook.locator(".jp-Diff-renderedOutput pre").evaluate_all(
        "pres => pres.filter(pre => pre.textContent.includes('line-'))"
        ".map(pre => pre.scrollWidth <= pre.clientWidth)"
    )
    assert widths == [True, True]
    # The records below them are laid out in halves of the diff too, not squeezed.
    diff_width = notebook.evaluate("n => n.getBoundingClientRect().width")
    record_widths = notebook.locator(".jp-greenhouse-record").evaluate_all(
        "items => items.map(item => item.getBoundingClientRect().width)"
    )
    assert min(record_widths) > diff_width / 3
