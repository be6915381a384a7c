"""Checks for migrating DRF, knox and api-key credentials (``authgate.E033``-``W035``).

The mistakes the migration guide's readers make, each caught before a client notices:

- ``authgate.E033``: a ``TOKEN_ACCEPT_*`` setting on, but no ``TokenBackend`` in
  ``BACKENDS`` (the credentials would be "not provided", every old client a 401);
- ``authgate.E034``: the keyword those clients send (DRF's ``Token``, knox's
  ``AUTH_HEADER_PREFIX``) missing from ``TOKEN_KEYWORDS``;
- ``authgate.W033``: DRF's or knox's ``TokenAuthentication`` still in
  ``DEFAULT_AUTHENTICATION_CLASSES`` beside authgate's: for the ``Token`` keyword both
  claim the header, and whichever comes first refuses the other's tokens;
- ``authgate.W034``: ``API_KEY_CUSTOM_HEADER`` set: authgate reads api-key keys from
  ``Authorization: Api-Key …`` only;
- ``authgate.W035`` (``database`` tag: ``migrate``, ``check --database default``): DRF keys
  not imported although an import ran — created since, they still work, each imported on
  its first use, but something keeps creating them.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError
from django.utils.module_loading import import_string

from authgate.checks import setting_value

__all__ = ["check_legacy_settings", "check_late_drf_keys"]

TOKEN_BACKEND = "authgate.schemes.tokens.backend.TokenBackend"  # noqa: S105 (a path)
_AUTHGATE_DRF = "authgate.contrib.drf.AuthgateAuthentication"
_OTHERS = {
    "rest_framework.authentication.TokenAuthentication": "DRF's TokenAuthentication",
    "knox.auth.TokenAuthentication": "knox's TokenAuthentication",
}


def _on(values: dict[str, Any]) -> list[str]:
    keys = ("TOKEN_ACCEPT_DRF_KEYS", "TOKEN_ACCEPT_KNOX_TOKENS", "TOKEN_ACCEPT_API_KEYS")
    return [key for key in keys if values.get(key)]


def _has_token_backend() -> bool:
    from authgate.schemes.tokens.backend import TokenBackend

    for path in setting_value("BACKENDS") or ():
        try:
            backend = import_string(path)
        except (ImportError, TypeError, ValueError):
            continue
        if isinstance(backend, type) and issubclass(backend, TokenBackend):
            return True
    return False


def _knox_keyword() -> str:
    return str(
        (getattr(django_settings, "REST_KNOX", None) or {}).get("AUTH_HEADER_PREFIX", "Token")
    )


def check_legacy_settings(values: dict[str, Any]) -> list[CheckMessage]:
    """The rules above that read settings only (run by the token settings' check)."""
    accepted = _on(values)
    messages: list[CheckMessage] = []
    if accepted and not _has_token_backend():
        messages.append(
            Error(
                f"AUTHGATE[{accepted[0]!r}] is on, but no TokenBackend is in "
                "AUTHGATE['BACKENDS']: imported credentials are never read.",
                hint=f"Add {TOKEN_BACKEND!r} to AUTHGATE['BACKENDS'].",
                id="authgate.E033",
            )
        )
    keywords = {str(k).lower() for k in values.get("TOKEN_KEYWORDS") or ()}
    for key, keyword in (
        ("TOKEN_ACCEPT_DRF_KEYS", "Token"),
        ("TOKEN_ACCEPT_KNOX_TOKENS", _knox_keyword()),
    ):
        if key in accepted and keywords and keyword.lower() not in keywords:
            messages.append(
                Error(
                    f"AUTHGATE[{key!r}] is on, but its clients send 'Authorization: "
                    f"{keyword} …' and {keyword!r} is not in AUTHGATE['TOKEN_KEYWORDS'].",
                    hint=f"Add {keyword!r} to AUTHGATE['TOKEN_KEYWORDS'].",
                    id="authgate.E034",
                )
            )
    classes = list(
        (getattr(django_settings, "REST_FRAMEWORK", None) or {}).get(
            "DEFAULT_AUTHENTICATION_CLASSES", ()
        )
    )
    if _AUTHGATE_DRF in classes:
        for path in classes:
            if path in _OTHERS:
                messages.append(
                    Warning(
                        f"{_OTHERS[path]} ({path}) is in DEFAULT_AUTHENTICATION_CLASSES "
                        "beside authgate's: both claim 'Authorization: Token …', and the "
                        "first refuses the other's tokens.",
                        hint="Import its tokens (manage.py authgate import-drf-tokens / "
                        "import-knox-tokens) and remove the class; see "
                        "docs/howto/migrate.md.",
                        id="authgate.W033",
                    )
                )
    if "TOKEN_ACCEPT_API_KEYS" in accepted and getattr(
        django_settings, "API_KEY_CUSTOM_HEADER", None
    ):
        messages.append(
            Warning(
                "API_KEY_CUSTOM_HEADER is set: authgate reads imported API keys from "
                "'Authorization: Api-Key …' only.",
                hint="Have clients send the Authorization header, or keep "
                "djangorestframework-api-key's HasAPIKey for them.",
                id="authgate.W034",
            )
        )
    return messages


@register(Tags.database)
def check_late_drf_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``authgate.W035``: DRF keys not imported, once an import ran (database tag)."""
    if not kwargs.get("databases") or not apps.is_installed("rest_framework.authtoken"):
        return []
    from authgate.core import opaque
    from authgate.schemes.tokens.models import APIToken

    drf = APIToken.objects.filter(token_format=APIToken.Format.DRF)
    try:
        if not drf.exists():
            return []  # nothing imported yet: the guide's first step is still ahead
        keys = list(
            apps.get_model("authtoken", "Token")._default_manager.values_list("key", flat=True)
        )
        late = 0
        for start in range(0, len(keys), 500):
            digests = [opaque.digest(key) for key in keys[start : start + 500]]
            late += len(digests) - drf.filter(digest__in=digests).count()
    except DatabaseError:  # not migrated yet
        return []
    if not late:
        return []
    return [
        Warning(
            f"{late} DRF key(s) were created after the last import-drf-tokens.",
            hint="They authenticate (each is imported on its first use while "
            "TOKEN_ACCEPT_DRF_KEYS is on), but something still creates DRF keys "
            "(obtain_auth_token, a post_save receiver): switch it to authgate's tokens, "
            "then run `manage.py authgate import-drf-tokens` again.",
            id="authgate.W035",
        )
    ]
