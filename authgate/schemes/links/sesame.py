"""Switching from django-sesame: its settings read as aliases, its links accepted for a while.

**Settings.** Every ``SESAME_*`` setting that has a ``LINK_*`` twin is read as that twin
when ``AUTHGATE`` does not set it (:data:`ALIASES`), so a project that still says
``SESAME_MAX_AGE = 300`` gets links that expire after five minutes. Both set and different
is a system check error (``authgate.E075``); a ``SESAME_*`` setting authgate has no use for
(``SESAME_TOKENS``, the v1 settings, a misspelling) is an error naming it (``authgate.E076``):
none is ever silently ignored. ``check --deploy`` lists the aliases in use
(``authgate.W075``): rename them.

**Links django-sesame issued.** With ``AUTHGATE["LINK_ACCEPT_SESAME_TOKENS"] = True`` a
django-sesame v2 token (:mod:`authgate.core.sesame_v2`) is accepted wherever a link is,
verified with django-sesame's own rules under the same settings: its signing keys
(``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``, ``LINK_KEY``/``SESAME_KEY``), its packers,
max age, scopes, and revocation (password, e-mail, and for one-time links the last login,
which logging in through the link changes). A one-time link is also recorded as used, so it
works exactly once. Each such use is logged at INFO and answered with
:data:`DEPRECATED_HEADER` where authgate writes the response. Turn the setting off once the
longest-lived link django-sesame sent has expired: from then on those links are refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string

from authgate.core import sesame_v2
from authgate.core.sesame_packers import BasePacker, packer_for_field_type
from authgate.schemes.links.sesame_settings import ALIASES, sesame_settings

if TYPE_CHECKING:
    from authgate.schemes.links.settings import LinkSettings

__all__ = [
    "DEPRECATED_HEADER",
    "SETTING_NAMES",
    "check",
    "conflicts",
    "current_packer",
    "revocation",
    "sesame_packer",
    "setting",
    "verification_keys",
]

logger = logging.getLogger(__name__)

#: The response header of a request authenticated by a link django-sesame issued.
DEPRECATED_HEADER = "X-Link-Deprecated"
DEPRECATED_TEXT = "This link was issued by django-sesame and will stop working. Ask for a new one."


def conflicts(written: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(SESAME_X, LINK_X)`` for each pair set to different values."""
    from authgate.schemes.links.settings import LinkSettings

    present = sesame_settings()
    kinds = {spec.key: spec.kind for _attribute, spec in LinkSettings.specs()}
    found = []
    for key, alias in ALIASES.items():
        if (
            key in written
            and alias in present
            and _converted(kinds[key], written[key]) != _converted(kinds[key], present[alias])
        ):
            found.append((alias, key))
    return found


def _converted(kind: Any, value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        return ("unreadable", repr(value))


def sesame_packer(cfg: LinkSettings) -> BasePacker:
    """The packer django-sesame used for this project's links (its own packers: a custom
    ``LINK_PACKER`` / ``SESAME_PACKER`` is the same class for both)."""
    if cfg.packer_path:
        packer = import_string(cfg.packer_path)
        return packer() if isinstance(packer, type) else packer  # type: ignore[no-any-return]
    model = get_user_model()
    field = cfg.primary_key_field
    key_field = model._meta.pk if field == "pk" else model._meta.get_field(field)
    return packer_for_field_type(key_field.get_internal_type())  # type: ignore[union-attr]


def verification_keys(cfg: LinkSettings) -> tuple[bytes, ...]:
    """django-sesame's signing key and one per ``SECRET_KEY_FALLBACKS`` entry."""
    secrets = [
        django_settings.SECRET_KEY,
        *(getattr(django_settings, "SECRET_KEY_FALLBACKS", None) or []),
    ]
    return sesame_v2.verification_keys(
        secrets,
        key=cfg.key,
        timestamped=cfg.timestamped,
        packer_path=cfg.packer_path,
        primary_key_field=cfg.primary_key_field,
    )


def revocation(user: Any, cfg: LinkSettings) -> bytes:
    """django-sesame's revocation value of ``user`` under these settings."""
    password = user.password if cfg.invalidate_on_password_change else None
    email = None
    if cfg.invalidate_on_email_change:
        email = str(getattr(user, get_user_model().get_email_field_name(), "") or "")
    last_login = None
    if cfg.one_time and getattr(user, "last_login", None) is not None:
        last_login = user.last_login.isoformat()
    return sesame_v2.revocation_key(password=password, email=email, last_login=last_login)


#: django-sesame's ``sesame.settings`` names → :class:`LinkSettings` attributes.
SETTING_NAMES: Mapping[str, str] = {
    "TOKEN_NAME": "token_name",
    "MAX_AGE": "max_age_seconds",
    "ONE_TIME": "one_time",
    "INVALIDATE_ON_PASSWORD_CHANGE": "invalidate_on_password_change",
    "INVALIDATE_ON_EMAIL_CHANGE": "invalidate_on_email_change",
    "PACKER": "packer_path",
    "PRIMARY_KEY_FIELD": "primary_key_field",
    "KEY": "key",
    "SIGNATURE_SIZE": "signature_size",
}


def setting(name: str) -> Any:
    """The value in force of django-sesame's setting ``name`` (``"MAX_AGE"``: seconds),
    as ``sesame.settings.<name>`` gave it; ``AttributeError`` for other names."""
    from authgate.schemes.links.settings import link_settings

    try:
        return getattr(link_settings(), SETTING_NAMES[name])
    except KeyError:
        raise AttributeError(f"django-sesame has no setting {name!r} authgate reads") from None


def current_packer() -> BasePacker:
    """django-sesame's packer for this project's links (``sesame.packers.packer``)."""
    from authgate.schemes.links.settings import link_settings

    return sesame_packer(link_settings())


def _named(key: str) -> str:
    """How the project wrote the setting ``key``: ``AUTHGATE['LINK_X']`` or ``SESAME_X``."""
    written = getattr(django_settings, "AUTHGATE", None) or {}
    if key not in written and ALIASES[key] in sesame_settings():
        return ALIASES[key]
    return f"AUTHGATE[{key!r}]"


def check() -> None:
    """django-sesame's ``settings.check()``: ``ImproperlyConfigured`` for the two
    configurations it refuses, in its words, naming the settings as the project wrote them
    (the system checks ``authgate.E060`` and ``authgate.E077`` report the same)."""
    from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured

    from authgate.schemes.links.settings import link_settings

    cfg = link_settings()
    if cfg.max_age is None and not cfg.invalidate_on_password_change:
        raise ImproperlyConfigured(
            f"insecure configuration: set {_named('LINK_MAX_AGE')} to a low value "
            f"or set {_named('LINK_INVALIDATE_ON_PASSWORD_CHANGE')} to True"
        )
    if cfg.invalidate_on_email_change:
        model = get_user_model()
        try:
            model._meta.get_field(model.get_email_field_name())
        except FieldDoesNotExist:
            raise ImproperlyConfigured(
                "invalid configuration: set User.EMAIL_FIELD correctly "
                f"or set {_named('LINK_INVALIDATE_ON_EMAIL_CHANGE')} to False"
            ) from None
