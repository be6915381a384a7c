"""``request.GET.getlist(name)``, without building ``request.GET`` when it can be avoided.

Building the ``QueryDict`` costs ~5 µs, and the scoped-token and link backends ask on every
request they see. The plain path is ``request.GET.getlist(name)`` itself, taken when
``AUTHGATE["FAST_PATHS"]`` is off or :mod:`authgate._speed.guard` finds that Django's
requests do not build ``GET`` lazily as Django 5.2's do.
"""

from __future__ import annotations

import functools
from typing import cast

from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest

from authgate._speed.guard import fast_paths
from authgate.conf import django_setting, on_reload

__all__ = ["query_values"]

# Django's lazy ``request.GET`` of WSGI and ASGI requests (``cached_property`` objects).
_WSGI_GET = vars(WSGIRequest).get("GET")
_ASGI_GET = vars(ASGIRequest).get("GET")

#: Whether to scan raw query strings: decided on first use, again after a settings change.
_scan: bool | None = None


@on_reload
def _decide_again() -> None:
    global _scan
    _scan = None


def query_values(request: HttpRequest, name: str) -> list[str]:
    """``request.GET.getlist(name)``, without building ``request.GET`` when it can be avoided.

    When ``request.GET`` is Django's own lazy attribute, not yet built, the raw query
    string is read instead: empty, the answer is ``[]``; short, ASCII and free of ``%`` and
    ``+`` (nothing for ``parse_qsl`` to decode), splitting it on ``&`` and ``=`` gives
    exactly what ``QueryDict`` would. Anything else builds ``GET``.
    """
    global _scan
    scan = _scan
    if scan is None:
        scan = _scan = fast_paths()
    if scan and "GET" not in vars(request):
        lazy = getattr(type(request), "GET", None)
        query: str | None = None
        if lazy is _WSGI_GET:
            query = cast(WSGIRequest, request).environ.get("QUERY_STRING", "")
        elif lazy is _ASGI_GET:
            query = request.META.get("QUERY_STRING", "")
        if not query and query is not None:
            return []
        if query is not None and _plain_query(query, name):
            return _scan_query(query, name)
    return request.GET.getlist(name)


#: At most this many fields are scanned by hand; more go to ``QueryDict`` (and its limit).
_SCAN_FIELDS = 16


def _plain_query(query: str, name: str) -> bool:
    """Whether ``parse_qsl`` would return ``query``'s fields undecoded, within Django's
    field limit, and ``name`` can only match a whole key."""
    limit = django_setting("DATA_UPLOAD_MAX_NUMBER_FIELDS")
    fields = query.count("&") + 1
    return (
        fields <= _SCAN_FIELDS
        and (limit is None or fields <= limit)
        and query.isascii()
        and "%" not in query
        and "+" not in query
        and _plain_name(name)
    )


@functools.lru_cache(maxsize=16)
def _plain_name(name: str) -> bool:
    return bool(name) and name.isascii() and not any(c in name for c in "%+&=")


def _scan_query(query: str, name: str) -> list[str]:
    """``parse_qsl(query, keep_blank_values=True)`` values for ``name``, for a plain query."""
    prefix = name + "="
    return [
        field[len(prefix) :] if field != name else ""
        for field in query.split("&")
        if field == name or field.startswith(prefix)
    ]
