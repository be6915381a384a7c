"""System checks: the ``AUTHGATE`` settings, the chain and the middleware order.

:func:`check_settings` is the one registered check for the settings: ``AUTHGATE`` is a
dict, every key is known (a typo gets a "did you mean"), and each section
(:func:`authgate.conf.sections`: the built-in ones and those named by chain backends) runs
its own check, which validates its declared fields with :func:`check_fields` — one loop over
the field specs — and then the rules that span fields, as small named functions. IDs are
stable and documented: ``authgate.E0xx``/``W0xx`` for the chain and shared settings,
``E02x`` API tokens, ``E04x`` scoped tokens, ``E06x`` magic links, ``E08x`` OAuth, ``E10x``
HTTP Message Signatures.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from authgate.conf import ChainSettings, Section, sections

__all__ = [
    "check_backends",
    "check_chain_settings",
    "check_fields",
    "check_middleware",
    "check_settings",
    "setting_value",
]

MIDDLEWARE_PATH = "authgate.middleware.AuthgateMiddleware"


def _written() -> Mapping[str, Any]:
    value = getattr(django_settings, "AUTHGATE", None) or {}
    return value if isinstance(value, Mapping) else {}


def setting_value(key: str) -> Any:
    """``AUTHGATE[key]`` as written, else its default (for rules that read another
    section's key: that section's own check reports a bad value)."""
    written = _written()
    if key in written:
        return written[key]
    for section in sections():
        for _attribute, spec in section.specs():
            if spec.key == key:
                return spec.default
    raise KeyError(key)


def check_fields(
    section: type[Section], written: Mapping[str, Any] | None = None
) -> tuple[list[CheckMessage], dict[str, Any]]:
    """Every declared field of ``section``, checked by its kind: an ``Error`` with the
    field's id and hint for each refused value, and the converted values of the others
    (by ``AUTHGATE`` key) for the rules that span fields. ``written``: the values to check
    (default: ``AUTHGATE`` as written)."""
    written = _written() if written is None else written
    messages: list[CheckMessage] = []
    values: dict[str, Any] = {}
    for _attribute, spec in section.specs():
        try:
            values[spec.key] = spec.kind(written.get(spec.key, spec.default))
        except ValueError as exc:
            messages.append(Error(f"AUTHGATE[{spec.key!r}] {exc}", hint=spec.help, id=spec.check))
    return messages, values


def check_section(section: type[Section]) -> list[CheckMessage]:
    """``section``'s own check if it names one, else its fields alone."""
    if section.checks:
        return list(import_string(section.checks)())
    return check_fields(section)[0]


@register(Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``AUTHGATE`` is a dict of known keys, and each section's check passes."""
    user_settings = getattr(django_settings, "AUTHGATE", {})
    if not isinstance(user_settings, dict):
        return [
            Error(
                "AUTHGATE must be a dict.",
                hint="Set AUTHGATE = {...} with keys from authgate.conf.DEFAULTS.",
                id="authgate.E001",
            )
        ]
    found = sections()
    known = [spec.key for section in found for _attribute, spec in section.specs()]
    messages: list[CheckMessage] = []
    for key in user_settings:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            messages.append(
                Warning(
                    f"AUTHGATE[{key!r}] is not an authgate setting and is ignored.",
                    hint=f"Did you mean {close[0]!r}?" if close else "See authgate.conf.DEFAULTS.",
                    id="authgate.W001",
                )
            )
    checked: set[str] = set()
    for section in found:
        if section.checks and section.checks in checked:
            continue  # sections sharing one check run it once
        checked.add(section.checks)
        messages.extend(check_section(section))
    return messages


def check_chain_settings() -> list[CheckMessage]:
    """The chain's fields, the cache alias (and where rate limits are counted), and the
    unauthenticated user."""
    messages, values = check_fields(ChainSettings)
    cache = values["CACHE"]
    if cache not in django_settings.CACHES:
        messages.append(
            Error(
                f"AUTHGATE['CACHE'] names the cache {cache!r}, which is not in CACHES.",
                hint="Name one of the aliases in the CACHES setting.",
                id="authgate.E005",
            )
        )
    elif (
        values.get("LOGIN_LIMIT_RATE")
        and not django_settings.DEBUG
        and "LocMemCache" in django_settings.CACHES[cache].get("BACKEND", "")
    ):
        messages.append(
            Warning(
                "Login rate limits are counted in a per-process LocMemCache.",
                hint="With several workers each counts alone; use a shared cache such as "
                "Django's RedisCache.",
                id="authgate.W002",
            )
        )
    factory = values["UNAUTHENTICATED_USER"]
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
def check_backends(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every entry of ``BACKENDS`` imports and is a Backend subclass (the list itself is
    the field check's, ``authgate.E002``)."""
    from authgate.backend import Backend

    paths = setting_value("BACKENDS")
    if not isinstance(paths, list | tuple) or not all(isinstance(p, str) for p in paths):
        return []
    messages: list[CheckMessage] = []
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
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The middleware must run after sessions and Django's authentication."""
    middleware = list(getattr(django_settings, "MIDDLEWARE", None) or [])
    if MIDDLEWARE_PATH not in middleware:
        return []
    position = middleware.index(MIDDLEWARE_PATH)
    messages: list[CheckMessage] = []
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
