"""Never more than its parent: the one rule for every credential made from a credential.

Every path that makes a credential with another one calls :func:`derive`: scoped tokens
(``POST /auth/scoped/`` and the temporary-credential page), child API tokens (``POST
/auth/api/tokens/`` and the token pages), HTTP-signature keys (the ``/auth/keys/`` page),
magic links (the temporary-credential page) and sessions started by API tokens
(``TOKEN_START_SESSION``). It reads the parent's complete rights (:class:`Rights`: scopes,
djblets policy, endpoint limits, IP allowlist, not-after, use limit and identity) and
returns what the child may carry, or raises 403 ``insufficient_scope`` naming what could not
be carried. The rule, per child kind:

============== ============================================================================
child           carries from the parent
============== ============================================================================
scoped token    (refused from a DPoP-bound parent: a bearer child would shed the binding)
                endpoints ⊆ the parent's policy (canonical prefixes, every view under them),
                scopes ∩, expiry ≤, the IP allowlist (signed in the token), the lineage
                (``"p"``: the parent, or the parent's own parent for a scoped parent)
API token       scopes ⊆, policy unchanged, allowlist narrowed, expiry ≤, ``parent`` FK
                (a DPoP-bound caller's children are bound to its key: tokens.binding)
signature key   nothing it could not enforce: refused from a parent with scopes, a policy,
                endpoints or an allowlist; expiry ≤; ``parent_token`` FK
magic link      refused from any parent but the user's own (a password or a plain session):
                a link logs in as a full session that no parent could end
session         refused (no session is started) from a limited-use token; otherwise the
                session keeps the token's limits (:mod:`authgate.schemes.session`
                re-checks the token on every request and ends with it)
============== ============================================================================

and, for every kind, a limited-use (``max_uses``) or one-time parent (a one-time magic link)
cannot mint at all: its uses would not carry over (issue #19, reproduction 2). Revocation
follows the recorded lineage: :mod:`authgate.lineage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from authgate import lineage, rights
from authgate.core.paths import normalize_path
from authgate.core.policy import Policy
from authgate.errors import (
    EXPIRED_TOKEN,
    INSUFFICIENT_SCOPE,
    INVALID_REQUEST,
    AuthenticationFailed,
    AuthgateError,
    PermissionDenied,
)
from authgate.identity import Identity
from authgate.schemes.httpsig.models import HTTPSignatureKey
from authgate.schemes.links.checking import LinkCredential
from authgate.schemes.scoped.service import ScopedClaims
from authgate.schemes.tokens.models import APIToken

__all__ = [
    "KeyGrant",
    "KeyRequest",
    "LinkRequest",
    "Rights",
    "ScopedGrant",
    "ScopedRequest",
    "SessionRequest",
    "TokenGrant",
    "TokenRequest",
    "canonical_endpoints",
    "derive",
    "rights_of",
]


@dataclass(frozen=True, slots=True)
class Rights:
    """A parent credential's complete rights, as :func:`derive` reads them."""

    #: ``"api_token"``, ``"scoped"``, ``"signature_key"``, ``"link"`` or the scheme name.
    kind: str
    #: The compiled restrictions (scopes, policy, endpoints); ``None``: the user's full rights.
    restrictions: Policy | None = None
    #: An API token's own scopes and djblets policy (what a child API token can carry).
    token_scopes: frozenset[str] | None = None
    token_policy: dict[str, Any] | None = None
    allowed_ips: tuple[str, ...] = ()
    expires_at: datetime | None = None
    #: Why the parent cannot mint (``"limited-use"``, ``"one-time"``), or ``None``.
    use_limit: str | None = None
    #: ``"<kind>:<id>"`` a child records as its lineage; ``None``: the user's own credential.
    parent: str | None = None
    #: Bound to a client key (DPoP, RFC 9449): a bearer child would shed the binding.
    bound: bool = False
    token: APIToken | None = None
    key: HTTPSignatureKey | None = None

    @property
    def is_users_own(self) -> bool:
        """A password or a plain session: no limits and nothing a revocation could end."""
        return (
            self.restrictions is None
            and not self.allowed_ips
            and self.expires_at is None
            and self.use_limit is None
            and self.parent is None
        )


def rights_of(identity: Identity) -> Rights:
    """The :class:`Rights` of the credential behind ``identity``."""
    credential = identity.credential
    if isinstance(credential, APIToken):
        return Rights(
            kind=lineage.TOKEN_KIND,
            restrictions=identity.restrictions,
            token_scopes=frozenset(credential.scopes) if credential.scopes is not None else None,
            token_policy=dict(credential.policy) if credential.policy else None,
            allowed_ips=tuple(credential.allowed_ips or ()),
            expires_at=identity.expires_at,
            use_limit="limited-use" if credential.max_uses is not None else None,
            parent=lineage.reference(lineage.TOKEN_KIND, credential.pk),
            bound=bool(credential.dpop_jkt),
            token=credential,
        )
    if isinstance(credential, ScopedClaims):
        # A scoped token's children belong to its own parent: they end with it.
        return Rights(
            kind="scoped",
            restrictions=identity.restrictions,
            allowed_ips=credential.allowed_ips,
            expires_at=identity.expires_at,
            parent=credential.parent,
        )
    if isinstance(credential, HTTPSignatureKey):
        return Rights(
            kind=lineage.KEY_KIND,
            restrictions=identity.restrictions,
            expires_at=identity.expires_at,
            parent=lineage.reference(lineage.KEY_KIND, credential.pk),
            key=credential,
        )
    if isinstance(credential, LinkCredential):
        return Rights(
            kind="link",
            restrictions=identity.restrictions,
            expires_at=identity.expires_at,
            use_limit="one-time" if credential.one_time else None,
        )
    return Rights(
        kind=identity.scheme,
        restrictions=identity.restrictions,
        expires_at=identity.expires_at,
    )


# --- what a child asks for, and what it gets ---------------------------------------------


@dataclass(frozen=True, slots=True)
class ScopedRequest:
    endpoints: dict[str, list[str]]
    scopes: list[str] | None = None
    max_age: object = None


@dataclass(frozen=True, slots=True)
class ScopedGrant:
    endpoints: dict[str, list[str]]
    scopes: list[str] | None
    seconds: int
    parent: str | None
    allowed_ips: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TokenRequest:
    scopes: list[str] | None
    policy: dict[str, Any] | None
    allowed_ips: list[str]
    expires_in: Any
    #: An omitted ``scopes`` passes the parent's on (the API); ``False``: the page's
    #: explicit "full access", refused from a scope-limited parent.
    inherit: bool = True


@dataclass(frozen=True, slots=True)
class TokenGrant:
    scopes: list[str] | None
    policy: dict[str, Any]
    allowed_ips: list[str]
    expires_in: Any
    limits: rights.Limits
    parent: APIToken | None
    parent_key: HTTPSignatureKey | None


@dataclass(frozen=True, slots=True)
class KeyRequest:
    expires: datetime | None = None


@dataclass(frozen=True, slots=True)
class KeyGrant:
    expires: datetime | None
    parent_token: APIToken | None


@dataclass(frozen=True, slots=True)
class LinkRequest:
    pass


@dataclass(frozen=True, slots=True)
class SessionRequest:
    pass


ChildRequest = ScopedRequest | TokenRequest | KeyRequest | LinkRequest | SessionRequest


def _refuse(detail: str) -> PermissionDenied:
    return PermissionDenied(INSUFFICIENT_SCOPE, detail)


def canonical_endpoints(endpoints: dict[str, list[str]]) -> dict[str, list[str]]:
    """``endpoints`` if every prefix is in the canonical form that request paths are matched
    in (:func:`authgate.core.paths.normalize_path`), else 400 ``invalid_request``.

    Refused rather than rewritten, so a client never holds a token for a prefix other than
    the one it typed: ``/api//notes/``, ``/api/./notes/``, ``/api/%6eotes/`` and
    ``/api/x/../notes/`` all name ``/api/notes/`` at request time, and the policy check
    must look at that one (issue #19, reproduction 1).
    """
    for paths in endpoints.values():
        for path in paths:
            canonical = normalize_path(path)
            if canonical != path:
                hint = (
                    _("write %(canonical)s") % {"canonical": canonical}
                    if canonical is not None
                    else _("it can never match a request")
                )
                raise AuthgateError(
                    INVALID_REQUEST,
                    _("The endpoint prefix %(path)s is not canonical: %(hint)s.")
                    % {"path": path, "hint": hint},
                )
    return endpoints


def _common(parent: Rights, child: ChildRequest) -> None:
    if parent.use_limit is not None:
        raise _refuse(
            _(
                "A %(limit)s credential cannot create other credentials: its use limit "
                "could not be carried over."
            )
            % {"limit": parent.use_limit}
        )
    if parent.expires_at is not None and parent.expires_at <= timezone.now():
        raise AuthenticationFailed(EXPIRED_TOKEN, _("This credential has expired."))


def derive(parent: Identity | Rights, child: Any) -> Any:
    """What ``child`` (a ``…Request``) may carry when made with ``parent``: the matching
    ``…Grant`` (``None`` for a link or a session), or ``PermissionDenied``
    (``insufficient_scope``) naming what could not be carried."""
    rights_ = parent if isinstance(parent, Rights) else rights_of(parent)
    _common(rights_, child)
    if isinstance(child, ScopedRequest):
        return _scoped(rights_, child)
    if isinstance(child, TokenRequest):
        return _token(rights_, child)
    if isinstance(child, KeyRequest):
        return _key(rights_, child)
    if isinstance(child, LinkRequest):
        if not rights_.is_users_own:
            raise _refuse(
                _(
                    "A magic link logs in with your full rights and outlives the credential "
                    "used here (%(kind)s, with its limits or lifetime): sign in with your "
                    "password to get one."
                )
                % {"kind": rights_.kind}
            )
        return None
    if isinstance(child, SessionRequest):
        return None  # the session keeps the token's limits: authgate.schemes.session
    raise TypeError(f"not a credential request: {type(child).__name__}")


def _scoped(parent: Rights, child: ScopedRequest) -> ScopedGrant:
    if parent.bound:
        raise _refuse(
            _(
                "A scoped token is a bearer token: it cannot carry the DPoP key binding of "
                "the credential used here."
            )
        )
    endpoints = canonical_endpoints(child.endpoints)
    rights.check_endpoints_within(parent.restrictions, endpoints)
    limit = parent.restrictions.scopes if parent.restrictions is not None else None
    scopes = rights.granted_scopes(limit, child.scopes)
    seconds = rights.capped_max_age(parent.expires_at, child.max_age)
    return ScopedGrant(endpoints, scopes, seconds, parent.parent, parent.allowed_ips)


def _token(parent: Rights, child: TokenRequest) -> TokenGrant:
    if parent.kind != lineage.TOKEN_KIND and parent.restrictions is not None:
        raise _refuse(
            _(
                "This credential's restrictions cannot be carried by an API token: manage "
                "tokens with a session, a password or an API token."
            )
        )
    limits = rights.Limits(
        scopes=parent.token_scopes,
        policy=parent.token_policy,
        allowed_ips=parent.allowed_ips,
        expires_at=parent.expires_at,
    )
    scopes, policy, allowed_ips = rights.within(
        limits,
        scopes=child.scopes,
        policy=child.policy,
        allowed_ips=child.allowed_ips,
        inherit=child.inherit,
    )
    expires_in = rights.capped_lifetime(limits, child.expires_in, timezone.now())
    return TokenGrant(scopes, policy, allowed_ips, expires_in, limits, parent.token, parent.key)


def _key(parent: Rights, child: KeyRequest) -> KeyGrant:
    if parent.restrictions is not None or parent.allowed_ips:
        what = (
            _("its IP allowlist")
            if parent.restrictions is None
            else _("its scopes, policy or endpoints")
        )
        raise _refuse(
            _(
                "An HTTP-signature key carries your full rights and cannot carry %(what)s: "
                "register keys from a session signed in with your password."
            )
            % {"what": what}
        )
    expires = child.expires
    if parent.expires_at is not None and (expires is None or expires > parent.expires_at):
        expires = parent.expires_at
    return KeyGrant(expires, parent.token)
