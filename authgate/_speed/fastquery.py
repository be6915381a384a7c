"""A single-row lookup compiled once and re-executed with new parameters.

Building a queryset costs far more than running it: measured here, DRF's token lookup
spends ~350 µs per request, of which the indexed join itself is ~22 µs (peers.md). This
module keeps Django's portability — the SQL comes from Django's own compiler for each
database alias, values go through the fields' and the backend's own converters, and rows
become the same model instances (with the same related-object caches) the ORM builds —
but does the building once.

What is left per call, and how it is kept small:

* **Executing** (:mod:`authgate._speed.driver`): on the driver's cursor directly when
  nothing watches or wraps queries, with Django's own checks and error translation, the
  SQL already in the driver's placeholder style; through Django's cursor otherwise.
* **Converting and building** (:mod:`authgate._speed.converters`,
  :mod:`authgate._speed.fastrows`): the converters Django would apply, some with fewer
  calls; the model instances ``from_db`` would build, without its calls when nothing can
  tell the difference.

Compiled state is kept per thread (it holds the thread's connection for value converters)
and per database alias, and is dropped when authgate's settings, the user model, or the
time-zone and database settings change.

Not used directly: callers go through :func:`authgate._speed.lookups.row_lookup`, which
uses this module only when :mod:`authgate._speed.guard` finds the Django internals it was
written against (Django 5.2's ``get_related_populators``, ``RelatedPopulator``,
``SQLCompiler``; see there), and otherwise the ORM's own query.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import CharField, Field, Model, QuerySet
from django.db.models.query import get_related_populators as _get_related_populators
from django.dispatch import receiver

from authgate._speed.converters import ValueConverter, faster_converter, settles, value_converter
from authgate._speed.driver import (
    fetchone,
    named_placeholders,
    native_sql,
    sqlite_select_list,
    unobserved,
)
from authgate._speed.fastrows import Builder, Node, Row, compile_builder, init_quiet, related_node
from authgate.conf import on_reload

__all__ = ["CompiledLookup", "Fetched", "field_preparer"]

#: Every lookup made, to reset them all on a settings change (gone with their last user).
_registry: weakref.WeakSet[CompiledLookup] = weakref.WeakSet()

# Django 5.2's signature (django-stubs describes a later one, with ``fetch_mode``).
get_related_populators: Callable[[dict[str, Any], list[Any], str], list[Any]] = (
    _get_related_populators  # type: ignore[assignment]
)


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
        self.cursor: Any = None  # PostgreSQL: see driver.fetchone()
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
            sql = sqlite_select_list(sql, compiler, dict(self.value_converters))
        # Named placeholders: Django's SQLite wrapper then maps them with one `%` format
        # instead of a regex pass over the SQL on every execute; PostgreSQL drivers take
        # them as they are.
        self.sql = named_placeholders(sql)
        self.native_sql = native_sql(self.sql, connection)
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

    #: The fast lookup (:class:`authgate._speed.lookups.RowLookup`'s flag).
    fast = True

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
        _registry.add(self)

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
        if compiled.native_sql is not None and unobserved(connection):
            row = fetchone(compiled, connection, compiled.native_sql, params)
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
