"""The diff core: noise-free notebook diffs, record sections, cell summaries, large outputs."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from notebooks import Notebook, base_notebook, code, executed, image, notebook, png, stream

from greenhouse_ext.artefacts.diff import (
    BASE64_CAP,
    compare,
    diff_environment,
    diff_inputs,
    diff_metrics,
    diff_parameters,
    effective_parameters,
    strip_payloads,
)
from greenhouse_ext.artefacts.normalise import normalise_notebook, parse_stand_in
from greenhouse_ext.models import InputFile, Provenance, Run, RunStatus
from greenhouse_ext.notebook_api import SCRAP_MIME
from greenhouse_ext.store.refs import Subject


def scrap(name: str, value: Any) -> dict[str, Any]:
    payload = {"name": name, "data": value, "encoder": "json", "version": 1}
    return {"output_type": "display_data", "data": {SCRAP_MIME: payload}, "metadata": {}}


def subject(nb: Notebook, run: Run | None = None, ref: str = "x.ipynb") -> Subject:
    return Subject(ref=ref, kind="run" if run else "file", notebook=nb, run=run)


def with_lines(nb: Notebook) -> Notebook:
    for cell in nb["cells"]:
        cell["source"] = cell["source"].splitlines(keepends=True)
    return nb


def with_banner(nb: Notebook) -> Notebook:
    banner = {
        "cell_type": "markdown",
        "id": "banner",
        "metadata": {"tags": ["papermill-error-cell-tag"]},
        "source": '<span id="papermill-error-cell">An Exception was encountered at In [7]</span>',
    }
    nb["cells"].insert(0, banner)
    return nb


def with_counts(nb: Notebook) -> Notebook:
    nb["cells"][2]["execution_count"] = 41
    nb["cells"][2]["outputs"][0]["execution_count"] = 41
    nb["cells"][1]["metadata"]["ExecuteTime"] = {"end_time": "2026-01-01T00:00:00Z"}
    return nb


@pytest.mark.parametrize(
    "noise",
    [lambda nb: executed(nb, epochs=3), with_lines, with_banner, with_counts],
    ids=["papermill-execution", "sources-as-lines", "error-banner", "counts-and-executetime"],
)
def test_noise_gives_an_empty_notebook_diff(noise: Callable[[Notebook], Notebook]) -> None:
    original = base_notebook()
    noisy = noise(copy.deepcopy(original))
    result = compare(subject(original), subject(noisy)).to_dict()
    assert result["notebook"] == {"changed_cells": [], "nbdime": []}
    assert compare(subject(noisy), subject(original)).has_differences is False


def test_two_executions_with_the_same_values_are_equal() -> None:
    first = executed(base_notebook(), epochs=3)
    second = executed(base_notebook(), epochs=3)
    second["cells"][1]["id"] = "another-random-id"
    second["metadata"]["papermill"]["duration"] = 99.0
    assert compare(subject(first), subject(second)).to_dict()["notebook"]["nbdime"] == []


def change_source(nb: Notebook) -> Notebook:
    nb["cells"][1]["source"] = "print(epochs * 2)"
    return nb


def change_output(nb: Notebook) -> Notebook:
    nb["cells"][1]["outputs"] = [stream("6\n")]
    return nb


def change_tags(nb: Notebook) -> Notebook:
    nb["cells"][3]["metadata"]["tags"] = ["hide"]
    return nb


def insert_cell(nb: Notebook) -> Notebook:
    nb["cells"].insert(0, code("import os"))
    return nb


def delete_cell(nb: Notebook) -> Notebook:
    del nb["cells"][3]
    return nb


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (change_source, [("modified", 1, 1, "code", True, False, False)]),
        (change_output, [("modified", 1, 1, "code", False, True, False)]),
        (change_tags, [("modified", 3, 3, "markdown", False, False, True)]),
        (insert_cell, [("added", None, 0, "code", True, False, True)]),
        (delete_cell, [("removed", 3, None, "markdown", True, False, False)]),
    ],
    ids=["source", "outputs", "metadata", "added", "removed"],
)
def test_changed_cells(
    edit: Callable[[Notebook], Notebook], expected: list[tuple[Any, ...]]
) -> None:
    a = executed(base_notebook(), epochs=3)
    b = edit(base_notebook())
    cells = compare(subject(a), subject(b)).to_dict()["notebook"]["changed_cells"]
    keys = ("kind", "a_index", "b_index", "cell_type")
    flags = ("source_changed", "outputs_changed", "metadata_changed")
    assert [tuple(c[k] for k in keys + flags) for c in cells] == expected


def test_cell_indices_follow_insertions_and_deletions() -> None:
    a = base_notebook()
    b = base_notebook()
    b["cells"].insert(0, code("import os"))
    b["cells"][3]["source"] = "epochs * rate * 2"
    del b["cells"][4]
    cells = compare(subject(a), subject(b)).to_dict()["notebook"]["changed_cells"]
    assert [(c["kind"], c["a_index"], c["b_index"]) for c in cells] == [
        ("added", None, 0),
        ("modified", 2, 3),
        ("removed", 3, None),
    ]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"acc": 0.5}, {"acc": 0.75}, [("acc", "changed", 0.5, 0.75, 0.25, 50.0)]),
        ({"n": 4}, {"n": 3}, [("n", "changed", 4, 3, -1, -25.0)]),
        ({"n": 0}, {"n": 2}, [("n", "changed", 0, 2, 2, None)]),
        ({"ok": True}, {"ok": False}, [("ok", "changed", True, False, None, None)]),
        ({"mode": "fast"}, {"mode": "slow"}, [("mode", "changed", "fast", "slow", None, None)]),
        ({}, {"new": 1.0}, [("new", "added", None, 1.0, None, None)]),
        ({"old": 1}, {}, [("old", "removed", 1, None, None, None)]),
        ({"same": 1.0, "also": "x"}, {"same": 1, "also": "x"}, []),
    ],
    ids=["float", "int-down", "from-zero", "bool", "text", "added", "removed", "unchanged"],
)
def test_diff_metrics(
    a: dict[str, Any], b: dict[str, Any], expected: list[tuple[Any, ...]]
) -> None:
    keys = ("name", "change", "a", "b", "delta", "percent")
    assert [tuple(row[k] for k in keys) for row in diff_metrics(a, b)] == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"x": 1}, {"x": 2}, [{"name": "x", "change": "changed", "a": 1, "b": 2}]),
        ({"x": None}, {}, [{"name": "x", "change": "removed", "a": None, "b": None}]),
        ({"x": [1, 2]}, {"x": [1, 2]}, []),
    ],
    ids=["changed", "removed-none", "equal-lists"],
)
def test_diff_parameters(
    a: dict[str, Any], b: dict[str, Any], expected: list[dict[str, Any]]
) -> None:
    assert diff_parameters(a, b) == expected


def make_run(parameters: dict[str, Any], metrics: dict[str, Any], prov: Provenance) -> Run:
    return Run(
        id=f"run{len(parameters)}{len(metrics)}",
        notebook="x.ipynb",
        status=RunStatus.SUCCEEDED,
        parameters=parameters,
        created_at="2026-01-01T00:00:00+00:00",
        metrics=metrics,
        provenance=prov,
    )


def provenance(
    inputs: list[InputFile], packages: dict[str, str], python: str = "3.11.7"
) -> Provenance:
    return Provenance(
        source_sha256="0" * 64,
        kernel="python3",
        python=python,
        packages=packages,
        packages_sha256="1" * 64,
        git=None,
        inputs=inputs,
        host="h",
        user="u",
        greenhouse_version="0.1.0",
        papermill_version="2.7.0",
    )


def test_effective_parameters_fill_in_declared_defaults_and_drop_secrets() -> None:
    nb = base_notebook()
    nb["cells"][0]["source"] = 'epochs = 3\nrate = 0.5\ntoken = ""  # | secret'
    recorded = make_run({"epochs": 3}, {}, provenance([], {}))
    assert effective_parameters(subject(nb, recorded)) == {"epochs": 3, "rate": 0.5}
    from_file = executed(nb, rate=0.25)
    assert effective_parameters(subject(from_file)) == {"epochs": 3, "rate": 0.25}


def test_runs_against_a_file() -> None:
    data_v1 = InputFile("data.csv", "a" * 64, 10)
    data_v2 = InputFile("data.csv", "b" * 64, 12)
    labels = InputFile("labels.csv", "c" * 64, 5)
    env_a = provenance([data_v1, labels], {"numpy": "1.26.0", "scipy": "1.11.0"})
    env_b = provenance([data_v2], {"numpy": "2.0.0", "pandas": "2.2.0"}, "3.12.1")
    nb_a = executed(base_notebook(), epochs=3)
    nb_b = executed(base_notebook(), epochs=4)
    run_a = subject(nb_a, make_run({"epochs": 3}, {"score": 1.5}, env_a), "A")
    run_b = subject(nb_b, make_run({"epochs": 4}, {"score": 2.0}, env_b), "B")

    result = compare(run_a, run_b).to_dict()
    assert set(result) == {"a", "b", "parameters", "metrics", "inputs", "environment", "notebook"}
    assert result["parameters"] == [{"name": "epochs", "change": "changed", "a": 3, "b": 4}]
    [score] = result["metrics"]
    assert (score["delta"], round(score["percent"], 6)) == (0.5, 33.333333)
    assert [(i["path"], i["change"]) for i in result["inputs"]] == [
        ("data.csv", "changed"),
        ("labels.csv", "removed"),
    ]
    assert result["inputs"][0]["b"] == {"sha256": "b" * 64, "size": 12}
    assert result["environment"] == {
        "python": {"a": "3.11.7", "b": "3.12.1"},
        "kernel": {"a": "python3", "b": "python3"},
        "packages": {
            "added": [{"name": "pandas", "version": "2.2.0"}],
            "removed": [{"name": "scipy", "version": "1.11.0"}],
            "changed": [{"name": "numpy", "a": "1.26.0", "b": "2.0.0"}],
        },
        "origins": [],
        "platform": [],
    }

    file_side = compare(subject(base_notebook()), run_b).to_dict()
    assert file_side["inputs"] == [] and file_side["environment"] is None
    assert file_side["parameters"] == [{"name": "epochs", "change": "changed", "a": 3, "b": 4}]
    assert file_side["metrics"][0]["change"] == "added"


def test_inputs_and_environment_need_provenance_on_both_sides() -> None:
    prov = provenance([InputFile("data.csv", "a" * 64, 1)], {"numpy": "2.0.0"})
    assert diff_inputs(prov, None) == [] and diff_inputs(None, prov) == []
    assert diff_environment(None, prov) is None
    assert diff_inputs(prov, prov) == []


def test_metrics_of_files_are_read_from_their_outputs() -> None:
    a = base_notebook()
    b = base_notebook()
    a["cells"][1]["outputs"].append(scrap("loss", 0.4))
    b["cells"][1]["outputs"].append(scrap("loss", 0.3))
    [loss] = compare(subject(a), subject(b)).to_dict()["metrics"]
    assert loss["name"] == "loss" and round(loss["delta"], 9) == -0.1


def big_output_notebooks() -> tuple[Notebook, Notebook, int]:
    same, old, new = png(2_000_000, 1), png(3_000_000, 2), png(3_000_000, 3)
    a = notebook(code("plot(1)", image(same)), code("plot(2)", image(old)))
    b = notebook(code("plot(1)", image(same)), code("plot(2)", image(new)))
    return a, b, len(new)


def test_big_outputs_are_stood_in_and_reported_with_their_size() -> None:
    a, b, size = big_output_notebooks()
    normal = normalise_notebook(a)
    for cell in normal["cells"]:
        data = cell["outputs"][0]["data"]
        assert parse_stand_in(data["image/png"]) is not None
        assert data["text/plain"] == "<Figure>"
    result = compare(subject(a), subject(b)).to_dict()
    [cell] = result["notebook"]["changed_cells"]
    assert (cell["a_index"], cell["outputs_changed"]) == (1, True)
    assert cell["large_outputs"] == [{"key": "image/png", "a_size": size, "b_size": size}]
    assert len(json.dumps(result)) < 4000


def test_returned_diff_has_no_base64_payloads() -> None:
    a = notebook(code("x = 1"))
    b = notebook(code("x = 1"), code("plot()", image(png(30_000))))
    result = compare(subject(a), subject(b)).to_dict()
    [added] = result["notebook"]["nbdime"][0]["diff"]
    data = added["valuelist"][0]["outputs"][0]["data"]
    assert parse_stand_in(data["image/png"]) is not None
    assert data["text/plain"] == "<Figure>"
    assert max(len(s) for s in strings(result)) <= BASE64_CAP


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def test_strip_payloads_keeps_types_and_text() -> None:
    from nbdime.diff_format import DiffEntry

    prose = "word " * 1000
    entry = DiffEntry(op="replace", key="image/png", value=png(5_000))
    text_entry = DiffEntry(op="replace", key="text/plain", value=prose)
    stripped = strip_payloads([entry, text_entry])
    assert isinstance(stripped[0], DiffEntry) and stripped[0].op == "replace"
    assert parse_stand_in(stripped[0].value) is not None
    assert stripped[1].value == prose
    assert parse_stand_in(entry.value) is None
