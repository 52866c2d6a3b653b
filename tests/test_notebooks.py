"""The one notebook reader: nbformat 2 to 4, cell ids, schema errors, Jupytext text notebooks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jupytext
import pytest
from nbformat import v2, v3
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.execution.provenance import source_sha256
from greenhouse_ext.notebooks import names_notebook, parse_notebook, read_notebook

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def v4(cells: list[dict[str, Any]], metadata: Any = None, minor: int = 5) -> bytes:
    nb = {"cells": cells, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": minor}
    return json.dumps(nb).encode()


def cell(cell_id: Any = None, source: str = "x = 1") -> dict[str, Any]:
    entry = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": []}
    entry["source"] = source
    if cell_id is not None:
        entry["id"] = cell_id
    return entry


def text_notebook() -> Any:
    return new_notebook(
        cells=[
            new_markdown_cell("# Training"),
            new_code_cell("epochs = 3  # passes", metadata={"tags": ["parameters"]}),
            new_code_cell("print(epochs)"),
        ],
        metadata={"kernelspec": KERNELSPEC},
    )


def test_format_3_and_2_are_upgraded_and_keep_their_bytes():
    cells3 = [v3.new_code_cell(input="a = 1\nb = 2", metadata={"tags": ["parameters"]})]
    source3 = v3.writes_json(v3.new_notebook(worksheets=[v3.new_worksheet(cells=cells3)])).encode()
    read3 = parse_notebook(source3, "old.ipynb")
    assert (read3.format.nbformat, read3.format.upgraded) == (3, True)
    assert read3.notebook.nbformat == 4 and read3.source == source3
    assert read3.notebook.cells[0].metadata["tags"] == ["parameters"]
    cells2 = [v2.new_code_cell(input="a = 1\nprint(a)")]
    source2 = v2.writes_json(v2.new_notebook(worksheets=[v2.new_worksheet(cells=cells2)])).encode()
    read2 = parse_notebook(source2, "older.ipynb")
    assert (read2.format.nbformat, read2.format.upgraded) == (2, True)
    assert "".join(read2.notebook.cells[0].source) == "a = 1\nprint(a)"


def test_a_current_notebook_is_read_unchanged():
    read = parse_notebook(v4([cell("a"), cell("b")]), "nb.ipynb")
    assert read.format.upgraded is False and read.format.ids_normalised is False
    assert [c.id for c in read.notebook.cells] == ["a", "b"]


@pytest.mark.parametrize(
    "ids",
    [["$illegal_chars", "ok"], ["same", "same"], [None, "ok"], ["x" * 65, "ok"]],
    ids=["illegal", "repeated", "missing", "too-long"],
)
def test_bad_cell_ids_are_normalised(ids):
    read = parse_notebook(v4([cell(i) for i in ids]), "nb.ipynb")
    found = [c.id for c in read.notebook.cells]
    assert read.format.ids_normalised is True
    assert len(set(found)) == 2
    assert found[0] == "same" if ids[0] == "same" else found[1] == "ok"
    assert all(0 < len(i) <= 64 and "$" not in i for i in found)


def test_a_format_4_4_notebook_needs_no_ids():
    read = parse_notebook(v4([cell()], minor=4), "nb.ipynb")
    assert read.format.ids_normalised is False and "id" not in read.notebook.cells[0]


@pytest.mark.parametrize(
    ("source", "said"),
    [
        (b"{not json", "is not valid notebook JSON"),
        (b"[1, 2]", "at $ expected a JSON object"),
        (b'{"cells": []}', "at $.nbformat expected 2, 3 or 4, found None"),
        (b'{"nbformat": 5}', "at $.nbformat expected 2, 3 or 4, found 5"),
        (b'{"nbformat": 4, "nbformat_minor": "5"}', "at $.nbformat_minor expected an integer"),
        (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "expected the property 'cells'"),
        (v4([cell("a")], {"kernelspec": "python3"}), "at $.metadata.kernelspec expected object"),
        (v4([cell("a")], {"language_info": ["py"]}), "at $.metadata.language_info expected object"),
        (v4([{**cell("a"), "metadata": "tags"}]), "at $.cells[0].metadata expected object"),
        (v4([{**cell("a"), "source": 3}]), "at $.cells[0].source"),
        (b"\xff\xfe", "it is not UTF-8 text"),
    ],
    ids=[
        "not-json",
        "not-object",
        "no-format",
        "format-5",
        "minor-text",
        "no-cells",
        "kernelspec",
        "language-info",
        "cell-metadata",
        "source",
        "binary",
    ],
)
def test_what_cannot_be_read_names_the_file_and_the_place(source, said):
    with pytest.raises(InvalidInput) as caught:
        parse_notebook(source, "team/odd.ipynb")
    assert "team/odd.ipynb" in str(caught.value) and said in str(caught.value)


def test_a_format_3_notebook_of_the_wrong_shape_is_refused():
    nb = json.loads(v3.writes_json(v3.new_notebook(worksheets=[v3.new_worksheet(cells=[])])))
    nb["worksheets"] = "none"
    with pytest.raises(InvalidInput, match=r"at \$.worksheets expected array"):
        parse_notebook(json.dumps(nb).encode(), "old.ipynb")


@pytest.mark.parametrize(
    ("fmt", "suffix", "recorded"),
    [
        ("py:percent", ".py", "py:percent"),
        ("md:myst", ".md", "md:myst"),
        ("md", ".md", "md:markdown"),
    ],
)
def test_text_notebooks_are_read_through_jupytext(fmt, suffix, recorded):
    text = jupytext.writes(text_notebook(), fmt=fmt)
    read = parse_notebook(text.encode(), f"train{suffix}")
    assert read.format.format == recorded and read.source == text.encode()
    assert [c.cell_type for c in read.notebook.cells] == ["markdown", "code", "code"]
    assert read.notebook.cells[1].metadata["tags"] == ["parameters"]
    assert read.notebook.cells[1].source == "epochs = 3  # passes"
    assert read.kernel_name == "python3"


def test_a_script_without_a_header_is_python():
    read = parse_notebook(b"# %%\nx = 1\n\n# %%\nprint(x)\n", "plain.py")
    assert read.kernel_name is None and read.language == "python"
    assert [c.source for c in read.notebook.cells] == ["x = 1", "print(x)"]


def test_a_paired_notebook_is_one_notebook(tmp_path: Path):
    nb = text_notebook()
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    jupytext.write(nb, tmp_path / "train.ipynb")
    jupytext.write(nb, tmp_path / "train.py", fmt="py:percent")
    as_json = read_notebook(tmp_path / "train.ipynb")
    as_text = read_notebook(tmp_path / "train.py")
    assert as_json.format.paired == as_text.format.paired == ["train.ipynb", "train.py"]
    assert source_sha256(as_json.notebook) == source_sha256(as_text.notebook)
    (tmp_path / "train.py").unlink()
    assert read_notebook(tmp_path / "train.ipynb").format.paired == []


def test_names_and_missing_files(tmp_path: Path):
    assert names_notebook("a.ipynb") and names_notebook("a.py") and names_notebook("b.md")
    assert not names_notebook("penguins@3") and not names_notebook("data.csv")
    with pytest.raises(NotFound):
        read_notebook(tmp_path / "nope.ipynb")
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(InvalidInput, match=r"expected an \.ipynb file or a text notebook"):
        read_notebook(tmp_path / "data.csv")
