"""Signed temporary scoped tokens: issue them, read them.

A scoped token lets a user hand a third party (a CI job, a partner, a script) a short-lived
credential that may only call some methods on some path prefixes, optionally only within
some named scopes, with a note about who it is for::

    from authgate import scoped

    token = scoped.issue(
        user,
        {"GET": ["/api/notes/"]},
        max_age=timedelta(minutes=10),
        recipient="nightly export job",
    )
    # → "ags1_eyJlIjp7…​.Yc4…" : send it as "Authorization: TmpToken <token>" or "?TOKEN=<token>"

The wire format is :mod:`authgate.core.scoped_v1`: **signed, not encrypted** — anyone holding
a token can read the user's primary key, the endpoints, the times, the recipient and the
scopes. Nothing is stored when a token is issued except one audit event
(:class:`~authgate.models.TokenEvent` ``issued``); a token is checked with one user query.
Every outstanding token of a user dies at once on :func:`authgate.state.bump_generation`
(``manage.py authgate revoke-all``), a password change, or deactivation.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest

from authgate import audit, lineage
from authgate.conf import chain_settings
from authgate.core import scoped_v1
from authgate.core.policy import Policy
from authgate.core.scoped_v1 import METHODS, ExpiredToken, ScopedClaims
from authgate.schemes.scoped.settings import scoped_settings
from authgate.signing import keyring
from authgate.users import load_active_user, packer_for_model, revocation_value

__all__ = [
    "CREDENTIAL_KIND",
    "ExpiredToken",
    "ScopedClaims",
    "build_restrictions",
    "clean_endpoints",
    "clean_scopes",
    "issue",
    "max_age_seconds",
    "parse",
    "token_id",
]

#: ``credential_kind`` of scoped tokens in the audit trail.
CREDENTIAL_KIND = "scoped"


def _timestamp(now: int | datetime | None) -> int | None:
    if now is None or (isinstance(now, int) and not isinstance(now, bool)):
        return now
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        return int(now.timestamp())
    raise TypeError(f"now must be an int timestamp or a datetime, not {type(now).__name__}")


def _seconds(value: object, name: str) -> int:
    """The caller's ``value`` (an int of seconds or a timedelta) as a positive whole
    number of seconds (the settings are ``timedelta`` already: :mod:`.settings`)."""
    if isinstance(value, timedelta):
        if value % timedelta(seconds=1):
            raise ValueError(f"{name} must be a whole number of seconds, got {value!r}")
        seconds = int(value.total_seconds())
    elif isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        raise TypeError(
            f"{name} must be an int number of seconds or a timedelta, not {type(value).__name__}"
        )
    if seconds <= 0:
        raise ValueError(f"{name} must be positive, got {seconds} seconds")
    return seconds


def max_age_seconds(max_age: int | timedelta | None = None) -> int:
    """``max_age`` (default ``SCOPED_DEFAULT_MAX_AGE``) in seconds, checked against
    ``SCOPED_MAX_AGE``. ``TypeError`` / ``ValueError`` with a clear message otherwise."""
    config = scoped_settings()
    limit = int(config.max_age.total_seconds())
    if max_age is None:
        return min(int(config.default_max_age.total_seconds()), limit)
    seconds = _seconds(max_age, "max_age")
    if seconds > limit:
        raise ValueError(
            f"max_age is {seconds} seconds; the maximum (AUTHGATE['SCOPED_MAX_AGE']) is "
            f"{limit} seconds. Scoped tokens that never expire are not supported."
        )
    return seconds


def clean_endpoints(endpoints: object) -> dict[str, list[str]]:
    """``endpoints`` checked and with methods uppercased; ``TypeError`` / ``ValueError``."""
    if not isinstance(endpoints, Mapping):
        raise TypeError(
            "endpoints must be a mapping of HTTP method to a list of path prefixes, "
            f"like {{'GET': ['/api/notes/']}}, not {type(endpoints).__name__}"
        )
    cleaned: dict[str, list[str]] = {}
    for method, paths in endpoints.items():
        if not isinstance(method, str):
            raise TypeError(f"endpoint methods must be str, not {type(method).__name__}")
        if not method.isascii() or method.upper() not in METHODS:
            raise ValueError(f"unknown method {method!r}; expected one of {sorted(METHODS)}")
        if isinstance(paths, (str, bytes)) or not isinstance(paths, Iterable):
            raise TypeError(
                f"endpoints[{method!r}] must be a list of paths, not {type(paths).__name__}"
            )
        paths = list(paths)
        for path in paths:
            if not isinstance(path, str):
                raise TypeError(f"endpoint paths must be str, not {type(path).__name__}")
            if not path.startswith("/"):
                raise ValueError(f"endpoint path {path!r} must be absolute (start with '/')")
        if method.upper() in cleaned:
            raise ValueError(f"method {method.upper()} is listed twice")
        cleaned[method.upper()] = paths
    if not cleaned:
        raise ValueError("endpoints must name at least one method and path")
    return cleaned


def clean_scopes(scopes: object) -> list[str] | None:
    """``scopes`` checked against ``AUTHGATE["SCOPES"]``, sorted; ``None`` stays ``None``."""
    if scopes is None:
        return None
    if isinstance(scopes, (str, bytes)) or not isinstance(scopes, Iterable):
        raise TypeError(
            f"scopes must be a list of scope names or None, not {type(scopes).__name__}"
        )
    names = list(dict.fromkeys(scopes))
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"scope names must be str, not {type(name).__name__}")
    registered = chain_settings().scopes
    unknown = [name for name in names if name not in registered]
    if unknown:
        known = ", ".join(sorted(registered)) or "none are registered"
        raise ValueError(
            f"unknown scope(s): {', '.join(unknown)}; registered scopes (AUTHGATE['SCOPES']): "
            f"{known}"
        )
    Policy.from_scopes(names)  # the names must compile (PolicyError is a ValueError)
    return sorted(names)


def build_restrictions(
    endpoints: Mapping[str, Iterable[str]], scopes: Iterable[str] | None
) -> Policy:
    """The :class:`Policy` a token with these claims carries; ``PolicyError`` if unusable."""
    policy = Policy.from_endpoints({method: list(paths) for method, paths in endpoints.items()})
    if scopes is not None:
        policy = policy & Policy.from_scopes(scopes)
    return policy


def token_id(token: str) -> str:
    """A short, non-secret id for a token (the audit trail's ``credential_id``):
    the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def issue(
    user: Any,
    endpoints: Mapping[str, Iterable[str]],
    *,
    max_age: int | timedelta | None = None,
    recipient: str | None = None,
    scopes: Iterable[str] | None = None,
    now: int | datetime | None = None,
    request: HttpRequest | None = None,
    parent: str | None = None,
    allowed_ips: Iterable[str] = (),
) -> str:
    """A scoped token for ``user``, allowed only ``endpoints``.

    ``endpoints`` maps standard HTTP methods to absolute path prefixes, matched on segment
    boundaries (``{"GET": ["/api/notes/"]}``; ``HEAD`` follows ``GET``). ``max_age`` is an
    int number of seconds or a ``timedelta``, at most ``SCOPED_MAX_AGE`` (default
    ``SCOPED_DEFAULT_MAX_AGE``). ``recipient`` is a note about who the token is for (shown to
    views as ``X-API-Token-Recipient``). ``scopes``, if given, limits the token to those
    registered scopes (``AUTHGATE["SCOPES"]``) too; ``None`` means no scope limit beyond the
    endpoints. ``now`` (Unix seconds or an aware datetime) is a hook for tests. ``request``,
    if given, puts the client IP in the audit event. ``parent`` (``"api_token:42"``) and
    ``allowed_ips`` are set by :func:`authgate.derive.derive` for a token minted with a
    credential: the token then ends when any API token or key of the user is revoked
    (the derived generation) and works only from those networks.

    The user is re-read from the database (one query) so the token is bound to their
    current revocation state. Raises ``TypeError`` / ``ValueError`` with a clear message for
    bad arguments, an unsaved or inactive user, or endpoints no request could ever match.
    Records an ``issued`` event in the audit trail.
    """
    pk = getattr(user, "pk", None)
    state = getattr(user, "_state", None)
    if pk is None or getattr(state, "adding", False):
        raise ValueError("user must be a saved user")
    seconds = max_age_seconds(max_age)
    cleaned_endpoints = clean_endpoints(endpoints)
    cleaned_scopes = clean_scopes(scopes)
    build_restrictions(cleaned_endpoints, cleaned_scopes)  # unusable tokens are never issued
    issued_at = _timestamp(now)
    if issued_at is None:
        issued_at = int(time.time())
    fresh = load_active_user(pk)
    if fresh is None:
        raise ValueError("user is inactive: a token for them would never be accepted")
    if parent is not None:
        lineage.note_minted(parent)  # first: a revocation from now on ends the token
    token = scoped_v1.create(
        keyring=keyring(),
        user_pk=fresh.pk,
        packer=packer_for_model(),
        endpoints=cleaned_endpoints,
        max_age=seconds,
        revocation=revocation_value(fresh, password=True, derived=parent is not None),
        recipient=recipient,
        scopes=cleaned_scopes,
        now=issued_at,
        parent=parent,
        allowed_ips=list(allowed_ips),
    )
    audit.record(
        "issued",
        credential_kind=CREDENTIAL_KIND,
        credential_id=token_id(token),
        user=fresh,
        request=request,
        recipient=recipient,
        endpoints={
            method: list(dict.fromkeys(paths)) for method, paths in cleaned_endpoints.items()
        },
        scopes=cleaned_scopes,
        issued_at=datetime.fromtimestamp(issued_at, tz=UTC).isoformat(),
        expires_at=datetime.fromtimestamp(issued_at + seconds, tz=UTC).isoformat(),
        **({"parent": parent} if parent is not None else {}),
        **({"allowed_ips": list(allowed_ips)} if allowed_ips else {}),
    )
    return token


def parse(token: str, *, now: int | datetime | None = None) -> ScopedClaims | None:
    """The signed claims of ``token``, or ``None`` if it is not a valid scoped token.

    Checks the signature (every key of ``SECRET_KEY`` + ``SECRET_KEY_FALLBACKS``), the format
    and the expiry: raises :class:`ExpiredToken` for a genuine token past its expiry. Does
    *not* check the user or revocation (that needs the database: the backend does it).
    Never raises anything else, whatever ``token`` is.
    """
    return scoped_v1.parse(token, keyring=keyring(), packer=packer_for_model(), now=_timestamp(now))
