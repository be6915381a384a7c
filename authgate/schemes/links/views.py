"""Magic-link pages: the landing view that logs in, and the form that e-mails a link.

``GET /auth/links/login/?sesame=<token>[&next=/path/]`` (:class:`LoginView`, sesame's):
a valid unscoped link logs the user in with a session and redirects to ``next`` (if it is a
safe URL on this site) or ``next_page`` (default ``LOGIN_REDIRECT_URL``). A link that cannot
be used (used, expired, revoked, forged, for another scope) gets a page for people, 403:
what happened, and a button to request a new link (``authgate/pages/link_refused.html``).
The landing response carries ``Referrer-Policy: no-referrer`` and ``Cache-Control:
no-store``, and the redirect target never contains the token.

``GET/POST /auth/links/request/`` (:class:`RequestLinkView`): a user enters an e-mail
address and receives a login link through Django's e-mail framework. The page says the same
thing (status and body) whether or not an account has that address, and it says it before
any link is made or sent (:class:`SentPage`), so neither the time it takes nor a mail
failure tells; every request counts against ``LINK_REQUEST_RATE`` per address and per
client IP (429 beyond it). The link points at a configured base (:func:`link_base`), never
at the port a ``Host`` header names: ``ALLOWED_HOSTS`` ignores ports, so anyone could
otherwise have a user's link sent to a port of the same host they listen on.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.views import RedirectURLMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.handlers.exception import response_for_exception
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.http.request import split_domain_port
from django.shortcuts import render, resolve_url
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import View

from authgate import audit
from authgate.clientip import client_ip
from authgate.errors import RateLimited, ServiceUnavailable
from authgate.ratelimit import FailureLimiter
from authgate.schemes.links import service as links
from authgate.schemes.links.backend import LANDING_HEADERS
from authgate.schemes.links.settings import link_settings

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = ["LoginView", "RequestLinkView", "SentPage", "link_base"]

logger = logging.getLogger(__name__)

#: ``LoginView.next_page`` default: ``settings.LOGIN_REDIRECT_URL``, read at request time.
LOGIN_REDIRECT_URL = object()


class LoginView(RedirectURLMixin, View):
    """Log in the user of a valid link and redirect (sesame's ``LoginView``).

    Attributes: ``scope`` (the scope links must have been made for), ``max_age`` (overrides
    ``LINK_MAX_AGE``), ``next_page`` (``None`` answers 204 instead of redirecting), and
    Django's ``redirect_field_name`` / ``success_url_allowed_hosts``.
    """

    http_method_names = ["get", "head", "options"]
    scope = ""
    max_age: Any = None
    next_page: Any = LOGIN_REDIRECT_URL
    #: The chain's LinkBackend leaves this view's link alone.
    authgate_links_view = True
    #: The page a refused link gets; 403, not 410: the address is not gone (a new link
    #: lands on it), the credential in it is refused, and a 410 is cacheable by default.
    refused_template_name = "authgate/pages/link_refused.html"
    #: Why the link was refused: "expired" or "invalid" (links.LinkRefused.code).
    refusal = "invalid"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = super().dispatch(request, *args, **kwargs)
        except PermissionDenied as exc:
            # Django's 403 handler, plus the landing headers (the URL holds a token).
            response = response_for_exception(request, exc)
        for name, value in LANDING_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def get(self, request: HttpRequest) -> HttpResponse:
        if not hasattr(request, "user"):  # sesame's guard, word for word
            raise ImproperlyConfigured("LoginView requires django.contrib.auth")
        # Through django.contrib.auth.authenticate(), as sesame's LoginView.
        user, credential = links.authenticate_link(
            request, scope=self.scope, max_age=self.max_age, update_last_login=False
        )
        if user is None or credential is None:
            self.refusal = links.refusal_of(request)
            return self.login_failed()
        login(request, user)  # updates the last login date
        response = self.login_success()
        for name, value in credential.headers.items():
            response.headers[name] = value
        return response

    def login_failed(self) -> HttpResponse:
        """403, with a page that says why and links to the request-a-link page if mounted."""
        cfg = link_settings()
        max_age = cfg.max_age_seconds  # as check_token: the view's applies only with it set
        if max_age is not None and self.max_age is not None:
            max_age = links.max_age_seconds(self.max_age)
        try:
            request_url = reverse("authgate:links-request")
        except NoReverseMatch:
            request_url = None
        next_url = _safe_next(self.request, self.request.GET.get(self.redirect_field_name, ""))
        if request_url and next_url:
            request_url += "?" + urlencode({"next": next_url})
        context = {
            "expired": self.refusal == "expired",
            "max_age_minutes": max_age // 60 if max_age else None,
            "one_time": cfg.one_time,
            "request_link_url": request_url,
        }
        try:
            return render(self.request, self.refused_template_name, context, status=403)
        except TemplateDoesNotExist:
            # No app templates (a project switching from sesame may not load them): Django's
            # 403, as sesame's LoginView answers.
            raise PermissionDenied from None

    def get_next_page(self) -> StrOrPromise | None:
        if self.next_page is LOGIN_REDIRECT_URL:
            return django_settings.LOGIN_REDIRECT_URL
        return self.next_page  # type: ignore[no-any-return]

    def get_default_redirect_url(self) -> str:
        next_page = self.get_next_page()
        if next_page is None:  # login_success() answers 204 without asking
            raise ImproperlyConfigured("No URL to redirect to. Provide a next_page.")
        return resolve_url(next_page)

    def login_success(self) -> HttpResponse:
        if self.get_next_page() is None:
            return HttpResponse(status=HTTPStatus.NO_CONTENT)
        return HttpResponseRedirect(self.get_success_url())


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def link_base(request: HttpRequest) -> str:
    """``scheme://host[:port]`` that e-mailed login links point at, never from the
    request's port.

    ``LINK_BASE_URL`` if set; else, with ``django.contrib.sites`` installed, the current
    site's domain (``SITE_ID``, or the site matching the request's host) with the
    request's scheme, as Django's password-reset e-mail does; else the request's host
    (validated by ``ALLOWED_HOSTS``) without its port, on the scheme's default port. The
    system check ``authgate.W062`` asks for one of the first two.
    """
    configured = link_settings().base_url
    if configured:
        return configured.rstrip("/")
    if apps.is_installed("django.contrib.sites"):
        from django.contrib.sites.models import Site

        try:
            return f"{request.scheme}://{Site.objects.get_current(request).domain}"
        except Site.DoesNotExist:
            pass  # no site for this host: as without the framework
    domain, _port = split_domain_port(request.get_host())
    return f"{request.scheme}://{domain}"


class SentPage(HttpResponse):
    """A page whose ``sends`` run once it has been delivered.

    WSGI and ASGI servers, and Django's test client, call ``close()`` after the response's
    last byte; the sends run there, before Django's ``request_finished`` cleanup. A failed
    send is logged, never raised: the client already has its answer.
    """

    def __init__(
        self, content: bytes, sends: Sequence[Callable[[], object]], **kwargs: Any
    ) -> None:
        super().__init__(content, **kwargs)
        self._sends = list(sends)

    def close(self) -> None:
        sends, self._sends = self._sends, []
        for send in sends:
            try:
                send()
            except Exception:
                logger.exception("Could not e-mail a login link")
        super().close()


class RequestLinkView(View):
    """An e-mail address in, a login link out by e-mail; the same answer for every address."""

    template_name = "authgate/links_request.html"
    email_subject_template_name = "authgate/links_email_subject.txt"
    email_template_name = "authgate/links_email.txt"
    #: The view the e-mailed link opens (it must accept unscoped links).
    login_url_name = "authgate:links-login"
    from_email: str | None = None
    limiter_namespace = "link-request"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, next=_safe_next(request, request.GET.get("next", "")))

    def post(self, request: HttpRequest) -> HttpResponse:
        email = request.POST.get("email", "").strip()
        next_url = _safe_next(request, request.POST.get("next", ""))
        limiter = FailureLimiter(self.limiter_namespace, link_settings().request_rate)
        try:
            # Every request counts, sent or not; counted before anything else is done.
            limiter.attempt("ip:" + client_ip(request), "email:" + email.casefold())
        except RateLimited as exc:
            response = self.render(request, email=email, next=next_url, limited=True, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except ServiceUnavailable:
            return self.unavailable()
        try:
            validate_email(email)
        except ValidationError:
            return self.render(request, email=email, next=next_url, invalid=True, status=400)
        try:
            users = self.get_users(email)
        except DatabaseError:
            return self.unavailable()
        # Made and sent only for an address with an account: after the page has gone out,
        # so the response's timing (or an SMTP failure) cannot tell which addresses do.
        sends = [functools.partial(self.send_link, request, user, next_url) for user in users]
        page = self.render(request, sent=True)
        return SentPage(page.content, sends, status=page.status_code, headers=dict(page.items()))

    def unavailable(self) -> HttpResponse:
        """Fail closed: the rate-limit cache or the database is unreachable (503, not 500)."""
        return HttpResponse(
            ServiceUnavailable.default_detail,
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": str(ServiceUnavailable.retry_after)},
        )

    def get_users(self, email: str) -> list[Any]:
        """The active users with this address (case-insensitive)."""
        model = get_user_model()
        field = model.get_email_field_name()
        return [
            user
            for user in model._default_manager.filter(**{f"{field}__iexact": email})
            if user.is_active and getattr(user, field, None)
        ]

    def get_link(self, request: HttpRequest, user: Any, next_url: str) -> tuple[str, str]:
        token = links.get_token(user)
        params = {link_settings().token_name: token}
        if next_url:
            params["next"] = next_url
        url = link_base(request) + reverse(self.login_url_name) + "?" + urlencode(params)
        return url, token

    def send_link(self, request: HttpRequest, user: Any, next_url: str) -> None:
        url, token = self.get_link(request, user, next_url)
        cfg = link_settings()
        seconds = cfg.max_age_seconds
        context = {
            "user": user,
            "link": url,
            "max_age_minutes": seconds // 60 if seconds is not None else None,
            "one_time": cfg.one_time,
            "host": urlsplit(url).netloc,
        }
        subject = "".join(render_to_string(self.email_subject_template_name, context).splitlines())
        body = render_to_string(self.email_template_name, context)
        recipient = getattr(user, get_user_model().get_email_field_name())
        send_mail(subject, body, self.from_email, [recipient])
        audit.record(
            "issued",
            credential_kind=links.CREDENTIAL_KIND,
            credential_id=link_settings().formats[0].token_id(token)[:12],
            user=user,
            request=request,
            via="email",
        )

    def render(self, request: HttpRequest, *, status: int = 200, **context: Any) -> HttpResponse:
        return render(request, self.template_name, context, status=status)
