"""Column values as Django converts them, with fewer calls (for :mod:`fastquery`).

SQLite's datetime and boolean converters and ``JSONField``'s (without a custom decoder)
are replaced by one-argument equivalents (``USE_TZ`` and the connection's zone are read
when compiling; a change recompiles), which are not called at all for a NULL: each of them
returns ``None`` unchanged, as Django's do. Any other converter is Django's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings as django_settings
from django.db.models import JSONField
from django.db.models.expressions import Col
from django.utils.dateparse import parse_datetime

__all__ = [
    "Converter",
    "ValueConverter",
    "faster_converter",
    "reads_raw_sqlite_text",
    "settles",
    "value_converter",
]

Converter = Callable[[Any, Any, Any], Any]
#: A converter of the value alone, for a value that is not ``None`` (NULL stays ``None``).
ValueConverter = Callable[[Any], Any]


def _sqlite_datetime(tz: Any) -> ValueConverter:
    """SQLite's ``convert_datetimefield_value`` with ``USE_TZ`` and the zone read once (for a
    value that is not ``None``: Django's returns ``None`` unchanged).

    It also takes the column's raw value (see :func:`reads_raw_sqlite_text`) and reads it as
    the driver's ``datetime`` converter would: the value's text through ``parse_datetime``,
    unparsable text becoming ``None``.
    """
    fromisoformat = datetime.fromisoformat
    combine = datetime.combine

    def convert(value: Any) -> Any:
        if type(value) is not datetime:
            if not isinstance(value, datetime):
                if type(value) is not str:  # SQLite's converter reads any value as text
                    value = value.decode() if isinstance(value, bytes) else str(value)
                try:
                    value = fromisoformat(value)
                except ValueError:
                    value = parse_datetime(value)
                    if value is None:
                        return None
            if tz is not None and value.utcoffset() is None:
                value = combine(value, value.time(), tz)
        elif tz is not None and (value.tzinfo is None or value.utcoffset() is None):
            # make_aware's value.replace(tzinfo=tz), in a quarter of the time on CPython
            # 3.11 (same fields, fold and zone; a plain datetime, as replace returns).
            value = combine(value, value.time(), tz)
        return value

    return convert


_SQLITE_DATETIME_CODE = _sqlite_datetime(None).__code__


def reads_raw_sqlite_text(convert: Any) -> bool:
    """Whether ``convert`` is this module's SQLite datetime converter, which reads a raw
    column value exactly as the driver's registered ``datetime`` converter and Django's
    ``convert_datetimefield_value`` together would."""
    return getattr(convert, "__code__", None) is _SQLITE_DATETIME_CODE


def settles(convert: Any) -> bool:
    """Whether ``convert`` gives an immutable value, and that same value when applied to
    it again: a kept row may be converted by it once (SQLite's datetimes and booleans)."""
    return convert is _sqlite_boolean or reads_raw_sqlite_text(convert)


def _sqlite_boolean(value: Any) -> Any:
    """SQLite's ``convert_booleanfield_value`` (``None`` is neither 1 nor 0: unchanged)."""
    return bool(value) if value in (1, 0) else value


_EMPTY_JSON: dict[str, Callable[[], Any]] = {"{}": dict, "[]": list}


def _json(value: Any) -> Any:
    """``JSONField.from_db_value`` without a custom decoder, for a plain column (for a value
    that is not ``None``: Django's returns ``None`` unchanged)."""
    empty = _EMPTY_JSON.get(value) if isinstance(value, str) else None
    if empty is not None:
        return empty()  # a new object each time: callers may mutate it
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def value_converter(
    converter: Converter, expression: Any, connection: Any
) -> ValueConverter | None:
    """A one-argument equivalent of ``converter`` for values that are not ``None`` — for
    converters known to return ``None`` unchanged — else ``None`` (keep Django's)."""
    func = getattr(converter, "__func__", None)
    owner = getattr(converter, "__self__", None)
    if connection.vendor == "sqlite" and owner is connection.ops:
        from django.db.backends.sqlite3.operations import DatabaseOperations

        # getattr: a converter Django no longer has is simply not replaced.
        if func is getattr(DatabaseOperations, "convert_datetimefield_value", None):
            return _sqlite_datetime(connection.timezone if django_settings.USE_TZ else None)
        if func is getattr(DatabaseOperations, "convert_booleanfield_value", None):
            return _sqlite_boolean
    target = getattr(expression, "target", None)
    if (
        func is JSONField.from_db_value
        and owner is target
        and isinstance(target, JSONField)
        and target.decoder is None
        and type(expression) is Col
    ):
        return _json
    return None


def faster_converter(converter: Converter, expression: Any, connection: Any) -> Converter:
    """An equivalent of ``converter`` with fewer calls, or ``converter`` itself."""
    convert = value_converter(converter, expression, connection)
    if convert is None:
        return converter

    def converted(value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else convert(value)

    return converted
