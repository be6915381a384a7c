"""Signed temporary scoped tokens: ``Authorization: TmpToken <t>`` or ``?TOKEN=<t>``.

drf-tmp-scoped-token's scheme with its gaps closed. Checking order, stopping at the first
failure:

1. signature, format and size (no database work) → 401 ``invalid_token``;
2. expiry → 401 ``expired_token``;
3. the user: one query (:func:`~authgate.users.load_active_user`, with the revocation
   state); missing or inactive → 401 ``invalid_token`` (one answer: no enumeration);
4. the revocation tag against the user's current generation and password hash → 401
   ``revoked_token`` (``bump_generation`` / ``revoke-all`` or a password change since issue;
   for a token minted with a credential, also the user's derived generation: an API token
   or a signature key revoked since, :mod:`authgate.lineage`);
4b. a token minted with an IP-locked credential: the client IP in that allowlist → 403;
5. the request: the token's endpoints (and scopes, if any) become the identity's
   ``restrictions``, which the chain enforces (wrong method or path → 403
   ``insufficient_scope``; ``HEAD`` follows ``GET``; paths are normalised and matched on
   segment boundaries).

Nothing is written on the request path: the audit event is recorded when the token is
issued, not on each use.
"""

from __future__ import annotations

import functools
import logging
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.http import HttpRequest
from django.utils.translation import gettext as _

from authgate._speed.query import query_values
from authgate.backend import (
    AuthorizationHeaderBackend,
    Credentials,
    get_authorization,
    openapi_header_scheme,
    openapi_query_scheme,
)
from authgate.clientip import client_ip
from authgate.conf import chain_settings, on_reload
from authgate.core import headers
from authgate.core.policy import PolicyError
from authgate.core.scoped_v1 import ScopedClaims, check_revocation
from authgate.errors import (
    EXPIRED_TOKEN,
    INVALID_REQUEST,
    INVALID_TOKEN,
    PERMISSION_DENIED,
    REVOKED_TOKEN,
    AuthenticationFailed,
    AuthgateError,
    PermissionDenied,
)
from authgate.identity import Identity
from authgate.schemes.scoped.service import ExpiredToken, build_restrictions, parse
from authgate.schemes.scoped.settings import ScopedSettings, scoped_settings
from authgate.schemes.tokens.restrictions import ip_allowed
from authgate.signing import keyring
from authgate.users import load_active_user, revocation_value

__all__ = ["RECIPIENT_META_KEY", "ScopedTokenBackend"]

logger = logging.getLogger(__name__)

#: Where views find the token's recipient: the request header ``X-API-Token-Recipient``.
RECIPIENT_META_KEY = "HTTP_X_API_TOKEN_RECIPIENT"


class _Unverified(Exception):
    """Not a correctly signed scoped token (never cached: lru_cache keeps only returns)."""


@functools.lru_cache(maxsize=4096)
def _verify(token: str) -> ScopedClaims:
    try:
        claims = parse(token, now=0)  # expiry is the caller's, checked against the clock
    except ExpiredToken:  # pragma: no cover - nothing has expired at the epoch
        claims = None
    if claims is None:
        raise _Unverified
    return claims


def verified_claims(token: str) -> ScopedClaims | None:
    """The claims of a correctly signed, well-formed token, or ``None``.

    Verifying the signature and decoding the claims is a pure function of the token and
    the key ring, so genuine tokens are memoized (bounded, dropped whenever the keys
    change) and a client re-presenting one skips both; forgeries are never cached, so they
    cannot evict anything. Expiry, the user and revocation are checked on every request.
    """
    try:
        return _verify(token)
    except _Unverified:
        return None


def _restrictions(claims: ScopedClaims) -> Any:
    return _compiled_restrictions(
        tuple((method, tuple(paths)) for method, paths in claims.endpoints.items()),
        claims.scopes,
    )


@functools.lru_cache(maxsize=1024)
def _compiled_restrictions(endpoints: tuple[Any, ...], scopes: tuple[str, ...] | None) -> Any:
    return build_restrictions(dict(endpoints), scopes)


on_reload(_verify.cache_clear)


def _from_allowed(claims: ScopedClaims, request: HttpRequest) -> bool:
    """Whether the client is inside the minting credential's allowlist (signed, so only
    networks authgate wrote; one that does not parse refuses rather than raise)."""
    try:
        return ip_allowed(claims.allowed_ips, client_ip(request))
    except ValueError:
        return False


def _invalid() -> AuthenticationFailed:
    # One answer for a forgery and for a missing or inactive user: no enumeration. Built
    # only when refusing (translating the message on every request costs microseconds).
    return AuthenticationFailed(INVALID_TOKEN, _("Invalid or unknown token."))


class ScopedTokenBackend(AuthorizationHeaderBackend):
    """Signed, stateless, short-lived tokens limited to methods and endpoints."""

    scheme = "TmpToken"
    settings_section = ScopedSettings
    #: The ``Authorization`` keyword; ``None`` reads ``AUTHGATE["SCOPED_KEYWORD"]``.
    keyword: ClassVar[str | None] = None
    #: The query parameter; ``None`` reads ``AUTHGATE["SCOPED_QUERY_PARAM"]``, ``""`` disables.
    query_param: ClassVar[str | None] = None

    def get_keyword(self) -> str:
        return self.keyword if self.keyword is not None else scoped_settings().keyword

    def get_keywords(self) -> tuple[str, ...]:
        return (self.get_keyword(),)

    def get_query_param(self) -> str | None:
        name = self.query_param
        if name is None:
            name = scoped_settings().query_param
        return name or None

    def challenge(self, request: HttpRequest, error: AuthgateError | None = None) -> str | None:
        params = {"realm": chain_settings().realm}
        if error is not None:
            # RFC 6750 §3: only when credentials were presented and refused.
            params["error"] = error.code
            params["error_description"] = str(error.detail)
        return headers.format_challenge(self.get_keyword(), params)

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """``scopedTokenAuth`` (the ``Authorization`` keyword) and, unless switched off,
        ``scopedTokenQuery`` (the query parameter)."""
        found = {
            "scopedTokenAuth": openapi_header_scheme(
                self.get_keyword(),
                "A signed, short-lived scoped token (`ags1_…`) limited to some methods and paths.",
            )
        }
        param = self.get_query_param()
        if param:
            found["scopedTokenQuery"] = openapi_query_scheme(
                param, "A scoped token in the URL, where no header can be set."
            )
        return found

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        from_header = super().get_credentials(request)
        name = self.get_query_param()
        values = query_values(request, name) if name else []
        if from_header is not None:
            if values:
                raise AuthenticationFailed(
                    INVALID_REQUEST,
                    _("Present the token once: in the Authorization header or in the URL."),
                )
            return from_header
        if not values:
            return None
        if get_authorization(request) is not None:
            # Another scheme's Authorization header is the deliberate credential; a token
            # in the URL (perhaps from a link someone else crafted) does not override it.
            return None
        if len(values) > 1:
            raise AuthenticationFailed(
                INVALID_REQUEST, _("The token parameter is given more than once.")
            )
        return {"token": values[0], "source": "query"}

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        claims = verified_claims(credentials["token"])
        if claims is None:
            raise _invalid()
        if time.time() >= claims.expires_at:
            raise AuthenticationFailed(EXPIRED_TOKEN, _("This token has expired."))
        user = load_active_user(claims.user_pk)
        if user is None:
            logger.debug("Refused scoped token: no active user")
            raise _invalid()
        revocation = revocation_value(user, password=True, derived=claims.parent is not None)
        if not check_revocation(claims, keyring=keyring(), revocation=revocation):
            logger.debug("Refused scoped token: revoked")
            raise AuthenticationFailed(REVOKED_TOKEN, _("This token has been revoked."))
        if claims.allowed_ips and not _from_allowed(claims, request):
            # The minting credential's allowlist travels with the token (issue #19).
            raise PermissionDenied(
                PERMISSION_DENIED, _("This token may not be used from your IP address.")
            )
        try:
            restrictions = _restrictions(claims)
        except PolicyError:
            # Signed but unusable (not issued by service.issue): refuse, never 500.
            logger.debug("Refused scoped token: endpoints or scopes do not compile")
            raise _invalid() from None
        # Whatever the client sent under this name is replaced by the signed value.
        request.META.pop(RECIPIENT_META_KEY, None)
        if claims.recipient is not None:
            request.META[RECIPIENT_META_KEY] = claims.recipient
        return Identity(
            user=user,
            scheme="scoped",
            credential=claims,
            restrictions=restrictions,
            expires_at=datetime.fromtimestamp(claims.expires_at, tz=UTC),
        )
