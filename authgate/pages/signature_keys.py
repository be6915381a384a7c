"""``/auth/keys/``: register, list and revoke your HTTP Message Signature keys (RFC 9421).

A signed-in user registers a client's *public* key (PEM or JWK) with a name and the ONE
algorithm it will sign with; the page shows the ``keyid`` the client must send. Nothing
secret is ever on these pages: HMAC keys (a shared secret) are not offered here — they are
made with :func:`authgate.schemes.httpsig.service.create_hmac_key`. Offered only when
:class:`~authgate.schemes.httpsig.backend.HTTPSignatureBackend` is in the chain; same session,
CSRF, ``tokens:manage``, no-store and no-framing rules as the token pages. A key carries the
user's full rights, so :func:`authgate.derive.derive` refuses one to a session started by a
token with scopes, a policy or an IP allowlist, caps its expiry at the token's, and records
the token as its parent (revoking the token revokes the key).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from authgate.chain import required_identity
from authgate.derive import KeyRequest, derive
from authgate.errors import AuthgateError
from authgate.pages.tokens import _context, page
from authgate.schemes.httpsig import service as signature_keys
from authgate.schemes.httpsig.models import HTTPSignatureKey
from authgate.schemes.httpsig.settings import httpsig_settings

__all__ = ["RegisterKeyForm", "key_list", "key_revoke"]


def _algorithm_choices() -> list[tuple[str, Any]]:
    return [
        (value, label)
        for value, label in HTTPSignatureKey.Algorithm.choices
        if value != HTTPSignatureKey.Algorithm.HMAC_SHA256
        and value in httpsig_settings().algorithms
    ]


class RegisterKeyForm(forms.Form):
    """A public key for one algorithm, checked before it is stored."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    algorithm = forms.ChoiceField(label=gettext_lazy("Algorithm"))
    public_key = forms.CharField(
        label=gettext_lazy("Public key"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=gettext_lazy("PEM (-----BEGIN PUBLIC KEY-----) or a JWK. Never a private key."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["algorithm"]).choices = _algorithm_choices()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("algorithm") and data.get("public_key"):
            try:
                data["public_key"] = signature_keys.clean_public_key(
                    data["algorithm"], data["public_key"]
                )
            except forms.ValidationError as exc:
                self.add_error("public_key", exc)
        return data


def _own_keys(request: HttpRequest) -> QuerySet[HTTPSignatureKey]:
    """The keys of the logged-in user of the page."""
    user = request.user
    if not user.is_authenticated:  # page() lets only a logged-in session through
        raise DjangoPermissionDenied
    return HTTPSignatureKey.objects.filter(user=user)


def _require_backend() -> None:
    if not signature_keys.backend_enabled():
        raise Http404(_("HTTP signatures are not enabled."))


@require_http_methods(["GET", "POST"])
@page
def key_list(request: HttpRequest) -> HttpResponse:
    """Your keys, newest first, and the form that registers one (POST, then redirect)."""
    _require_backend()
    form = RegisterKeyForm(request.POST or None)
    grant = None
    if request.method == "POST" and form.is_valid():
        try:
            grant = derive(required_identity(request), KeyRequest())
        except AuthgateError as exc:
            form.add_error(None, str(exc.detail))
    if grant is not None:
        key = signature_keys.register_public_key(
            request.user,
            algorithm=form.cleaned_data["algorithm"],
            public_key=form.cleaned_data["public_key"],
            name=form.cleaned_data["name"],
            expires=grant.expires,
            parent_token=grant.parent_token,
        )
        messages.success(
            request, _("Key registered. Sign with keyid “%(keyid)s”.") % {"keyid": key.keyid}
        )
        return HttpResponseRedirect(reverse("authgate:signature-keys"))
    keys = _own_keys(request).order_by("-created", "-id")
    return render(
        request,
        "authgate/pages/key_list.html",
        _context(request, form=form, keys=keys, required=httpsig_settings().required_components),
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@page
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (GET), then revoke (POST) one of your own keys."""
    _require_backend()
    key = get_object_or_404(_own_keys(request), pk=pk)
    if request.method == "POST":
        signature_keys.revoke(key)
        messages.success(request, _("Key “%(keyid)s” revoked.") % {"keyid": key.keyid})
        return HttpResponseRedirect(reverse("authgate:signature-keys"))
    return render(request, "authgate/pages/key_revoke.html", _context(request, key=key))
