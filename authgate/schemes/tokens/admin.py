"""The Django admin for API tokens.

The plaintext of a token is shown once, on the page that answers the add form (or the
rotate action) itself — not through ``messages`` (which may store it in the session
table or a cookie) and never in a URL. No page shows the digest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authgate.conf import chain_settings
from authgate.leaks.admin import LeakFilter
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.settings import token_settings
from authgate.schemes.tokens.validation import expiry

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups  # django-stubs' name for it

__all__ = ["APITokenAddForm", "APITokenAdmin"]

PLAINTEXT_TEMPLATE = "authgate/admin/plaintext_tokens.html"


def _scope_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} — {text}") for name, text in sorted(chain_settings().scopes.items())]


class APITokenAddForm(forms.ModelForm):
    """Everything :func:`authgate.schemes.tokens.service.issue` takes, validated the same way."""

    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: the token carries all of the user's rights."),
    )
    expires_in = forms.CharField(
        label=gettext_lazy("Expires in"),
        required=False,
        help_text=gettext_lazy("e.g. 30d, 12h, 2w, or 'never'; empty for the default."),
    )
    policy = forms.JSONField(
        label=gettext_lazy("Policy"),
        required=False,
        help_text=gettext_lazy('A djblets policy: {"resources": {"*": {"allow": [...]}}}.'),
    )
    allowed_ips = forms.CharField(
        label=gettext_lazy("Allowed client IPs"),
        required=False,
        help_text=gettext_lazy("Addresses or networks (CIDR), separated by spaces."),
    )

    class Meta:
        model = APIToken
        fields = ["user", "name", "note", "max_uses"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scopes = self.fields["scopes"]
        if not isinstance(scopes, forms.ChoiceField):
            raise TypeError("the scopes field must be a ChoiceField")
        scopes.choices = _scope_choices()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns
        checks: dict[str, Callable[[Any], Any]] = {
            "scopes": lambda v: tokens.clean_scopes(v) if v else None,
            "policy": tokens.clean_policy,
            "allowed_ips": tokens.clean_allowed_ips,
            "expires_in": lambda v: tokens.parse_lifetime(v) if v else tokens.DEFAULT,
        }
        for name, check in checks.items():
            if name in data:
                try:
                    data[name] = check(data[name])
                except tokens.TokenError as exc:
                    self.add_error(name, str(exc))
        if "expires_in" in data:
            try:
                expiry(data["expires_in"], timezone.now())
            except tokens.TokenError as exc:
                self.add_error("expires_in", str(exc))
        user = data.get("user")
        if user is not None and not user.is_active:
            self.add_error("user", _("Inactive users cannot get API tokens."))
        limit = token_settings().max_per_user
        if (
            user is not None
            and limit
            and APIToken.objects.filter(user=user).live().count() >= limit
        ):
            self.add_error("user", _("This user already has %(n)d live API tokens.") % {"n": limit})
        return data


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    list_display = [
        "display_prefix",
        "user",
        "name",
        "scope_list",
        "expires",
        "last_used",
        "status_label",
        "token_format",
        "dpop_key",
    ]
    list_select_related = ["user"]
    list_filter = ["token_format", "created", "expires", LeakFilter]
    search_fields = ["display_prefix", "name"]
    raw_id_fields = ["user"]
    date_hierarchy = "created"
    actions = ["revoke_tokens", "rotate_tokens"]
    #: What the change page shows: never the digest.
    readonly_fields = [
        "display_prefix",
        "user",
        "status_label",
        "scope_list",
        "policy_json",
        "allowed_ips",
        "created",
        "created_by",
        "expires",
        "last_used",
        "last_used_ip",
        "revoked_at",
        "revoked_reason",
        "max_uses",
        "use_count",
        "token_format",
        "legacy_uses",
        "dpop_jkt",
        "rotated_from",
    ]
    change_fields: _FieldGroups = ["name", "note", *readonly_fields]

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        username = get_user_model().USERNAME_FIELD  # APIToken.user is to AUTH_USER_MODEL
        return [*self.search_fields, f"user__{username}"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = APITokenAddForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> _FieldGroups:
        if obj is None:
            return [
                "user",
                "name",
                "note",
                "scopes",
                "expires_in",
                "policy",
                "allowed_ips",
                "max_uses",
            ]
        return self.change_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    # --- columns --------------------------------------------------------------------

    @admin.display(description=gettext_lazy("scopes"))
    def scope_list(self, token: APIToken) -> str:
        return " ".join(token.scopes) if token.scopes is not None else _("all")

    @admin.display(description=gettext_lazy("status"))
    def status_label(self, token: APIToken) -> str:
        return token.status()

    @admin.display(description=gettext_lazy("DPoP key"))
    def dpop_key(self, token: APIToken) -> str:
        """The start of the bound key's thumbprint (the change page shows all of it)."""
        return token.dpop_label or "-"

    @admin.display(description=gettext_lazy("deprecated uses (counted in the cache)"))
    def legacy_uses(self, token: APIToken) -> str:
        """Uses of an imported DRF, knox or api-key credential since the import."""
        if not token.is_deprecated_format:
            return "-"
        from authgate.schemes.tokens.legacy import uses

        count = uses(token)
        return "?" if count is None else str(count)

    @admin.display(description=gettext_lazy("policy"))
    def policy_json(self, token: APIToken) -> str:
        return json.dumps(token.policy, indent=2, sort_keys=True) if token.policy else _("none")

    # --- adding: issue, then show the plaintext once ---------------------------------

    def save_model(self, request: HttpRequest, obj: APIToken, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name", "note"])
            return
        data = form.cleaned_data
        token, plaintext = tokens.issue(
            data["user"],
            name=data.get("name", ""),
            note=data.get("note", ""),
            scopes=data.get("scopes"),
            policy=data.get("policy") or None,
            expires_in=data.get("expires_in", tokens.DEFAULT),
            allowed_ips=data.get("allowed_ips"),
            max_uses=data.get("max_uses"),
            created_by=request.user,
            request=request,
        )
        obj.__dict__.update(token.__dict__)  # the admin logs and links the saved row
        request.__dict__["_authgate_issued"] = [(token, plaintext)]

    def response_add(self, request: HttpRequest, obj: APIToken, post_url_continue: Any = None):
        issued = getattr(request, "_authgate_issued", None)
        if not issued:
            return super().response_add(request, obj, post_url_continue)
        return self._show_plaintext(request, issued)

    def _show_plaintext(self, request: HttpRequest, issued: list[Any]) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("API token created"),
            "issued": issued,
        }
        response = TemplateResponse(request, PLAINTEXT_TEMPLATE, context)
        response["Cache-Control"] = "no-store"
        return response

    # --- actions --------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Revoke selected API tokens"), permissions=["change"])
    def revoke_tokens(self, request: HttpRequest, queryset: Any) -> None:
        reason = _("Revoked in the admin by %(user)s") % {"user": request.user.get_username()}
        count = sum(
            tokens.revoke(t, reason, request=request, by=request.user)
            for t in queryset.select_related("user")
        )
        self.message_user(request, _("Revoked %(n)d API token(s).") % {"n": count})

    @admin.action(description=gettext_lazy("Rotate selected API tokens"), permissions=["change"])
    def rotate_tokens(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        issued = []
        for token in queryset.select_related("user"):
            try:
                issued.append(tokens.rotate(token, created_by=request.user, request=request))
            except tokens.TokenError as exc:
                self.message_user(request, f"{token.display_prefix}: {exc}", messages.WARNING)
        return self._show_plaintext(request, issued) if issued else None
