"""System checks: the chain, the shared settings and the middleware order.

Each credential kind registers its own checks from its folder (``schemes/<kind>/checks.py``);
they are imported at the end of this module, which ``AuthgateConfig.ready`` imports. IDs are
stable and documented: ``authgate.E0xx``/``W0xx`` for the chain and settings, ``E02x`` API
tokens, ``E04x`` scoped tokens, ``E06x`` magic links, ``E08x`` OAuth, ``E10x`` HTTP Message
Signatures.
"""

from __future__ import annotations

import difflib
from typing import Any

from django.conf import settings as django_settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from authgate.conf import DEFAULTS, settings
from authgate.ratelimit import parse_rate

__all__ = ["check_backends", "check_middleware", "check_settings"]

MIDDLEWARE_PATH = "authgate.middleware.AuthgateMiddleware"


@register(Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Unknown keys (typos), and values of the wrong shape."""
    messages: list[Any] = []
    user_settings = getattr(django_settings, "AUTHGATE", {})
    if not isinstance(user_settings, dict):
        return [
            Error(
                "AUTHGATE must be a dict.",
                hint="Set AUTHGATE = {...} with keys from authgate.conf.DEFAULTS.",
                id="authgate.E001",
            )
        ]
    for key in user_settings:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(key, DEFAULTS, n=1)
            messages.append(
                Warning(
                    f"AUTHGATE[{key!r}] is not an authgate setting and is ignored.",
                    hint=f"Did you mean {close[0]!r}?" if close else "See authgate.conf.DEFAULTS.",
                    id="authgate.W001",
                )
            )
    for name in ("LOGIN_LIMIT_RATE", "LINK_REQUEST_RATE"):
        value = getattr(settings, name)
        if value is None:
            continue
        try:
            parse_rate(value)
        except ValueError as exc:
            messages.append(
                Error(
                    f"AUTHGATE[{name!r}] is invalid: {exc}",
                    hint="Use '<count>/<s|m|h|d>', e.g. '5/m', or None to disable.",
                    id="authgate.E003",
                )
            )
    for name in ("MAX_HEADER_LENGTH", "MAX_PASSWORD_LENGTH"):
        value = getattr(settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 64:
            messages.append(
                Error(
                    f"AUTHGATE[{name!r}] must be an integer of at least 64, got {value!r}.",
                    hint=f"The default is {DEFAULTS[name]}.",
                    id="authgate.E004",
                )
            )
    if settings.CACHE not in django_settings.CACHES:
        messages.append(
            Error(
                f"AUTHGATE['CACHE'] names the cache {settings.CACHE!r}, which is not in CACHES.",
                hint="Name one of the aliases in the CACHES setting.",
                id="authgate.E005",
            )
        )
    elif (
        settings.LOGIN_LIMIT_RATE
        and not django_settings.DEBUG
        and "LocMemCache" in django_settings.CACHES[settings.CACHE].get("BACKEND", "")
    ):
        messages.append(
            Warning(
                "Login rate limits are counted in a per-process LocMemCache.",
                hint="With several workers each counts alone; use a shared cache such as "
                "Django's RedisCache.",
                id="authgate.W002",
            )
        )
    factory = settings.UNAUTHENTICATED_USER
    if isinstance(factory, str):
        try:
            import_string(factory)
        except ImportError as exc:
            messages.append(
                Error(
                    f"AUTHGATE['UNAUTHENTICATED_USER'] cannot be imported: {exc}",
                    hint="Give a dotted path to a callable, or None.",
                    id="authgate.E006",
                )
            )
    return messages


@register(Tags.security)
def check_backends(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Every entry of ``BACKENDS`` imports and is a Backend subclass."""
    from authgate.backend import Backend

    paths = settings.BACKENDS
    if not isinstance(paths, (list, tuple)) or not paths:
        return [
            Error(
                "AUTHGATE['BACKENDS'] must be a non-empty list of dotted paths.",
                hint=f"The default is {DEFAULTS['BACKENDS']!r}.",
                id="authgate.E002",
            )
        ]
    messages: list[Any] = []
    for path in paths:
        try:
            backend = import_string(path)
        except ImportError as exc:
            messages.append(
                Error(
                    f"AUTHGATE['BACKENDS'] entry {path!r} cannot be imported: {exc}",
                    hint=(
                        "Check the dotted path; built-in backends live in authgate.schemes, "
                        "e.g. authgate.schemes.tokens.backend.TokenBackend."
                    ),
                    id="authgate.E002",
                )
            )
            continue
        if not (isinstance(backend, type) and issubclass(backend, Backend)):
            messages.append(
                Error(
                    f"AUTHGATE['BACKENDS'] entry {path!r} is not an authgate Backend.",
                    hint="Subclass authgate.backend.Backend.",
                    id="authgate.E002",
                )
            )
    return messages


@register(Tags.security)
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """The middleware must run after sessions and Django's authentication."""
    middleware = list(getattr(django_settings, "MIDDLEWARE", None) or [])
    if MIDDLEWARE_PATH not in middleware:
        return []
    position = middleware.index(MIDDLEWARE_PATH)
    messages: list[Any] = []
    for required in (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ):
        if required in middleware and middleware.index(required) > position:
            messages.append(
                Error(
                    f"{MIDDLEWARE_PATH} must come after {required} in MIDDLEWARE.",
                    hint="Move authgate's middleware below Django's session and auth middleware.",
                    id="authgate.E007",
                )
            )
    return messages


# Each kind's checks register themselves when imported.
from authgate.schemes.httpsig import checks as httpsig_checks  # noqa: E402, F401
from authgate.schemes.links import checks as links_checks  # noqa: E402, F401
from authgate.schemes.oauth import checks as oauth_checks  # noqa: E402, F401
from authgate.schemes.scoped import checks as scoped_checks  # noqa: E402, F401
from authgate.schemes.tokens import checks as tokens_checks  # noqa: E402, F401
