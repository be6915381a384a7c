"""Whether the fast paths may run: the switch, and the Django internals they were written for.

The fast paths (:mod:`authgate._speed.fastquery`, :mod:`~authgate._speed.fastrows`, the
rows kept by :mod:`~authgate._speed.local_rows`, the raw query-string scan of
:mod:`~authgate._speed.query`) reproduce what Django 5.2 does,
using parts of Django that are not public API: ``get_related_populators``' three-argument
signature, the attributes ``RelatedPopulator`` and ``SQLCompiler`` set, the connection's
``_thread_ident`` and its checks, ``Options.pk_fields``, the lazy ``request.GET``,
``RedisCache``'s client (:mod:`~authgate._speed.local_rows`). Before
the first one is used, :func:`fast_paths` checks the Django version and each of those
internals (presence and signature); if anything differs it logs why, once, at INFO, and
every caller takes its plain path instead — the ORM query with ``select_related``, Django's
cache API instead of rows kept in the process, Django's own ``request.GET`` — which gives
the same answers in more time.

``AUTHGATE["FAST_PATHS"] = False`` takes the plain paths without asking.
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

import django

from authgate.conf import chain_settings

__all__ = ["SUPPORTED_DJANGO", "check_again", "fast_paths", "mismatch"]

logger = logging.getLogger(__name__)

#: The Django versions, ``[from, to)``, whose internals the fast paths were written for.
SUPPORTED_DJANGO = ((5, 2), (6, 0))


def fast_paths() -> bool:
    """``AUTHGATE["FAST_PATHS"]``, and Django's internals are the ones expected.

    Callers ask once per settings generation (their stores are rebuilt on a settings
    change), not per request.
    """
    return chain_settings().fast_paths and mismatch() is None


def mismatch() -> str | None:
    """Why the fast paths cannot run on this Django (logged once at INFO), or ``None``.

    Checked once per process (Django's code does not change while it runs).
    """
    if not _checked:
        with _lock:  # one check, one log line, however many threads ask first
            if not _checked:
                _checked.append(_check())
    return _checked[0]


def check_again() -> None:
    """Forget the result: the next :func:`mismatch` checks (and logs) again. For tests that
    reshape Django's internals."""
    with _lock:
        _checked.clear()


#: ``[reason]`` once checked.
_checked: list[str | None] = []
_lock = threading.Lock()


def _check() -> str | None:
    try:
        reason = _first_mismatch()
    except Exception as exc:  # an internal gone or reshaped in a way not foreseen here
        reason = f"checking Django's internals failed ({type(exc).__name__}: {exc})"
    if reason is not None:
        logger.info("authgate: fast paths off, using the plain ORM paths: %s", reason)
    return reason


def _first_mismatch() -> str | None:
    version = django.VERSION[:2]
    low, high = SUPPORTED_DJANGO
    if not low <= version < high:
        return (
            f"Django {version[0]}.{version[1]} (the fast paths were written against "
            f"{low[0]}.{low[1]}.x)"
        )
    for check in _CHECKS:
        reason = check()
        if reason is not None:
            return reason
    try:
        from authgate._speed import fastquery  # noqa: F401  (imports fastrows, converters)
    except (ImportError, AttributeError) as exc:
        return f"importing the fast paths failed ({type(exc).__name__}: {exc})"
    return None


def _parameters(func: Any) -> list[str]:
    return list(inspect.signature(func).parameters)


def _signature(name: str, func: Any, expected: list[str]) -> str | None:
    if func is None:
        return f"{name} is missing"
    found = _parameters(func)
    return None if found == expected else f"{name}{tuple(found)} is not {name}{tuple(expected)}"


def _sets(name: str, init: Any, attributes: set[str]) -> str | None:
    """Whether ``init`` (an ``__init__``) still assigns each of ``attributes``."""
    missing = attributes - set(getattr(getattr(init, "__code__", None), "co_names", ()))
    return f"{name} no longer sets {', '.join(sorted(missing))}" if missing else None


_CONVERTER = ["self", "value", "expression", "connection"]


def _orm() -> str | None:
    from django.db.models import JSONField, Model
    from django.db.models.options import Options
    from django.db.models.query import RelatedPopulator, get_related_populators
    from django.db.models.sql.compiler import SQLCompiler

    signatures: list[tuple[str, Any, list[str]]] = [
        ("get_related_populators", get_related_populators, ["klass_info", "select", "db"]),
        ("RelatedPopulator", RelatedPopulator, ["klass_info", "select", "db"]),
        ("SQLCompiler.get_converters", SQLCompiler.get_converters, ["self", "expressions"]),
        ("Model.from_db", Model.from_db, ["db", "field_names", "values"]),
        ("JSONField.from_db_value", JSONField.from_db_value, _CONVERTER),
        *_sqlite_converters(),
    ]
    for name, func, expected in signatures:
        if reason := _signature(name, func, expected):
            return reason
    populated = {
        *("model_cls", "cols_start", "cols_end", "init_list", "reorder_for_init"),
        *("related_populators", "local_setter", "remote_setter"),
    }
    return (
        _sets("RelatedPopulator.__init__", RelatedPopulator.__init__, populated)
        or _sets("SQLCompiler.__init__", SQLCompiler.__init__, {"select", "klass_info"})
        or (None if hasattr(Options, "pk_fields") else "Options.pk_fields is missing")
    )


def _sqlite_converters() -> list[tuple[str, Any, list[str]]]:
    """SQLite's converters that :mod:`~authgate._speed.converters` replaces, if Django's
    SQLite backend is loaded (a SQLite database is in use). Importing it here otherwise
    would register Django's converters with the ``sqlite3`` module for the whole process
    (and its ``operations`` module alone is a circular import)."""
    base = sys.modules.get("django.db.backends.sqlite3.base")
    if base is None:
        return []
    operations = base.DatabaseWrapper.ops_class
    return [
        (f"SQLite's {name}", getattr(operations, name, None), _CONVERTER)
        for name in ("convert_datetimefield_value", "convert_booleanfield_value")
    ]


def _connections() -> str | None:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorWrapper

    methods = (
        "close_if_health_check_failed",
        "ensure_connection",
        "validate_thread_sharing",
        "validate_no_broken_transaction",
        "create_cursor",
        "cursor",
    )
    missing = [name for name in methods if not callable(getattr(BaseDatabaseWrapper, name, None))]
    if missing:
        return f"BaseDatabaseWrapper has no {', '.join(missing)}"
    from django.utils.functional import cached_property

    errors = inspect.getattr_static(BaseDatabaseWrapper, "wrap_database_errors", None)
    if not isinstance(errors, cached_property | property):
        return "BaseDatabaseWrapper.wrap_database_errors is not a property"
    return _sets(
        "BaseDatabaseWrapper.__init__",
        BaseDatabaseWrapper.__init__,
        {"_thread_ident", "force_debug_cursor", "execute_wrappers"},
    ) or _signature("CursorWrapper.execute", CursorWrapper.execute, ["self", "sql", "params"])


def _redis() -> str | None:
    """What :mod:`~authgate._speed.local_rows` uses for its subscription."""
    from django.core.cache.backends.redis import RedisCache, RedisCacheClient
    from django.utils.functional import cached_property

    if not isinstance(inspect.getattr_static(RedisCache, "_cache", None), cached_property):
        return "RedisCache._cache is not a cached_property"
    return _signature(
        "RedisCacheClient.get_client", RedisCacheClient.get_client, ["self", "key", "write"]
    )


def _building() -> str | None:
    from django.db.models.base import ModelState
    from django.db.models.fields.mixins import FieldCacheMixin
    from django.dispatch import Signal

    if "fields_cache" not in vars(ModelState):
        return "ModelState.fields_cache is missing"
    if not callable(getattr(FieldCacheMixin, "set_cached_value", None)):
        return "FieldCacheMixin.set_cached_value is missing"
    return _sets("Signal.__init__", Signal.__init__, {"sender_receivers_cache"})


def _requests() -> str | None:
    from django.core.handlers.asgi import ASGIRequest
    from django.core.handlers.wsgi import WSGIRequest
    from django.utils.functional import cached_property

    for request_class in (WSGIRequest, ASGIRequest):
        if not isinstance(vars(request_class).get("GET"), cached_property):
            return f"{request_class.__name__}.GET is not Django's lazy cached_property"
    return None


_CHECKS: tuple[Callable[[], str | None], ...] = (
    _orm,
    _connections,
    _building,
    _requests,
    _redis,
)
