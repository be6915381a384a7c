"""authgate's settings: one ``AUTHGATE = {...}`` dict, read as typed sections built once.

Each area reads its own *section*, a frozen dataclass: the chain's is here
(:class:`ChainSettings`, :func:`chain_settings`), each credential kind's in its folder
(``authgate/schemes/<kind>/settings.py``). A section declares each of its ``AUTHGATE`` keys
with :func:`~authgate.core.specs.setting` (default, kind, system check id) and is built from
``settings.AUTHGATE`` the first time its accessor is called: every value checked and
converted once (durations become ``timedelta``). Django's ``setting_changed`` for
``AUTHGATE``, ``SECRET_KEY``, ``SECRET_KEY_FALLBACKS``, ``AUTH_USER_MODEL`` or a
``SESAME_*`` setting drops every section, so ``override_settings(AUTHGATE=...)`` just works.
On the request path a setting is one call of the accessor (the cached object) and one
attribute read.

A value its declaration refuses raises ``ImproperlyConfigured`` naming the key and its
system check; ``manage.py check`` reports all of them at once (:mod:`authgate.checks`).

The user-facing dict keeps its flat keys, listed with their defaults in :data:`DEFAULTS`
(generated from the built-in :data:`SECTIONS`). Settings marked *format* in the sections
change the shape or the keys of issued tokens: changing them invalidates outstanding tokens
of that kind (the docs say which).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Self, TypeVar

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from authgate.core.policy import SCOPE_RE
from authgate.core.specs import (
    Integer,
    Rate,
    SettingError,
    Spec,
    Table,
    Texts,
    Truthy,
    setting,
    specs_of,
)

__all__ = [
    "DEFAULTS",
    "SECTIONS",
    "ChainSettings",
    "Section",
    "accessor",
    "chain_settings",
    "django_setting",
    "on_reload",
    "sections",
    "user_settings",
]

#: The built-in sections, in the order the docs list them (dotted paths: each kind's
#: section lives in its folder, which imports this module).
SECTIONS = (
    "authgate.conf.ChainSettings",
    "authgate.schemes.tokens.settings.TokenSettings",
    "authgate.schemes.scoped.settings.ScopedSettings",
    "authgate.schemes.links.settings.LinkSettings",
    "authgate.schemes.oauth.settings.OAuthSettings",
    "authgate.dpop_settings.DPoPSettings",
    "authgate.schemes.httpsig.settings.HTTPSigSettings",
    "authgate.leaks.settings.LeakSettings",
)

#: Every built-in key and its default (generated from :data:`SECTIONS` on first use).
DEFAULTS: Mapping[str, Any]


_reload_callbacks: list[Callable[[], Any]] = []


def on_reload(callback: Any) -> Any:
    """Register ``callback`` to run whenever authgate's settings change (decorator)."""
    _reload_callbacks.append(callback)
    return callback


def user_settings() -> dict[str, Any]:
    """``settings.AUTHGATE`` as written (a copy; ``{}`` when unset)."""
    value = getattr(django_settings, "AUTHGATE", None) or {}
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured("AUTHGATE must be a dict (system check authgate.E001).")
    return dict(value)


class Section:
    """Base of a settings section: subclass it as ``@dataclass(frozen=True, slots=True)``.

    Fields declared with :func:`~authgate.core.specs.setting` are read from ``AUTHGATE``;
    any other field is computed by :meth:`derive` from those (declare them first: every
    field is a required argument, and type checkers see a declared field as defaulted).
    """

    __slots__ = ()

    #: Dotted path of the section's system check, ``() -> list[CheckMessage]``: it runs
    #: ``authgate.checks.check_fields`` and the section's rules that span fields. Empty:
    #: authgate's own check validates the declared fields alone.
    checks: ClassVar[str] = ""

    @classmethod
    def specs(cls) -> tuple[tuple[str, Spec], ...]:
        """``(attribute, spec)`` for each declared ``AUTHGATE`` key, in declaration order."""
        return specs_of(cls)

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> Self:
        """The section for the ``AUTHGATE`` dict ``values`` (defaults for missing keys)."""
        converted: dict[str, Any] = {}
        for attribute, spec in cls.specs():
            try:
                converted[attribute] = spec.kind(values.get(spec.key, spec.default))
            except SettingError as exc:
                raise ImproperlyConfigured(
                    f"AUTHGATE[{spec.key!r}] {exc} (system check {spec.check})"
                ) from None
        converted.update(cls.derive(converted))
        return cls(**converted)

    @classmethod
    def derive(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Fields computed from the converted ones (modules imported, a model field
        resolved): done once per build. None by default."""
        return {}


S = TypeVar("S", bound=Section)


def accessor(section: type[S]) -> Callable[[], S]:
    """A function returning ``section`` for the current settings: built on the first call,
    then the same object until a setting changes."""
    current: S | None = None

    def get() -> S:
        nonlocal current
        if current is None:
            current = section.build(user_settings())
        return current

    def forget() -> None:
        nonlocal current
        current = None

    on_reload(forget)
    get.__doc__ = f"The current :class:`{section.__module__}.{section.__qualname__}`."
    return get


@dataclass(frozen=True, slots=True)
class ChainSettings(Section):
    """The chain and what its schemes share (docs/reference.md#the-chain)."""

    checks = "authgate.checks.check_chain_settings"

    #: Ordered dotted paths of Backend classes; the first that recognises its credentials
    #: wins.
    backends: tuple[str, ...] = setting(
        "BACKENDS",
        ["authgate.schemes.session.SessionBackend", "authgate.schemes.basic.BasicBackend"],
        Texts(description="a non-empty list of dotted paths"),
        check="authgate.E002",
    )
    #: Dotted path (or the callable itself) building request.user when no backend
    #: authenticates; None sets request.user to None (authgate.E006).
    unauthenticated_user: Any = setting(
        "UNAUTHENTICATED_USER", "django.contrib.auth.models.AnonymousUser"
    )
    #: The realm named in Basic (and Bearer) challenges.
    realm: str = setting("REALM", "api")
    #: Authorization headers longer than this are refused before any parsing (bytes).
    max_header_length: int = setting(
        "MAX_HEADER_LENGTH", 4096, Integer(minimum=64), check="authgate.E004"
    )
    #: Passwords longer than this are refused before hashing (denial-of-service guard).
    max_password_length: int = setting(
        "MAX_PASSWORD_LENGTH", 1024, Integer(minimum=64), check="authgate.E004"
    )
    #: The Django cache alias for rate-limit counters (and the token cache, nonces):
    #: authgate.E005 when it is not in CACHES.
    cache: str = setting("CACHE", "default")
    #: Password logins allowed per client IP and per username in any sliding period,
    #: "<count>/<s|m|h|d>", counted before the check (a success gives its count back:
    #: authgate.ratelimit); None disables the limit.
    login_limit_rate: str | None = setting(
        "LOGIN_LIMIT_RATE",
        "5/m",
        Rate(),
        check="authgate.E003",
        hint="Use '<count>/<s|m|h|d>', e.g. '5/m', or None to disable.",
    )
    #: META key of a header set by a trusted proxy with the client IP (e.g.
    #: "HTTP_X_FORWARDED_FOR"); None uses REMOTE_ADDR. Only behind a proxy you run.
    client_ip_header: str | None = setting("CLIENT_IP_HEADER", None)
    #: Loggers that get authgate.log.RedactSecretsFilter when Django starts (their
    #: records hold request URLs: runserver's and the servers' access logs, Django's
    #: request log); [] opts out (authgate.log.install_redaction).
    redact_loggers: tuple[str, ...] = setting(
        "REDACT_LOGGERS",
        ["django.server", "django.request", "gunicorn.access", "uvicorn.access"],
        Texts(empty=True, description="a list of logger names"),
        check="authgate.E008",
        hint="The default masks runserver's, gunicorn's and uvicorn's access logs and "
        "django.request; [] installs nothing.",
    )
    #: The hot-path tricks of authgate._speed (compiled token and user lookups, token rows
    #: kept per process, the raw query-string scan). False: the plain ORM paths and
    #: Django's cache API, same answers in more time. They are also skipped, with one INFO
    #: log line, on a Django whose internals they do not know (authgate._speed.guard).
    #: Registered scopes, {"name": "human description"}: what credentials of every kind
    #: (API tokens, the scoped tokens and links they mint, OAuth's mapped scopes) may carry.
    scopes: Mapping[str, str] = setting(
        "SCOPES",
        {},
        Table(SCOPE_RE, description="a dict mapping scope names to descriptions"),
        check="authgate.E026",
        hint="Names are lowercase words like 'notes' or 'notes:read'.",
    )
    fast_paths: bool = setting("FAST_PATHS", True, Truthy())


chain_settings = accessor(ChainSettings)


def sections() -> tuple[type[Section], ...]:
    """The built-in sections, then the section of each chain backend that names one
    (``Backend.settings_section``): every ``AUTHGATE`` key this deployment can read."""
    found: list[type[Section]] = [import_string(path) for path in SECTIONS]
    written = getattr(django_settings, "AUTHGATE", None) or {}
    paths = written.get("BACKENDS") if isinstance(written, Mapping) else None
    for path in paths if isinstance(paths, list | tuple) else ():
        try:
            backend = import_string(path)
        except (ImportError, TypeError, ValueError, AttributeError):
            continue  # the chain's check (authgate.E002) reports it
        section = getattr(backend, "settings_section", None)
        if isinstance(section, type) and issubclass(section, Section) and section not in found:
            found.append(section)
    return tuple(found)


def __getattr__(name: str) -> Any:
    # PEP 562: DEFAULTS imports every built-in section, which import this module.
    if name == "DEFAULTS":
        defaults = MappingProxyType(
            {
                spec.key: spec.default
                for path in SECTIONS
                for _attribute, spec in import_string(path).specs()
            }
        )
        globals()["DEFAULTS"] = defaults
        return defaults
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Where ``django.conf.settings`` keeps the values it has resolved (it empties it whenever
#: a setting changes); reading it skips ``LazyObject.__getattribute__`` (~0.25 µs).
_RESOLVED_DJANGO_SETTINGS: dict[str, Any] = object.__getattribute__(django_settings, "__dict__")


def django_setting(name: str) -> Any:
    """``getattr(django.conf.settings, name)``, cheaper: for settings read on every request."""
    value = _RESOLVED_DJANGO_SETTINGS.get(name, _RESOLVED_DJANGO_SETTINGS)
    return getattr(django_settings, name) if value is _RESOLVED_DJANGO_SETTINGS else value


@receiver(setting_changed)
def _reload_settings(*, setting: str, **kwargs: Any) -> None:
    # SESAME_*: django-sesame's settings are read as aliases of the LINK_* ones.
    if setting in {
        "AUTHGATE",
        "SECRET_KEY",
        "SECRET_KEY_FALLBACKS",
        "AUTH_USER_MODEL",
    } or setting.startswith("SESAME_"):
        for callback in _reload_callbacks:
            callback()
