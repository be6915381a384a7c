"""Running a compiled lookup's SQL on the database driver (for :mod:`fastquery`).

* **Executing.** Through Django's cursor whenever anything may watch or wrap queries
  (``DEBUG``, ``assertNumQueries``/``CaptureQueriesContext``, ``execute_wrapper``, a
  patched ``CursorWrapper`` or ``connection.cursor`` as APM agents install); otherwise, on
  SQLite and PostgreSQL, on the driver's cursor directly, with Django's own checks (async
  safety, thread sharing, broken transaction, health check) and its error translation
  (``wrap_database_errors``) — the SQL already in the driver's placeholder style, so
  nothing is rewritten per call. That saves Django's two cursor wrappers and SQLite's
  per-call placeholder rewrite of a ~1 KB statement (~7 µs of a ~60 µs lookup). On
  PostgreSQL each lookup keeps one psycopg cursor per driver connection: psycopg then reuses
  what it set up for the statement last time (its row loaders), and ``timestamptz`` values
  are read by psycopg's compiled loader where that gives exactly what Django's gives
  (together ~45 µs of a ~330 µs lookup on this project's bench machine).
* **SQLite's declared types.** The select list written so the driver skips its per-column
  converter lookup where reading the raw value changes nothing (:func:`sqlite_select_list`).

The Django internals used here (the connection's ``_thread_ident`` and checks, the
``CursorWrapper``) are checked by :mod:`authgate._speed.guard` before any of this runs.
"""

from __future__ import annotations

import re
from _thread import get_ident
from asyncio import _get_running_loop
from types import FunctionType
from typing import Any, Protocol

from django.db.backends import utils as backend_utils
from django.db.backends.base import base as backend_base
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models.expressions import Col

from authgate._speed.converters import reads_raw_sqlite_text
from authgate._speed.fastrows import Row
from authgate.conf import django_setting

__all__ = ["fetchone", "named_placeholders", "native_sql", "sqlite_select_list", "unobserved"]


class _KeepsCursor(Protocol):
    """A compiled lookup, which keeps its PostgreSQL cursor (:func:`_kept_cursor`)."""

    cursor: Any


# --- executing --------------------------------------------------------------------------


def native_sql(sql: str, connection: BaseDatabaseWrapper) -> str | None:
    """The SQL in the driver's own placeholder style, where that is known; else ``None``."""
    if connection.vendor == "sqlite":
        # What Django's SQLiteCursorWrapper.convert_query does on every execute.
        return _NAMED.sub(lambda m: "%" if m[0] == "%%" else f":{m[1]}", sql)
    if connection.vendor == "postgresql":
        return sql  # psycopg takes %(name)s as it is
    return None


_NAMED = re.compile(r"%%|%\((p\d+)\)s")
_DJANGO_CURSOR = BaseDatabaseWrapper.cursor
_DJANGO_EXECUTE = CursorWrapper.execute


def _defined_in(func: Any, module: Any) -> bool:
    code = getattr(func, "__code__", None)
    return type(func) is FunctionType and code is not None and code.co_filename == module.__file__


#: Django's own cursor code, not an APM agent's patch installed before this import.
_DJANGO_CURSORS = _defined_in(_DJANGO_EXECUTE, backend_utils) and _defined_in(
    getattr(_DJANGO_CURSOR, "__wrapped__", None), backend_base
)


def unobserved(connection: BaseDatabaseWrapper) -> bool:
    """Nothing logs, counts, wraps or traces this connection's queries, so the driver may
    run them directly. Anything else — ``DEBUG``, the test query counters, execute
    wrappers, a patched cursor — gets Django's cursor, and sees the query."""
    return (
        _DJANGO_CURSORS
        and not connection.force_debug_cursor
        and not connection.execute_wrappers
        and CursorWrapper.execute is _DJANGO_EXECUTE
        and type(connection).cursor is _DJANGO_CURSOR
        and "cursor" not in vars(connection)
        and not django_setting("DEBUG")
    )


def fetchone(
    compiled: _KeepsCursor, connection: BaseDatabaseWrapper, sql: str, params: dict[str, Any]
) -> Row | None:
    """``execute`` + ``fetchone`` on the backend's own cursor, with Django's checks.

    The steps of ``connection.cursor()`` and ``CursorWrapper.execute`` minus the wrapping:
    the health check, ``ensure_connection`` (the async-unsafe check; connecting), the
    thread-sharing and broken-transaction checks, and Django's exception classes.
    """
    connection.close_if_health_check_failed()
    # ensure_connection() does nothing once connected but raise SynchronousOnlyOperation
    # under a running event loop, found here without get_running_loop()'s exception.
    if connection.connection is None or _get_running_loop() is not None:
        connection.ensure_connection()
    # The owning thread always passes; the sharing check takes a lock (~0.3 µs).
    if getattr(connection, "_thread_ident", None) != get_ident():
        connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            cursor = _kept_cursor(compiled, connection)
            cursor.execute(sql, params)
            return cursor.fetchone()  # type: ignore[no-any-return]
        # SQLite: not create_cursor(), which adds SQLiteCursorWrapper, whose only job is
        # rewriting placeholders, already done in the SQL. A new cursor each time: one left
        # mid-statement would hold SQLite's read lock.
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, params)
            row: Row | None = cursor.fetchone()
        finally:
            cursor.close()
    return row


def _kept_cursor(compiled: _KeepsCursor, connection: BaseDatabaseWrapper) -> Any:
    """psycopg: this lookup's cursor on the current driver connection, made once.

    Making one costs ~5 µs (Django's time-zone check included); psycopg reads a result in
    full when it arrives, so a kept cursor holds nothing on the server. A reconnect (a new
    driver connection) gets a new cursor.
    """
    kept = compiled.cursor
    if kept is not None and kept.connection is connection.connection:
        return kept
    cursor = compiled.cursor = connection.create_cursor()
    _fast_timestamps(cursor)
    return cursor


def _fast_timestamps(cursor: Any) -> None:
    """Read ``timestamptz`` with psycopg's own loader where it gives what Django's gives.

    Django's loader subclasses psycopg's pure-Python one to set the connection's time zone
    (~3 µs a value); psycopg's default (compiled, with ``psycopg[binary]``: ~0.2 µs)
    converts into the session's time zone, which Django sets to the same. Used only if both
    agree on a probe value, tzinfo included (so not with ``USE_TZ = False``, where Django's
    values are naive).
    """
    if not hasattr(cursor, "adapters"):
        return  # psycopg2: Django's loaders are psycopg2's own
    from psycopg import Error, adapters
    from psycopg.pq import Format

    oid = adapters.types["timestamptz"].oid
    compiled_loader = adapters.get_loader(oid, Format.TEXT)
    djangos = cursor.adapters.get_loader(oid, Format.TEXT)
    if compiled_loader is None or djangos is None or compiled_loader is djangos:
        return
    try:
        ours, theirs = (loader(oid, cursor).load(_PROBE) for loader in (compiled_loader, djangos))
    except (Error, ValueError, NotImplementedError):
        return  # e.g. a DateStyle other than ISO, which neither reads: Django's stays
    if ours == theirs and ours.tzinfo is theirs.tzinfo:
        cursor.adapters.register_loader(oid, compiled_loader)


_PROBE = b"2001-02-03 04:05:06.789+00"


# --- SQLite's declared types -----------------------------------------------------------


def sqlite_select_list(sql: str, compiler: Any, value_converters: dict[int, Any]) -> str:
    """The SELECT with its columns written for SQLite's driver to read cheaply.

    On every execute the driver names each result column (``cursor.description``) and,
    as Django opens connections with ``PARSE_DECLTYPES``, looks up a converter for each
    column's declared type: ~4 µs for a token row and its user. So each plain column gets
    a short alias (``AS _c3``: a shorter name to build), and where reading it raw changes
    nothing it is written ``+"table"."column"``: unary ``+`` is a no-op in SQLite ("it
    always returns a result with the same value as the operand") but makes the column an
    expression, which has no declared type. That is where the type has no converter, or
    has Django's datetime one and the value goes through ``converters``' datetime converter,
    which reads the raw text as that converter would. Booleans, dates and any converter a
    project registered itself keep theirs. SQL not laid out as Django 5.2's compiler lays
    it out is returned unchanged.
    """
    import sqlite3

    from django.db.backends.sqlite3 import base  # noqa: F401  (registers Django's converters)

    connection = compiler.connection
    django_datetime = sqlite3.converters.get("DATETIME")
    columns, written = [], []
    for position, (expression, (column_sql, column_params), alias) in enumerate(compiler.select):
        if alias:
            column_sql = f"{column_sql} AS {connection.ops.quote_name(alias)}"
        columns.append(column_sql)
        target = getattr(expression, "target", None)
        db_type = target.db_type(connection) if isinstance(expression, Col) and target else None
        if alias or column_params or db_type is None:
            written.append(column_sql)
            continue
        # The driver's reading of a declared type: up to the first space or parenthesis.
        converter = sqlite3.converters.get(re.split(r"[ (]", db_type, maxsplit=1)[0].upper())
        raw_is_same = converter is None or (
            converter is django_datetime and reads_raw_sqlite_text(value_converters.get(position))
        )
        written.append(f"{'+' if raw_is_same else ''}{column_sql} AS _c{position}")
    # Only Django's own column SQL is rearranged: no value is ever put into the SQL.
    prefix = f"SELECT {', '.join(columns)} FROM "  # noqa: S608
    if not sql.startswith(prefix):
        return sql
    return f"SELECT {', '.join(written)} FROM {sql[len(prefix) :]}"  # noqa: S608


# --- placeholders -----------------------------------------------------------------------


_PLACEHOLDER = re.compile(r"%[%s]")


def named_placeholders(sql: str) -> str:
    """``%s`` → ``%(p0)s``, ``%(p1)s``, …; a literal ``%%`` stays as it is."""
    counter = iter(range(sql.count("%s") + 1))

    def name(match: re.Match[str]) -> str:
        return "%%" if match[0] == "%%" else f"%(p{next(counter)})s"

    return _PLACEHOLDER.sub(name, sql)
