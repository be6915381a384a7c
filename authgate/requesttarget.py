"""The request target as the client sent it: path and query before percent-decoding.

Django routes on a decoded path (``request.path``: ``/api/notes/%31/`` arrives as
``/api/notes/1/``, ``/a%2Fb/`` as ``/a/b/``), and re-escaping it cannot give back the
client's bytes: ``%7E`` and ``~``, ``%c3%a9`` and ``%C3%A9``, ``%2F`` and ``/`` all look the
same once decoded. What a client signed (RFC 9421 ``@path``, §2.2.6: "the target path …
before percent-decoding") or named in a DPoP proof is the raw target, so it is read from
the server when the server provides it:

- WSGI: ``RAW_URI`` (gunicorn) or ``REQUEST_URI`` (uWSGI, mod_wsgi) in the environ;
- ASGI: ``raw_path`` (and ``query_string``) in the scope (uvicorn, hypercorn, daphne).

Otherwise (``runserver``, the test client, a server that provides neither) the decoded
path is re-escaped with Django's ``escape_uri_path``: right for every path whose bytes are
the canonical escaping of their decoded form, wrong for the others (docs/httpsig.md).
An absolute-form target (``GET http://host/path``) gives its path and query; anything
that is not a plain ASCII origin-form or absolute-form target is not trusted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.encoding import escape_uri_path

__all__ = ["raw_request_target", "request_target"]

#: WSGI environ keys servers put the raw request target in, in order of preference.
RAW_TARGET_KEYS = ("RAW_URI", "REQUEST_URI")


def _split(target: str) -> tuple[str, str] | None:
    if not target or not target.isascii() or any(ord(c) <= 0x20 or c == "\x7f" for c in target):
        return None
    if target.startswith("/"):
        path, _, query = target.partition("?")
        return path, query
    if target.lower().startswith(("http://", "https://")):
        try:
            parts = urlsplit(target)
        except ValueError:
            return None
        return parts.path or "/", parts.query
    return None  # "*" (OPTIONS), an authority (CONNECT), or garbage


def raw_request_target(request: HttpRequest) -> tuple[str, str] | None:
    """``(path, query)`` exactly as sent, when the server tells; ``None`` otherwise."""
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict):
        raw_path = scope.get("raw_path")
        if isinstance(raw_path, bytes) and raw_path:
            query = scope.get("query_string", b"")
            target = raw_path.decode("latin-1")
            if isinstance(query, bytes) and query:
                target = f"{target}?{query.decode('latin-1')}"
            return _split(target)
        return None
    meta = request.META
    for key in RAW_TARGET_KEYS:
        value = meta.get(key)
        if isinstance(value, str) and value:
            return _split(value)
    return None


def request_target(request: HttpRequest) -> tuple[str, str]:
    """``(path, query)``: the raw target when available, else the decoded path re-escaped
    and the ``QUERY_STRING`` (see the module doc)."""
    raw = raw_request_target(request)
    if raw is not None:
        return raw
    return escape_uri_path(request.path), request.META.get("QUERY_STRING", "")
