"""Magic links as a credential in the chain: one request authenticated by its link.

:class:`LinkBackend` (in ``AUTHGATE["BACKENDS"]``) accepts ``?sesame=<token>`` (the name is
``LINK_TOKEN_NAME``) on any request and authenticates that request alone, with scheme
``link``; it starts no session. API use takes unscoped links only (``scope=""``; set
:attr:`LinkBackend.scope` in a subclass to accept another). A bad link is a 401
``invalid_token`` — unknown user, forged, wrong scope, revoked and already-used one-time
links all answer the same — or ``expired_token``. A link is not an HTTP auth scheme, so the
backend has no ``WWW-Authenticate`` challenge.

The backend leaves the token alone on requests a link-aware piece handles itself, with
sesame's semantics (a bad link means "not authenticated by the link", never a 401): requests
already seen by :class:`authgate.schemes.links.middleware.LinkLoginMiddleware`, views decorated
with :func:`authgate.schemes.links.decorators.authenticate`, and
:class:`authgate.schemes.links.views.LoginView` (any view with ``authgate_links_view = True``).

The Django authentication backend (``AUTHENTICATION_BACKENDS``) is in
:mod:`authgate.schemes.links.auth_backend`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from authgate._speed.query import query_values
from authgate.backend import Backend, Credentials, get_authorization, openapi_query_scheme
from authgate.errors import EXPIRED_TOKEN, INVALID_REQUEST, INVALID_TOKEN, AuthenticationFailed
from authgate.identity import Identity
from authgate.schemes.links import service as links
from authgate.schemes.links.settings import LinkSettings, link_settings

__all__ = ["LANDING_HEADERS", "LINK_HANDLED", "LinkBackend", "handles_links_itself"]

logger = logging.getLogger(__name__)

#: Set in ``request.__dict__`` by the link middleware: the link is its to handle.
LINK_HANDLED = "_authgate_links_handled"

#: Security headers on every response to a request that carried a link.
LANDING_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def handles_links_itself(request: HttpRequest) -> bool:
    """Whether the link in ``request`` is for a link-aware middleware or view, not the chain."""
    if request.__dict__.get(LINK_HANDLED, False):
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
    settings_section = LinkSettings
    #: The scope links must have been made for to be accepted here (sesame's ``scope``).
    scope: str = ""

    def get_auth_headers(self, request: HttpRequest) -> dict[str, str]:
        # A 401 to a request with a link in its URL: keep the URL out of Referer headers.
        if link_settings().token_name in request.GET:
            return {"Referrer-Policy": "no-referrer"}
        return {}

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """``linkQuery``: the link token in its query parameter (``LINK_TOKEN_NAME``)."""
        return {
            "linkQuery": openapi_query_scheme(
                link_settings().token_name, "A magic-link token: authenticates one request."
            )
        }

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        name = link_settings().token_name
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
        headers = {**LANDING_HEADERS, **credential.headers} if credential.legacy else None
        return Identity(
            user, "link", credential, None, credential.expires_at, headers or LANDING_HEADERS.copy()
        )
