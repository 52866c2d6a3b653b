"""The one comparison of two records' values and environments, which diff and reproduce share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from greenhouse_ext.artefacts.changes import Change, changes, environment_changes
from greenhouse_ext.models import Provenance


@pytest.mark.parametrize(
    ("a", "b", "names", "expected"),
    [
        ({"x": 1}, {"x": 2}, None, [Change("x", "changed", 1, 2)]),
        ({}, {"x": 1}, None, [Change("x", "added", None, 1)]),
        ({"x": 1}, {}, None, [Change("x", "removed", 1, None)]),
        ({"x": None}, {}, None, [Change("x", "removed", None, None)]),
        ({"x": 1.0, "y": [1, 2]}, {"x": 1, "y": [1, 2]}, None, []),
        ({"ok": True}, {"ok": False}, None, [Change("ok", "changed", True, False)]),
        (
            {"b": 1, "c": 1},
            {"a": 1, "b": 2},
            None,
            [
                Change("a", "added", None, 1),
                Change("b", "changed", 1, 2),
                Change("c", "removed", 1, None),
            ],
        ),
        (
            {"python": "3.11", "kernel": "k1"},
            {"python": "3.12", "kernel": "k2"},
            ("python", "kernel", "absent"),
            [Change("python", "changed", "3.11", "3.12"), Change("kernel", "changed", "k1", "k2")],
        ),
        ({"x": 1, "y": 1}, {"x": 2, "y": 2}, ("y",), [Change("y", "changed", 1, 2)]),
    ],
    ids=[
        "changed",
        "added",
        "removed",
        "removed-none",
        "equal-numbers-and-lists",
        "bool",
        "sorted-by-name",
        "names-in-their-order",
        "only-the-names",
    ],
)
def test_changes(
    a: dict[str, Any], b: dict[str, Any], names: Iterable[str] | None, expected: list[Change]
) -> None:
    assert changes(a, b, names) == expected


def provenance(python: str, kernel: str, packages: dict[str, str]) -> Provenance:
    return Provenance(
        source_sha256="0" * 64,
        kernel=kernel,
        python=python,
        packages=packages,
        packages_sha256="1" * 64,
        git=None,
        inputs=[],
        host="h",
        user="u",
        greenhouse_version="0.1.0",
        papermill_version="2.7.0",
    )


@pytest.mark.parametrize(
    ("a", "b", "runtime", "packages"),
    [
        (
            provenance("3.11.7", "python3", {"numpy": "1.26.0"}),
            provenance("3.11.7", "python3", {"numpy": "1.26.0"}),
            [],
            [],
        ),
        (
            provenance("3.11.7", "python3", {}),
            provenance("3.12.1", "python3", {}),
            [Change("python", "changed", "3.11.7", "3.12.1")],
            [],
        ),
        (
            provenance("3.11.7", "python3", {}),
            provenance("3.12.1", "conda", {}),
            [
                Change("python", "changed", "3.11.7", "3.12.1"),
                Change("kernel", "changed", "python3", "conda"),
            ],
            [],
        ),
        (
            provenance("3.11.7", "python3", {"numpy": "1.26.0", "scipy": "1.11.0"}),
            provenance("3.11.7", "python3", {"numpy": "2.0.0", "pandas": "2.2.0"}),
            [],
            [
                Change("numpy", "changed", "1.26.0", "2.0.0"),
                Change("pandas", "added", None, "2.2.0"),
                Change("scipy", "removed", "1.11.0", None),
            ],
        ),
    ],
    ids=["same", "python", "python-before-kernel", "packages"],
)
def test_environment_changes(
    a: Provenance, b: Provenance, runtime: list[Change], packages: list[Change]
) -> None:
    environment = environment_changes(a, b)
    assert (environment.runtime, environment.packages) == (runtime, packages)
