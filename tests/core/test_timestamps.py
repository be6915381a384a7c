"""NumericDate claims within datetime's range (authgate.core.timestamps)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core.timestamps import MAX_TIMESTAMP, as_datetime, numeric_date


@pytest.mark.parametrize(
    "value",
    [
        1e20,
        10**20,
        10**400,
        -1,
        -1e20,
        math.nan,
        math.inf,
        -math.inf,
        MAX_TIMESTAMP + 1,
        MAX_TIMESTAMP + 0.5,
        True,
        False,
        None,
        "1700000000",
        [1],
    ],
)
def test_unusable(value: object) -> None:
    assert numeric_date(value) is None
    assert as_datetime(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        (0.0, datetime(1970, 1, 1, tzinfo=UTC)),
        (0.5, datetime(1970, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        (1_700_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (1_700_000_000.5, datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
        (MAX_TIMESTAMP, datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        (float(MAX_TIMESTAMP), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_usable(value: float, expected: datetime) -> None:
    assert numeric_date(value) == float(value)
    assert isinstance(numeric_date(value), float)
    assert as_datetime(value) == expected


@given(st.one_of(st.integers(), st.floats(), st.booleans(), st.none(), st.text(max_size=3)))
def test_a_datetime_or_none_never_an_error(value: object) -> None:
    found = as_datetime(value)
    assert found is None or datetime(1970, 1, 1, tzinfo=UTC) <= found.replace(microsecond=0)
