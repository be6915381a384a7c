"""``/auth/tokens/temporary/``: mint a scoped temporary token or a magic link for yourself.

Offered only where the backend is in ``AUTHGATE["BACKENDS"]``. Both go through
:func:`authgate.derive.derive`, as ``POST /auth/scoped/`` does: a scoped token never exceeds
the session that mints it; a magic link logs in with full rights, so only the user's own
session (a password login, not one started by a token) gets one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from authgate import audit
from authgate.chain import required_identity
from authgate.derive import LinkRequest, ScopedRequest, derive
from authgate.errors import AuthgateError
from authgate.pages.forms import LinkForm, ScopedTokenForm, duration_label
from authgate.pages.tokens import _context, _reveal, _temporary_kinds, page
from authgate.schemes.links import service as links
from authgate.schemes.links.settings import link_settings
from authgate.schemes.scoped import service as scoped
from authgate.schemes.scoped.settings import scoped_settings

__all__ = ["temporary"]


def _mint_scoped(request: HttpRequest, form: ScopedTokenForm) -> HttpResponse | None:
    identity = required_identity(request)
    data = form.cleaned_data
    try:
        grant = derive(
            identity,
            ScopedRequest(
                data["endpoints"], list(data.get("scopes") or []) or None, data["max_age"]
            ),
        )
        seconds, granted = grant.seconds, grant.scopes
        now = int(time.time())
        token = scoped.issue(
            request.user,
            grant.endpoints,
            max_age=seconds,
            now=now,
            recipient=data["recipient"] or None,
            scopes=granted,
            request=request,
            parent=grant.parent,
            allowed_ips=grant.allowed_ips,
        )
    except AuthgateError as exc:
        form.add_error(None, str(exc.detail))
        return None
    except (TypeError, ValueError) as exc:
        form.add_error(None, str(exc))
        return None
    return _reveal(
        request,
        kind="scoped",
        plaintext=token,
        keyword=scoped_settings().keyword,
        endpoints=grant.endpoints,
        scopes=granted,
        expires=datetime.fromtimestamp(now + seconds, tz=UTC),
        lifetime=duration_label(timedelta(seconds=seconds)),
    )


def _link_lifetime() -> str | None:
    max_age = link_settings().max_age_seconds
    return duration_label(timedelta(seconds=max_age)) if max_age else None


def _mint_link(request: HttpRequest, form: LinkForm) -> HttpResponse:
    # Offered only to the user's own session (_temporary_kinds); checked again here, where
    # the link is made, with the one rule (authgate.derive): a POST is not an offer.
    derive(required_identity(request), LinkRequest())
    cfg = link_settings()
    token = links.get_token(request.user)
    query = urlencode({cfg.token_name: token, "next": form.cleaned_data["next"]})
    url = request.build_absolute_uri(reverse("authgate:links-login")) + "?" + query
    audit.record(
        "issued",
        credential_kind=links.CREDENTIAL_KIND,
        credential_id=cfg.formats[0].token_id(token)[:12],
        user=request.user,
        request=request,
        via="pages",
    )
    return _reveal(
        request,
        kind="link",
        plaintext=url,
        one_time=cfg.one_time,
        lifetime=_link_lifetime(),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page
def temporary(request: HttpRequest) -> HttpResponse:
    kinds = _temporary_kinds(request)
    if not kinds:
        raise DjangoPermissionDenied(
            _("Neither scoped tokens nor magic links are enabled (AUTHGATE['BACKENDS']).")
        )
    kind = request.POST.get("kind") if request.method == "POST" else None
    scoped_form = ScopedTokenForm(request.POST if kind == "scoped" else None, prefix="scoped")
    link_form = LinkForm(request.POST if kind == "link" else None, prefix="link")
    if kind == "scoped" and "scoped" in kinds and scoped_form.is_valid():
        response = _mint_scoped(request, scoped_form)
        if response is not None:
            return response
    elif kind == "link" and "link" in kinds and link_form.is_valid():
        try:
            return _mint_link(request, link_form)
        except AuthgateError as exc:
            link_form.add_error(None, str(exc.detail))
    failed = scoped_form.errors or link_form.errors
    return render(
        request,
        "authgate/pages/temporary.html",
        _context(
            request,
            scoped_form=scoped_form if "scoped" in kinds else None,
            link_form=link_form if "link" in kinds else None,
            link_lifetime=_link_lifetime(),
            link_one_time=link_settings().one_time,
        ),
        status=400 if failed else 200,
    )
