"""The forms of the token pages: create, rotate, revoke, and mint a temporary credential.

Choices come from the settings when a form is built, so ``override_settings`` and a changed
``AUTHGATE`` dict show at once: scopes from ``SCOPES`` (with their descriptions), lifetimes
within ``TOKEN_MAX_LIFETIME`` (and "never" only with ``ALLOW_NON_EXPIRING_TOKENS``), scoped
token lifetimes within ``SCOPED_MAX_AGE``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authgate.conf import chain_settings
from authgate.core.policy import PolicyError
from authgate.schemes.scoped.limits import check_sizes
from authgate.schemes.scoped.service import build_restrictions, clean_endpoints, max_age_seconds
from authgate.schemes.scoped.settings import scoped_settings
from authgate.schemes.tokens.settings import token_settings
from authgate.schemes.tokens.validation import (
    DEFAULT,
    TokenError,
    clean_allowed_ips,
    parse_lifetime,
)

__all__ = [
    "CreateTokenForm",
    "RotateTokenForm",
    "RevokeTokenForm",
    "ScopedTokenForm",
    "LinkForm",
    "duration_label",
    "expiry_choices",
]

#: Lifetimes offered besides the configured default and maximum.
LIFETIMES = [timedelta(days=days) for days in (1, 7, 30, 90, 180, 365)]
#: Overlaps offered when rotating.
OVERLAPS = [timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=7)]
#: Scoped-token lifetimes offered besides the configured default and maximum.
SCOPED_AGES = [timedelta(minutes=minutes) for minutes in (5, 10, 30, 60)]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _code(value: timedelta) -> str:
    """``timedelta`` → the duration string :func:`parse_lifetime` reads back."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def duration_label(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for size, one, many in (
        (86400, _("1 day"), _("%(n)d days")),
        (3600, _("1 hour"), _("%(n)d hours")),
        (60, _("1 minute"), _("%(n)d minutes")),
    ):
        if seconds and seconds % size == 0:
            count = seconds // size
            return one if count == 1 else many % {"n": count}
    return _("%(n)d seconds") % {"n": seconds}


def _within(values: list[timedelta], maximum: timedelta | None) -> list[timedelta]:
    return sorted({v for v in values if v > timedelta(0) and (maximum is None or v <= maximum)})


def expiry_choices() -> tuple[list[tuple[str, str]], str]:
    """The lifetimes the create form offers, and the initial one (the configured default)."""
    config = token_settings()
    maximum = config.max_lifetime
    default = config.default_lifetime
    extra = [v for v in (default, maximum) if isinstance(v, timedelta)]
    choices = [(_code(v), duration_label(v)) for v in _within(LIFETIMES + extra, maximum)]
    if config.allow_non_expiring:
        choices.append(("never", _("Never")))
    initial = "never" if default is None else _code(default)
    return choices, initial


def _scope_choices() -> list[tuple[str, str]]:
    return [
        (name, f"{name} — {description}" if description else name)
        for name, description in sorted(chain_settings().scopes.items())
    ]


class _Base(forms.Form):
    template_name = "authgate/pages/form.html"
    # A Django 5 form renders each field with its label, help text and errors linked by
    # aria-describedby; CSS classes hook the page styles.
    error_css_class = "has-error"
    required_css_class = "required"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def _choice_field(self, name: str) -> forms.ChoiceField:
        """``self.fields[name]``, a choice field whose choices are set per form."""
        field = self.fields[name]
        if not isinstance(field, forms.ChoiceField):
            raise TypeError(f"{name} must be a ChoiceField, not {type(field).__name__}")
        return field


class CreateTokenForm(_Base):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What is this token for? For example “laptop backup script”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    access = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=[
            ("scopes", gettext_lazy("Only the scopes I choose below")),
            ("full", gettext_lazy("Everything I can do (full access)")),
        ],
        initial="scopes",
        widget=forms.RadioSelect,
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_in = forms.ChoiceField(label=gettext_lazy("Expires after"))
    allowed_ips = forms.CharField(
        label=gettext_lazy("Allowed IP addresses (optional)"),
        required=False,
        help_text=gettext_lazy(
            "Addresses or networks, separated by spaces or commas, e.g. 203.0.113.7 "
            "10.0.0.0/8. Leave empty to allow any address."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _scope_choices()
        self._choice_field("scopes").choices = choices
        if not choices:
            # Nothing to choose from: a token carries the user's rights.
            del self.fields["scopes"]
            access = self._choice_field("access")
            access.choices = [("full", _("Everything I can do (full access)"))]
            access.initial = "full"
        expires, initial = expiry_choices()
        expires_in = self._choice_field("expires_in")
        expires_in.choices = expires
        expires_in.initial = initial

    def clean_expires_in(self) -> Any:
        value = self.cleaned_data["expires_in"]
        try:
            return parse_lifetime(value) if value else DEFAULT
        except TokenError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_allowed_ips(self) -> list[str]:
        try:
            return clean_allowed_ips(self.cleaned_data.get("allowed_ips") or "")
        except TokenError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        if data.get("access") == "scopes" and not data.get("scopes"):
            self.add_error("scopes", _("Choose at least one scope, or choose full access above."))
        return data

    @property
    def chosen_scopes(self) -> list[str] | None:
        """``None`` for full access, else the chosen scope names."""
        if self.cleaned_data.get("access") == "full":
            return None
        return list(self.cleaned_data.get("scopes") or [])


class RotateTokenForm(_Base):
    overlap = forms.ChoiceField(
        label=gettext_lazy("Keep the old token working for"),
        help_text=gettext_lazy(
            "Time to move your clients to the new token; after it the old one is revoked."
        ),
        choices=[
            (_code(v) if v else "0s", duration_label(v) if v else gettext_lazy("No time: now"))
            for v in OVERLAPS
        ],
        initial="1h",
        widget=forms.RadioSelect,
    )

    def clean_overlap(self) -> timedelta:
        value = parse_lifetime(self.cleaned_data["overlap"])
        return value or timedelta(0)


class RevokeTokenForm(_Base):
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Shown to whoever still uses the token, and kept in the log."),
    )


class ScopedTokenForm(_Base):
    """A signed temporary token for some methods on some path prefixes."""

    methods = forms.MultipleChoiceField(
        label=gettext_lazy("Methods"),
        choices=[(m, m) for m in METHODS],
        initial=["GET"],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "ag-inline"}),
    )
    paths = forms.CharField(
        label=gettext_lazy("Path prefixes"),
        help_text=gettext_lazy("One per line, e.g. /api/notes/. Matched on whole segments."),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    max_age = forms.ChoiceField(label=gettext_lazy("Valid for"))
    recipient = forms.CharField(
        label=gettext_lazy("Who is it for? (optional)"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Readable by anyone holding the token."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes (optional)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = scoped_settings().max_age
        default = timedelta(seconds=max_age_seconds(None))
        ages = _within([*SCOPED_AGES, default, limit], limit)
        max_age = self._choice_field("max_age")
        max_age.choices = [(str(int(a.total_seconds())), duration_label(a)) for a in ages]
        max_age.initial = str(int(default.total_seconds()))
        choices = _scope_choices()
        if choices:
            self._choice_field("scopes").choices = choices
        else:
            del self.fields["scopes"]

    def clean_max_age(self) -> int:
        return int(self.cleaned_data["max_age"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        methods, paths = data.get("methods"), data.get("paths")
        if methods and paths:
            prefixes = [line.strip() for line in paths.splitlines() if line.strip()]
            try:
                check_sizes(dict.fromkeys(methods, prefixes))  # before any resolving
                endpoints = clean_endpoints(dict.fromkeys(methods, prefixes))
                build_restrictions(endpoints, None)
            except (TypeError, ValueError, PolicyError) as exc:
                self.add_error("paths", str(exc))
            else:
                data["endpoints"] = endpoints
        return data


class LinkForm(_Base):
    """A magic link that logs you in, e.g. on another device."""

    next = forms.CharField(
        label=gettext_lazy("Open this page after logging in"),
        initial="/",
        max_length=500,
        help_text=gettext_lazy("A path on this site, e.g. /api/whoami/."),
    )

    def clean_next(self) -> str:
        value = self.cleaned_data["next"].strip()
        if not value.startswith("/") or not url_has_allowed_host_and_scheme(
            value, allowed_hosts=set()
        ):
            raise forms.ValidationError(_("Enter a path on this site, starting with “/”."))
        return value
