"""URL paths for restriction matching: one canonical form, compared on segment boundaries.

A path restriction must never *widen*: ``/api/notes/`` may not grant ``/api/notesX/``,
``/api/notes/../admin/`` or anything a trick spelling routes elsewhere. Everything here
fails closed: a path that cannot be read unambiguously is ``None``, and ``None`` matches
nothing.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

__all__ = ["normalize_path", "path_matches"]

logger = logging.getLogger(__name__)

# Never part of a path we accept, raw or percent-decoded: C0/C1 controls and DEL (NUL
# included), the backslash (a separator to some servers and filesystems) and lone
# surrogates (not text: they cannot be encoded back to UTF-8).
_FORBIDDEN_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\\\ud800-\udfff]")
# An encoded "/" or "\" would become a separator only after decoding, so the segments a
# router sees and the segments we see would differ (RFC 3986 §2.2: reserved characters
# encoded are not equivalent to the character itself).
_ENCODED_SEPARATOR_RE = re.compile(r"%(?:2[fF]|5[cC])")


def normalize_path(path: str) -> str | None:
    """Return the canonical absolute form of ``path``, or ``None`` to deny.

    Percent-decodes once (UTF-8), collapses repeated slashes and resolves ``.`` and ``..``
    (RFC 3986 §5.2.4, except that ``..`` above the root denies instead of being clamped).
    A trailing slash is kept; case is preserved (Django URLs are case-sensitive, so a
    differently-cased path simply matches nothing). ``None`` for a relative path, an
    encoded slash or backslash, a backslash, a control character (NUL included) raw or
    encoded, or percent-encoding that is not UTF-8.
    """
    if not isinstance(path, str):
        logger.debug("Rejected path: not a string")
        return None
    if not path.startswith("/"):
        logger.debug("Rejected path: not absolute")
        return None
    if _FORBIDDEN_RE.search(path):
        logger.debug("Rejected path: control character, backslash or surrogate")
        return None
    if "%" in path:
        if _ENCODED_SEPARATOR_RE.search(path):
            logger.debug("Rejected path: encoded slash or backslash")
            return None
        try:
            # Exactly one round: "%252e" becomes the literal text "%2e", never ".".
            path = unquote(path, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            logger.debug("Rejected path: percent-encoding is not UTF-8")
            return None
        if _FORBIDDEN_RE.search(path):
            logger.debug("Rejected path: encoded control character or backslash")
            return None

    parts = path.split("/")[1:]
    # "/a/b/", "/a/b/." and "/a/b/.." all name a directory: keep (or add) the slash.
    trailing_slash = parts[-1] in ("", ".", "..")
    segments: list[str] = []
    for part in parts:
        if part in ("", "."):
            continue  # "//" and "/./" add nothing
        if part == "..":
            if not segments:
                logger.debug("Rejected path: '..' above the root")
                return None
            segments.pop()
        else:
            segments.append(part)
    if not segments:
        return "/"
    return "/" + "/".join(segments) + ("/" if trailing_slash else "")


def _within(base: str, path: str) -> bool:
    """Whether ``path`` is ``base`` or below it (``base`` has no trailing slash)."""
    return path == base or path.startswith(base + "/")


def path_matches(allowed: str, path: str) -> bool:
    """Whether the prefix ``allowed`` covers ``path``, on segment boundaries.

    ``/api/notes`` and ``/api/notes/`` both cover ``/api/notes``, ``/api/notes/`` and
    ``/api/notes/1/``, never ``/api/notesX/``; ``/`` covers every path.

    Both readings of ``path`` must be covered: the normalised one (so ``..`` and ``%2e%2e``
    cannot climb out) *and* the string exactly as given. Django's ``request.path`` is
    already percent-decoded and is routed as-is, without resolving dot segments or
    collapsing slashes, so a spelling that only normalises into the prefix
    (``/%61pi/notes/``, ``/api/x/../notes/``, ``//api/notes/``) may reach a different view:
    it is denied. Write ``allowed`` decoded, as Django shows paths.
    """
    base = normalize_path(allowed)
    target = normalize_path(path)
    if base is None or target is None:
        return False
    base = base.rstrip("/")  # "/" becomes "", under which every absolute path lies
    return _within(base, target) and _within(base, path)
