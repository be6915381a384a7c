"""A single-row lookup compiled once and re-executed with new parameters.

Building a queryset costs far more than running it: measured here, DRF's token lookup
spends ~350 µs per request, of which the indexed join itself is ~22 µs (peers.md). This
module keeps Django's portability — the SQL comes from Django's own compiler for each
database alias, rows become model instances through ``Model.from_db`` and the same
related-object populators the ORM uses — but does the building once.

Compiled state is kept per thread (it holds the thread's connection for value converters)
and per database alias, and is dropped when authgate's settings or the user model change.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

from authgate.conf import on_reload

__all__ = ["CompiledLookup", "field_preparer"]

_registry: list[CompiledLookup] = []


class _Compiled:
    __slots__ = (
        "compiler",
        "converters",
        "end",
        "init_list",
        "model",
        "params",
        "populators",
        "slots",
        "sql",
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
            i for i, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b
        ]
        if not self.slots:
            raise ValueError("the samples must differ in the compiled parameters")
        # Named placeholders: Django's SQLite wrapper then maps them with one `%` format
        # instead of a regex pass over the SQL on every execute (~20 µs per query here);
        # PostgreSQL drivers take them as they are.
        self.sql = _named_placeholders(sql)
        self.params = {f"p{i}": value for i, value in enumerate(params)}
        klass_info = compiler.klass_info
        select = compiler.select
        self.model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        if start != 0:
            raise ValueError("annotations before the model's columns are not supported")
        self.end = end
        self.init_list = [column[0].target.attname for column in select[start:end]]
        self.populators = get_related_populators(klass_info, select, alias)
        self.converters = compiler.get_converters([column[0] for column in select])
        self.compiler = compiler


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
        cache = getattr(self._local, "by_alias", None)
        if cache is None:
            cache = self._local.by_alias = {}
        compiled = cache.get(alias)
        if compiled is None:
            compiled = cache[alias] = _Compiled(self, alias)
        return compiled

    def get(self, value: Any, *, using: str | None = None) -> Any | None:
        """The one instance whose field equals ``value``, with related rows; else ``None``."""
        alias = using or router.db_for_read(self.model)
        compiled = self._compiled(alias)
        connection = connections[alias]
        params = dict(compiled.params)
        prepared = self.prepare(value, connection)
        for slot in compiled.slots:
            params[f"p{slot}"] = prepared
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        instance = compiled.model.from_db(alias, compiled.init_list, row[: compiled.end])
        for populator in compiled.populators:
            populator.populate(row, instance)
        return instance

    def reset(self) -> None:
        """Forget compiled SQL (this thread's); it is rebuilt on the next ``get``."""
        self._local = threading.local()


@on_reload
def _reset_all() -> None:
    for lookup in _registry:
        lookup.reset()


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

    def prepare(value: Any, connection: Any) -> Any:
        target = getattr(field, "target_field", field)
        return target.get_db_prep_value(target.get_prep_value(value), connection, prepared=True)

    return prepare
