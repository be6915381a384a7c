"""What both kinds of access token share: the refusal, the subject, the scopes.

``scope`` (RFC 9068 §2.2.3, RFC 7662 §2.2: space-separated) or ``scp`` (a list, as Okta
sends, or a string, as Entra ID does) becomes a :class:`~authgate.core.policy.Policy` limited
to those scopes, so ``HasScope("notes:read")`` and ``@auth_required(scopes=...)`` work as for
API tokens. A token without either claim carries **no** scope (least privilege, not the
user's full rights). Names authgate's policy engine cannot express (uppercase such as
``User.Read``, URLs) are dropped: no view can require them. OpenID Connect scopes
(``openid``, ``profile``, ``email``) are valid names and **kept**: they grant nothing unless
a view requires them, and dropping them would hide what the token was issued for.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from authgate.core.policy import SCOPE_RE, Policy
from authgate.core.timestamps import as_datetime, numeric_date
from authgate.errors import EXPIRED_TOKEN, INVALID_TOKEN

__all__ = [
    "MAX_SCOPES",
    "TokenRefused",
    "bound_key",
    "check_times",
    "expires_at",
    "restrictions",
    "scopes",
    "subject",
]

logger = logging.getLogger(__name__)

#: At most this many scope names are read from a token.
MAX_SCOPES = 100
_MAX_SUBJECT_LENGTH = 255


class TokenRefused(Exception):
    """An access token we verified and refuse: ``code`` and ``detail`` for the 401."""

    def __init__(self, code: str, detail: Any) -> None:
        super().__init__(str(detail))
        self.code = code
        self.detail = detail


def subject(claims: Mapping[str, Any]) -> str:
    """The ``sub`` claim: a non-empty string (RFC 7519 §4.1.2), else refused."""
    value = claims.get("sub")
    if not isinstance(value, str) or not value or len(value) > _MAX_SUBJECT_LENGTH:
        raise TokenRefused(INVALID_TOKEN, _("The token lacks a usable sub claim."))
    return value


def scopes(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """The scope names authgate can express, sorted and de-duplicated."""
    raw = claims.get("scope", claims.get("scp"))
    if isinstance(raw, str):
        names: list[Any] = raw.split(" ")
    elif isinstance(raw, list):
        names = raw
    else:
        names = []
    usable = {
        name
        for name in names[:MAX_SCOPES]
        if isinstance(name, str) and len(name) <= 128 and SCOPE_RE.fullmatch(name)
    }
    return tuple(sorted(usable))


@functools.lru_cache(maxsize=1024)
def _policy(names: tuple[str, ...]) -> Policy:
    return Policy.from_scopes(names)


def restrictions(claims: Mapping[str, Any]) -> Policy:
    """The identity's restrictions: exactly the token's scopes (compiled once per set)."""
    return _policy(scopes(claims))


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    """A NumericDate claim (RFC 7519 §2), if present: a finite number within ``datetime``'s
    range (:mod:`authgate.core.timestamps`), else refused — ``1e20`` would overflow the
    identity's ``expires_at``, and ``NaN`` passes every comparison."""
    value = claims.get(name)
    if value is None:
        return None
    seconds = numeric_date(value)
    if seconds is None:
        raise TokenRefused(
            INVALID_TOKEN,
            _("The token's %(claim)s claim is not a usable time.") % {"claim": name},
        )
    return seconds


def expires_at(claims: Mapping[str, Any]) -> datetime | None:
    """When the token expires (``exp``), with ``nbf`` and ``iat`` checked to be usable times
    too; :class:`TokenRefused` if one is not (PyJWT accepts ``exp = 1e20``)."""
    _number(claims, "nbf")
    _number(claims, "iat")
    return as_datetime(_number(claims, "exp"))


def check_times(claims: Mapping[str, Any], *, leeway: float, now: float | None = None) -> None:
    """``exp`` and ``nbf`` (RFC 7662 §2.2 / RFC 7519 §4.1.4-5) with ``leeway`` seconds."""
    now = time.time() if now is None else now
    exp = _number(claims, "exp")
    if exp is not None and exp <= now - leeway:
        raise TokenRefused(EXPIRED_TOKEN, _("The access token has expired."))
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now + leeway:
        raise TokenRefused(INVALID_TOKEN, _("The access token is not valid yet."))


def bound_key(claims: Mapping[str, Any]) -> str | None:
    """The RFC 7638 thumbprint the token is bound to (``cnf.jkt``, RFC 9449 §6), or ``None``
    for a bearer token. A ``cnf`` authgate cannot check (another confirmation method, such as
    mTLS's ``x5t#S256``, RFC 8705) is refused: honouring the token without it would be the
    downgrade the binding exists to stop."""
    cnf = claims.get("cnf")
    if cnf is None:
        return None
    if not isinstance(cnf, Mapping) or set(cnf) != {"jkt"}:
        raise TokenRefused(
            INVALID_TOKEN, _("The token is bound to a key in a way this API cannot check.")
        )
    jkt = cnf["jkt"]
    if not isinstance(jkt, str) or not jkt or len(jkt) > 128:
        raise TokenRefused(INVALID_TOKEN, _("The token's cnf.jkt claim is not usable."))
    return jkt
