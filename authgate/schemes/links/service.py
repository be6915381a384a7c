"""Magic links: django-sesame's API on authgate's link format, with one-time use that holds.

::

    from authgate import links

    url = "https://example.com/auth/links/login/" + links.get_query_string(user)
    # → "...?sesame=agl1_AQEAAA…"   send it by e-mail; whoever opens it is logged in

    user = links.get_user(request)                      # or links.get_user(token)
    user = links.get_user(request, scope="report:42")   # a link minted for that scope only

The wire format is :mod:`authgate.core.links_v1` (the first module of
``AUTHGATE["LINK_TOKENS"]`` creates, every listed one is accepted). A token is checked in
this order, stopping at the first failure:

1. the format and its short pre-MAC over the transported bytes — no database work, so a
   forged token never loads a user and timing says nothing about which users exist;
2. the user: one query (:func:`~authgate.users.load_active_user` on
   ``LINK_PRIMARY_KEY_FIELD``); unknown or inactive is the same answer as a bad signature;
3. the full signature over the user's current *revocation value* (revocation generation,
   password hash unless ``LINK_INVALIDATE_ON_PASSWORD_CHANGE`` is off, e-mail if
   ``LINK_INVALIDATE_ON_EMAIL_CHANGE``, last login if ``LINK_INVALIDATE_ON_LOGIN``) and the
   scope;
4. the max age (``max_age=`` or ``LINK_MAX_AGE``);
5. one-time links (``LINK_ONE_TIME``): an atomic insert of the token's id into
   :class:`~authgate.models.UsedToken` (:func:`~authgate.state.consume_once`), so exactly one
   of any number of concurrent uses succeeds, on every worker. Unlike sesame, logging in
   elsewhere does not use up a link (unless ``LINK_INVALIDATE_ON_LOGIN``).

The other pieces live next to this module: ``middleware`` (``LinkLoginMiddleware``, sesame's
``AuthenticationMiddleware``), ``decorators`` (``authenticate``), ``views`` (``LoginView`` and
the request-a-link form), ``backend`` (the chain's ``LinkBackend``) and ``auth_backend``
(``LinkAuthBackend``, for ``AUTHENTICATION_BACKENDS``).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.contrib.auth.models import update_last_login as _update_last_login
from django.utils.module_loading import import_string

from authgate.core.durations import parse_duration
from authgate.core.signed import find_format
from authgate.core.slots import slot_setters
from authgate.schemes.links.settings import LinkSettings, link_settings
from authgate.signing import keyring
from authgate.state import consume_once
from authgate.users import load_active_user, revocation_value

__all__ = [
    "CREDENTIAL_KIND",
    "LinkCredential",
    "LinkRefused",
    "check_token",
    "get_parameters",
    "get_query_string",
    "get_token",
    "get_user",
    "max_age_seconds",
]

logger = logging.getLogger(__name__)

#: ``kind`` of used one-time links in :class:`~authgate.models.UsedToken` and
#: ``credential_kind`` in the audit trail.
CREDENTIAL_KIND = "link"


def _revocation(user: Any, cfg: LinkSettings) -> bytes:
    value = revocation_value(
        user,
        password=cfg.invalidate_on_password_change,
        email=cfg.invalidate_on_email_change,
    )
    if cfg.invalidate_on_login:
        last_login = getattr(user, "last_login", None)
        text = ("login:" + last_login.isoformat()) if last_login else "login:"
        data = text.encode("utf-8")
        value += len(data).to_bytes(4, "big") + data
    return value


def _key_value(user: Any, cfg: LinkSettings) -> Any:
    field = cfg.primary_key_field
    value = user.pk if field == "pk" else getattr(user, field)
    if value is None:
        raise ValueError(f"the user has no {field!r}: save it before making a link")
    return value


def get_token(user: Any, scope: str = "") -> str:
    """A link token authenticating ``user``; with ``scope``, valid only for that scope.

    Use it when you build the URL yourself; :func:`get_user` accepts it.
    """
    if not isinstance(scope, str):
        raise TypeError(f"scope must be a str, not {type(scope).__name__}")
    cfg = link_settings()
    return cfg.formats[0].create(
        keyring=keyring(),
        user_pk=_key_value(user, cfg),
        packer=cfg.packer,
        revocation=_revocation(user, cfg),
        scope=scope,
        timestamped=cfg.timestamped,
        one_time=cfg.one_time,
        key=cfg.key,
        signature_size=cfg.signature_size,
    )


def get_parameters(user: Any, scope: str = "") -> dict[str, str]:
    """``{LINK_TOKEN_NAME: token}``: add it to a URL that already has a query string."""
    return {link_settings().token_name: get_token(user, scope)}


def get_query_string(user: Any, scope: str = "") -> str:
    """``"?sesame=<token>"``: append it to a URL that has no query string."""
    return "?" + urlencode(get_parameters(user, scope))


@dataclass(frozen=True, slots=True, init=False)
class LinkCredential:
    """What ``request.auth.credential`` holds for a link: nothing secret."""

    #: The first 12 hex digits of the token's SHA-256 (the audit trail's credential id).
    id: str
    scope: str
    one_time: bool
    issued_at: datetime | None
    expires_at: datetime | None

    def __init__(
        self,
        id: str,
        scope: str,
        one_time: bool,
        issued_at: datetime | None,
        expires_at: datetime | None,
    ) -> None:
        # One per request authenticated by a link: see authgate.core.slots.
        id_, scope_, one_time_, issued_at_, expires_at_ = _CREDENTIAL_SETTERS
        id_(self, id)
        scope_(self, scope)
        one_time_(self, one_time)
        issued_at_(self, issued_at)
        expires_at_(self, expires_at)


_CREDENTIAL_SETTERS = slot_setters(LinkCredential)


class LinkRefused(Exception):
    """A link token was refused: ``code`` is ``"invalid"`` or ``"expired"``.

    ``"invalid"`` covers every other reason (malformed, forged, unknown or inactive user,
    another scope or key, revoked, already used), so callers cannot tell them apart;
    ``reason`` is for logs only.
    """

    def __init__(self, code: Literal["invalid", "expired"], reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def max_age_seconds(value: object, name: str = "max_age") -> int:
    """A caller's max age (``timedelta`` or a number of seconds) as whole seconds, at
    least 1; ``TypeError`` / ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, timedelta | int | float):
        raise TypeError(
            f"{name} must be a timedelta or a number of seconds, not {type(value).__name__}"
        )
    duration = parse_duration(value)  # a DurationError (ValueError) if not finite
    if duration is None or duration < timedelta(seconds=1):
        raise ValueError(f"{name} must be at least one second, got {value!r}")
    return int(duration.total_seconds())


def _effective_max_age(cfg: LinkSettings, max_age: object) -> int | None:
    if max_age is None:
        return cfg.max_age_seconds
    if cfg.max_age is None:
        # sesame: tokens carry no timestamp when LINK_MAX_AGE is None.
        logger.warning("Ignoring max_age: it needs AUTHGATE['LINK_MAX_AGE'] to be set")
        return None
    return max_age_seconds(max_age)


def check_token(
    token: object, *, scope: str = "", max_age: int | float | timedelta | None = None
) -> tuple[Any, LinkCredential]:
    """The user a link ``token`` authenticates for ``scope``, and its credential.

    Raises :class:`LinkRefused`. For a one-time link this *uses* it: a second call with the
    same token is refused, whichever worker makes it.
    """
    if not isinstance(scope, str):
        raise TypeError(f"scope must be a str, not {type(scope).__name__}")
    cfg = link_settings()
    limit = _effective_max_age(cfg, max_age)
    if not isinstance(token, str) or (fmt := find_format(token, cfg.formats)) is None:
        raise LinkRefused("invalid", "not a link token")
    ring = keyring()
    claims = fmt.parse(
        token,
        keyring=ring,
        packer=cfg.packer,
        timestamped=cfg.timestamped,
        one_time=cfg.one_time,
        key=cfg.key,
        signature_size=cfg.signature_size,
    )
    if claims is None:
        raise LinkRefused("invalid", "malformed or forged")
    user = load_active_user(claims.user_pk, field=cfg.primary_key_field)
    if user is None:
        raise LinkRefused("invalid", "no such active user")
    status = fmt.verify(
        claims,
        keyring=ring,
        revocation=_revocation(user, cfg),
        scope=scope,
        key=cfg.key,
        signature_size=cfg.signature_size,
        max_age=limit,
    )
    if status == "expired":
        raise LinkRefused("expired", "expired")
    if status != "ok":
        raise LinkRefused("invalid", "bad signature, scope or revocation")
    issued_at = expires_at = None
    if claims.timestamp is not None:
        issued_at = datetime.fromtimestamp(claims.timestamp, tz=UTC)
        if limit is not None:
            expires_at = issued_at + timedelta(seconds=limit)
    full_id = fmt.token_id(token)
    if cfg.one_time:
        # Keep the row while any max age in force could still accept the token.
        keep_until = None
        if claims.timestamp is not None:
            longest = max(limit or 0, cfg.max_age_seconds or 0)
            keep_until = datetime.fromtimestamp(claims.timestamp + longest, tz=UTC)
        if not consume_once(full_id, kind=CREDENTIAL_KIND, expires_at=keep_until):
            raise LinkRefused("invalid", "one-time link already used")
    credential = LinkCredential(full_id[:12], scope, cfg.one_time, issued_at, expires_at)
    return user, credential


def token_from(request_or_token: Any) -> str | None:
    """The token in ``request.GET[LINK_TOKEN_NAME]``, or ``request_or_token`` if a str."""
    if isinstance(request_or_token, str):
        return request_or_token
    try:
        return request_or_token.GET.get(link_settings().token_name)  # type: ignore[no-any-return]
    except AttributeError:
        raise TypeError("get_user() expects an HttpRequest or a token") from None


def login_backend_path() -> str:
    """The ``AUTHENTICATION_BACKENDS`` entry that logs link users in (``user.backend``).

    The first entry that authenticates links (a
    :class:`~authgate.schemes.links.auth_backend.LinkBackendMixin`), else the first entry
    (usually Django's ``ModelBackend``, which loads the session user by pk).
    """
    return _login_backend_path(tuple(django_settings.AUTHENTICATION_BACKENDS))


@functools.lru_cache(maxsize=8)
def _login_backend_path(paths: tuple[str, ...]) -> str:
    for path in paths:
        try:
            backend = import_string(path)
        except ImportError:
            continue
        if getattr(backend, "authenticates_links", False):
            return path
    return paths[0]


def authenticate_link(
    request_or_token: Any,
    *,
    scope: str = "",
    max_age: int | float | timedelta | None = None,
    update_last_login: bool | None = None,
) -> tuple[Any, LinkCredential] | tuple[None, None]:
    """:func:`get_user`, also returning the :class:`LinkCredential` (or ``(None, None)``)."""
    token = token_from(request_or_token)
    if token is None:
        return None, None
    try:
        user, credential = check_token(token, scope=scope, max_age=max_age)
    except LinkRefused as exc:
        logger.debug("Refused link: %s", exc.reason)
        return None, None
    user.backend = login_backend_path()
    if update_last_login is None:
        update_last_login = link_settings().one_time
    if update_last_login:
        _update_last_login(type(user), user)  # Django's receiver: the sender is unused
    return user, credential


def get_user(
    request_or_token: Any,
    *,
    scope: str = "",
    max_age: int | float | timedelta | None = None,
    update_last_login: bool | None = None,
) -> Any | None:
    """The user a link authenticates, or ``None``; it does not log them in.

    ``request_or_token`` is an ``HttpRequest`` (the token is read from
    ``GET[LINK_TOKEN_NAME]``) or the token itself. ``scope`` must be the scope the link was
    made for. ``max_age`` overrides ``LINK_MAX_AGE`` (ignored, with a warning, when that is
    ``None``, as in sesame). A one-time link is used up by a successful call.

    ``update_last_login``: ``None`` (default) updates the user's last login date for
    one-time links only, as sesame does; pass ``False`` if you are about to call
    :func:`~django.contrib.auth.login`, which updates it itself.
    """
    user, _credential = authenticate_link(
        request_or_token, scope=scope, max_age=max_age, update_last_login=update_last_login
    )
    return user
