"""The revocation reasons a leak leaves on a credential, and reading them back.

An API token revoked because it leaked keeps the reason in ``revoked_reason`` (and the
audit event's ``reason``): the token pages show it, with the place it was found, and the
admin filters on it (:class:`authgate.leaks.admin.LeakFilter`). No model field is needed:
the reason *is* the record. Imports nothing from authgate, so the admin and the pages can
use it without depending on the rest of :mod:`authgate.leaks`.
"""

from __future__ import annotations

__all__ = ["GITHUB", "LEAK_PREFIXES", "RFC7009", "SCAN", "found_at", "reason"]

#: Reported by GitHub's secret scanning: ``found in public: <url>``.
GITHUB = "found in public: "
#: Found by ``manage.py authgate revoke-leaked``: ``found in a leak: <file or place>``.
SCAN = "found in a leak: "
#: Revoked by whoever held it, ``POST /auth/revoke/`` (RFC 7009).
RFC7009 = "revoked by value (RFC 7009)"

#: The prefixes that mark a credential revoked because it was exposed.
LEAK_PREFIXES = (GITHUB, SCAN)

#: Longest "where" kept in a reason (URLs from GitHub are a few hundred characters).
_MAX_WHERE = 500


def reason(prefix: str, where: str) -> str:
    """The reason text: ``prefix`` and where it was found (trimmed, one line)."""
    where = " ".join(str(where or "").split())[:_MAX_WHERE] or "(unknown)"
    return prefix + where


def found_at(text: str) -> str | None:
    """Where a leaked credential was found, read back from its reason; ``None`` if the
    reason is not a leak's."""
    for prefix in LEAK_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :] or None
    return None
