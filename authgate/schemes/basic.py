"""HTTP Basic authentication (RFC 7617) against Django's authentication backends.

Hardening beyond DRF and djblets: a malformed header is a 401 ``invalid_request`` (not an
anonymous fall-through), an inactive user gets the same answer as a wrong password (no
user enumeration), the password length is capped before hashing, and failures are rate
limited per client IP and per username in the shared cache: each attempt is counted before
any hashing happens (see :mod:`authgate.ratelimit`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import auth
from django.http import HttpRequest
from django.utils.translation import gettext as _

from authgate.backend import AuthorizationHeaderBackend, Credentials
from authgate.clientip import client_ip
from authgate.conf import ChainSettings, chain_settings
from authgate.core import headers
from authgate.errors import (
    INVALID_CREDENTIALS,
    INVALID_REQUEST,
    AuthenticationFailed,
    AuthgateError,
)
from authgate.identity import Identity
from authgate.ratelimit import FailureLimiter

__all__ = ["BasicBackend", "login_limiter", "password_login"]


def login_limiter() -> FailureLimiter:
    """The limiter shared by every password login (Basic, the obtain-token endpoint)."""
    return FailureLimiter("login", chain_settings().login_limit_rate)


def password_login(request: HttpRequest, username: str, password: str) -> Any:
    """Check a username and password with rate limiting; the user, or raise.

    The attempt is counted against the client IP and the username *before* the password
    is checked (429 ``rate_limited`` past ``LOGIN_LIMIT_RATE``, 503 if the cache is down),
    so concurrent guesses check at most the limit; a login that succeeds gives its count
    back, so only failures (and errors) stay counted. Unknown user, wrong password,
    inactive user and unusable password all raise the same error. Django's
    ``ModelBackend`` runs the hasher for unknown users too, so timing does not tell them
    apart either.
    """
    attempt = login_limiter().attempt(f"ip:{client_ip(request)}", f"user:{username.lower()}")
    user = None
    if len(password) <= chain_settings().max_password_length:
        user = auth.authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise AuthenticationFailed(INVALID_CREDENTIALS, _("Invalid username/password."))
    attempt.refund()
    return user


class BasicBackend(AuthorizationHeaderBackend):
    """``Authorization: Basic base64(user-id ":" password)``."""

    scheme = "Basic"
    keywords = ("Basic",)
    #: REALM, MAX_PASSWORD_LENGTH and LOGIN_LIMIT_RATE, shared with other password logins.
    settings_section = ChainSettings

    def challenge(self, request: HttpRequest, error: AuthgateError | None = None) -> str:
        # RFC 7617 §2.1: announce that user-id and password are UTF-8.
        return headers.format_challenge(
            "Basic", {"realm": chain_settings().realm, "charset": "UTF-8"}
        )

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """``basicAuth``: http ``basic``."""
        return {
            "basicAuth": {
                "type": "http",
                "scheme": "basic",
                "description": "Username and password (RFC 7617), rate limited.",
            }
        }

    def parse_credentials(self, token: str, *, keyword: str) -> Credentials:
        try:
            username, password = headers.decode_basic(token)
        except headers.MalformedHeader as exc:
            raise AuthenticationFailed(INVALID_REQUEST, str(exc)) from None
        return {"username": username, "password": password}

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        user = password_login(request, credentials["username"], credentials["password"])
        return Identity(user=user, scheme="basic")
