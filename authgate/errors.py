"""The error hierarchy every backend and adapter shares.

Each error carries a stable machine-readable ``code`` and a translatable, human ``detail``.
Adapters turn them into one JSON shape, ``{"error": code, "detail": message}``, with the
status code given here.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

__all__ = [
    "AuthgateError",
    "AuthenticationFailed",
    "PermissionDenied",
    "RateLimited",
    "ServiceUnavailable",
    "INVALID_REQUEST",
    "INVALID_TOKEN",
    "EXPIRED_TOKEN",
    "REVOKED_TOKEN",
    "INSUFFICIENT_SCOPE",
    "NOT_AUTHENTICATED",
    "NotAuthenticated",
    "INVALID_CREDENTIALS",
    "SERVICE_UNAVAILABLE",
    "PERMISSION_DENIED",
    "CSRF_FAILED",
    "RATE_LIMITED",
]

# Stable error codes (documented in docs/reference.md; never renamed).
INVALID_REQUEST = "invalid_request"
INVALID_TOKEN = "invalid_token"
EXPIRED_TOKEN = "expired_token"
REVOKED_TOKEN = "revoked_token"
INVALID_CREDENTIALS = "invalid_credentials"
INSUFFICIENT_SCOPE = "insufficient_scope"
NOT_AUTHENTICATED = "not_authenticated"
PERMISSION_DENIED = "permission_denied"
CSRF_FAILED = "csrf_failed"
RATE_LIMITED = "rate_limited"
SERVICE_UNAVAILABLE = "service_unavailable"


class AuthgateError(Exception):
    """Base class: an HTTP status, a stable code and a human detail."""

    status_code = 400
    default_code = INVALID_REQUEST
    default_detail: Any = _("The request could not be authenticated.")
    #: Seconds a client should wait before trying again, sent as ``Retry-After`` (RFC 9110
    #: §10.2.3) with a 429 or a 503; ``None`` sends nothing.
    retry_after: int | None = None

    def __init__(self, code: str | None = None, detail: Any = None, **extra: Any) -> None:
        self.code = code or self.default_code
        self.detail = detail if detail is not None else self.default_detail
        #: Extra values some adapters use (e.g. ``scope`` for RFC 6750 challenges).
        self.extra = extra
        super().__init__(str(self.detail))

    def as_dict(self) -> dict[str, str]:
        """The JSON error body."""
        return {"error": self.code, "detail": str(self.detail)}


class AuthenticationFailed(AuthgateError):
    """The credentials belong to a configured scheme but are wrong: stop the chain, 401."""

    status_code = 401
    default_code = INVALID_REQUEST
    default_detail = _("Invalid credentials.")


class NotAuthenticated(AuthgateError):
    """No credentials were presented and the view requires them: 401 with every challenge."""

    status_code = 401
    default_code = NOT_AUTHENTICATED
    default_detail = _("Authentication credentials were not provided.")


class PermissionDenied(AuthgateError):
    """Identified, but not allowed: 403 (``insufficient_scope`` for token restrictions)."""

    status_code = 403
    default_code = PERMISSION_DENIED
    default_detail = _("You do not have permission to perform this action.")


class RateLimited(AuthgateError):
    """Too many failed attempts: 429 with ``Retry-After``, before any password hashing."""

    status_code = 429
    default_code = RATE_LIMITED
    default_detail = _("Too many failed attempts. Try again later.")

    def __init__(self, retry_after: int, detail: Any = None) -> None:
        super().__init__(RATE_LIMITED, detail)
        self.retry_after: int = max(1, int(retry_after))


class ServiceUnavailable(AuthgateError):
    """A store authgate depends on is unreachable: fail closed with 503."""

    status_code = 503
    default_code = SERVICE_UNAVAILABLE
    #: Long enough for a restarted database or Redis, short enough not to strand clients.
    retry_after = 30
    default_detail = _("Authentication is temporarily unavailable. Try again shortly.")
