"""Checking a link token: the order of the checks, one-time use, links django-sesame issued.

A token is checked in this order, stopping at the first failure:

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

With ``LINK_ACCEPT_SESAME_TOKENS`` a token no ``LINK_TOKENS`` format recognises is read as
a link django-sesame issued (:mod:`authgate.schemes.links.sesame`): steps 2 to 5 the same,
with django-sesame's signature and revocation value (it has no pre-MAC: as under
django-sesame, a forged token of that shape costs a user lookup while the window is open).

Each decision is logged at DEBUG on the ``sesame`` logger with django-sesame's messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from authgate.core import sesame_v2
from authgate.core.durations import parse_duration
from authgate.core.signed import find_format
from authgate.core.slots import slot_setters
from authgate.schemes.links import sesame
from authgate.schemes.links.settings import LinkSettings, link_settings
from authgate.signing import keyring
from authgate.state import consume_once
from authgate.users import load_active_user, revocation_value

__all__ = [
    "CREDENTIAL_ATTR",
    "CREDENTIAL_KIND",
    "REFUSAL_ATTR",
    "LinkCredential",
    "LinkRefused",
    "check_token",
    "key_value",
    "max_age_seconds",
    "parse_claims",
    "revocation",
]

logger = logging.getLogger(__name__)

#: ``kind`` of used one-time links in :class:`~authgate.models.UsedToken` and
#: ``credential_kind`` in the audit trail.
CREDENTIAL_KIND = "link"
#: Where a link auth backend leaves the credential on the user it returns (``__dict__``).
CREDENTIAL_ATTR = "_authgate_link_credential"
#: Where a refused link's reason is kept on the request (``__dict__``).
REFUSAL_ATTR = "_authgate_link_refusal"
#: django-sesame's logger: the per-link decisions go there, with django-sesame's messages,
#: so a project's LOGGING for "sesame" keeps working.
decisions = logging.getLogger("sesame")


def revocation(user: Any, cfg: LinkSettings) -> bytes:
    """The user's revocation value for authgate's links under these settings."""
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


def key_value(user: Any, cfg: LinkSettings) -> Any:
    """The value a link names its user by (``LINK_PRIMARY_KEY_FIELD``); the user is saved."""
    field = cfg.primary_key_field
    value = user.pk if field == "pk" else getattr(user, field)
    if value is None:
        raise ValueError(f"the user has no {field!r}: save it before making a link")
    return value


@dataclass(frozen=True, slots=True, init=False)
class LinkCredential:
    """What ``request.auth.credential`` holds for a link: nothing secret."""

    #: The first 12 hex digits of the token's SHA-256 (the audit trail's credential id).
    id: str
    scope: str
    one_time: bool
    issued_at: datetime | None
    expires_at: datetime | None
    #: A link django-sesame issued, accepted by ``LINK_ACCEPT_SESAME_TOKENS``: deprecated.
    legacy: bool

    def __init__(
        self,
        id: str,
        scope: str,
        one_time: bool,
        issued_at: datetime | None,
        expires_at: datetime | None,
        legacy: bool = False,
    ) -> None:
        # One per request authenticated by a link: see authgate.core.slots.
        id_, scope_, one_time_, issued_at_, expires_at_, legacy_ = _CREDENTIAL_SETTERS
        id_(self, id)
        scope_(self, scope)
        one_time_(self, one_time)
        issued_at_(self, issued_at)
        expires_at_(self, expires_at)
        legacy_(self, legacy)

    @property
    def headers(self) -> dict[str, str]:
        """Response headers this credential asks for (a deprecated link says so)."""
        return {sesame.DEPRECATED_HEADER: sesame.DEPRECATED_TEXT} if self.legacy else {}


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
    """The max age in force, in seconds; 0 when the caller's is zero or negative (every
    link counts as expired, as in django-sesame)."""
    if max_age is None:
        return cfg.max_age_seconds
    if cfg.max_age is None:
        # sesame: tokens carry no timestamp when LINK_MAX_AGE is None.
        logger.warning("Ignoring max_age: it needs AUTHGATE['LINK_MAX_AGE'] to be set")
        return None
    number = max_age.total_seconds() if isinstance(max_age, timedelta) else max_age
    if isinstance(number, int | float) and not isinstance(number, bool) and number <= 0:
        return 0
    return max_age_seconds(max_age)


def check_token(
    token: object,
    *,
    scope: str = "",
    max_age: int | float | timedelta | None = None,
    accept: Callable[[Any], bool] | None = None,
) -> tuple[Any, LinkCredential]:
    """The user a link ``token`` authenticates for ``scope``, and its credential.

    Raises :class:`LinkRefused`. For a one-time link this *uses* it: a second call with the
    same token is refused, whichever worker makes it. ``accept(user)``, if given, may
    refuse the loaded user before anything is used up (a Django auth backend's
    ``user_can_authenticate``). Each decision is logged at DEBUG on the ``sesame`` logger,
    with django-sesame's messages.
    """
    if not isinstance(scope, str):
        raise TypeError(f"scope must be a str, not {type(scope).__name__}")
    cfg = link_settings()
    limit = _effective_max_age(cfg, max_age)
    if not isinstance(token, str):
        decisions.debug("Bad token: doesn't match a supported format")
        raise LinkRefused("invalid", "not a link token")
    fmt = find_format(token, cfg.formats)
    if fmt is None:
        if cfg.accept_sesame_tokens and sesame_v2.detect(token):
            return _check_sesame_token(token, cfg, scope=scope, limit=limit, accept=accept)
        decisions.debug("Bad token: doesn't match a supported format")
        raise LinkRefused("invalid", "not a link token")
    ring = keyring()
    claims = parse_claims(fmt, token, cfg, ring)
    if claims is None:
        decisions.debug("Bad token: malformed or forged")
        raise LinkRefused("invalid", "malformed or forged")
    user = _load_user(claims.user_pk, cfg, accept)
    status = fmt.verify(
        claims,
        keyring=ring,
        revocation=revocation(user, cfg),
        scope=scope,
        key=cfg.key,
        signature_size=cfg.signature_size,
        max_age=max(limit, 1) if limit is not None else None,
    )
    _refuse_unless_ok(status, user, scope, limit)
    full_id = fmt.token_id(token)
    credential = _finish(full_id, claims.timestamp, cfg, scope=scope, limit=limit, legacy=False)
    decisions.debug("Valid token for user %s %s", user, _in_scope(scope))
    return user, credential


def parse_claims(fmt: Any, token: str, cfg: LinkSettings, ring: Any) -> Any:
    """A link's claims under the configured format parameters, or ``None`` when its
    pre-MAC fails (malformed, or not minted under these keys); nothing is verified yet."""
    return fmt.parse(
        token,
        keyring=ring,
        packer=cfg.packer,
        timestamped=cfg.timestamped,
        one_time=cfg.one_time,
        key=cfg.key,
        signature_size=cfg.signature_size,
    )


def _in_scope(scope: str) -> str:
    return "in default scope" if scope == "" else f"in scope {scope}"


def _load_user(user_pk: Any, cfg: LinkSettings, accept: Callable[[Any], bool] | None) -> Any:
    user = load_active_user(user_pk, field=cfg.primary_key_field)
    if user is None or (accept is not None and not accept(user)):
        decisions.debug("Unknown or inactive user: %s = %r", cfg.primary_key_field, user_pk)
        raise LinkRefused("invalid", "no such active user")
    return user


def _refuse_unless_ok(status: str, user: Any, scope: str, limit: int | None) -> None:
    if status == "expired" or (status == "ok" and limit is not None and limit <= 0):
        decisions.debug("Expired token for user %s", user)
        raise LinkRefused("expired", "expired")
    if status != "ok":
        decisions.debug("Invalid token for user %s %s", user, _in_scope(scope))
        raise LinkRefused("invalid", "bad signature, scope or revocation")


def _finish(
    full_id: str,
    timestamp: int | None,
    cfg: LinkSettings,
    *,
    scope: str,
    limit: int | None,
    legacy: bool,
) -> LinkCredential:
    """Use up a one-time link (refused if it already was) and describe the credential."""
    issued_at = expires_at = None
    if timestamp is not None:
        issued_at = datetime.fromtimestamp(timestamp, tz=UTC)
        if limit is not None:
            expires_at = issued_at + timedelta(seconds=limit)
    if cfg.one_time:
        # Keep the row while any max age in force could still accept the token.
        keep_until = None
        if timestamp is not None:
            longest = max(limit or 0, cfg.max_age_seconds or 0)
            keep_until = datetime.fromtimestamp(timestamp + longest, tz=UTC)
        if not consume_once(full_id, kind=CREDENTIAL_KIND, expires_at=keep_until):
            decisions.debug("Invalid token: one-time link already used")
            raise LinkRefused("invalid", "one-time link already used")
    return LinkCredential(full_id[:12], scope, cfg.one_time, issued_at, expires_at, legacy)


def _check_sesame_token(
    token: str,
    cfg: LinkSettings,
    *,
    scope: str,
    limit: int | None,
    accept: Callable[[Any], bool] | None,
) -> tuple[Any, LinkCredential]:
    """A link django-sesame issued (``LINK_ACCEPT_SESAME_TOKENS``), by its own rules."""
    claims = sesame_v2.parse(
        token,
        packer=sesame.sesame_packer(cfg),
        timestamped=cfg.timestamped,
        signature_size=cfg.signature_size,
    )
    if claims is None:
        decisions.debug("Bad token: not a django-sesame token either")
        raise LinkRefused("invalid", "malformed django-sesame token")
    user = _load_user(claims.user_pk, cfg, accept)
    status = sesame_v2.verify(
        claims,
        keys=sesame.verification_keys(cfg),
        revocation=sesame.revocation(user, cfg),
        scope=scope,
        max_age=limit,
    )
    _refuse_unless_ok(status, user, scope, limit)
    credential = _finish(
        sesame_v2.token_id(claims), claims.timestamp, cfg, scope=scope, limit=limit, legacy=True
    )
    decisions.debug("Valid token for user %s %s", user, _in_scope(scope))
    logger.info(
        "Accepted a link issued by django-sesame (LINK_ACCEPT_SESAME_TOKENS) for user pk=%s",
        user.pk,
    )
    return user, credential
