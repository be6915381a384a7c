"""A single-row lookup compiled once and re-executed with new parameters.

Building a queryset costs far more than running it: measured here, DRF's token lookup
spends ~350 µs per request, of which the indexed join itself is ~22 µs (peers.md). This
module keeps Django's portability — the SQL comes from Django's own compiler for each
database alias, values go through the fields' and the backend's own converters, and rows
become the same model instances (with the same related-object caches) the ORM builds —
but does the building once.

What is left per call, and how it is kept small:

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
* **Converting and building** (:mod:`authgate._speed.fastrows`): the converters Django would
  apply, some with fewer calls; the model instances ``from_db`` would build, without its
  calls when nothing can tell the difference.

Compiled state is kept per thread (it holds the thread's connection for value converters)
and per database alias, and is dropped when authgate's settings, the user model, or the
time-zone and database settings change.
"""

from __future__ import annotations

import re
import threading
from _thread import get_ident
from asyncio import _get_running_loop
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import FunctionType
from typing import Any, NamedTuple
from uuid import UUID

from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.backends import utils as backend_utils
from django.db.backends.base import base as backend_base
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import CharField, Field, Model, QuerySet
from django.db.models.expressions import Col
from django.db.models.query import get_related_populators as _get_related_populators
from django.dispatch import receiver

from authgate._speed.fastrows import (
    Builder,
    Node,
    Row,
    ValueConverter,
    compile_builder,
    faster_converter,
    init_quiet,
    reads_raw_sqlite_text,
    related_node,
    settles,
    value_converter,
)
from authgate.conf import django_setting, on_reload

__all__ = ["CompiledLookup", "Fetched", "field_preparer"]

_registry: list[CompiledLookup] = []

# Django 5.2's signature (django-stubs describes a later one, with ``fetch_mode``).
get_related_populators: Callable[[dict[str, Any], list[Any], str], list[Any]] = (
    _get_related_populators  # type: ignore[assignment]
)


# --- executing --------------------------------------------------------------------------


def _native_sql(sql: str, connection: BaseDatabaseWrapper) -> str | None:
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


def _unobserved(connection: BaseDatabaseWrapper) -> bool:
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


def _fetchone(
    compiled: _Compiled, connection: BaseDatabaseWrapper, sql: str, params: dict[str, Any]
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


def _kept_cursor(compiled: _Compiled, connection: BaseDatabaseWrapper) -> Any:
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


def _sqlite_select_list(sql: str, compiler: Any, value_converters: dict[int, Any]) -> str:
    """The SELECT with its columns written for SQLite's driver to read cheaply.

    On every execute the driver names each result column (``cursor.description``) and,
    as Django opens connections with ``PARSE_DECLTYPES``, looks up a converter for each
    column's declared type: ~4 µs for a token row and its user. So each plain column gets
    a short alias (``AS _c3``: a shorter name to build), and where reading it raw changes
    nothing it is written ``+"table"."column"``: unary ``+`` is a no-op in SQLite ("it
    always returns a result with the same value as the operand") but makes the column an
    expression, which has no declared type. That is where the type has no converter, or
    has Django's datetime one and the value goes through ``fastrows``' datetime converter,
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


# --- the compiled lookup ----------------------------------------------------------------


class _Compiled:
    __slots__ = (
        "builder",
        "connection",
        "converters",
        "cursor",
        "models",
        "native_sql",
        "params",
        "root",
        "settled_builder",
        "settling",
        "slots",
        "sql",
        "value_converters",
    )

    def __init__(self, lookup: CompiledLookup, alias: str) -> None:
        first = lookup.build(lookup.samples[0]).using(alias)
        second = lookup.build(lookup.samples[1]).using(alias)
        compiler = first.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        other_sql, other_params = second.query.get_compiler(using=alias).as_sql()
        if sql != other_sql or len(params) != len(other_params):
            raise ValueError("the lookup's SQL must not depend on its value")
        # The parameter slots are where the two compilations differ.
        self.slots = [
            f"p{i}" for i, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b
        ]
        if not self.slots:
            raise ValueError("the samples must differ in the compiled parameters")
        self.params = {f"p{i}": value for i, value in enumerate(params)}
        connection = compiler.connection
        self.connection = connection
        self.cursor: Any = None  # PostgreSQL: see _kept_cursor()
        klass_info = compiler.klass_info
        select = compiler.select
        if klass_info is None:
            raise ValueError("the lookup must select model instances")
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        if start != 0:
            raise ValueError("annotations before the model's columns are not supported")
        self.root = Node(
            klass_info["model"],
            start,
            end,
            [column[0].target.attname for column in select[start:end]],
            [related_node(p) for p in get_related_populators(klass_info, select, alias)],
        )
        columns = [column[0] for column in select]
        # A column with one known converter gets its one-argument form, skipped for NULL;
        # any other keeps Django's chain (with fewer calls where known).
        self.value_converters: list[tuple[int, ValueConverter]] = []
        self.converters: list[tuple[int, list[Any], Any]] = []
        for position, (convs, expression) in compiler.get_converters(columns).items():
            single = value_converter(convs[0], expression, connection) if len(convs) == 1 else None
            if single is not None:
                self.value_converters.append((position, single))
            else:
                faster = [faster_converter(c, expression, connection) for c in convs]
                self.converters.append((position, faster, expression))
        if connection.vendor == "sqlite":
            sql = _sqlite_select_list(sql, compiler, dict(self.value_converters))
        # Named placeholders: Django's SQLite wrapper then maps them with one `%` format
        # instead of a regex pass over the SQL on every execute; PostgreSQL drivers take
        # them as they are.
        self.sql = _named_placeholders(sql)
        self.native_sql = _native_sql(self.sql, connection)
        self.models = tuple(self.root.models())
        chains = {position: (convs, expression) for position, convs, expression in self.converters}
        self.builder: Builder | None = compile_builder(
            self.root, len(columns), dict(self.value_converters), chains, connection
        )
        # For kept rows: the converters that may be applied once, ahead of every build.
        self.settling = [(p, convert) for p, convert in self.value_converters if settles(convert)]
        self.settled_builder = (
            compile_builder(
                self.root,
                len(columns),
                {p: c for p, c in self.value_converters if not settles(c)},
                chains,
                connection,
            )
            if self.settling
            else self.builder
        )

    def settle(self, row: Row) -> tuple[Any, ...]:
        """``row`` with :attr:`settling` applied: built by :attr:`settled_builder`."""
        values = list(row)
        for position, convert in self.settling:
            if values[position] is not None:
                values[position] = convert(values[position])
        return tuple(values)

    def convert(self, row: Row) -> Row:
        if not self.converters and not self.value_converters:
            return row
        values = list(row)
        for position, convert in self.value_converters:
            value = values[position]
            if value is not None:
                values[position] = convert(value)
        connection = self.connection
        for position, convs, expression in self.converters:
            value = values[position]
            for converter in convs:
                value = converter(value, expression, connection)
            values[position] = value
        return values


def _build(compiled: _Compiled, alias: str, row: Row, settled: bool = False) -> Any:
    builder = compiled.settled_builder if settled else compiled.builder
    if builder is not None and init_quiet(compiled.models):
        return builder(alias, row)
    # Every converter again: the settling ones give a settled value back unchanged.
    return compiled.root.build(alias, compiled.convert(row))


class Fetched(NamedTuple):
    """A row as the database returned it, with what builds it (:meth:`CompiledLookup.fetch`).

    Building makes new instances each time, so one row can serve many requests. The row
    holds what the driver returned; keep it only if its values are immutable
    (:meth:`immutable`).
    """

    compiled: _Compiled
    alias: str
    row: Row
    #: The row's immutable conversions are already made (:meth:`settle`).
    settled: bool = False

    def build(self) -> Any:
        """The instances, as :meth:`CompiledLookup.get` would return them."""
        return _build(self.compiled, self.alias, self.row, self.settled)

    def settle(self) -> Fetched:
        """The same row with the conversions whose results are immutable (datetimes,
        booleans) made now, once, rather than on every build of a kept row."""
        if self.settled:
            return self
        return Fetched(self.compiled, self.alias, self.compiled.settle(self.row), True)

    def immutable(self) -> bool:
        """Whether every value is of an immutable type (a list or dict would be shared)."""
        return all(type(value) in _IMMUTABLE for value in self.row)


_IMMUTABLE = frozenset(
    {type(None), bool, int, float, str, bytes, Decimal, UUID, datetime, date, time, timedelta}
)


class CompiledLookup:
    """``build(value)`` → a queryset yielding at most one row; ``get(value)`` runs it fast.

    ``samples`` are two different valid values of the looked-up field, used once to find
    where the value sits among the compiled parameters. ``prepare(value, connection)``
    turns a runtime value into the database parameter (the field's own preparation).
    """

    def __init__(
        self,
        build: Callable[[Any], QuerySet[Any]],
        *,
        samples: tuple[Any, Any],
        prepare: Callable[[Any, Any], Any],
        model: type[Model],
    ) -> None:
        self.build = build
        self.samples = samples
        self.prepare = prepare
        self.model = model
        self._local = threading.local()
        _registry.append(self)

    def _compiled(self, alias: str) -> _Compiled:
        cache: dict[str, _Compiled] | None = getattr(self._local, "by_alias", None)
        if cache is None:
            cache = self._local.by_alias = {}
        compiled = cache.get(alias)
        if compiled is None:
            compiled = cache[alias] = _Compiled(self, alias)
        return compiled

    def get(self, value: Any, *, using: str | None = None) -> Any | None:
        """The one instance whose field equals ``value``, with related rows; else ``None``."""
        found = self._fetch(value, using)
        return None if found is None else _build(*found)

    def fetch(self, value: Any, *, using: str | None = None) -> Fetched | None:
        """What :meth:`get` reads, not yet built: a row that may be kept and built again."""
        found = self._fetch(value, using)
        return None if found is None else Fetched(*found)

    def _fetch(self, value: Any, using: str | None) -> tuple[_Compiled, str, Row] | None:
        # With no routers (and no hints), db_for_read always answers DEFAULT_DB_ALIAS.
        alias = using or (router.db_for_read(self.model) if router.routers else DEFAULT_DB_ALIAS)
        compiled = self._compiled(alias)
        connection = connections[alias]
        if connection is not compiled.connection:  # a new connection object: recompile
            compiled = self._local.by_alias[alias] = _Compiled(self, alias)
        params = dict(compiled.params)
        prepared = self.prepare(value, connection)
        for slot in compiled.slots:
            params[slot] = prepared
        row: Row | None
        if compiled.native_sql is not None and _unobserved(connection):
            row = _fetchone(compiled, connection, compiled.native_sql, params)
        else:
            with connection.cursor() as cursor:
                cursor.execute(compiled.sql, params)
                row = cursor.fetchone()
        return None if row is None else (compiled, alias, row)

    def reset(self) -> None:
        """Forget compiled SQL (every thread's); it is rebuilt on the next ``get``."""
        self._local = threading.local()


@on_reload
def _reset_all() -> None:
    for lookup in _registry:
        lookup.reset()


@receiver(setting_changed)
def _reset_on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    # Converters read USE_TZ and the connection's time zone when compiling.
    if setting in {"USE_TZ", "TIME_ZONE", "DATABASES"}:
        _reset_all()


_PLACEHOLDER = re.compile(r"%[%s]")


def _named_placeholders(sql: str) -> str:
    """``%s`` → ``%(p0)s``, ``%(p1)s``, …; a literal ``%%`` stays as it is."""
    counter = iter(range(sql.count("%s") + 1))

    def name(match: re.Match[str]) -> str:
        return "%%" if match[0] == "%%" else f"%(p{next(counter)})s"

    return _PLACEHOLDER.sub(name, sql)


def field_preparer(model: type[Model], field_name: str) -> Callable[[Any, Any], Any]:
    """The ORM's own preparation of an ``exact`` lookup value for ``model.field_name``."""
    field = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
    target = getattr(field, "target_field", field)
    if not isinstance(target, Field):
        raise ValueError(f"{model.__name__}.{field_name} is not a concrete field")

    def prepare(value: Any, connection: Any) -> Any:
        return target.get_db_prep_value(target.get_prep_value(value), connection, prepared=True)

    if (
        isinstance(target, CharField)
        and type(target).get_prep_value is CharField.get_prep_value
        and type(target).to_python is CharField.to_python
        and type(target).get_db_prep_value is Field.get_db_prep_value
    ):
        # Django's own CharField hands a str through both steps unchanged.
        return lambda value, connection: value if type(value) is str else prepare(value, connection)
    return prepare
