"""Checks for the magic-link settings (``authgate.E060`` to ``E070``, ``W060`` to ``W069``,
``E075`` to ``W075``).

Each field is checked by its declaration (:class:`~authgate.schemes.links.settings.LinkSettings`);
the functions here are the rules that span fields, import something, or read the user model.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import FieldDoesNotExist
from django.utils.module_loading import import_string

from authgate.checks import check_fields, setting_value
from authgate.schemes.links import sesame, sesame_settings
from authgate.schemes.links.settings import FORMAT_INTERFACE, LinkSettings

__all__ = ["MIDDLEWARE_PATH", "check_link_settings", "check_sesame_aliases"]

MIDDLEWARE_PATH = "authgate.schemes.links.middleware.LinkLoginMiddleware"


def check_link_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The fields, then what they name (formats, the key field, the packer) and how they
    combine."""
    written = _written()
    messages, values = check_fields(LinkSettings, sesame_settings.with_aliases(written))
    messages.extend(_sesame_settings(written))
    for rule in (
        _revocable,
        _email_field,
        _formats,
        _key_field_and_packer,
        _token_name_clash,
        _one_time_rows,
        _middleware_order,
        _link_base,
    ):
        messages.extend(rule(values))
    return messages


def _written() -> Mapping[str, Any]:
    value = getattr(django_settings, "AUTHGATE", None) or {}
    return value if isinstance(value, Mapping) else {}


def _sesame_settings(written: Mapping[str, Any]) -> list[CheckMessage]:
    """No ``SESAME_*`` setting is ignored: each one either is read as its ``LINK_*`` twin
    (and agrees with it, if both are set) or stops the project here."""
    messages: list[CheckMessage] = [
        Error(
            f"{alias} and AUTHGATE[{key!r}] are both set, to different values.",
            hint=f"authgate reads {alias} as AUTHGATE[{key!r}]: keep one of them "
            f"(AUTHGATE[{key!r}]), with the value you mean.",
            id="authgate.E075",
        )
        for alias, key in sesame.conflicts(written)
    ]
    messages.extend(
        Error(
            f"{name} is a django-sesame setting that authgate does not read.",
            hint=f"{advice[0].upper()}{advice[1:]}. See docs/howto/migrate.md.",
            id="authgate.E076",
        )
        for name, advice in sesame_settings.leftover_settings()
    )
    return messages


@register(Tags.security, deploy=True)
def check_sesame_aliases(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy`` names every django-sesame setting read as its ``LINK_*`` twin."""
    return [
        Warning(
            f"{alias} duplicates AUTHGATE[{key!r}]."
            if duplicated
            else f"{alias} is read as AUTHGATE[{key!r}] (django-sesame's name).",
            hint=f"Remove {alias}."
            if duplicated
            else f"Rename it: move the value to AUTHGATE[{key!r}] and remove {alias}.",
            id="authgate.W075",
        )
        for alias, key, duplicated in sesame_settings.aliases_in_use(_written())
    ]


def _email_field(values: dict[str, Any]) -> list[CheckMessage]:
    # As sesame refuses to start: the e-mail would be read from a field that is not there.
    if values.get("LINK_INVALIDATE_ON_EMAIL_CHANGE") is not True:
        return []
    model = get_user_model()
    try:
        model._meta.get_field(model.get_email_field_name())
    except FieldDoesNotExist:
        return [
            Error(
                f"AUTHGATE['LINK_INVALIDATE_ON_EMAIL_CHANGE'] is on, but {model._meta.label} "
                f"has no e-mail field {model.get_email_field_name()!r}.",
                hint="Set EMAIL_FIELD on the user model to its e-mail field, or set "
                "AUTHGATE['LINK_INVALIDATE_ON_EMAIL_CHANGE'] to False.",
                id="authgate.E077",
            )
        ]
    return []


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
