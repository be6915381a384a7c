"""Revocation by value: what a credential handed to us *as a string* is, and ending it.

Three callers hand us secrets they found or hold, not ids: GitHub's secret-scanning reports
(:mod:`authgate.leaks.views`), RFC 7009's ``POST /auth/revoke/`` and ``manage.py authgate
revoke-leaked``. Each goes through :func:`inspect` then :func:`revoke`:

* **API tokens** (``agt_…``): the checksum first (no database work for a typo or a
  near-miss), then one indexed lookup by digest. Live → :func:`authgate.schemes.tokens.
  service.revoke` with the caller's reason (its conditional UPDATE makes a second report a
  no-op: one audit event, one signal, one e-mail).
* **Scoped tokens** (``ags1_…``) and **magic links** (``agl1_…``) are signed and stateless:
  a correctly signed one is genuine (a true positive). Nothing can revoke one token alone,
  so its user's revocation generation is bumped (:func:`authgate.state.bump_generation`),
  which ends every signed token of that user — the ``revoke_all`` cascade for signed
  kinds. The user's API tokens are untouched: they did not leak. The value's SHA-256 is
  recorded once (hashed again, apart from a one-time link's own record) in
  :class:`~authgate.state.UsedToken` (kind ``leaked``), so a token
  reported again (by GitHub in a later batch, by another worker at the same moment) bumps
  nothing and mails nobody a second time.

A link's full signature covers its scope, which the token does not carry: a link that does
not verify in the default scope may be a live link of another scope, so a genuine link
(its pre-MAC verifies under our keys) counts as live unless it is expired, used up or its
user is gone.

Nothing here logs or returns a secret: a :class:`Finding` names the credential by its
display prefix or id hash (what the audit trail uses).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from authgate import audit
from authgate.audit import TokenEvent
from authgate.core import opaque, scoped_v1
from authgate.core.signed import find_format
from authgate.schemes.links.checking import CREDENTIAL_KIND as LINK_KIND
from authgate.schemes.links.checking import parse_claims
from authgate.schemes.links.checking import revocation as link_revocation
from authgate.schemes.links.settings import link_settings
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.settings import token_settings
from authgate.signing import keyring
from authgate.state import UsedToken, bump_generation, consume_once
from authgate.users import load_active_user, revocation_value

__all__ = ["LEAKED_KIND", "Finding", "inspect", "revoke"]

#: ``UsedToken.kind`` of signed tokens already handled as leaked.
LEAKED_KIND = "leaked"


@dataclass(slots=True)
class Finding:
    """One of our credential formats, checked: what it is and whether it still works."""

    #: ``"api_token"``, ``"scoped"`` or ``"link"`` (the audit trail's credential kinds).
    kind: str
    #: Non-secret: an API token's display prefix, a signed token's id hash prefix.
    credential_id: str
    #: The credential exists (a row, or a user for a genuine signed token).
    known: bool
    #: It would authenticate now (what revoking ends).
    live: bool
    user: Any = None
    #: SHA-256 of the value (hex): GitHub's ``token_hash``, and the key of the record
    #: that a signed token was handled.
    value_hash: str = field(default="", repr=False)
    token: APIToken | None = field(default=None, repr=False)
    #: When a signed token stops working anyway (keeps the ``UsedToken`` row that long).
    expires_at: datetime | None = None

    @property
    def genuine(self) -> bool:
        """Ours for sure (GitHub's ``true_positive``): a stored API token, or any correctly
        signed token (its user may be gone since). An API token with a good checksum but no
        row may never have existed."""
        return self.known or self.kind != tokens.CREDENTIAL_KIND


def value_hash(value: str) -> str:
    """SHA-256 of a reported value, hex (GitHub's feedback ``token_hash``)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _handled_id(hashed: str) -> str:
    """The ``UsedToken`` id recording that a signed value was handled as leaked (hashed
    again, so it never collides with a one-time link's own record)."""
    return hashlib.sha256(f"{LEAKED_KIND}:{hashed}".encode("ascii")).hexdigest()


def inspect(value: str) -> Finding | None:
    """What ``value`` is, or ``None`` when it is none of our formats (a near-miss with a bad
    checksum or signature: GitHub's ``false_positive``). At most one query for an API
    token, one for a signed token's user; none for a string that fails its checks."""
    if not isinstance(value, str):
        return None
    if opaque.is_valid(value, prefixes=(token_settings().prefix,)):
        return _api_token(value)
    if scoped_v1.detect(value):
        return _scoped(value)
    return _link(value)


def _api_token(value: str) -> Finding:
    digest = opaque.digest(value)
    row = APIToken.objects.select_related("user").filter(digest=digest).order_by().first()
    if row is None:
        return Finding(
            "api_token", opaque.display_prefix(value), False, False, value_hash=value_hash(value)
        )
    # Live even if its user is inactive now: reactivating them must not revive it.
    live = row.status(timezone.now()) in {"active", "rotating"}
    return Finding(
        tokens.CREDENTIAL_KIND,
        row.display_prefix,
        True,
        live,
        user=row.user,
        value_hash=value_hash(value),
        token=row,
    )


def _scoped(value: str) -> Finding | None:
    ident = scoped.token_id(value)
    try:
        claims = scoped.parse(value)
    except scoped.ExpiredToken:  # genuine, and already dead
        return Finding(scoped.CREDENTIAL_KIND, ident, True, False, value_hash=value_hash(value))
    if claims is None:
        return None
    user = load_active_user(claims.user_pk)
    if user is None:
        return Finding(scoped.CREDENTIAL_KIND, ident, False, False, value_hash=value_hash(value))
    live = scoped_v1.check_revocation(
        claims, keyring=keyring(), revocation=revocation_value(user, password=True)
    )
    return Finding(
        scoped.CREDENTIAL_KIND,
        ident,
        True,
        live,
        user=user,
        value_hash=value_hash(value),
        expires_at=datetime.fromtimestamp(claims.expires_at, tz=UTC),
    )


def _link(value: str) -> Finding | None:
    cfg = link_settings()
    fmt = find_format(value, cfg.formats)
    if fmt is None:
        return None
    ring = keyring()
    claims = parse_claims(fmt, value, cfg, ring)
    if claims is None:  # the pre-MAC fails: not minted under our keys
        return None
    ident = fmt.token_id(value)[:12]
    user = load_active_user(claims.user_pk, field=cfg.primary_key_field)
    if user is None:
        return Finding(LINK_KIND, ident, False, False, value_hash=value_hash(value))
    status = fmt.verify(
        claims,
        keyring=ring,
        revocation=link_revocation(user, cfg),
        scope="",
        key=cfg.key,
        signature_size=cfg.signature_size,
    )
    expires_at = None
    if claims.timestamp is not None and cfg.max_age_seconds is not None:
        expires_at = datetime.fromtimestamp(claims.timestamp + cfg.max_age_seconds, tz=UTC)
    expired = expires_at is not None and expires_at <= timezone.now()
    used_up = cfg.one_time and UsedToken.objects.filter(token_id=fmt.token_id(value)).exists()
    # "invalid" in the default scope may be a live link of another scope (module doc),
    # unless this very value was already handled as leaked.
    live = status == "ok" or (
        status == "invalid"
        and not UsedToken.objects.filter(token_id=_handled_id(value_hash(value))).exists()
    )
    live = live and not expired and not used_up
    return Finding(
        LINK_KIND,
        ident,
        True,
        live,
        user=user,
        value_hash=value_hash(value),
        expires_at=expires_at,
    )


def revoke(finding: Finding, reason: str, *, request: HttpRequest | None = None) -> bool:
    """End a live credential; ``True`` only for the call that did it (a second report of
    the same value, on any worker, is ``False``: nothing is recorded or sent twice)."""
    if not finding.live:
        return False
    if finding.token is not None:
        return tokens.revoke(finding.token, reason, request=request)
    if not consume_once(
        _handled_id(finding.value_hash), kind=LEAKED_KIND, expires_at=finding.expires_at
    ):
        return False
    generation = bump_generation(finding.user)
    audit.record(
        TokenEvent.Kind.REVOKED,
        credential_kind=finding.kind,
        credential_id=finding.credential_id,
        user=finding.user,
        request=request,
        reason=reason,
        generation=generation,
    )
    return True
