"""One way to show values: numbers, text, structured values, elision and changes."""

from __future__ import annotations

import math
from typing import Any

import pytest

from greenhouse_ext.display import (
    elide,
    relative_change,
    show_delta,
    show_percent,
    show_value,
    show_values,
)


@pytest.mark.parametrize(
    ("value", "width", "shown"),
    [
        (0.1 + 0.2, 40, "0.3"),
        (2.2e24, 40, "2.2e+24"),
        (math.nan, 40, "nan"),
        (-math.inf, 40, "-inf"),
        (3, 40, "3"),
        (True, 40, "true"),
        (None, 40, "null"),
        ("adam", 40, "adam"),
        ({"layers": [64, 32], "lr": 0.1 + 0.2}, 40, '{"layers": [64, 32], "lr": 0.3}'),
        ({"a": math.inf}, 40, '{"a": "inf"}'),
        ([1, "x", None], 40, '[1, "x", null]'),
        ({"layers": [64, 32], "lr": 0.3}, 12, '{"layers": …'),
        ("x" * 50, 10, "xxxxxxxxx…"),
        ("x" * 50, None, "x" * 50),
    ],
)
def test_show_value(value: Any, width: int | None, shown: str) -> None:
    assert show_value(value, width) == shown
    assert width is None or len(show_value(value, width)) <= width


def test_text_is_quoted_in_name_value_pairs() -> None:
    shown = show_values({"optimizer": "adam", "lr": 0.1 + 0.2, "info": {"k": [1]}})
    assert shown == 'optimizer="adam" lr=0.3 info={"k": [1]}'


@pytest.mark.parametrize(("width", "shown"), [(3, "ab…"), (4, "abcd"), (1, "…"), (None, "abcd")])
def test_elide(width: int | None, shown: str) -> None:
    assert elide("abcd", width) == shown


@pytest.mark.parametrize(
    ("base", "new", "percent"),
    [
        (0.5, 0.75, 50.0),
        (-2, -1, 50.0),
        (4, 3, -25.0),
        (0, 1, None),
        (1e-30, 2.2e24, None),
        (0.0009, 1.0009, None),
        (0.002, 1.002, 50000.0),
        (1, 1, 0.0),
        (True, 2, None),
        ("a", 2, None),
        (1, math.inf, None),
    ],
)
def test_relative_change_only_from_a_base_not_near_zero(
    base: Any, new: Any, percent: float | None
) -> None:
    got = relative_change(base, new)
    assert got == (pytest.approx(percent) if percent is not None else None)


def test_signed_differences_and_percentages() -> None:
    assert (show_delta(0.25), show_delta(-2.2e24), show_percent(50.0)) == (
        "+0.25",
        "-2.2e+24",
        "+50.0%",
    )
