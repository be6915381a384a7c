"""NumericDate claims (RFC 7519 §2) from untrusted tokens, read within ``datetime``'s range.

A JWT's ``exp``, ``nbf`` and ``iat`` — and an introspection answer's ``exp`` (RFC 7662
§2.2) — are JSON numbers: any size, and with Python's parser ``NaN`` or ``Infinity``.
``datetime.fromtimestamp(1e20)`` is an ``OverflowError`` and ``NaN`` compares false with
everything, so a time check written as ``if iat < oldest: refuse`` lets ``NaN`` through.
:func:`numeric_date` is the one gate: a finite number of seconds between 1970 and the end
of year 9999 (the last second ``datetime`` can hold), or ``None``, which callers refuse.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["MAX_TIMESTAMP", "as_datetime", "numeric_date"]

#: 9999-12-31T23:59:59Z, the last second a ``datetime`` holds.
MAX_TIMESTAMP = 253_402_300_799


def numeric_date(value: object) -> float | None:
    """``value`` as seconds since the epoch, or ``None`` if it is not a usable NumericDate
    (not a number, a bool, not finite, before 1970 or after year 9999)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        if not 0 <= value <= MAX_TIMESTAMP:  # compared as int: 10**400 is no float
            return None
        return float(value)
    if not 0 <= value <= MAX_TIMESTAMP:  # false for NaN as for ±inf: both are refused
        return None
    return value


def as_datetime(value: object) -> datetime | None:
    """:func:`numeric_date` as an aware UTC ``datetime``, or ``None``."""
    seconds = numeric_date(value)
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)
