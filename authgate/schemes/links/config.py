"""The magic-link settings, resolved once per settings change (:func:`config`)."""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from authgate.conf import on_reload, settings
from authgate.core.packers import Packer
from authgate.core.signed import TokenFormat
from authgate.users import packer_for_model

__all__ = [
    "FORMAT_INTERFACE",
    "LinkClaimsLike",
    "LinkConfig",
    "LinkFormat",
    "config",
    "max_age_seconds",
]

#: What a link-token format module must provide (``authgate.core.links_v1`` does).
FORMAT_INTERFACE = ("PREFIX", "detect", "create", "parse", "verify", "token_id")


class LinkClaimsLike(Protocol):
    """What a format's ``parse`` returns, as far as :func:`.service.check_token` reads it
    (``authgate.core.links_v1.LinkClaims`` is one)."""

    @property
    def user_pk(self) -> Any: ...

    @property
    def timestamp(self) -> int | None: ...


@runtime_checkable
class LinkFormat(TokenFormat, Protocol):
    """A link-token format module: the names of :data:`FORMAT_INTERFACE`, typed.

    ``parse``/``verify`` take format-specific keyword arguments (see
    ``authgate.core.links_v1``); ``verify`` answers ``"ok"``, ``"invalid"`` or ``"expired"``.
    """

    @property
    def parse(self) -> Callable[..., LinkClaimsLike | None]: ...

    @property
    def verify(self) -> Callable[..., str]: ...

    def token_id(self, token: str) -> str: ...


def max_age_seconds(value: object, name: str = "max_age") -> int:
    """A max age (``timedelta`` or a number of seconds) as whole seconds, at least 1."""
    if isinstance(value, timedelta):
        seconds: float = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value
    else:
        raise TypeError(
            f"{name} must be a timedelta or a number of seconds, not {type(value).__name__}"
        )
    if not math.isfinite(seconds) or seconds < 1:
        raise ValueError(f"{name} must be at least one second, got {value!r}")
    return int(seconds)


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """The link settings, resolved once (and again whenever settings change)."""

    formats: tuple[LinkFormat, ...]
    packer: Packer
    field: str
    token_name: str
    #: ``LINK_MAX_AGE`` in seconds; ``None`` means untimestamped tokens that never expire.
    max_age: int | None
    one_time: bool
    key: str
    signature_size: int
    password: bool
    email: bool
    on_login: bool

    @property
    def timestamped(self) -> bool:
        return self.max_age is not None


def _load_format(path: str) -> LinkFormat:
    module = importlib.import_module(path)
    missing = [name for name in FORMAT_INTERFACE if not hasattr(module, name)]
    # LinkFormat's members are FORMAT_INTERFACE: the isinstance() only tells the type checker.
    if missing or not isinstance(module, LinkFormat):
        raise ImportError(f"{path} is not a link-token format: it lacks {', '.join(missing)}")
    return module


@functools.cache
def config() -> LinkConfig:
    """The current :class:`LinkConfig` (``ImproperlyConfigured``-style errors are raised
    as ``ImportError`` / ``TypeError`` / ``ValueError``; the system checks catch them first)."""
    formats = tuple(_load_format(path) for path in settings.LINK_TOKENS)
    if not formats:
        raise ValueError("AUTHGATE['LINK_TOKENS'] must list at least one format")
    max_age = settings.LINK_MAX_AGE
    return LinkConfig(
        formats=formats,
        packer=packer_for_model(field=settings.LINK_PRIMARY_KEY_FIELD, custom=settings.LINK_PACKER),
        field=settings.LINK_PRIMARY_KEY_FIELD,
        token_name=settings.LINK_TOKEN_NAME,
        max_age=None if max_age is None else max_age_seconds(max_age, "LINK_MAX_AGE"),
        one_time=bool(settings.LINK_ONE_TIME),
        key=settings.LINK_KEY,
        signature_size=settings.LINK_SIGNATURE_SIZE,
        password=bool(settings.LINK_INVALIDATE_ON_PASSWORD_CHANGE),
        email=bool(settings.LINK_INVALIDATE_ON_EMAIL_CHANGE),
        on_login=bool(settings.LINK_INVALIDATE_ON_LOGIN),
    )


on_reload(config.cache_clear)
