"""Validating what an API token may carry: scopes, policy, client IPs, lifetime, DPoP key.

Each function returns the value as stored or raises :class:`TokenError` (a ``ValueError``)
with a message for the person who asked: the admin, the command line and the obtain-token
endpoint show it as is.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from authgate.conf import chain_settings
from authgate.core.durations import parse_duration
from authgate.core.policy import PolicyError, compile_djblets
from authgate.schemes.tokens.settings import token_settings

__all__ = [
    "DEFAULT",
    "TokenError",
    "TokenLimitReached",
    "clean_scopes",
    "clean_policy",
    "clean_allowed_ips",
    "clean_dpop_jkt",
    "expiry",
    "parse_lifetime",
]


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


#: "Use the configured default" (``TOKEN_DEFAULT_LIFETIME``), as opposed to ``None``
#: (no expiry, only if ``ALLOW_NON_EXPIRING_TOKENS``).
DEFAULT: Any = _Default()


class TokenError(ValueError):
    """A token cannot be issued, rotated or revoked as asked; the message says why."""


class TokenLimitReached(TokenError):
    """The user already has ``MAX_TOKENS_PER_USER`` live tokens."""


# --- validation -------------------------------------------------------------------------


def clean_scopes(scopes: Iterable[str] | None) -> list[str] | None:
    """Sorted, de-duplicated scope names, each registered in ``AUTHGATE["SCOPES"]``."""
    if scopes is None:
        return None
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not all(isinstance(name, str) for name in scopes):  # a JSON body's [[]] or [1]
        raise TokenError(_("Scopes are a list of scope names (strings)."))
    names = sorted(set(scopes))
    registered = chain_settings().scopes
    unknown = [name for name in names if name not in registered]
    if unknown:
        raise TokenError(
            _("Unknown scope %(scopes)s. Registered scopes: %(registered)s.")
            % {
                "scopes": ", ".join(repr(n) for n in unknown),
                "registered": ", ".join(sorted(registered)) or _("none"),
            }
        )
    return names


def clean_policy(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """The djblets policy as stored (``{}`` = full access); ``TokenError`` if malformed."""
    if not policy:
        return {}
    try:
        compile_djblets(policy)
    except PolicyError as exc:
        raise TokenError(_("Invalid policy: %(error)s") % {"error": exc}) from None
    return dict(policy)


def clean_allowed_ips(allowed_ips: Iterable[str] | None) -> list[str]:
    """Normalised addresses and networks (``10.0.0.0/8``); ``TokenError`` for anything else."""
    if not allowed_ips:
        return []
    if isinstance(allowed_ips, str):
        allowed_ips = allowed_ips.replace(",", " ").split()
    cleaned = []
    for value in allowed_ips:
        try:
            cleaned.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError:
            raise TokenError(
                _("%(value)r is not an IP address or network (e.g. 203.0.113.7, 10.0.0.0/8).")
                % {"value": value}
            ) from None
    return sorted(set(cleaned))


#: An RFC 7638 SHA-256 thumbprint: 32 bytes, base64url without padding (RFC 9449 §6.1).
_JKT_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def clean_dpop_jkt(jkt: str | None) -> str:
    """The thumbprint of the key a token is bound to (``""``: not bound); ``TokenError``
    for anything but the one base64url spelling of 32 bytes."""
    if not jkt:
        return ""
    if isinstance(jkt, str) and _JKT_RE.fullmatch(jkt):
        try:
            digest = base64.urlsafe_b64decode(jkt + "=")
        except (ValueError, binascii.Error):
            digest = b""
        if len(digest) == 32 and base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == jkt:
            return jkt
    raise TokenError(
        _(
            "A DPoP key thumbprint is the RFC 7638 SHA-256 thumbprint of the client's public "
            "key: 43 base64url characters."
        )
    )


def expiry(expires_in: timedelta | Any | None, now: datetime) -> datetime | None:
    """When a token issued at ``now`` for ``expires_in`` expires, within the settings."""
    config = token_settings()
    if expires_in is DEFAULT:
        expires_in = config.default_lifetime
    maximum = config.max_lifetime
    if expires_in is None:
        if not config.allow_non_expiring:
            raise TokenError(
                _("Tokens must expire here (ALLOW_NON_EXPIRING_TOKENS is off); give a lifetime.")
            )
        return None
    if not isinstance(expires_in, timedelta) or expires_in <= timedelta(0):
        raise TokenError(_("The lifetime must be a positive duration."))
    if maximum is not None and expires_in > maximum:
        raise TokenError(
            _("The lifetime may be at most %(days)s days (TOKEN_MAX_LIFETIME).")
            % {"days": maximum.days}
        )
    return now + expires_in


def parse_lifetime(text: str) -> timedelta | None:
    """A lifetime typed by a person (``"30d"``, ``"12h"``, ``"90m"``, ``"2w"``, ``"45s"``;
    ``"never"`` → ``None``): :func:`~authgate.core.durations.parse_duration` with a unit
    required, since a bare ``"30"`` could mean seconds or days. ``TokenError`` otherwise."""
    try:
        return parse_duration(text, unit=True, never=True)
    except (TypeError, ValueError):
        raise TokenError(
            _("%(text)r is not a duration like 30d, 12h, 90m, 2w or 'never'.") % {"text": text}
        ) from None
