"""``LinkLoginMiddleware`` (sesame's ``AuthenticationMiddleware``): a link anywhere logs the
user in, then vanishes.

Place it just after Django's ``AuthenticationMiddleware``::

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "authgate.schemes.links.middleware.LinkLoginMiddleware",
        ...,
    ]

On a request with ``?sesame=<token>``: a valid link logs the user in with Django's session
framework and, for a GET, answers with a redirect to the same URL without the token (other
query parameters kept), so the token leaves the address bar and the history. Without
Django's ``AuthenticationMiddleware`` before it, it sets ``request.user`` itself (the link's
user or ``AnonymousUser``) on every request, as sesame's does. A bad link
leaves the request unauthenticated by the link (sesame's semantics: no error). Either way
the response says ``Referrer-Policy: no-referrer`` (and a link django-sesame issued,
accepted by ``LINK_ACCEPT_SESAME_TOKENS``, gets ``X-Link-Deprecated``), and the chain's
:class:`~authgate.schemes.links.backend.LinkBackend` leaves this request's token alone.

This turns *every* link into a session, API URLs included: if you also use links as a
single-request API credential, use :class:`~authgate.schemes.links.views.LoginView` for the browser
flow instead of this middleware (or subclass it and override :meth:`wants_link`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from authgate.schemes.links import service as links
from authgate.schemes.links.backend import LANDING_HEADERS, LINK_HANDLED
from authgate.schemes.links.settings import link_settings

__all__ = ["LinkLoginMiddleware"]

#: Where ``process_request`` leaves the link's own response headers (``request.__dict__``).
_CREDENTIAL_HEADERS = "_authgate_link_headers"


class LinkLoginMiddleware:
    """Log in the user of a valid link in the URL, then redirect to the URL without it."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.wants_link(request):
            if not hasattr(request, "user"):  # no Django auth middleware: as sesame does
                request.user = AnonymousUser()
            return self.get_response(request)
        response = self.process_request(request) or self.get_response(request)
        headers = {**LANDING_HEADERS, **request.__dict__.pop(_CREDENTIAL_HEADERS, {})}
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    def wants_link(self, request: HttpRequest) -> bool:
        """Whether this middleware handles the link in ``request`` (default: any link)."""
        return link_settings().token_name in request.GET

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        request.__dict__[LINK_HANDLED] = True
        has_session = hasattr(request, "session")
        # login() updates the last login date itself; without sessions keep get_user's default.
        user, credential = links.authenticate_link(
            request, update_last_login=False if has_session else None
        )
        if credential is not None:  # a link django-sesame issued says it is deprecated
            request.__dict__[_CREDENTIAL_HEADERS] = credential.headers
        if has_session and user is not None:
            login(request, user)
            if hasattr(request, "user") and request.method == "GET" and not self.is_safari(request):
                return self.get_redirect(request)
        if not hasattr(request, "user"):
            request.user = user if user is not None else AnonymousUser()
        return None

    @staticmethod
    def is_safari(request: HttpRequest) -> bool:
        """Safari's bounce-tracker protection drops cookies set on a redirect (sesame skips
        the redirect there). Needs the optional ``ua-parser`` package; ``False`` without."""
        try:
            from ua_parser import user_agent_parser  # type: ignore[import-not-found]
        except ImportError:
            return False
        parsed = user_agent_parser.Parse(request.META.get("HTTP_USER_AGENT", ""))
        return bool(parsed["user_agent"]["family"] == "Safari" or parsed["os"]["family"] == "iOS")

    @staticmethod
    def get_redirect(request: HttpRequest) -> HttpResponse:
        """A redirect to the same path and query string, without the link."""
        params = request.GET.copy()
        params.pop(link_settings().token_name, None)
        url = request.path
        if params:
            url += "?" + params.urlencode()
        return HttpResponseRedirect(url)
