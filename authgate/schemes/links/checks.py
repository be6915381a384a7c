"""Checks for the magic-link settings (authgate.E060 to authgate.W069)."""

from __future__ import annotations

import importlib
import re
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import FieldDoesNotExist
from django.utils.module_loading import import_string

from authgate.conf import settings

__all__ = ["check_link_settings"]

# A query parameter name that needs no escaping in a URL.
_PARAM_RE = re.compile(r"[A-Za-z0-9_.~-]+")
_FORMAT_INTERFACE = ("PREFIX", "detect", "create", "parse", "verify", "token_id")
_BOOLEANS = (
    "LINK_ONE_TIME",
    "LINK_INVALIDATE_ON_LOGIN",
    "LINK_INVALIDATE_ON_PASSWORD_CHANGE",
    "LINK_INVALIDATE_ON_EMAIL_CHANGE",
)
MIDDLEWARE_PATH = "authgate.schemes.links.middleware.LinkLoginMiddleware"


def _max_age_ok(value: object) -> bool:
    from authgate.schemes.links.service import max_age_seconds

    try:
        max_age_seconds(value)
    except (TypeError, ValueError):
        return False
    return True


def _check_formats() -> list[Any]:
    paths = settings.LINK_TOKENS
    if (
        not isinstance(paths, (list, tuple))
        or not paths
        or not all(isinstance(p, str) for p in paths)
    ):
        return [
            Error(
                f"AUTHGATE['LINK_TOKENS'] must be a non-empty list of module paths, got {paths!r}.",
                hint="The default is ['authgate.core.links_v1']: new links use the first "
                "format, every listed format is accepted.",
                id="authgate.E062",
            )
        ]
    messages = []
    for path in paths:
        try:
            module = importlib.import_module(path)
        except ImportError as exc:
            problem = f"does not import ({exc})"
        else:
            missing = [name for name in _FORMAT_INTERFACE if not hasattr(module, name)]
            if not missing:
                continue
            problem = f"is not a link-token format (it lacks {', '.join(missing)})"
        messages.append(
            Error(
                f"AUTHGATE['LINK_TOKENS'] entry {path!r} {problem}.",
                hint="List modules like 'authgate.core.links_v1' that provide "
                + ", ".join(_FORMAT_INTERFACE)
                + ".",
                id="authgate.E063",
            )
        )
    return messages


def _check_key_field_and_packer() -> list[Any]:
    from authgate.users import packer_for_model

    field = settings.LINK_PRIMARY_KEY_FIELD
    packer_path = settings.LINK_PACKER
    model = get_user_model()
    if not isinstance(field, str) or not field:
        return [
            Error(
                f"AUTHGATE['LINK_PRIMARY_KEY_FIELD'] must be a field name, got {field!r}.",
                hint="The default is 'pk'.",
                id="authgate.E065",
            )
        ]
    if field != "pk":
        try:
            model_field = model._meta.get_field(field)
        except FieldDoesNotExist:
            return [
                Error(
                    f"AUTHGATE['LINK_PRIMARY_KEY_FIELD'] {field!r} is not a field of "
                    f"{model._meta.label}.",
                    hint="Name a unique field of the user model, or 'pk'.",
                    id="authgate.E065",
                )
            ]
        if not getattr(model_field, "unique", False):
            return [
                Error(
                    f"AUTHGATE['LINK_PRIMARY_KEY_FIELD'] {field!r} is not unique.",
                    hint="A link names its user by this field: it must be unique.",
                    id="authgate.E065",
                )
            ]
    if packer_path is not None:
        if not isinstance(packer_path, str):
            problem = f"must be None or a dotted path, got {packer_path!r}"
        else:
            try:
                packer = import_string(packer_path)
            except ImportError as exc:
                problem = f"{packer_path!r} does not import ({exc})"
            else:
                if not all(hasattr(packer, name) for name in ("pack_pk", "unpack_pk")):
                    problem = f"{packer_path!r} has no pack_pk / unpack_pk"
                else:
                    return []
        return [
            Error(
                f"AUTHGATE['LINK_PACKER'] {problem}.",
                hint="Give the dotted path of a class with pack_pk(pk) -> bytes and "
                "unpack_pk(data) -> (pk, rest), or None for the built-in packers.",
                id="authgate.E064",
            )
        ]
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


@register(Tags.security)
def check_link_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    max_age = settings.LINK_MAX_AGE
    if max_age is not None and not _max_age_ok(max_age):
        messages.append(
            Error(
                f"AUTHGATE['LINK_MAX_AGE'] must be None or a timedelta / number of seconds of "
                f"at least one second, got {max_age!r}.",
                hint="For example timedelta(minutes=15).",
                id="authgate.E061",
            )
        )
    if max_age is None and not settings.LINK_INVALIDATE_ON_PASSWORD_CHANGE:
        messages.append(
            Error(
                "Insecure magic-link settings: links that never expire and survive a "
                "password change could never be revoked by their user.",
                hint="Set AUTHGATE['LINK_MAX_AGE'] to a short duration, or set "
                "AUTHGATE['LINK_INVALIDATE_ON_PASSWORD_CHANGE'] to True.",
                id="authgate.E060",
            )
        )
    messages += _check_formats()
    messages += _check_key_field_and_packer()
    size = settings.LINK_SIGNATURE_SIZE
    if not isinstance(size, int) or isinstance(size, bool) or not 8 <= size <= 64:
        messages.append(
            Error(
                f"AUTHGATE['LINK_SIGNATURE_SIZE'] must be an integer from 8 to 64 (bytes), "
                f"got {size!r}.",
                hint="The default is 10 (80 bits), as in django-sesame.",
                id="authgate.E066",
            )
        )
    if not isinstance(settings.LINK_KEY, str):
        messages.append(
            Error(
                f"AUTHGATE['LINK_KEY'] must be a str, got {settings.LINK_KEY!r}.",
                hint="Change it (any string) to invalidate every outstanding link at once.",
                id="authgate.E067",
            )
        )
    name = settings.LINK_TOKEN_NAME
    if not isinstance(name, str) or not _PARAM_RE.fullmatch(name):
        messages.append(
            Error(
                f"AUTHGATE['LINK_TOKEN_NAME'] must be a plain parameter name (letters, digits, "
                f"'_', '.', '~', '-'), got {name!r}.",
                hint="The default is 'sesame'.",
                id="authgate.E068",
            )
        )
    elif name == settings.TOKEN_QUERY_PARAM:
        messages.append(
            Error(
                f"AUTHGATE['LINK_TOKEN_NAME'] {name!r} is also AUTHGATE['TOKEN_QUERY_PARAM'].",
                hint="Give magic links and API tokens different query parameters.",
                id="authgate.E068",
            )
        )
    for setting in _BOOLEANS:
        if not isinstance(getattr(settings, setting), bool):
            messages.append(
                Error(
                    f"AUTHGATE[{setting!r}] must be True or False.",
                    hint="See docs/links.md.",
                    id="authgate.E069",
                )
            )
    if settings.LINK_ONE_TIME is True and max_age is None:
        messages.append(
            Warning(
                "One-time links without AUTHGATE['LINK_MAX_AGE'] are remembered as used "
                "forever: the used-token table only grows.",
                hint="Set AUTHGATE['LINK_MAX_AGE'] so `authgate cleanup` can forget them.",
                id="authgate.W060",
            )
        )
    middleware = list(getattr(django_settings, "MIDDLEWARE", None) or [])
    if MIDDLEWARE_PATH in middleware:
        auth_path = "django.contrib.auth.middleware.AuthenticationMiddleware"
        if auth_path not in middleware or middleware.index(MIDDLEWARE_PATH) < middleware.index(
            auth_path
        ):
            messages.append(
                Warning(
                    f"{MIDDLEWARE_PATH} should come after Django's AuthenticationMiddleware.",
                    hint="Without sessions and request.user before it, a link authenticates "
                    "one request and the token is not removed from the URL.",
                    id="authgate.W061",
                )
            )
    return messages
