"""Never more than the caller: what a credential may ask for when it creates or rotates a token.

Shared by the token pages and the token JSON API. A session, a password or a magic link carry
the user's full rights (``identity.restrictions is None``): they may create any token the
settings allow. An API token may manage tokens only with the scope ``tokens:manage`` (a
token not limited by scope carries every scope), and then

* the scopes it asks for must be a subset of its own (none asked: it passes its own on);
* a djblets policy on the caller is passed on unchanged (a different one is refused);
* its client-IP allowlist is passed on, or narrowed to networks inside it;
* the new token expires no later than the caller (the expiry is capped, not refused);
* a limited-use token (``max_uses``) cannot create or rotate tokens at all.

Credentials whose restrictions an API token cannot carry (a scoped token's endpoints) are
refused: they cannot manage API tokens. Rotating hands out a token with the old one's rights,
so a caller may rotate only tokens that carry no more rights than itself.

The same rule for scoped tokens: :func:`check_endpoints_within`, :func:`granted_scopes` and
:func:`capped_max_age`. Every mint path reaches these through :func:`authgate.derive.derive`,
which adds what is common to every kind (use limits, the IP allowlist, lineage).
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.translation import gettext as _

from authgate.conf import chain_settings
from authgate.core.policy import Policy
from authgate.errors import (
    EXPIRED_TOKEN,
    INSUFFICIENT_SCOPE,
    AuthenticationFailed,
    PermissionDenied,
)
from authgate.identity import Identity
from authgate.schemes.scoped.service import max_age_seconds
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.settings import token_settings
from authgate.schemes.tokens.validation import DEFAULT, expiry

__all__ = [
    "MANAGE_SCOPE",
    "Limits",
    "limits_for",
    "within",
    "check_covers",
    "capped_lifetime",
    "clamp_expiry",
    "rotation_lifetime",
    "check_endpoints_within",
    "granted_scopes",
    "capped_max_age",
    "view_names_under",
]

#: The scope a restricted credential needs to list, create, revoke or rotate tokens.
MANAGE_SCOPE = "tokens:manage"


def _refuse(detail: str, scope: str | None = None) -> PermissionDenied:
    extra = {"scope": scope} if scope else {}
    return PermissionDenied(INSUFFICIENT_SCOPE, detail, **extra)


@dataclass(frozen=True, slots=True)
class Limits:
    """The rights of the calling credential, as far as a new API token could carry them."""

    #: ``None``: not limited by scope.
    scopes: frozenset[str] | None = None
    #: ``None``: no djblets policy; else the caller's, passed on unchanged.
    policy: dict[str, Any] | None = None
    #: Empty: any address; else new tokens must stay inside these networks.
    allowed_ips: tuple[str, ...] = ()
    expires_at: datetime | None = None

    @property
    def is_full(self) -> bool:
        """The user's full rights (a session, a password): only the expiry may limit."""
        return self.scopes is None and self.policy is None and not self.allowed_ips


def limits_for(identity: Identity) -> Limits:
    """The :class:`Limits` of ``identity``; ``PermissionDenied`` if it may not mint tokens."""
    credential = identity.credential
    if isinstance(credential, APIToken):
        if credential.max_uses is not None:
            raise _refuse(_("A limited-use API token cannot create or rotate tokens."))
        return Limits(
            scopes=frozenset(credential.scopes) if credential.scopes is not None else None,
            policy=dict(credential.policy) if credential.policy else None,
            allowed_ips=tuple(credential.allowed_ips or ()),
            expires_at=identity.expires_at,
        )
    if identity.restrictions is not None:
        raise _refuse(
            _(
                "This credential's restrictions cannot be carried by an API token: manage "
                "tokens with a session, a password or an API token."
            )
        )
    return Limits(expires_at=identity.expires_at)


def _networks(values: Iterable[str]) -> list[Any]:
    return [ipaddress.ip_network(value, strict=False) for value in values]


def _inside(inner: Any, outer: list[Any]) -> bool:
    return any(inner.version == net.version and inner.subnet_of(net) for net in outer)


def within(
    limits: Limits,
    *,
    scopes: list[str] | None,
    policy: Mapping[str, Any] | None,
    allowed_ips: list[str],
    inherit: bool = True,
) -> tuple[list[str] | None, dict[str, Any], list[str]]:
    """The (scopes, policy, allowed IPs) to issue with, given cleaned requested values.

    ``scopes=None`` asks for no scope limit: a scope-limited caller passes its own limit on
    (``inherit``, the API's reading of an omitted field) or is refused (``inherit=False``,
    the page's explicit "full access"). Raises ``PermissionDenied`` (``insufficient_scope``)
    when the request asks for more than the caller has.
    """
    if limits.scopes is not None:
        if scopes is None and not inherit:
            raise _refuse(
                _("The credential used here is limited to the scopes %(scopes)s: choose from them.")
                % {"scopes": ", ".join(sorted(limits.scopes))}
            )
        if scopes is None:
            registered = chain_settings().scopes
            scopes = sorted(name for name in limits.scopes if name in registered)
        else:
            missing = sorted(set(scopes) - limits.scopes)
            if missing:
                raise _refuse(
                    _("The credential used here does not carry the scope(s) %(scopes)s.")
                    % {"scopes": ", ".join(missing)},
                    scope=" ".join(missing),
                )
    if limits.policy is not None:
        if policy and dict(policy) != limits.policy:
            raise _refuse(
                _("The credential used here has a policy; a token it creates carries the same.")
            )
        policy = limits.policy
    if limits.allowed_ips:
        if not allowed_ips:
            allowed_ips = list(limits.allowed_ips)
        else:
            outer = _networks(limits.allowed_ips)
            outside = [ip for ip in allowed_ips if not _inside(_networks([ip])[0], outer)]
            if outside:
                raise _refuse(
                    _("%(ips)s is outside the IP allowlist of the credential used here.")
                    % {"ips": ", ".join(outside)}
                )
    return scopes, dict(policy or {}), list(allowed_ips)


def check_covers(limits: Limits, token: APIToken) -> None:
    """Refuse to rotate ``token`` if it carries rights the caller does not have."""
    if limits.is_full:
        return
    ok = (
        (limits.scopes is None or (token.scopes is not None and set(token.scopes) <= limits.scopes))
        and (limits.policy is None or dict(token.policy or {}) == limits.policy)
        and (
            not limits.allowed_ips
            or (
                bool(token.allowed_ips)
                and all(
                    _inside(net, _networks(limits.allowed_ips))
                    for net in _networks(token.allowed_ips)
                )
            )
        )
    )
    if not ok:
        raise _refuse(
            _("This token has rights the credential used here does not: it cannot rotate it.")
        )


def capped_lifetime(limits: Limits, expires_in: Any, now: datetime) -> Any:
    """``expires_in`` (a timedelta, ``None`` or ``DEFAULT``), shortened so that a token issued
    at ``now`` expires no later than the caller. Settings errors surface as ``TokenError``."""
    wanted = expiry(expires_in, now)
    if limits.expires_at is None or (wanted is not None and wanted <= limits.expires_at):
        return expires_in
    return max(limits.expires_at - now, timedelta(0))


def clamp_expiry(limits: Limits, token: APIToken) -> None:
    """Undo the microseconds :func:`~authgate.schemes.tokens.service.issue` adds after
    :func:`capped_lifetime`."""
    if limits.expires_at is not None and (
        token.expires is None or token.expires > limits.expires_at
    ):
        APIToken.objects.filter(pk=token.pk).update(expires=limits.expires_at)
        token.expires = limits.expires_at


def rotation_lifetime(limits: Limits, token: APIToken, now: datetime) -> Any:
    """The ``expires_in`` to pass to :func:`~authgate.schemes.tokens.service.rotate`: its own
    default (the old token's lifetime within ``TOKEN_MAX_LIFETIME``), capped at the caller's
    expiry."""
    if limits.expires_at is None:
        return DEFAULT
    lifetime: Any = None
    if token.expires is not None:
        lifetime = token.expires - token.created
        maximum = token_settings().max_lifetime
        if maximum is not None:
            lifetime = min(lifetime, maximum)
    elif not token_settings().allow_non_expiring:
        lifetime = DEFAULT
    return capped_lifetime(limits, lifetime, now)


# --- scoped tokens minted from a credential ---------------------------------------------

_REGEX_SPECIAL = set(".^$*+?{}[]\\|()")


def _literal(pattern: object) -> tuple[str, bool]:
    """The literal start of a URL pattern, and whether the pattern is that literal only."""
    if isinstance(pattern, RoutePattern):
        route = str(pattern)
        head, marker, _rest = route.partition("<")
        return head, not marker
    if isinstance(pattern, RegexPattern):
        regex = str(pattern).removeprefix("^")
        whole = regex.removesuffix(r"\Z").removesuffix("$")
        for index, char in enumerate(whole):
            if char in _REGEX_SPECIAL:
                return whole[:index], False
        return whole, True
    return "", False  # LocalePrefixPattern or a custom pattern: anything may follow


def view_names_under(prefix: str) -> set[str]:
    """View names (as ``ResolverMatch.view_name``) whose URLs might lie under ``prefix``.

    An over-approximation: a pattern is included unless its literal start proves it cannot
    match below ``prefix``. Checking more views than necessary only refuses more.
    """
    relative = prefix.lstrip("/")
    found: set[str] = set()

    def walk(patterns: Any, literal: str, exact: bool, namespaces: list[str]) -> None:
        for entry in patterns:
            head, whole = _literal(entry.pattern)
            text = literal + head if exact else literal
            is_exact = exact and whole
            if not (
                text.startswith(relative)
                or (relative.startswith(text) and (not is_exact or isinstance(entry, URLResolver)))
            ):
                continue
            if isinstance(entry, URLResolver):
                inner = [*namespaces, entry.namespace] if entry.namespace else namespaces
                walk(entry.url_patterns, text, is_exact, inner)
            elif isinstance(entry, URLPattern):
                found.add(":".join([*namespaces, entry.name or entry.lookup_str]))

    walk(get_resolver().url_patterns, "", True, [])
    return found


def _resources_for(path: str) -> set[str | None]:
    names: set[str | None] = set(view_names_under(path))
    with contextlib.suppress(Resolver404):
        names.add(resolve(path).view_name)
    return names or {None}


def check_endpoints_within(restrictions: Policy | None, endpoints: dict[str, list[str]]) -> None:
    """Refuse endpoints the credential could not call itself: every (method, prefix) must be
    allowed for the view the prefix resolves to, for every view whose URL could lie under it
    (djblets-style policies name views), and for the path (endpoint-style policies); a GET
    needs HEAD too, which a token for GET gets. ``restrictions`` is the minting
    credential's (``None``: a password or a session, the user's full rights). The prefixes
    must be canonical already (:func:`authgate.derive.canonical_endpoints`): the view
    lookup and the request-time match must read the same path."""
    if restrictions is None:
        return
    for method, paths in endpoints.items():
        methods = (method, "HEAD") if method == "GET" else (method,)
        for path in paths:
            for resource in _resources_for(path):
                # Every object the parent's policy names for the view, too: a child for the
                # whole view would otherwise skip an object-level block.
                objects = (None, *sorted(restrictions.named_objects(resource)))
                for each, object_id in ((m, o) for m in methods for o in objects):
                    if not restrictions.allows(
                        each, resource=resource, path=path, object_id=object_id
                    ):
                        raise PermissionDenied(
                            INSUFFICIENT_SCOPE,
                            _(
                                "The credential used here does not allow %(method)s on "
                                "%(path)s, so a token minted with it cannot either."
                            )
                            % {"method": each, "path": path},
                        )


def granted_scopes(limit: frozenset[str] | None, requested: list[str] | None) -> list[str] | None:
    """The requested scopes within the credential's (``limit``, ``None``: not limited by
    scope); a scope-limited credential passes its (registered) scopes on when none are
    requested."""
    if limit is None:
        return requested
    if requested is None:
        registered = chain_settings().scopes
        return sorted(name for name in limit if name in registered)
    granted = sorted(set(requested) & limit)
    if requested and not granted:
        raise PermissionDenied(
            INSUFFICIENT_SCOPE,
            _("The credential used here carries none of the requested scopes."),
            scope=" ".join(requested),
        )
    return granted


def capped_max_age(expires_at: datetime | None, value: object) -> int:
    """A scoped token's lifetime in seconds: ``value`` (or the default), ending no later
    than the credential that mints it (``expires_at``)."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError("max_age must be an integer number of seconds")
    seconds = max_age_seconds(value)  # type: ignore[arg-type]
    if expires_at is not None:
        remaining = math.floor((expires_at - datetime.now(tz=UTC)).total_seconds())
        if remaining < 1:
            raise AuthenticationFailed(EXPIRED_TOKEN, _("This credential has expired."))
        seconds = min(seconds, remaining)
    return seconds
