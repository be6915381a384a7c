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

**DPoP** (RFC 9449): ``Authorization: DPoP <token>`` with a ``DPoP`` proof header is claimed
the same way. The token must be bound to a key (``cnf.jkt``, in the JWT or the
introspection answer) and the proof verified against it (:mod:`authgate.dpop`); a
bound token sent as ``Bearer`` is refused (§7.2). Every 401 names both schemes:
``Bearer realm=…, DPoP algs="…"`` (§7.1), the error on the scheme the client used.
"""

from __future__ import annotations

import logging
from types import MappingProxyType
from typing import Any, ClassVar

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _lazy

from authgate.extras import MissingExtra

try:  # PyJWT, which authgate.schemes.oauth imports where it verifies a token
    import jwt  # noqa: F401
except ImportError as exc:
    raise MissingExtra(__name__, "oauth", "PyJWT", exc) from exc

from authgate import dpop
from authgate.backend import (
    AuthorizationHeaderBackend,
    Credentials,
    bearer_challenge,
    dpop_challenge,
    get_authorization,
)
from authgate.dpop_settings import dpop_settings
from authgate.errors import (
    INSUFFICIENT_SCOPE,
    AuthenticationFailed,
    AuthgateError,
    ServiceUnavailable,
)
from authgate.identity import Identity
from authgate.schemes.oauth import claims as oauth_claims
from authgate.schemes.oauth import introspection
from authgate.schemes.oauth import jwt as oauth_jwt
from authgate.schemes.oauth.http import IdPUnavailable
from authgate.schemes.oauth.settings import OAuthSettings, oauth_settings
from authgate.schemes.oauth.users import user_for_claims
from authgate.schemes.tokens.settings import token_settings

__all__ = ["OAuthBackend"]

logger = logging.getLogger(__name__)


_UNBOUND = _lazy("This access token is not DPoP-bound: send it with the Bearer scheme.")
_DOWNGRADE = _lazy("This access token is DPoP-bound: send it with the DPoP scheme and a proof.")
_BEARER_REFUSED = _lazy("This API accepts only DPoP-bound access tokens.")
_UNCHECKABLE = _lazy("This access token cannot be checked (no JWT, no introspection).")


def _uses_dpop(request: HttpRequest) -> bool:
    authorization = get_authorization(request)
    return authorization is not None and authorization.scheme_key == "dpop"


def _is_drf_key(token: str) -> bool:
    if not token_settings().accept_drf_keys:
        return False
    from authgate.schemes.tokens.backend import DRF_KEY_RE

    return DRF_KEY_RE.fullmatch(token) is not None


def _dpop_failure(code: str, detail: Any) -> AuthenticationFailed:
    """A refusal of a DPoP credential: its challenge is the DPoP one."""
    return AuthenticationFailed(code, detail, dpop=True)


class OAuthBackend(AuthorizationHeaderBackend):
    """JWT (RFC 9068) and introspected (RFC 7662) access tokens from an OAuth 2.0 IdP,
    as bearer tokens or DPoP-bound (RFC 9449)."""

    scheme = "Bearer"
    settings_section = OAuthSettings
    keywords: ClassVar[tuple[str, ...]] = ("Bearer", "DPoP")
    #: The identity's scheme, as views see it (``request.auth.scheme``).
    identity_scheme: ClassVar[str] = "oauth"

    def challenge(self, request: HttpRequest, error: AuthgateError | None = None) -> str | None:
        # Shared with TokenBackend: responses.challenges() keeps one Bearer challenge. A
        # refusal of a DPoP credential (or a 403 for one) is told in the DPoP scheme.
        if error is not None and (
            error.extra.get("dpop") or (error.code == INSUFFICIENT_SCOPE and _uses_dpop(request))
        ):
            return dpop_challenge(error)
        return bearer_challenge("Bearer", error)

    def challenges(self, request: HttpRequest, error: AuthgateError | None = None) -> list[str]:
        """Both schemes (RFC 9449 §7.2), the error on the one the client used."""
        is_dpop = error is not None and bool(error.extra.get("dpop"))
        return [
            bearer_challenge("Bearer", None if is_dpop else error),
            dpop_challenge(error if is_dpop else None),
        ]

    def get_auth_headers(self, request: HttpRequest) -> dict[str, str]:
        """``DPoP-Nonce`` (RFC 9449 §9) on every 401, when ``DPOP_NONCES`` is on."""
        return {"DPoP-Nonce": dpop.current_nonce()} if dpop_settings().nonces else {}

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        credentials = super().get_credentials(request)  # malformed Bearer header: 401
        if credentials is None:
            return None
        token = credentials["token"]
        if token.startswith(f"{token_settings().prefix}_") or _is_drf_key(token):
            return None  # an authgate API token: the token backend's
        is_dpop = credentials["keyword"].lower() == "dpop"
        if oauth_jwt.looks_like_jwt(token):
            return {"token": token, "format": "jwt", "dpop": is_dpop}
        if oauth_settings().introspection_url:
            return {"token": token, "format": "opaque", "dpop": is_dpop}
        if is_dpop:
            # Nobody else takes DPoP credentials: refuse, never fall through to anonymous.
            raise _dpop_failure("invalid_token", _UNCHECKABLE)
        return None

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        config = oauth_settings()
        if not config.issuer or not config.audience:
            # Fail closed (system checks E080/E081 say so at startup).
            logger.error("OAuthBackend needs OAUTH_ISSUER and OAUTH_AUDIENCE")
            raise ServiceUnavailable()
        token = credentials["token"]
        is_dpop = bool(credentials.get("dpop"))
        try:
            if credentials["format"] == "jwt":
                claims = oauth_jwt.decode(token)
            else:
                claims = introspection.introspect(token)
            expires_at = oauth_claims.expires_at(claims)  # exp = 1e20: refused, not a 500
            self._check_binding(request, token, claims, is_dpop=is_dpop)
            user = user_for_claims(claims)
        except oauth_claims.TokenRefused as exc:
            logger.debug("Refused OAuth access token (%s): %s", credentials["format"], exc.code)
            raise AuthenticationFailed(exc.code, exc.detail, dpop=is_dpop) from None
        except dpop.ProofRefused as exc:
            logger.debug("Refused DPoP proof: %s", exc.code)
            raise _dpop_failure(exc.code, exc.detail) from None
        except IdPUnavailable as exc:
            logger.warning("OAuth identity provider unavailable: %s", exc)
            raise ServiceUnavailable() from None
        return Identity(
            user=user,
            scheme=self.identity_scheme,
            credential=MappingProxyType(claims),  # read-only: it may be a cached answer
            restrictions=oauth_claims.restrictions(claims),
            expires_at=expires_at,
        )

    def _check_binding(
        self, request: HttpRequest, token: str, claims: dict[str, Any], *, is_dpop: bool
    ) -> None:
        """RFC 9449 §7: a DPoP credential needs a bound token and a valid proof from its
        key; a bound token is never accepted as a bearer token (§7.2, the downgrade)."""
        jkt = oauth_claims.bound_key(claims)
        if is_dpop:
            if jkt is None:
                raise oauth_claims.TokenRefused("invalid_token", _UNBOUND)
            dpop.verify_proof(request, access_token=token, expected_jkt=jkt)
        elif jkt is not None:
            raise oauth_claims.TokenRefused("invalid_token", _DOWNGRADE)
        elif oauth_settings().require_dpop:
            raise oauth_claims.TokenRefused("invalid_token", _BEARER_REFUSED)

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """``oauthBearer``: http bearer, ``bearerFormat: JWT`` (see authgate.contrib.openapi)."""
        return {
            "oauthBearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An OAuth 2.0 access token from the identity provider "
                f"{oauth_settings().issuer or ''} (RFC 6750): a JWT (RFC 9068), or an opaque "
                "token it can introspect.",
            }
        }
