"""django-sesame's settings as authgate reads them: each ``SESAME_*`` setting with a
``LINK_*`` twin is read as that twin when ``AUTHGATE`` does not set it; the others are
reported (see :mod:`authgate.schemes.links.sesame` for the rest of the switch).

Read while the link settings are built, so nothing here reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings as django_settings

__all__ = [
    "ALIASES",
    "UNSUPPORTED",
    "aliases_in_use",
    "leftover_settings",
    "sesame_settings",
    "with_aliases",
]

#: ``AUTHGATE`` key → the django-sesame setting read in its place when it is not set.
ALIASES: Mapping[str, str] = {
    "LINK_TOKEN_NAME": "SESAME_TOKEN_NAME",
    "LINK_MAX_AGE": "SESAME_MAX_AGE",
    "LINK_ONE_TIME": "SESAME_ONE_TIME",
    "LINK_INVALIDATE_ON_PASSWORD_CHANGE": "SESAME_INVALIDATE_ON_PASSWORD_CHANGE",
    "LINK_INVALIDATE_ON_EMAIL_CHANGE": "SESAME_INVALIDATE_ON_EMAIL_CHANGE",
    "LINK_PRIMARY_KEY_FIELD": "SESAME_PRIMARY_KEY_FIELD",
    "LINK_PACKER": "SESAME_PACKER",
    "LINK_KEY": "SESAME_KEY",
    "LINK_SIGNATURE_SIZE": "SESAME_SIGNATURE_SIZE",
}

#: django-sesame settings authgate has no twin for, and what to do instead.
UNSUPPORTED: Mapping[str, str] = {
    "SESAME_TOKENS": "remove it: new links are authgate's (AUTHGATE['LINK_TOKENS']); links "
    "django-sesame issued are read with AUTHGATE['LINK_ACCEPT_SESAME_TOKENS'] = True",
    "SESAME_SALT": "remove it: django-sesame's v1 tokens are not read",
    "SESAME_DIGEST": "remove it: django-sesame's v1 tokens are not read",
    "SESAME_ITERATIONS": "remove it: django-sesame's v1 tokens are not read",
}


def sesame_settings() -> dict[str, Any]:
    """The ``SESAME_*`` settings the project sets, by name."""
    return {
        name: getattr(django_settings, name)
        for name in dir(django_settings)
        if name.startswith("SESAME_")
    }


def with_aliases(written: Mapping[str, Any]) -> dict[str, Any]:
    """``AUTHGATE`` as written, plus the value of each aliased ``SESAME_*`` setting whose
    twin it does not set."""
    merged = dict(written)
    present = sesame_settings()
    for key, alias in ALIASES.items():
        if key not in merged and alias in present:
            merged[key] = present[alias]
    return merged


def aliases_in_use(written: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """``(SESAME_X, LINK_X, duplicated)`` for each django-sesame setting the project still
    sets: read as its twin, or (``duplicated``) the twin is set too."""
    present = sesame_settings()
    return [(alias, key, key in written) for key, alias in ALIASES.items() if alias in present]


def leftover_settings() -> list[tuple[str, str]]:
    """``(SESAME_X, what to do)`` for each ``SESAME_*`` setting authgate does not read."""
    aliases = set(ALIASES.values())
    return [
        (name, UNSUPPORTED.get(name, "it is not a django-sesame setting authgate reads"))
        for name in sorted(sesame_settings())
        if name not in aliases
    ]
