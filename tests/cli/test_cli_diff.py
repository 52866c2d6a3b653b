"""`greenhouse diff` end to end: real runs in real kernels, then the command in its own process."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from notebooks import png, write_notebook

from greenhouse_ext.artefacts.diff import BASE64_CAP
from greenhouse_ext.artefacts.normalise import OUTPUT_SIZE_CAP, parse_stand_in

PARAMS = "epochs = 3\nrate = 0.5"
BODY = (
    "from greenhouse_ext import record\n"
    "score = epochs * rate\n"
    "record('score', score)\n"
    "record('label', 'big' if epochs > 3 else 'small')\n"
    "print(f'score={score}')"
)
KEYS = {"a", "b", "parameters", "metrics", "inputs", "environment", "notebook"}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "greenhouse_ext", *args]


def environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("GREENHOUSE_STORE", "NO_COLOR")}


def greenhouse(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env=environ(),
        check=False,
    )


def diff_json(*args: str, cwd: Path) -> dict[str, Any]:
    done = greenhouse("diff", "--json", *args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    assert set(data) == KEYS
    return data


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A store holding three runs: two with epochs=3, one with epochs=4."""
    root = tmp_path_factory.mktemp("diff")
    (root / ".greenhouse").mkdir()
    write_notebook(root / "train.ipynb", PARAMS, BODY)
    procs = {
        name: subprocess.Popen(
            command("run", "train.ipynb", "-p", "epochs", epochs, "--json"),
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ(),
        )
        for name, epochs in (("first", "3"), ("again", "3"), ("more", "4"))
    }
    runs = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        runs[name] = json.loads(out)["id"]
    return root, runs


def test_same_values_give_an_empty_diff(project: tuple[Path, dict[str, str]]) -> None:
    root, runs = project
    data = diff_json(runs["first"], runs["again"], cwd=root)
    assert data["notebook"] == {"changed_cells": [], "nbdime": []}
    assert data["parameters"] == data["metrics"] == data["inputs"] == []
    assert data["a"] == f"run {runs['first']}" and data["b"] == f"run {runs['again']}"
    env = data["environment"]
    assert env["python"]["a"] == env["python"]["b"]
    assert env["packages"] == {"added": [], "removed": [], "changed": []}

    human = greenhouse("diff", "--exit-code", runs["first"], runs["again"], cwd=root)
    assert human.returncode == 0, human.stderr
    assert "Notebook: no changes" in human.stdout
    assert "Parameters: no changes" in human.stdout and "---" not in human.stdout


def test_changed_values_show_parameters_and_metrics(project: tuple[Path, dict[str, str]]) -> None:
    root, runs = project
    data = diff_json(runs["first"], runs["more"], cwd=root)
    assert data["parameters"] == [{"name": "epochs", "change": "changed", "a": 3, "b": 4}]
    metrics = {m["name"]: m for m in data["metrics"]}
    assert metrics["score"]["a"] == 1.5 and metrics["score"]["b"] == 2.0
    assert metrics["score"]["delta"] == 0.5
    assert metrics["score"]["percent"] == pytest.approx(100 / 3)
    assert metrics["label"] == {
        "name": "label",
        "change": "changed",
        "a": "small",
        "b": "big",
        "delta": None,
        "percent": None,
    }
    [cell] = data["notebook"]["changed_cells"]
    assert (cell["kind"], cell["a_index"], cell["b_index"]) == ("modified", 1, 1)
    assert (cell["source_changed"], cell["outputs_changed"]) == (False, True)

    plain = greenhouse("diff", runs["first"], runs["more"], cwd=root)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert any(line.split() == ["epochs", "3", "4"] for line in lines)
    assert any(line.split() == ["score", "1.5", "2", "+0.5", "+33.3%"] for line in lines)
    assert any(line.split() == ["label", '"small"', '"big"', "-", "-"] for line in lines)
    assert "cell 2 (code) modified: outputs" in plain.stdout
    assert "-  score=1.5" in plain.stdout and "+  score=2.0" in plain.stdout
    assert "\x1b[" not in plain.stdout
    assert greenhouse("diff", "--exit-code", runs["first"], runs["more"], cwd=root).returncode == 1


def test_file_against_run(project: tuple[Path, dict[str, str]]) -> None:
    root, runs = project
    data = diff_json("train.ipynb", runs["more"], cwd=root)
    assert data["a"] == "train.ipynb"
    assert data["parameters"] == [{"name": "epochs", "change": "changed", "a": 3, "b": 4}]
    assert {m["name"]: m["change"] for m in data["metrics"]} == {"score": "added", "label": "added"}
    assert data["inputs"] == [] and data["environment"] is None
    cells = data["notebook"]["changed_cells"]
    assert [(c["a_index"], c["outputs_changed"], c["source_changed"]) for c in cells] == [
        (1, True, False)
    ]
    human = greenhouse("diff", "train.ipynb", runs["more"], cwd=root)
    assert human.returncode == 0, human.stderr
    assert "Environment: not compared" in human.stdout


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ("nope", "first", "'nope' is not a run"),
        ("first", "missing.ipynb", "'missing.ipynb' does not exist"),
        ("bad name@1", "first", "not a valid name"),
        ("train@7", "first", "train"),
    ],
    ids=["unknown-run", "missing-file", "malformed-name", "unknown-version"],
)
def test_bad_reference_exits_2(
    project: tuple[Path, dict[str, str]], a: str, b: str, message: str
) -> None:
    root, runs = project
    done = greenhouse("diff", runs.get(a, a), runs.get(b, b), cwd=root)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and message in done.stderr


def image_notebook(path: Path, *images: str) -> Path:
    cells = [
        {
            "cell_type": "code",
            "execution_count": index + 1,
            "id": f"plot-{index}",
            "metadata": {},
            "outputs": [
                {
                    "output_type": "display_data",
                    "data": {"image/png": data, "text/plain": "<Figure size 640x480>"},
                    "metadata": {},
                }
            ],
            "source": f"plot({index})",
        }
        for index, data in enumerate(images)
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def test_big_outputs_are_compared_by_stand_in(tmp_path: Path) -> None:
    same, old, new = png(3_000_000, 1), png(3_000_000, 2), png(3_000_000, 3)
    image_notebook(tmp_path / "a.ipynb", same, old)
    image_notebook(tmp_path / "b.ipynb", same, new)
    done = greenhouse("diff", "--json", "a.ipynb", "b.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) < 20_000
    data = json.loads(done.stdout)
    [cell] = data["notebook"]["changed_cells"]
    assert cell["a_index"] == 1
    assert cell["large_outputs"] == [{"key": "image/png", "a_size": len(old), "b_size": len(new)}]
    texts = strings(data["notebook"]["nbdime"])
    assert max(len(text) for text in texts) <= BASE64_CAP
    sizes = {parse_stand_in(text) for text in texts} - {None}
    assert {size for size, _ in sizes} == {len(old), len(new)}

    human = greenhouse("diff", "a.ipynb", "b.ipynb", cwd=tmp_path)
    assert "cell 2 (code) modified: outputs; image/png changed (4.0 MB)" in human.stdout
    assert max(len(line) for line in human.stdout.splitlines()) <= BASE64_CAP


def test_an_image_under_the_cap_is_printed_as_a_stand_in_on_both_sides(tmp_path: Path) -> None:
    old, new = png(26_000, 1), png(26_000, 2)
    image_notebook(tmp_path / "a.ipynb", old)
    image_notebook(tmp_path / "b.ipynb", new)

    human = greenhouse("diff", "a.ipynb", "b.ipynb", cwd=tmp_path)

    assert human.returncode == 0, human.stderr
    assert "<snip base64" not in human.stdout
    assert f"<greenhouse: {len(old)} bytes omitted, sha256:" in human.stdout
    assert human.stdout.count(f"<greenhouse: {len(new)} bytes omitted, sha256:") == 2


def test_two_files_need_no_store_and_make_none(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write_notebook(tmp_path / "a.ipynb", None, "x = 1")
    write_notebook(tmp_path / "b.ipynb", None, "x = 2")

    done = greenhouse("diff", "--json", "a.ipynb", "b.ipynb", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert [c["a_index"] for c in json.loads(done.stdout)["notebook"]["changed_cells"]] == [0]
    assert not (tmp_path / ".greenhouse").exists()
    missing = greenhouse("diff", "a.ipynb", "0123abcd", cwd=tmp_path)
    assert missing.returncode == 2
    assert "'0123abcd' is not a run" in missing.stderr


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return [value] if isinstance(value, str) else []


def in_terminal(*args: str, cwd: Path) -> str:
    """Run greenhouse with a pseudo-terminal as stdout and return what it printed."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        command(*args), cwd=cwd, stdout=secondary, stderr=subprocess.DEVNULL, env=environ()
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=180) == 0
    return b"".join(chunks).decode()


@pytest.mark.parametrize(
    ("flags", "coloured"), [((), True), (("--no-color",), False)], ids=["tty", "no-color"]
)
def test_colour_only_on_a_terminal(tmp_path: Path, flags: tuple[str, ...], coloured: bool) -> None:
    write_notebook(tmp_path / "a.ipynb", None, "x = 1\nprint(x)")
    write_notebook(tmp_path / "b.ipynb", None, "x = 2\nprint(x)")
    shown = in_terminal("diff", *flags, "a.ipynb", "b.ipynb", cwd=tmp_path)
    assert "x = 2" in shown
    assert ("\x1b[" in shown) is coloured


def test_help_documents_normalisation_and_exit_status() -> None:
    done = subprocess.run(
        command("diff", "--help"), capture_output=True, text=True, check=True, env=environ()
    )
    text = " ".join(done.stdout.split())
    assert f"payloads over {OUTPUT_SIZE_CAP // 1024} KiB in one output" in text
    for words in ("injected-parameters", "cell ids", "execution counts", "--exit-code", "2 for"):
        assert words in text
