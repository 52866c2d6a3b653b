"""Durations as people write them, and the messages for what is not one."""

import pytest

from greenhouse_ext.durations import format_duration, parse_duration
from greenhouse_ext.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("30d", 2592000), ("2w", 1209600), (" 7 d ", 604800)],
)
def test_parse_duration_reads_each_unit(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("0s", "is zero"),
        ("5", "is not a duration"),
        ("1.5h", "is not a duration"),
        ("-3d", "is not a duration"),
        ("3y", "is not a duration"),
    ],
)
def test_parse_duration_refuses_with_the_right_form(text, said):
    with pytest.raises(InvalidInput, match=said) as caught:
        parse_duration(text, what="--every")
    assert str(caught.value).startswith(f"--every {text!r}")
    assert "30s" in str(caught.value)


@pytest.mark.parametrize(
    ("seconds", "text"), [(30, "30s"), (300, "5m"), (5400, "90m"), (86400, "1d"), (1.5, "1.5s")]
)
def test_format_duration_round_trips(seconds, text):
    assert format_duration(seconds) == text
    if float(seconds).is_integer():
        assert parse_duration(text) == seconds
