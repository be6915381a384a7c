"""The magic-link settings (``LINK_*``, django-sesame's), converted once: :func:`link_settings`.

Besides the values as written, a built :class:`LinkSettings` holds what they resolve to: the
imported token-format modules and the packer of the user model's key field. See
docs/links.md; system checks ``authgate.E060`` to ``W061``
(:mod:`authgate.schemes.links.checks`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from authgate.conf import Section, accessor
from authgate.core.packers import Packer
from authgate.core.signed import TokenFormat
from authgate.core.specs import (
    QUERY_PARAM_RE,
    Boolean,
    Duration,
    Integer,
    Rate,
    Text,
    Texts,
    setting,
)

__all__ = [
    "FORMAT_INTERFACE",
    "LinkClaimsLike",
    "LinkFormat",
    "LinkSettings",
    "link_settings",
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


def load_format(path: str) -> LinkFormat:
    """The link-token format module at ``path``; ``ImportError`` if it is not one."""
    module = importlib.import_module(path)
    missing = [name for name in FORMAT_INTERFACE if not hasattr(module, name)]
    # LinkFormat's members are FORMAT_INTERFACE: the isinstance() only tells the type checker.
    if missing or not isinstance(module, LinkFormat):
        raise ImportError(f"{path} is not a link-token format: it lacks {', '.join(missing)}")
    return module


_FLAG_HINT = "See docs/links.md."

#: ``LINK_BASE_URL``: a scheme, a host and an optional port — no path, query or fragment.
BASE_URL_RE = re.compile(
    r"https?://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]{1,5})?/?"
)


@dataclass(frozen=True, slots=True)
class LinkSettings(Section):
    """Magic links, with django-sesame's settings and meanings (*format*: changing it
    invalidates outstanding links)."""

    checks = "authgate.schemes.links.checks.check_link_settings"

    # Resolved when the section is built (derive()).
    #: The modules of ``token_formats``: new links use the first, all are accepted.
    formats: tuple[LinkFormat, ...]
    #: Packs the user's ``primary_key_field`` (``packer_path``'s, or a built-in one).
    packer: Packer
    #: ``max_age`` in whole seconds (``None``: untimestamped links that never expire).
    max_age_seconds: int | None

    #: The query parameter carrying a link token.
    token_name: str = setting(
        "LINK_TOKEN_NAME",
        "sesame",
        Text(
            pattern=QUERY_PARAM_RE,
            description="a plain parameter name (letters, digits, '_', '.', '~', '-')",
        ),
        check="authgate.E068",
        hint="The default is 'sesame'.",
    )
    #: Lifetime; None: links never expire. *Format* when switched between None and a value.
    max_age: timedelta | None = setting(
        "LINK_MAX_AGE",
        None,
        Duration(
            minimum=timedelta(seconds=1),
            null=True,
            description="None or a timedelta / number of seconds of at least one second",
        ),
        check="authgate.E061",
        hint="For example timedelta(minutes=15).",
    )
    one_time: bool = setting(
        "LINK_ONE_TIME", False, Boolean(), check="authgate.E069", hint=_FLAG_HINT
    )
    #: sesame's one-time mechanism: any login (last_login changing) kills outstanding links.
    invalidate_on_login: bool = setting(
        "LINK_INVALIDATE_ON_LOGIN", False, Boolean(), check="authgate.E069", hint=_FLAG_HINT
    )
    invalidate_on_password_change: bool = setting(
        "LINK_INVALIDATE_ON_PASSWORD_CHANGE",
        True,
        Boolean(),
        check="authgate.E069",
        hint=_FLAG_HINT,
    )
    invalidate_on_email_change: bool = setting(
        "LINK_INVALIDATE_ON_EMAIL_CHANGE", False, Boolean(), check="authgate.E069", hint=_FLAG_HINT
    )
    #: The unique user field a link names its user by.
    primary_key_field: str = setting(
        "LINK_PRIMARY_KEY_FIELD",
        "pk",
        Text(blank=False, description="a field name"),
        check="authgate.E065",
        hint="The default is 'pk'.",
    )
    #: Dotted path of a custom packer (pack_pk / unpack_pk); None: a built-in one.
    packer_path: str | None = setting(
        "LINK_PACKER",
        None,
        Text(null=True, description="None or a dotted path"),
        check="authgate.E064",
        hint="Give the dotted path of a class with pack_pk(pk) -> bytes and "
        "unpack_pk(data) -> (pk, rest), or None for the built-in packers.",
    )
    #: Module paths of the link-token formats.
    token_formats: tuple[str, ...] = setting(
        "LINK_TOKENS",
        ["authgate.core.links_v1"],
        Texts(description="a non-empty list of module paths"),
        check="authgate.E062",
        hint="The default is ['authgate.core.links_v1']: new links use the first format, "
        "every listed format is accepted.",
    )
    #: Mixed into the MAC namespace: change it to invalidate every link at once.
    key: str = setting(
        "LINK_KEY",
        "",
        Text(),
        check="authgate.E067",
        hint="Change it (any string) to invalidate every outstanding link at once.",
    )
    signature_size: int = setting(
        "LINK_SIGNATURE_SIZE",
        10,
        Integer(minimum=8, maximum=64),
        check="authgate.E066",
        hint="The default is 10 (80 bits), as in django-sesame.",
    )
    #: Where e-mailed login links point: "https://example.com" (scheme, host, optional
    #: port). None: the Sites framework's domain if django.contrib.sites is installed,
    #: else the request's host without its port (authgate.W062 when the form is mounted).
    base_url: str | None = setting(
        "LINK_BASE_URL",
        None,
        Text(
            pattern=BASE_URL_RE,
            null=True,
            description="None or a URL of a scheme and a host, like 'https://example.com'",
        ),
        check="authgate.E070",
        hint="For example 'https://example.com' or 'http://127.0.0.1:8000': no path.",
    )
    #: Accept links django-sesame issued (its v2 tokens), for a migration window.
    accept_sesame_tokens: bool = setting(
        "LINK_ACCEPT_SESAME_TOKENS",
        False,
        Boolean(),
        check="authgate.E069",
        hint="True while links django-sesame e-mailed may still be opened; see "
        "docs/howto/migrate.md.",
    )
    #: Requests to the request-a-link form per address and per client IP; None: no limit.
    request_rate: str | None = setting(
        "LINK_REQUEST_RATE",
        "5/h",
        Rate(),
        check="authgate.E003",
        hint="Use '<count>/<s|m|h|d>', e.g. '5/m', or None to disable.",
    )

    @property
    def timestamped(self) -> bool:
        return self.max_age is not None

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> LinkSettings:
        """The section for ``values`` with django-sesame's settings read as aliases of
        their ``LINK_*`` twins (:mod:`authgate.schemes.links.sesame`)."""
        from authgate.schemes.links.sesame_settings import with_aliases

        # Section.build, explicitly: slotted dataclasses have no zero-argument super().
        return Section.build.__func__(cls, with_aliases(values))  # type: ignore[attr-defined,no-any-return]

    @classmethod
    def derive(cls, values: dict[str, Any]) -> dict[str, Any]:
        from authgate.users import packer_for_model  # the user model: the app registry

        max_age = values["max_age"]
        return {
            "formats": tuple(load_format(path) for path in values["token_formats"]),
            "packer": packer_for_model(
                field=values["primary_key_field"], custom=values["packer_path"]
            ),
            "max_age_seconds": None if max_age is None else int(max_age.total_seconds()),
        }


link_settings = accessor(LinkSettings)
