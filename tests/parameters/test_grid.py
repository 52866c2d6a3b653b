"""Parameter grids: products of command-line values, product and list grid files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from greenhouse_ext.errors import InvalidInput
from greenhouse_ext.models import Parameter, ParameterSet
from greenhouse_ext.parameters.grid import (
    GridLimit,
    ParameterPoint,
    product_of_text,
    product_of_values,
    read_grid,
    read_grid_file,
)


def test_text_values_combine_as_a_cartesian_product() -> None:
    points = product_of_text([("rate", "0.1,0.2"), ("region", "eu,us,asia")])
    assert [p.text_values for p in points] == [
        {"rate": r, "region": g} for r in ("0.1", "0.2") for g in ("eu", "us", "asia")
    ]
    assert all(p.values == {} for p in points)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([("rate", "0.1"), ("rate", "0.2")], "given twice"),
        ([("rate", "0.1,,0.2")], "holds a comma goes in a --grid file"),
        ([("rate", "")], "empty value"),
    ],
)
def test_bad_text_values_are_refused(options: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        product_of_text(options)


@pytest.mark.parametrize(
    ("grid", "expected"),
    [
        (
            {"product": {"rate": [0.1, 0.2], "tags": [["a,b"], []]}},
            [
                {"rate": 0.1, "tags": ["a,b"]},
                {"rate": 0.1, "tags": []},
                {"rate": 0.2, "tags": ["a,b"]},
                {"rate": 0.2, "tags": []},
            ],
        ),
        (
            {"runs": [{"rate": 0.1, "region": "eu, west"}, {"rate": 0.3}]},
            [{"rate": 0.1, "region": "eu, west"}, {"rate": 0.3}],
        ),
    ],
    ids=["product", "list"],
)
def test_grid_forms(grid: dict[str, Any], expected: list[dict[str, Any]]) -> None:
    assert [p.values for p in read_grid(grid)] == expected


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"rate": [0.1]}, "is not a grid"),
        ([{"rate": 0.1}], "is not a grid"),
        ({"product": {"rate": 0.1}}, "'rate' must be a non-empty list"),
        ({"product": {"rate": []}}, "'rate' must be a non-empty list"),
        ({"runs": [{"rate": 0.1}, 3]}, "Set 2 of the grid must be a mapping"),
        ({"runs": []}, "describes no runs"),
    ],
)
def test_malformed_grids_say_what_is_wrong(grid: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_grid(grid)


def test_grid_file_yaml_and_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text("product:\n  region: [eu, us]\n")
    assert read_grid_file(str(path)) == [
        ParameterPoint(values={"region": "eu"}),
        ParameterPoint(values={"region": "us"}),
    ]
    path.write_text("product: [unclosed\n")
    with pytest.raises(InvalidInput, match="not valid JSON/YAML"):
        read_grid_file(str(path))
    with pytest.raises(InvalidInput, match="Cannot read grid file"):
        read_grid_file(str(tmp_path / "missing.yaml"))


SPEC = ParameterSet(
    notebook="nb.ipynb",
    parameters=[
        Parameter(name="token", type="str", default="", secret=True),
        Parameter(name="rate", type="float", default=0.1),
    ],
)


@pytest.mark.parametrize(
    ("build", "counted"),
    [
        (lambda limit: product_of_values({"a": [1, 2, 3], "b": [1, 2]}, None, limit), "6 runs"),
        (lambda limit: product_of_text([("a", "1,2,3"), ("b", "1,2")], None, limit), "6 runs"),
        (lambda limit: read_grid({"runs": [{}] * 6}, "runs", None, limit), "6 runs"),
    ],
)
def test_a_grid_over_the_limit_is_refused_naming_the_setting(build: Any, counted: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build(GridLimit(5, "--max-runs"))
    assert counted in caught.value.message and "limit of 5 runs" in caught.value.message
    assert caught.value.message.endswith("raise it with --max-runs")
    assert len(build(GridLimit(6, "--max-runs"))) == 6


def test_messages_about_a_grid_never_show_a_secret() -> None:
    with pytest.raises(InvalidInput) as scalar:
        product_of_values({"token": "sk-1", "rate": [0.1]}, SPEC)
    with pytest.raises(InvalidInput) as empty:
        product_of_text([("token", "sk-1,")], SPEC)
    with pytest.raises(InvalidInput) as entry:
        read_grid({"runs": ["sk-1"]}, "runs", SPEC)
    shown = ParameterPoint(values={"token": "sk-1", "rate": 0.5}).describe(SPEC)
    for message in (scalar.value.message, empty.value.message, entry.value.message, shown):
        assert "sk-1" not in message, message
    assert shown == "token=***, rate=0.5"
    assert "got a string" in entry.value.message
