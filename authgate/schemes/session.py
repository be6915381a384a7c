"""Django's session cookie, with CSRF enforced on unsafe methods (as DRF does).

API views are usually ``csrf_exempt`` because token clients carry no CSRF token; a browser
carrying a session cookie is exactly who CSRF protects, so this backend runs Django's own
``CsrfViewMiddleware`` check itself whenever it is the scheme that authenticates.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from authgate.backend import Backend, Credentials
from authgate.errors import (
    CSRF_FAILED,
    INVALID_TOKEN,
    REVOKED_TOKEN,
    AuthenticationFailed,
    PermissionDenied,
)
from authgate.identity import Identity
from authgate.state import generation_of

__all__ = [
    "SESSION_CREDENTIAL_KEY",
    "SESSION_GENERATION_KEY",
    "SessionBackend",
    "enforce_csrf",
    "remember_credential",
]

#: Session key naming the restricted credential that started the session, if any:
#: ``{"kind": ..., "id": ...}``. Its restrictions (and validity) follow the session.
SESSION_CREDENTIAL_KEY = "_authgate_credential"
#: Session key holding the user's revocation generation at login: ``revoke_all`` (and so
#: deactivation) bumps it, which ends the session ("log out everywhere"). A password change
#: ends sessions already (Django's session hash).
SESSION_GENERATION_KEY = "_authgate_generation"
# kind -> restorer(request, identity, id) -> Identity; raises to refuse. Dotted paths, so a
# backend that is not in the chain is still honoured; an unknown kind fails closed.
_RESTORERS = {"api_token": "authgate.schemes.tokens.backend.restore_from_session"}


def remember_credential(request: HttpRequest, kind: str, credential_id: Any) -> None:
    """Record that ``request.session`` was started by a restricted credential."""
    request.session[SESSION_CREDENTIAL_KEY] = {"kind": kind, "id": credential_id}


def _restore_credential(request: HttpRequest, identity: Identity) -> Identity:
    stored = request.session.get(SESSION_CREDENTIAL_KEY)
    if stored is None:
        return identity
    kind = stored.get("kind") if isinstance(stored, dict) else None
    path = _RESTORERS.get(kind) if isinstance(kind, str) else None
    try:
        if path is None:
            raise AuthenticationFailed(INVALID_TOKEN, _("This session cannot be restored."))
        return import_string(path)(request, identity, stored.get("id"))  # type: ignore[no-any-return]
    except AuthenticationFailed:
        auth.logout(request)  # the credential is gone: so is the session it started
        raise


class _CSRFCheck(CsrfViewMiddleware):
    """Django's CSRF middleware, returning the failure reason instead of a response."""

    def _reject(self, request: HttpRequest, reason: str) -> Any:
        return reason


def _never_called(request: HttpRequest) -> HttpResponseBase:
    """The ``get_response`` and view the middleware takes; the check calls neither."""
    raise RuntimeError("the CSRF check does not call the view")


def enforce_csrf(request: HttpRequest) -> None:
    """Raise 403 ``csrf_failed`` with Django's reason if the CSRF check fails."""
    check = _CSRFCheck(_never_called)
    check.process_request(request)
    reason = check.process_view(request, _never_called, (), {})
    if reason:
        raise PermissionDenied(CSRF_FAILED, _("CSRF Failed: %(reason)s") % {"reason": reason})


class SessionBackend(Backend):
    """The user of the Django session, if the session holds a logged-in, active user."""

    scheme = "Session"

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """``sessionCookie``: an apiKey in the cookie ``SESSION_COOKIE_NAME``."""
        return {
            "sessionCookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": django_settings.SESSION_COOKIE_NAME,
                "description": "A Django session (log in first). Unsafe methods need the "
                "CSRF token in the `X-CSRFToken` header.",
            }
        }

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        session = getattr(request, "session", None)
        if session is None or auth.SESSION_KEY not in session:
            return None
        # Django's get_user checks the session's password hash and, through ModelBackend,
        # that the user is still active; otherwise it returns AnonymousUser.
        user = auth.get_user(request)
        if not user.is_authenticated or not user.is_active:
            return None
        return {"user": user}

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        user = credentials["user"]
        started = request.session.get(SESSION_GENERATION_KEY)
        if started is not None and started != generation_of(user):
            auth.logout(request)  # revoke_all since this login: log out everywhere
            raise AuthenticationFailed(REVOKED_TOKEN, _("This session has been ended."))
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            enforce_csrf(request)
        return _restore_credential(request, Identity(user=credentials["user"], scheme="session"))
