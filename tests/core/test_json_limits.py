"""Untrusted JSON within limits (authgate.core.json_limits): depth measured before parsing."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core.json_limits import JSONRefused, JSONTooDeep, loads, nesting_depth

# Any JSON value (RFC 8259: finite numbers only).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def depth_of(value: object) -> int:
    """The nesting depth of a parsed value, the slow and obvious way."""
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@given(json_values)
def test_the_scan_agrees_with_the_parsed_value(value: object) -> None:
    text = json.dumps(value).encode()
    assert nesting_depth(text, limit=100) == depth_of(value)


@given(json_values)
def test_what_is_within_the_limit_is_parsed_as_json_would(value: object) -> None:
    text = json.dumps(value)
    depth = depth_of(value)
    assert loads(text, max_depth=depth) == json.loads(text)
    if depth:
        with pytest.raises(JSONTooDeep):
            loads(text, max_depth=depth - 1)


@given(st.binary(max_size=200))
def test_any_bytes_are_a_value_or_a_refusal(data: bytes) -> None:
    try:
        value = loads(data, max_depth=5)
    except JSONRefused:
        return
    assert value == json.loads(data) and depth_of(value) <= 5


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'"[[[[["', 0),  # brackets in a string are text
        (b'["\\"[[[", []]', 2),  # so are brackets after an escaped quote
        (b'["\\\\", [[]]]', 3),  # an escaped backslash ends before the quote
        (b'["\\\n[[[", 1]', 1),  # an escaped raw newline (not JSON) stays in the string
        (b"[]][[[", 2),  # malformed: measured as written, the parser stops at the 3rd byte
    ],
)
def test_depth(text: bytes, depth: int) -> None:
    assert nesting_depth(text, limit=10) == depth


def test_the_scan_stops_past_the_limit() -> None:
    assert nesting_depth(b"[" * 100_000, limit=10) == 11


def test_the_parser_never_sees_deep_input() -> None:
    with pytest.raises(JSONTooDeep, match="nested deeper than 10 levels"):
        loads("[" * 8_000 + "]" * 8_000, max_depth=10)
    # deeper than the parser itself can go: still a refusal, never a RecursionError
    with pytest.raises(JSONRefused):
        loads("[" * 100_000 + "]" * 100_000, max_depth=200_000)


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e999", "[-1e400]"])
def test_no_non_finite_numbers(text: str) -> None:
    with pytest.raises(JSONRefused) as info:
        loads(text, max_depth=5)
    assert not isinstance(info.value, JSONTooDeep)


@pytest.mark.parametrize("text", ["", "{", "[1,]", "\udcff", b"\xff\xfe"])
def test_not_json(text: str | bytes) -> None:
    with pytest.raises(JSONRefused, match="not JSON"):
        loads(text, max_depth=5)


def test_finite_numbers_are_kept() -> None:
    assert loads("[1.5e300, -2, 0.1]", max_depth=1) == [1.5e300, -2, 0.1]
    assert math.isfinite(loads("1e308", max_depth=0))
