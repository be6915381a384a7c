"""One row by a unique value, with its related rows: the one interface of the lookups.

:func:`row_lookup` gives an object with two methods, and callers (the API-token store,
:func:`authgate.users.load_active_user`) use nothing else:

* ``get(value)`` → the model instance whose field equals ``value`` (its ``select_related``
  rows attached), or ``None``; one query;
* ``fetch(value)`` → the same row as a :class:`KeptRow`, which builds new, equal instances
  each time it is asked (what :mod:`authgate._speed.local_rows` keeps in memory).

Behind it, either the fast lookup (:class:`authgate._speed.fastquery.CompiledLookup`: the
SQL compiled once, the rows read and built with fewer calls; a kept row is the driver's
row), or :class:`PlainLookup`: the queryset itself, evaluated by the ORM (a kept row is the
instances' pickle, as Django's cache holds them; the token store keeps rows only on the
fast path, but every lookup answers both methods). The plain one is used when
``AUTHGATE["FAST_PATHS"]`` is off or Django is not the one the fast one was written for
(:mod:`authgate._speed.guard`). Both return the same instances: same class, field values
(``tzinfo`` included), database alias and related rows.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any, Protocol

from django.db import DJANGO_VERSION_PICKLE_KEY
from django.db.models import Model, QuerySet

from authgate._speed.guard import fast_paths

__all__ = ["KeptRow", "PlainLookup", "RowLookup", "row_lookup"]


class KeptRow(Protocol):
    """A row that may be kept and built into new instances on every use."""

    def build(self) -> Any:
        """The instances, new ones each time (nothing is shared between two builds)."""

    def settle(self) -> KeptRow:
        """The row as it is best kept (conversions done once, no instance held)."""

    def immutable(self) -> bool:
        """Whether keeping it shares nothing mutable between builds."""


class RowLookup(Protocol):
    """What :func:`row_lookup` returns."""

    #: ``True`` for the compiled lookup, ``False`` for the ORM's own.
    fast: bool

    def get(self, value: Any, *, using: str | None = None) -> Any | None:
        """The one instance whose field equals ``value``, with related rows; else ``None``."""

    def fetch(self, value: Any, *, using: str | None = None) -> KeptRow | None:
        """What :meth:`get` reads, as a row that may be kept and built again."""


def row_lookup(
    model: type[Model],
    build: Callable[[Any], QuerySet[Any]],
    *,
    field: str,
    samples: tuple[Any, Any],
) -> RowLookup:
    """The lookup of ``build(value)``: a queryset of ``model`` filtered on ``field`` (unique)
    that yields at most one row. ``samples`` are two different valid values of the field
    (the compiled lookup finds where the value sits in its SQL with them).

    Fast or plain is decided here, once: callers keep the result until authgate's settings
    change (see :func:`authgate.conf.on_reload`).
    """
    if fast_paths():
        from authgate._speed.fastquery import CompiledLookup, field_preparer

        return CompiledLookup(
            build, samples=samples, prepare=field_preparer(model, field), model=model
        )
    return PlainLookup(build)


class PlainLookup:
    """The ORM's own lookup: ``build(value)`` evaluated as any queryset is."""

    fast = False

    def __init__(self, build: Callable[[Any], QuerySet[Any]]) -> None:
        self.build = build

    def get(self, value: Any, *, using: str | None = None) -> Any | None:
        queryset = self.build(value)
        if using is not None:
            queryset = queryset.using(using)
        for instance in queryset:  # one row at most: the field is unique
            return instance
        return None

    def fetch(self, value: Any, *, using: str | None = None) -> KeptRow | None:
        instance = self.get(value, using=using)
        if instance is None:
            return None
        return _PickledRow(pickle.dumps(instance, _PROTOCOL), instance)


_PROTOCOL = pickle.HIGHEST_PROTOCOL


class _PickledRow:
    """A row kept as the pickle of its instances; the first build hands out the instance
    it was made from (already the caller's), every later one unpickles new instances."""

    __slots__ = ("data", "first")

    def __init__(self, data: bytes, first: Any = None) -> None:
        self.data = data
        self.first = first

    def build(self) -> Any:
        first, self.first = self.first, None
        if first is not None:
            return first
        instance = pickle.loads(self.data)  # noqa: S301  (bytes pickled here, never received)
        _unmark(instance)
        return instance

    def settle(self) -> KeptRow:
        return _PickledRow(self.data)  # kept: never hands out the instance it was made from

    def immutable(self) -> bool:
        return True  # bytes: every build unpickles new objects


def _unmark(instance: Any) -> None:
    """Drop the Django version unpickling leaves in each instance's ``__dict__`` (the ORM's
    instances have none), in the related instances too."""
    pending = [instance]
    while pending:
        current = pending.pop()
        if current is not None and vars(current).pop(DJANGO_VERSION_PICKLE_KEY, None):
            pending.extend(current._state.fields_cache.values())
