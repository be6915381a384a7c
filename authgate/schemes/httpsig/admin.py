"""The Django admin for HTTP Message Signature keys (imported by :mod:`authgate.admin`).

Staff can register a client's public key (validated against its one algorithm), rename a
key, set its expiry and revoke it. An HMAC secret is never shown: it is not a form field,
not a column, not a read-only field; HMAC keys are made with
:func:`authgate.schemes.httpsig.service.create_hmac_key`, which returns the secret once.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authgate.schemes.httpsig import service as signature_keys
from authgate.schemes.httpsig.models import HTTPSignatureKey

__all__ = ["HTTPSignatureKeyAdmin", "HTTPSignatureKeyForm"]


class HTTPSignatureKeyForm(forms.ModelForm):
    """Add or change a key; the key material is checked for the chosen algorithm."""

    keyid = forms.CharField(
        label=gettext_lazy("Key id"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Leave empty to generate one (agk_…)."),
    )

    class Meta:
        model = HTTPSignatureKey
        fields = ["user", "name", "keyid", "algorithm", "public_key", "expires"]

    def clean_keyid(self) -> str:
        return self.cleaned_data.get("keyid") or signature_keys.new_keyid()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        algorithm = data.get("algorithm")
        if algorithm == HTTPSignatureKey.Algorithm.HMAC_SHA256:
            self.add_error(
                "algorithm",
                _("Create HMAC keys with authgate.schemes.httpsig.service.create_hmac_key()."),
            )
        elif algorithm and "public_key" in data:
            try:
                data["public_key"] = signature_keys.clean_public_key(algorithm, data["public_key"])
            except forms.ValidationError as exc:
                self.add_error("public_key", exc)
        return data


@admin.register(HTTPSignatureKey)
class HTTPSignatureKeyAdmin(admin.ModelAdmin):
    """List, add, revoke; the shared secret of an HMAC key is never displayed."""

    form = HTTPSignatureKeyForm
    list_display = ["keyid", "name", "user", "algorithm", "created", "last_used", "status"]
    list_filter = ["algorithm"]
    search_fields = ["keyid", "name"]
    list_select_related = ["user"]
    readonly_fields = ["created", "last_used", "revoked_at"]
    actions = ["revoke_keys"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:  # the key material and its algorithm never change
            return [*self.readonly_fields, "keyid", "algorithm", "public_key"]
        return self.readonly_fields

    @admin.display(description=gettext_lazy("status"))
    def status(self, obj: HTTPSignatureKey) -> str:
        return _("active") if obj.is_live() else _("revoked or expired")

    @admin.action(description=gettext_lazy("Revoke selected keys"), permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: Any) -> None:
        now = timezone.now()
        count = 0
        for key in queryset:
            signature_keys.revoke(key, when=now)
            count += 1
        self.message_user(request, _("Revoked %(n)d key(s).") % {"n": count})
