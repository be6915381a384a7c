"""The ``OAUTH_*`` settings, normalised for the request path (durations as seconds)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model

from authgate.conf import settings

__all__ = ["audiences", "seconds", "setting_seconds", "typ_matches", "typ_values", "user_field"]


def seconds(value: Any) -> float:
    """A duration (``timedelta`` or a number of seconds) as seconds; ``ValueError`` else."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"expected seconds or a timedelta, got {value!r}")


def setting_seconds(name: str) -> float:
    """``AUTHGATE[name]`` in seconds (the system checks report a bad value)."""
    return seconds(getattr(settings, name))


def audiences() -> list[str]:
    """The accepted ``aud`` values (``OAUTH_AUDIENCE`` as a list)."""
    value = settings.OAUTH_AUDIENCE
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _normalise_typ(value: str) -> str:
    # RFC 7515 §4.1.9: media types are case-insensitive and "application/" may be omitted.
    value = value.lower()
    return value[len("application/") :] if value.startswith("application/") else value


def typ_values() -> frozenset[str] | None:
    """Accepted ``typ`` header values, normalised; ``None`` accepts any."""
    value = settings.OAUTH_TYP
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    return frozenset(_normalise_typ(v) for v in values)


def typ_matches(typ: object, accepted: frozenset[str]) -> bool:
    """Whether a token's ``typ`` header is one of ``accepted`` (see :func:`typ_values`)."""
    return isinstance(typ, str) and _normalise_typ(typ) in accepted


def user_field() -> str:
    """The user model field ``sub`` is matched against (``OAUTH_USER_FIELD``)."""
    return settings.OAUTH_USER_FIELD or get_user_model().USERNAME_FIELD
