"""Durations and rates: one grammar for people, one conversion for settings.

A duration is read by :func:`parse_duration`, wherever it comes from: the command line
(``--expires-in 30d``, ``--max-age 10m``), the JSON API (``"expires_in": "12h"``), the token
pages' forms, and the ``AUTHGATE`` settings (an ``int`` of seconds or a ``timedelta``). Text
follows one grammar (case-insensitive, spaces allowed around the number and the unit)::

    duration = number [unit] / "never" / "none"
    number   = 1*DIGIT
    unit     = "s" / "m" / "h" / "d" / "w"      ; seconds, minutes, hours, days, weeks

A bare number is seconds. ``"never"`` and ``"none"`` mean no expiry (``None``). Callers
narrow the grammar where a form of it makes no sense and say so in their help: API-token
lifetimes want a unit (``unit=True``: is ``"30"`` thirty seconds or thirty days?) and accept
``"never"`` (``never=True``); scoped tokens always expire, so they leave ``never`` off.

Every duration is bounded: at most :data:`MAX_DURATION` (36,500 days, about a century)
either way. Anything longer is a :class:`DurationError`, not a value: no credential needs
to live longer, and ``now + duration`` must stay a date (``datetime`` ends in year 9999,
``"99999999d"`` fits a ``timedelta`` and overflows the first addition — a 500).

A rate (``LOGIN_LIMIT_RATE``, ``LINK_REQUEST_RATE``) is a count per period, in the same
units: ``"5/m"``, ``"100/h"``, ``"10/15m"`` (:func:`parse_rate`).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

__all__ = ["MAX_DURATION", "DurationError", "parse_duration", "parse_rate"]

#: The longest duration :func:`parse_duration` returns (and the most negative, negated).
MAX_DURATION = timedelta(days=36500)

_DURATION_RE = re.compile(r"\s*(\d+)\s*([smhdw]?)\s*", re.IGNORECASE)
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_NEVER = frozenset({"never", "none"})
# More digits than any duration under MAX_DURATION needs, in seconds (3,153,600,000: 10).
_MAX_DIGITS = 12


class DurationError(ValueError):
    """Text that is not a duration, or a number that cannot be one."""


def parse_duration(
    value: str | int | float | timedelta, *, never: bool = False, unit: bool = False
) -> timedelta | None:
    """``value`` as a ``timedelta`` (``None`` for ``"never"`` when ``never`` is set).

    A ``timedelta`` is returned as is, an ``int`` or ``float`` is seconds, a ``str``
    follows the grammar above (with ``unit``, a bare number is refused). Anything else is a
    ``TypeError``; text outside the grammar, and numbers no ``timedelta`` can hold, are a
    :class:`DurationError`, as is anything longer than :data:`MAX_DURATION` either way.
    The sign, and a narrower range, are the caller's to check.
    """
    duration = _parse(value, never=never, unit=unit)
    if duration is not None and abs(duration) > MAX_DURATION:
        raise DurationError(f"{value!r} is longer than {MAX_DURATION.days} days")
    return duration


def _parse(value: str | int | float | timedelta, *, never: bool, unit: bool) -> timedelta | None:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(
            f"a duration is a number of seconds, a timedelta or text like 90s, 10m, 12h, 30d, "
            f"2w; not {type(value).__name__}"
        )
    if not isinstance(value, str):
        if not math.isfinite(value):
            raise DurationError(f"{value!r} is not a finite number of seconds")
        try:
            return timedelta(seconds=value)
        except OverflowError:
            raise DurationError(f"{value!r} seconds is too long a duration") from None
    if never and value.strip().lower() in _NEVER:
        return None
    match = _DURATION_RE.fullmatch(value)
    if match is None or (unit and not match[2]):
        forms = "a number and a unit" if unit else "seconds, or a number and a unit"
        raise DurationError(
            f"invalid duration {value!r}: use {forms}, e.g. 90s, 10m, 12h, 30d, 2w"
            + (", or 'never'" if never else "")
        )
    digits = match[1].lstrip("0")
    if len(digits) > _MAX_DIGITS:  # never converted: int() of 5,000 digits is a ValueError
        raise DurationError(f"{value[:20]!r}… has too many digits for a duration")
    try:
        return timedelta(seconds=int(digits or "0") * _SECONDS[match[2].lower()])
    except OverflowError:
        raise DurationError(f"{value!r} is too long a duration") from None


_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$", re.IGNORECASE)


def parse_rate(rate: str) -> tuple[int, int]:
    """``"5/m"`` → ``(5, 60)``; ``"100/15m"`` → ``(100, 900)``. ``ValueError`` if malformed.

    The unit may be spelt out (``"5/min"``, ``"100/hour"``): only its first letter counts.
    """
    match = _RATE_RE.match(rate) if isinstance(rate, str) else None
    if not match:
        raise ValueError(f"{rate!r} is not a rate like '5/m', '100/h' or '10/15m'.")
    count, multiplier, unit = match.groups()
    seconds = int(multiplier or 1) * _SECONDS[unit.lower()]
    if int(count) < 1 or seconds < 1:
        raise ValueError(f"{rate!r} must allow at least one attempt per period.")
    return int(count), seconds
