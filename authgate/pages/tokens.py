"""The token pages: list, create, reveal once, revoke, rotate, mint a temporary credential.

Browser pages on the Django session (login required, CSRF on every form, no JavaScript
needed). Every response is ``Cache-Control: no-store`` and may not be framed.

A new secret is rendered directly in the response to the POST that created it: it is never
stored (only its digest is), never put in a URL, and cannot be shown again. Each create and
rotate form carries a one-use form id kept in the session, so resubmitting the same form
(reload, back button) creates nothing and says so.

A session started by an API token (``TOKEN_START_SESSION``) keeps that token's limits here:
it needs ``tokens:manage`` and can never create more than the token has (see
:mod:`authgate.rights`). Staff with a full session (``is_staff``) can see and revoke
every user's tokens; they rotate only their own, since rotating shows the new secret.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from authgate import rights
from authgate.chain import load_backends, required_identity, resolve
from authgate.derive import TokenRequest, derive, rights_of
from authgate.errors import AuthgateError
from authgate.pages.forms import (
    CreateTokenForm,
    RevokeTokenForm,
    RotateTokenForm,
)
from authgate.schemes.links.backend import LinkBackend
from authgate.schemes.scoped.backend import ScopedTokenBackend
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.service import TokenCacheUnreachable, issue, revoke, rotate
from authgate.schemes.tokens.settings import token_settings
from authgate.schemes.tokens.validation import TokenError

# The mint endpoint's "never exceed the minting credential" checks, reused as they are.

__all__ = [
    "PAGE_BACKENDS",
    "token_list",
    "token_list_all",
    "token_create",
    "token_revoke",
    "token_rotate",
    "is_token_admin",
]

#: The chain of the pages: the browser's session only.
PAGE_BACKENDS = ("authgate.schemes.session.SessionBackend",)
#: Tokens per page of a list.
PER_PAGE = 50
_FORM_IDS = "_authgate_pages_form_ids"
_MAX_FORM_IDS = 10


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required (a redirect to ``LOGIN_URL``), ``tokens:manage`` for a restricted
    session, no caching, no framing."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            identity = resolve(request, load_backends(PAGE_BACKENDS))
        except AuthgateError:
            identity = None  # the token that started this session is gone: log in again
        if identity is None:
            return redirect_to_login(request.get_full_path())
        if not identity.has_scope(rights.MANAGE_SCOPE):
            raise DjangoPermissionDenied(
                _("This session may not manage tokens (it lacks the scope tokens:manage).")
            )
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    wrapper.__dict__["authgate_exempt"] = True  # the chain runs here, in the page
    return wrapper


def is_token_admin(request: HttpRequest) -> bool:
    """Staff with a full session (not one started by a limited token) manage every token."""
    identity = required_identity(request)
    return identity.restrictions is None and bool(request.user.is_staff)


def _enabled(backend_class: type) -> bool:
    return any(isinstance(backend, backend_class) for backend in load_backends())


def _temporary_kinds(request: HttpRequest) -> list[str]:
    kinds = []
    if _enabled(ScopedTokenBackend):
        kinds.append("scoped")
    if _enabled(LinkBackend) and rights_of(required_identity(request)).is_users_own:
        kinds.append("link")  # a link logs in with full rights: only from the user's own
    return kinds


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "is_token_admin": is_token_admin(request),
        "temporary_kinds": _temporary_kinds(request),
        **extra,
    }


# --- one-use form ids -------------------------------------------------------------------


def _new_form_id(request: HttpRequest) -> str:
    form_id = secrets.token_urlsafe(16)
    ids = request.session.get(_FORM_IDS, [])[-(_MAX_FORM_IDS - 1) :]
    request.session[_FORM_IDS] = [*ids, form_id]
    return form_id


def _form_id_is_fresh(request: HttpRequest) -> bool:
    return request.POST.get("form_id", "") in request.session.get(_FORM_IDS, [])


def _spend_form_id(request: HttpRequest) -> None:
    form_id = request.POST.get("form_id", "")
    request.session[_FORM_IDS] = [i for i in request.session.get(_FORM_IDS, []) if i != form_id]


def _own_tokens(request: HttpRequest) -> QuerySet[APIToken]:
    """The tokens of the logged-in user of the page."""
    user = request.user
    if not user.is_authenticated:  # page() lets only a logged-in session through
        raise DjangoPermissionDenied
    return APIToken.objects.filter(user=user)


def _shown(token: APIToken, now: datetime | None = None) -> APIToken:
    """``token`` with ``page_status`` set to its status: what the page templates read."""
    token.page_status = token.status(now)
    return token


# --- lists ------------------------------------------------------------------------------


def _rows(request: HttpRequest, tokens: QuerySet[APIToken]) -> Any:
    page_obj = Paginator(tokens, PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for token in page_obj.object_list:
        _shown(token, now)
    return page_obj


@require_http_methods(["GET", "HEAD"])
@page
def token_list(request: HttpRequest) -> HttpResponse:
    page_obj = _rows(request, _own_tokens(request))
    return render(request, "authgate/pages/token_list.html", _context(request, page_obj=page_obj))


@require_http_methods(["GET", "HEAD"])
@page
def token_list_all(request: HttpRequest) -> HttpResponse:
    if not is_token_admin(request):
        raise DjangoPermissionDenied(_("Only staff can see every user's tokens."))
    tokens = APIToken.objects.select_related("user")
    username = request.GET.get("user", "").strip()
    if username:
        field = get_user_model().USERNAME_FIELD
        tokens = tokens.filter(**{f"user__{field}__icontains": username})
    page_obj = _rows(request, tokens)
    return render(
        request,
        "authgate/pages/token_list.html",
        _context(request, page_obj=page_obj, all_users=True, username=username),
    )


# --- create, reveal ---------------------------------------------------------------------


def _example_url(request: HttpRequest) -> str | None:
    url = token_settings().pages_example_url
    return request.build_absolute_uri(url) if url else None


def _reveal(request: HttpRequest, **context: Any) -> HttpResponse:
    context.setdefault("example_url", _example_url(request))
    response = render(request, "authgate/pages/reveal.html", _context(request, **context))
    response["Referrer-Policy"] = "no-referrer"
    return response


def _resubmitted(request: HttpRequest) -> HttpResponse:
    messages.warning(
        request,
        _(
            "This form was already sent. The secret it created was shown once and cannot be "
            "shown again; it is in your list."
        ),
        fail_silently=True,
    )
    return HttpResponseRedirect(reverse("authgate:tokens"))


@require_http_methods(["GET", "HEAD", "POST"])
@page
def token_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = CreateTokenForm()
    else:
        if not _form_id_is_fresh(request):
            return _resubmitted(request)
        form = CreateTokenForm(request.POST)
        if form.is_valid():
            try:
                grant = derive(
                    required_identity(request),
                    TokenRequest(
                        scopes=form.chosen_scopes,
                        policy=None,
                        allowed_ips=form.cleaned_data["allowed_ips"],
                        expires_in=form.cleaned_data["expires_in"],
                        inherit=False,
                    ),
                )
                with transaction.atomic():
                    token, plaintext = issue(
                        request.user,
                        name=form.cleaned_data["name"],
                        scopes=grant.scopes,
                        policy=grant.policy,
                        allowed_ips=grant.allowed_ips,
                        expires_in=grant.expires_in,
                        created_by=request.user,
                        request=request,
                        parent=grant.parent,
                        parent_key=grant.parent_key,
                    )
                    rights.clamp_expiry(grant.limits, token)
            except (TokenError, AuthgateError) as exc:
                form.add_error(None, str(getattr(exc, "detail", exc)))
            else:
                _spend_form_id(request)
                return _reveal(request, kind="token", token=token, plaintext=plaintext)
    return render(
        request,
        "authgate/pages/token_form.html",
        _context(request, form=form, form_id=_new_form_id(request)),
        status=400 if form.errors else 200,
    )


# --- revoke, rotate ---------------------------------------------------------------------


def _manageable(request: HttpRequest) -> QuerySet[APIToken]:
    if is_token_admin(request):
        return APIToken.objects.select_related("user")
    return _own_tokens(request).select_related("user")


@require_http_methods(["GET", "HEAD", "POST"])
@page
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(_manageable(request), pk=pk)
    own = token.user_id == request.user.pk
    back = reverse("authgate:tokens") if own else reverse("authgate:tokens-all")
    form = RevokeTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = revoke(token, form.cleaned_data["reason"], request=request, by=request.user)
        except TokenCacheUnreachable:
            messages.warning(
                request,
                _(
                    "Revoked %(token)s, but the token cache could not be updated: it may "
                    "still work for up to %(seconds)s seconds. Once the cache is back, "
                    "`manage.py authgate revoke %(prefix)s` makes it stop at once."
                )
                % {
                    "token": token,
                    "seconds": token_settings().cache_timeout,
                    "prefix": token.display_prefix,
                },
                fail_silently=True,
            )
            return HttpResponseRedirect(back)
        if revoked:
            messages.success(
                request,
                _("Revoked %(token)s. It no longer works.") % {"token": token},
                fail_silently=True,
            )
        else:
            messages.info(
                request, _("%(token)s was already revoked.") % {"token": token}, fail_silently=True
            )
        return HttpResponseRedirect(back)
    return render(
        request,
        "authgate/pages/token_revoke.html",
        _context(request, token=_shown(token), form=form, own=own, back=back),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page
def token_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    # Own tokens only, even for staff: rotating shows the new secret.
    token = get_object_or_404(_own_tokens(request), pk=pk)
    form = RotateTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not _form_id_is_fresh(request):
            return _resubmitted(request)
        if form.is_valid():
            try:
                limits = rights.limits_for(required_identity(request))
                rights.check_covers(limits, token)
                with transaction.atomic():
                    new, plaintext = rotate(
                        token,
                        overlap=form.cleaned_data["overlap"],
                        expires_in=rights.rotation_lifetime(limits, token, timezone.now()),
                        created_by=request.user,
                        request=request,
                    )
                    rights.clamp_expiry(limits, new)
            except (TokenError, AuthgateError) as exc:
                form.add_error(None, str(getattr(exc, "detail", exc)))
            else:
                _spend_form_id(request)
                return _reveal(
                    request, kind="token", token=new, plaintext=plaintext, rotated=_shown(token)
                )
    return render(
        request,
        "authgate/pages/token_rotate.html",
        _context(request, token=_shown(token), form=form, form_id=_new_form_id(request)),
        status=400 if form.errors else 200,
    )
