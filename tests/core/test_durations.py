"""The one duration grammar (authgate.core.durations), and what each caller narrows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core.durations import MAX_DURATION, DurationError, parse_duration

EVERY_FORM = [
    # the API-token form (units s/m/h/d/w, case-insensitive, spaces around)
    ("30d", timedelta(days=30)),
    ("12h", timedelta(hours=12)),
    (" 90m ", timedelta(minutes=90)),
    ("2w", timedelta(weeks=2)),
    ("45s", timedelta(seconds=45)),
    ("10M", timedelta(minutes=10)),
    ("3 d", timedelta(days=3)),
    # the scoped-token form: a bare number is seconds
    ("600", timedelta(seconds=600)),
    ("1d", timedelta(days=1)),
]


@pytest.mark.parametrize(("text", "expected"), EVERY_FORM)
def test_the_grammar(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["never", "None", " NEVER "])
def test_never_only_where_the_caller_allows_it(text: str) -> None:
    assert parse_duration(text, never=True) is None
    with pytest.raises(DurationError, match="invalid duration"):
        parse_duration(text)


def test_a_unit_only_where_the_caller_wants_one() -> None:
    assert parse_duration("30") == timedelta(seconds=30)
    with pytest.raises(DurationError, match="a number and a unit"):
        parse_duration("30", unit=True)


@pytest.mark.parametrize("text", ["", "d", "-1d", "1y", "1.5h", "soon", "1h30m"])
def test_text_outside_the_grammar(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


def test_settings_values() -> None:
    assert parse_duration(timedelta(minutes=5)) == timedelta(minutes=5)
    assert parse_duration(30) == timedelta(seconds=30)
    assert parse_duration(2.5) == timedelta(seconds=2.5)
    for value in (True, None, [30], b"30"):
        with pytest.raises(TypeError):
            parse_duration(value)  # type: ignore[arg-type]
    for value in (float("nan"), float("inf"), 10**20):
        with pytest.raises(DurationError):
            parse_duration(value)


# --- every duration is bounded (issue #19, reproduction 9) --------------------------------


@pytest.mark.parametrize(
    "value",
    ["9999999999999d", "99999999d", "36501d", "5215w", "1" * 5000, 1e300, -1e12, 10**20],
)
def test_nothing_longer_than_the_bound(value: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(value)  # type: ignore[arg-type]


def test_the_bound_itself_is_a_duration() -> None:
    assert parse_duration("36500d") == MAX_DURATION == timedelta(days=36500)
    assert parse_duration(-MAX_DURATION.total_seconds()) == -MAX_DURATION
    with pytest.raises(DurationError):
        parse_duration(MAX_DURATION + timedelta(seconds=1))


@given(st.text(alphabet="0123456789smhdwSMHDW -neovr", max_size=24))
def test_text_is_a_bounded_duration_or_a_duration_error(text: str) -> None:
    try:
        duration = parse_duration(text, never=True)
    except DurationError:
        return
    assert duration is None or abs(duration) <= MAX_DURATION


@given(st.one_of(st.integers(), st.floats()))
def test_numbers_are_a_bounded_duration_or_a_duration_error(value: float) -> None:
    try:
        duration = parse_duration(value)
    except DurationError:
        return
    assert duration is not None and abs(duration) <= MAX_DURATION


def test_digits_are_counted_without_leading_zeros() -> None:
    assert parse_duration("0" * 30 + "90s") == timedelta(seconds=90)
    assert parse_duration("000") == timedelta(0)
    # 12 digits are converted, then refused by the bound; 13 are not converted at all.
    with pytest.raises(DurationError, match="is longer than 36500 days"):
        parse_duration("999999999999s")
    with pytest.raises(DurationError, match="has too many digits"):
        parse_duration("1000000000000s")


def test_never_and_unit_narrow_only_what_they_say() -> None:
    assert parse_duration("30d", never=True) == timedelta(days=30)
    assert parse_duration("30d", unit=True) == timedelta(days=30)
    with pytest.raises(DurationError, match="use a number and a unit"):
        parse_duration("soon", unit=True)
    with pytest.raises(DurationError, match="use seconds, or a number and a unit"):
        parse_duration("soon")
    with pytest.raises(TypeError, match="a duration is a number of seconds"):
        parse_duration([30])  # type: ignore[arg-type]
