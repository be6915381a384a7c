"""HTTP URIs compared the way RFC 9449 §4.3 asks: normalised per RFC 3986 §6, no query.

A DPoP proof names the request it was made for in ``htu``; the resource server compares it
with the URI the request arrived at, "ignoring any query and fragment parts", after
syntax-based and scheme-based normalisation (RFC 3986 §6.2.2, §6.2.3). Two spellings of
one resource then compare equal, and nothing else does:

- scheme and host are case-insensitive: lowercased;
- percent-encodings: hex digits uppercased, and those of unreserved characters
  (``A-Z a-z 0-9 - . _ ~``) decoded (``/%7Esmith`` is ``/~smith``; ``/a%2Fb`` stays, as a
  ``%2F`` is not a ``/``);
- dot segments removed (RFC 3986 §5.2.4);
- the scheme's default port dropped (``:80`` for http, ``:443`` for https), an empty path
  is ``/``;
- userinfo, query and fragment are not part of the result.

Standard library only; no Django.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["normalise_http_uri", "normalise_path", "remove_dot_segments"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _percent(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else f"%{match.group(1).upper()}"


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: ``/a/./b/../c`` is ``/a/c``; a path never climbs above ``/``."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
            continue
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
            continue
        output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def normalise_path(path: str) -> str:
    """An absolute path, normalised as the module doc says (``""`` is ``/``)."""
    path = _PERCENT_RE.sub(_percent, path)
    return remove_dot_segments(path) if path else "/"


def normalise_http_uri(uri: str) -> str | None:
    """``scheme://authority/path`` of an absolute http(s) URI, normalised, without userinfo,
    query or fragment; ``None`` if ``uri`` is not one (a relative reference, another
    scheme, a bad port, control characters or spaces)."""
    if not uri.isascii() or any(ord(c) <= 0x20 or c == "\x7f" for c in uri):
        return None
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    authority = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return f"{scheme}://{authority}{normalise_path(parts.path)}"
