"""Magic links as a credential: in the chain for one request, and as a Django auth backend.

:class:`LinkBackend` (in ``AUTHGATE["BACKENDS"]``) accepts ``?sesame=<token>`` (the name is
``LINK_TOKEN_NAME``) on any request and authenticates that request alone, with scheme
``link``; it starts no session. API use takes unscoped links only (``scope=""``; set
:attr:`LinkBackend.scope` in a subclass to accept another). A bad link is a 401
``invalid_token`` — unknown user, forged, wrong scope, revoked and already-used one-time
links all answer the same — or ``expired_token``. A link is not an HTTP auth scheme, so the
backend has no ``WWW-Authenticate`` challenge.

The backend leaves the token alone on requests a link-aware piece handles itself, with
sesame's semantics (a bad link means "not authenticated by the link", never a 401): requests
already seen by :class:`authgate.schemes.links.middleware.AuthenticationMiddleware`, views decorated
with :func:`authgate.schemes.links.decorators.authenticate`, and
:class:`authgate.schemes.links.views.LoginView` (any view with ``authgate_links_view = True``).

:class:`ModelBackend` is sesame's ``ModelBackend`` for ``AUTHENTICATION_BACKENDS``:
``django.contrib.auth.authenticate(request, sesame=token, scope=…, max_age=…)``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import backends as auth_backends
from django.http import HttpRequest
from django.utils.translation import gettext as _

from authgate._speed.query import query_values
from authgate.backend import Backend, Credentials, get_authorization
from authgate.errors import EXPIRED_TOKEN, INVALID_REQUEST, INVALID_TOKEN, AuthenticationFailed
from authgate.identity import Identity
from authgate.schemes.links import service as links

__all__ = ["LinkBackend", "LinkBackendMixin", "ModelBackend", "handles_links_itself"]

logger = logging.getLogger(__name__)

#: Security headers on every response to a request that carried a link.
LANDING_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def handles_links_itself(request: HttpRequest) -> bool:
    """Whether the link in ``request`` is for a link-aware middleware or view, not the chain."""
    if getattr(request, "_authgate_links_handled", False):
        return True
    match = getattr(request, "resolver_match", None)
    func = getattr(match, "func", None)
    if func is None:
        return False
    if getattr(func, "authgate_links_view", False):
        return True
    view_class = getattr(func, "view_class", None) or getattr(func, "cls", None)
    return bool(getattr(view_class, "authgate_links_view", False))


class LinkBackend(Backend):
    """``?sesame=<token>`` authenticates the one request that carries it (scheme ``link``)."""

    scheme = "link"
    #: The scope links must have been made for to be accepted here (sesame's ``scope``).
    scope: str = ""

    def get_auth_headers(self, request: HttpRequest) -> dict[str, str]:
        # A 401 to a request with a link in its URL: keep the URL out of Referer headers.
        if links.config().token_name in request.GET:
            return {"Referrer-Policy": "no-referrer"}
        return {}

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        name = links.config().token_name
        values = query_values(request, name)
        if not values or handles_links_itself(request):
            return None
        if get_authorization(request) is not None:
            # Another scheme's Authorization header is the deliberate credential; a link in
            # the URL (perhaps one someone else crafted) does not override it.
            return None
        if len(values) > 1:
            raise AuthenticationFailed(
                INVALID_REQUEST, _("The link parameter is given more than once.")
            )
        return {"token": values[0]}

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        try:
            user, credential = links.check_token(credentials["token"], scope=self.scope)
        except links.LinkRefused as exc:
            logger.debug("Refused link: %s", exc.reason)
            if exc.code == "expired":
                raise AuthenticationFailed(EXPIRED_TOKEN, _("This link has expired.")) from None
            raise AuthenticationFailed(INVALID_TOKEN, _("Invalid or unknown link.")) from None
        # Positional (user, scheme, credential, restrictions, expires_at, headers): one per
        # request that carries a link.
        return Identity(
            user, "link", credential, None, credential.expires_at, LANDING_HEADERS.copy()
        )


class LinkBackendMixin:
    """Mix into a Django auth backend that provides ``get_user(user_id)`` (sesame's mixin)."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        sesame: str | None,
        scope: str = "",
        max_age: Any = None,
    ) -> Any | None:
        """The user a valid link ``sesame`` authenticates for ``scope``, else ``None``.

        One-time links are used up, as everywhere else.
        """
        if sesame is None:
            return None
        try:
            user, _credential = links.check_token(sesame, scope=scope, max_age=max_age)
        except links.LinkRefused as exc:
            logger.debug("Refused link: %s", exc.reason)
            return None
        return user


# Django tries each backend whose authenticate() signature binds the given credentials
# (inspect.signature), so the mixin's signature, unlike ModelBackend's, is the point.
class ModelBackend(LinkBackendMixin, auth_backends.ModelBackend):  # type: ignore[misc]
    """Django's ``ModelBackend`` that also authenticates link tokens.

    ``AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend",
    "authgate.schemes.links.backend.ModelBackend"]``.
    """
