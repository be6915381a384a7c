"""OAuth 2.0 access tokens from an identity provider: ``Authorization: Bearer <token>``.

authgate as an OAuth 2.0 *resource server* (RFC 6750): the IdP issues the tokens, this
backend verifies them. Which bearer credentials it claims, so it can share the ``Bearer``
keyword with authgate's own API tokens (it must come **before** ``TokenBackend``; system
check ``authgate.W080``):

- ``<TOKEN_PREFIX>_…`` (an API token), or a DRF key when ``TOKEN_ACCEPT_DRF_KEYS``: not
  ours, ``None`` — the token backend decides;
- three dot-separated parts: a JWT access token (RFC 9068), verified locally
  (:mod:`authgate.schemes.oauth.jwt`);
- anything else: introspected (RFC 7662, :mod:`authgate.schemes.oauth.introspection`) if
  ``OAUTH_INTROSPECTION_URL`` is set, else ``None``, so the token backend refuses it as
  before. A malformed header is a 401 ``invalid_request`` either way, never anonymous.

Then ``sub`` → the active user (:mod:`authgate.schemes.oauth.users`, one query) and ``scope`` →
the identity's restrictions (:mod:`authgate.schemes.oauth.claims`). A refused token is a 401 with
``WWW-Authenticate: Bearer realm=…, error="invalid_token", error_description=…`` (RFC 6750
§3.1; the JSON body says ``expired_token`` when that is why); the IdP unreachable is a 503.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, ClassVar

from django.http import HttpRequest

from authgate.backend import AuthorizationHeaderBackend, Credentials, bearer_challenge
from authgate.conf import settings
from authgate.errors import AuthenticationFailed, AuthgateError, ServiceUnavailable
from authgate.identity import Identity
from authgate.schemes.oauth import claims as oauth_claims
from authgate.schemes.oauth import introspection
from authgate.schemes.oauth import jwt as oauth_jwt
from authgate.schemes.oauth.http import IdPUnavailable
from authgate.schemes.oauth.users import user_for_subject

__all__ = ["OAuthBackend"]

logger = logging.getLogger(__name__)


def _is_drf_key(token: str) -> bool:
    if not settings.TOKEN_ACCEPT_DRF_KEYS:
        return False
    from authgate.schemes.tokens.backend import DRF_KEY_RE

    return DRF_KEY_RE.fullmatch(token) is not None


class OAuthBackend(AuthorizationHeaderBackend):
    """JWT (RFC 9068) and introspected (RFC 7662) access tokens from an OAuth 2.0 IdP."""

    scheme = "Bearer"
    keywords: ClassVar[tuple[str, ...]] = ("Bearer",)
    #: The identity's scheme, as views see it (``request.auth.scheme``).
    identity_scheme: ClassVar[str] = "oauth"

    def challenge(self, request: HttpRequest, error: AuthgateError | None = None) -> str | None:
        # Shared with TokenBackend: responses.challenges() keeps one Bearer challenge.
        return bearer_challenge("Bearer", error)

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        credentials = super().get_credentials(request)  # malformed Bearer header: 401
        if credentials is None:
            return None
        token = credentials["token"]
        if token.startswith(f"{settings.TOKEN_PREFIX}_") or _is_drf_key(token):
            return None  # an authgate API token: the token backend's
        if oauth_jwt.looks_like_jwt(token):
            return {"token": token, "format": "jwt"}
        if settings.OAUTH_INTROSPECTION_URL:
            return {"token": token, "format": "opaque"}
        return None

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        if not settings.OAUTH_ISSUER or not settings.OAUTH_AUDIENCE:
            # Fail closed (system checks E080/E081 say so at startup).
            logger.error("OAuthBackend needs OAUTH_ISSUER and OAUTH_AUDIENCE")
            raise ServiceUnavailable()
        token = credentials["token"]
        try:
            if credentials["format"] == "jwt":
                claims = oauth_jwt.decode(token)
            else:
                claims = introspection.introspect(token)
            user = user_for_subject(oauth_claims.subject(claims))
        except oauth_claims.TokenRefused as exc:
            logger.debug("Refused OAuth access token (%s): %s", credentials["format"], exc.code)
            raise AuthenticationFailed(exc.code, exc.detail) from None
        except IdPUnavailable as exc:
            logger.warning("OAuth identity provider unavailable: %s", exc)
            raise ServiceUnavailable() from None
        exp = claims.get("exp")
        return Identity(
            user=user,
            scheme=self.identity_scheme,
            credential=MappingProxyType(claims),  # read-only: it may be a cached answer
            restrictions=oauth_claims.restrictions(claims),
            expires_at=(
                datetime.fromtimestamp(exp, tz=UTC)
                if isinstance(exp, int | float) and not isinstance(exp, bool)
                else None
            ),
        )

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """``oauthBearer``: http bearer, ``bearerFormat: JWT`` (see authgate.contrib.openapi)."""
        return {
            "oauthBearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An OAuth 2.0 access token from the identity provider "
                f"{settings.OAUTH_ISSUER or ''} (RFC 6750): a JWT (RFC 9068), or an opaque "
                "token it can introspect.",
            }
        }
