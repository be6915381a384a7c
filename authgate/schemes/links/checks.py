"""Checks for the magic-link settings (``authgate.E060`` to ``E070``, ``W060`` to ``W069``).

Each field is checked by its declaration (:class:`~authgate.schemes.links.settings.LinkSettings`);
the functions here are the rules that span fields, import something, or read the user model.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import FieldDoesNotExist
from django.utils.module_loading import import_string

from authgate.checks import check_fields, setting_value
from authgate.schemes.links.settings import FORMAT_INTERFACE, LinkSettings

__all__ = ["MIDDLEWARE_PATH", "check_link_settings"]

MIDDLEWARE_PATH = "authgate.schemes.links.middleware.LinkLoginMiddleware"


def check_link_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The fields, then what they name (formats, the key field, the packer) and how they
    combine."""
    messages, values = check_fields(LinkSettings)
    for rule in (
        _revocable,
        _formats,
        _key_field_and_packer,
        _token_name_clash,
        _one_time_rows,
        _middleware_order,
        _link_base,
    ):
        messages.extend(rule(values))
    return messages


def _revocable(values: dict[str, Any]) -> list[CheckMessage]:
    # As sesame refuses to start: such links could never be revoked by their user.
    if values.get("LINK_MAX_AGE", ...) is not None or values.get(
        "LINK_INVALIDATE_ON_PASSWORD_CHANGE", True
    ):
        return []
    return [
        Error(
            "Insecure magic-link settings: links that never expire and survive a "
            "password change could never be revoked by their user.",
            hint="Set AUTHGATE['LINK_MAX_AGE'] to a short duration, or set "
            "AUTHGATE['LINK_INVALIDATE_ON_PASSWORD_CHANGE'] to True.",
            id="authgate.E060",
        )
    ]


def _formats(values: dict[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for path in values.get("LINK_TOKENS", ()):
        try:
            module = importlib.import_module(path)
        except ImportError as exc:
            problem = f"does not import ({exc})"
        else:
            missing = [name for name in FORMAT_INTERFACE if not hasattr(module, name)]
            if not missing:
                continue
            problem = f"is not a link-token format (it lacks {', '.join(missing)})"
        messages.append(
            Error(
                f"AUTHGATE['LINK_TOKENS'] entry {path!r} {problem}.",
                hint="List modules like 'authgate.core.links_v1' that provide "
                + ", ".join(FORMAT_INTERFACE)
                + ".",
                id="authgate.E063",
            )
        )
    return messages


def _key_field_and_packer(values: dict[str, Any]) -> list[CheckMessage]:
    if "LINK_PRIMARY_KEY_FIELD" not in values or "LINK_PACKER" not in values:
        return []  # the field check said why
    field, packer_path = values["LINK_PRIMARY_KEY_FIELD"], values["LINK_PACKER"]
    problem = _key_field_problem(field)
    if problem:
        return [
            Error(
                f"AUTHGATE['LINK_PRIMARY_KEY_FIELD'] {field!r} {problem}",
                hint="Name a unique field of the user model, or 'pk'.",
                id="authgate.E065",
            )
        ]
    if packer_path is not None:
        try:
            packer = import_string(packer_path)
        except ImportError as exc:
            problem = f"{packer_path!r} does not import ({exc})"
        else:
            if all(hasattr(packer, name) for name in ("pack_pk", "unpack_pk")):
                return []
            problem = f"{packer_path!r} has no pack_pk / unpack_pk"
        return [
            Error(
                f"AUTHGATE['LINK_PACKER'] {problem}.",
                hint="Give the dotted path of a class with pack_pk(pk) -> bytes and "
                "unpack_pk(data) -> (pk, rest), or None for the built-in packers.",
                id="authgate.E064",
            )
        ]
    from authgate.users import packer_for_model

    try:
        packer_for_model(field=field)
    except ValueError as exc:
        return [
            Error(
                f"No link packer for AUTHGATE['LINK_PRIMARY_KEY_FIELD'] {field!r}: {exc}",
                hint="Set AUTHGATE['LINK_PACKER'] to a custom packer's dotted path.",
                id="authgate.E064",
            )
        ]
    return []


def _key_field_problem(field: str) -> str:
    """Why the user model's ``field`` cannot name a user in a link ("" if it can)."""
    if field == "pk":
        return ""
    model = get_user_model()
    try:
        model_field = model._meta.get_field(field)
    except FieldDoesNotExist:
        return f"is not a field of {model._meta.label}."
    if not getattr(model_field, "unique", False):
        return "is not unique."
    return ""


def _token_name_clash(values: dict[str, Any]) -> list[CheckMessage]:
    name = values.get("LINK_TOKEN_NAME")
    if name is None or name != setting_value("TOKEN_QUERY_PARAM"):
        return []
    return [
        Error(
            f"AUTHGATE['LINK_TOKEN_NAME'] {name!r} is also AUTHGATE['TOKEN_QUERY_PARAM'].",
            hint="Give magic links and API tokens different query parameters.",
            id="authgate.E068",
        )
    ]


def _one_time_rows(values: dict[str, Any]) -> list[CheckMessage]:
    if values.get("LINK_ONE_TIME") is not True or values.get("LINK_MAX_AGE", ...) is not None:
        return []
    return [
        Warning(
            "One-time links without AUTHGATE['LINK_MAX_AGE'] are remembered as used "
            "forever: the used-token table only grows.",
            hint="Set AUTHGATE['LINK_MAX_AGE'] so `authgate cleanup` can forget them.",
            id="authgate.W060",
        )
    ]


def _middleware_order(values: dict[str, Any]) -> list[CheckMessage]:
    middleware = list(getattr(django_settings, "MIDDLEWARE", None) or [])
    if MIDDLEWARE_PATH not in middleware:
        return []
    auth_path = "django.contrib.auth.middleware.AuthenticationMiddleware"
    if auth_path in middleware and middleware.index(MIDDLEWARE_PATH) > middleware.index(auth_path):
        return []
    return [
        Warning(
            f"{MIDDLEWARE_PATH} should come after Django's AuthenticationMiddleware.",
            hint="Without sessions and request.user before it, a link authenticates "
            "one request and the token is not removed from the URL.",
            id="authgate.W061",
        )
    ]


def _request_form_routes() -> list[str]:
    """Where the URLconf mounts :class:`~authgate.schemes.links.views.RequestLinkView`."""
    from authgate.schemes.links.views import RequestLinkView
    from authgate.urlviews import mounted_views, view_class

    try:
        views = list(mounted_views())
    except Exception:  # a broken URLconf: Django's own URL checks report it
        return []
    return [
        view.route
        for view in views
        if (cls := view_class(view.callback)) is not None and issubclass(cls, RequestLinkView)
    ]


def _link_base(values: dict[str, Any]) -> list[CheckMessage]:
    # A refused value is E070's to report (its key is then missing from ``values``).
    if values.get("LINK_BASE_URL", "") is not None or apps.is_installed("django.contrib.sites"):
        return []
    routes = _request_form_routes()
    if not routes:
        return []
    return [
        Warning(
            f"The request-a-link form ({routes[0]}) has no configured base for the links it "
            "e-mails: they point at the request's host, without its port.",
            hint="Set AUTHGATE['LINK_BASE_URL'] to the scheme, host and port users reach "
            "the site at, e.g. 'https://example.com', or install django.contrib.sites.",
            id="authgate.W062",
        )
    ]
