"""The API-token lifecycle: issue, revoke, revoke everything, rotate, clean up.

Plaintext tokens exist only in the return value of :func:`issue` and :func:`rotate`: the
caller shows them once. Rows hold a digest; the audit trail (``TokenEvent``) and the signals
name a token by its display prefix and primary key, never by its secret.

Validation (:mod:`authgate.schemes.tokens.validation`) raises :class:`TokenError` (a ``ValueError``)
with a message fit for the person who asked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from authgate import audit, lineage
from authgate._speed.local_rows import publish_invalidation
from authgate.audit import TokenEvent
from authgate.clientip import client_ip
from authgate.conf import chain_settings
from authgate.core import opaque
from authgate.schemes.tokens.cleanup import cleanup
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.settings import token_settings
from authgate.schemes.tokens.validation import (
    DEFAULT,
    TokenError,
    TokenLimitReached,
    clean_allowed_ips,
    clean_dpop_jkt,
    clean_policy,
    clean_scopes,
    expiry,
    parse_lifetime,
)
from authgate.signals import token_issued, token_revoked, token_rotated
from authgate.state import bump_generation

logger = logging.getLogger(__name__)

__all__ = [
    "CREDENTIAL_KIND",
    "DEFAULT",
    "TokenError",
    "TokenLimitReached",
    "issue",
    "revoke",
    "revoke_all",
    "rotate",
    "cleanup",
    "parse_lifetime",
    "clean_scopes",
    "clean_policy",
    "clean_allowed_ips",
    "cache_key",
    "INVALIDATED",
    "forget_cached",
    "TokenCacheUnreachable",
]

#: ``TokenEvent.credential_kind`` of API tokens.
CREDENTIAL_KIND = "api_token"


# --- cache ------------------------------------------------------------------------------


def cache_key(token_digest: str) -> str:
    """The key of a token row in the optional lookup cache (``TOKEN_CACHE_TIMEOUT``)."""
    return f"authgate:apitoken:{token_digest}"


#: What :func:`forget_cached` leaves in a token's cache slot: "ask the database". A plain
#: delete is not enough: a request that read the row just before a revocation could write it
#: back after the delete, and every worker would accept the revoked token until the entry
#: expired. The lookup only ever *adds* to an empty slot, so it cannot overwrite this.
INVALIDATED = "authgate:invalidated"


class TokenCacheUnreachable(RuntimeError):
    """The database change was made, but the token cache could not be told.

    While the cache is down, lookups ask the database, which already refuses the token.
    When the cache comes back it may still hold the row as it was: run the same revocation
    again then (``revoke`` and ``revoke_all`` re-send the invalidation even for tokens
    already revoked), or wait ``TOKEN_CACHE_TIMEOUT`` for the entry to expire.
    """


def cached_lookups() -> bool:
    """Whether token lookups go through the cache (``TOKEN_CACHE_TIMEOUT``)."""
    return bool(token_settings().cache_timeout)


def forget_cached(tokens: Iterable[APIToken]) -> None:
    """Drop rows from the lookup cache, so every worker sees a change at once.

    Raises :class:`TokenCacheUnreachable` if the cache cannot be written.
    """
    if not cached_lookups():
        return
    digests = [token.digest for token in tokens]
    if not digests:
        return
    try:
        caches[chain_settings().cache].set_many(
            dict.fromkeys(map(cache_key, digests), INVALIDATED), token_settings().cache_timeout
        )
        publish_invalidation(digests)  # rows kept in each process (TOKEN_LOCAL_CACHE_SIZE)
    except Exception as exc:  # redis-py's ConnectionError/TimeoutError, or any backend's
        raise TokenCacheUnreachable(
            _(
                "The database change is made, but the token cache could not be told "
                "(%(error)s). Run it again once the cache is back."
            )
            % {"error": type(exc).__name__}
        ) from exc


# --- issuing ----------------------------------------------------------------------------


def _lock_user_and_count(user: Any, now: datetime, replacing: APIToken | None) -> None:
    """Hold the user row (``SELECT … FOR UPDATE``) and refuse a token over the limit.

    The lock serialises concurrent issuing for one user, so two requests cannot both see
    "limit - 1" live tokens and both insert (PostgreSQL; SQLite serialises writers anyway).
    """
    limit = token_settings().max_per_user
    if limit is None:
        return
    model = get_user_model()
    model._default_manager.select_for_update().filter(pk=user.pk).values_list("pk").first()
    live = APIToken.objects.filter(user=user).live(now)
    if replacing is not None:
        live = live.exclude(pk=replacing.pk)
    if live.count() >= limit:
        raise TokenLimitReached(
            _("This user already has %(limit)d live API tokens (MAX_TOKENS_PER_USER).")
            % {"limit": limit}
        )


def issue(
    user: Any,
    *,
    name: str = "",
    note: str = "",
    scopes: Iterable[str] | None = None,
    policy: Mapping[str, Any] | None = None,
    expires_in: timedelta | Any | None = DEFAULT,
    allowed_ips: Iterable[str] | None = None,
    max_uses: int | None = None,
    extra_data: Mapping[str, Any] | None = None,
    created_by: Any = None,
    request: HttpRequest | None = None,
    dpop_jkt: str | None = None,
    parent: APIToken | None = None,
    parent_key: Any = None,
    _rotated_from: APIToken | None = None,
) -> tuple[APIToken, str]:
    """Create a token for ``user``; returns ``(row, plaintext)``. Show the plaintext once.

    ``scopes=None`` carries the user's full rights (within ``policy``); a list limits the
    token to those registered scopes. ``expires_in`` defaults to ``TOKEN_DEFAULT_LIFETIME``
    and may not exceed ``TOKEN_MAX_LIFETIME``; ``None`` (never) only with
    ``ALLOW_NON_EXPIRING_TOKENS``. ``max_uses=1`` makes a one-time token. ``dpop_jkt``
    (the RFC 7638 thumbprint of a client's public key) binds the token to that key: it then
    works only as ``Authorization: DPoP …`` with a proof signed by it (RFC 9449).
    ``parent`` / ``parent_key``: the API token or signature key whose request makes this
    one (:mod:`authgate.derive` decides the rights; revoking the parent revokes this token).
    """
    if user is None or getattr(user, "pk", None) is None:
        raise TokenError(_("A token needs a saved user."))
    if not user.is_active:
        raise TokenError(_("Inactive users cannot get API tokens."))
    if max_uses is not None and (not isinstance(max_uses, int) or max_uses < 1):
        raise TokenError(_("max_uses must be a positive integer."))
    now = timezone.now()
    fields = {
        "name": name[:100],
        "note": note,
        "scopes": clean_scopes(scopes),
        "policy": clean_policy(policy),
        "allowed_ips": clean_allowed_ips(allowed_ips),
        "expires": expiry(expires_in, now),
        "max_uses": max_uses,
        "extra_data": dict(extra_data or {}),
        "dpop_jkt": clean_dpop_jkt(dpop_jkt),
    }
    plaintext = opaque.generate(token_settings().prefix)
    with transaction.atomic():
        _lock_user_and_count(user, now, _rotated_from)
        # ≈214 random bits: a digest collision is not a case worth a retry loop.
        token = APIToken.objects.create(
            user=user,
            display_prefix=opaque.display_prefix(plaintext),
            digest=opaque.digest(plaintext),
            digest_version=opaque.DIGEST_VERSION,
            created=now,
            created_by=created_by if getattr(created_by, "pk", None) is not None else None,
            rotated_from=_rotated_from,
            parent=parent,
            parent_key=parent_key,
            **fields,
        )
        audit.record(
            TokenEvent.Kind.ISSUED,
            credential_kind=CREDENTIAL_KIND,
            credential_id=token.display_prefix,
            user=user,
            request=request,
            token_id=token.pk,
            name=token.name,
            scopes=token.scopes,
            expires=token.expires.isoformat() if token.expires else None,
            created_by=str(created_by.pk) if token.created_by_id else None,
            **({"dpop_jkt": token.dpop_jkt} if token.dpop_jkt else {}),
            **({"parent": lineage.parent_of(parent, parent_key)} if parent or parent_key else {}),
        )
    token_issued.send(sender=APIToken, token=token, user=user, created_by=created_by)
    return token, plaintext


# --- revoking ---------------------------------------------------------------------------


def revoke(
    token: APIToken, reason: str = "", *, request: HttpRequest | None = None, by: Any = None
) -> bool:
    """Revoke ``token`` now (djblets' ``invalidate_token``); ``False`` if it already was.

    A conditional UPDATE, so of two concurrent revocations only one records an event.
    Everything the token minted ends with it (:func:`authgate.lineage.revoke_descendants`):
    the API tokens and signature keys made with it, transitively, and its scoped tokens.
    """
    now = timezone.now()
    updated = (
        APIToken.objects.filter(pk=token.pk)
        .unrevoked(now)
        .update(revoked_at=now, revoked_reason=reason)
    )
    if not updated:
        # Already revoked: tell the cache again, in case it was unreachable the first time.
        forget_cached([token])
        return False
    token.revoked_at, token.revoked_reason = now, reason
    audit.record(
        TokenEvent.Kind.REVOKED,
        credential_kind=CREDENTIAL_KIND,
        credential_id=token.display_prefix,
        user=token.user,
        request=request,
        token_id=token.pk,
        reason=reason,
        by=str(by.pk) if getattr(by, "pk", None) is not None else None,
    )
    children = lineage.revoke_descendants(
        token.user, tokens=[token.pk], reason=reason, request=request, now=now
    )
    token_revoked.send(sender=APIToken, token=token, reason=reason)
    for child in children:
        token_revoked.send(sender=APIToken, token=child, reason=child.revoked_reason)
    forget_cached([token, *children])  # last: if the cache is down, the revocation is recorded
    return True


def revoke_all(user: Any, reason: str = "", *, request: HttpRequest | None = None) -> int:
    """Log ``user`` out everywhere: revoke every API token and HTTP-signature key, and
    every signed scoped token and magic link (by bumping the revocation generation).
    Returns the tokens revoked. Sessions end too: a password change ends Django's sessions,
    and a session started by a token ends with the token."""
    now = timezone.now()
    with transaction.atomic():
        tokens = list(APIToken.objects.filter(user=user).unrevoked(now).select_for_update())
        APIToken.objects.filter(pk__in=[t.pk for t in tokens]).update(
            revoked_at=now, revoked_reason=reason
        )
        TokenEvent.objects.bulk_create(
            TokenEvent(
                kind=TokenEvent.Kind.REVOKED,
                credential_kind=CREDENTIAL_KIND,
                credential_id=token.display_prefix,
                user=user,
                ip=(client_ip(request) or None) if request is not None else None,
                detail={"token_id": token.pk, "reason": reason, "all": True},
            )
            for token in tokens
        )
        lineage.end_signature_keys(user, now=now)
        bump_generation(user)
    for token in tokens:
        token.revoked_at, token.revoked_reason = now, reason
        token_revoked.send(sender=APIToken, token=token, reason=reason)
    # Every token of the user, not only those revoked now: a re-run after a cache outage
    # re-sends the invalidations the first run could not.
    forget_cached(APIToken.objects.filter(user=user).only("digest") if cached_lookups() else ())
    return len(tokens)


def rotate(
    token: APIToken,
    *,
    overlap: timedelta = timedelta(0),
    expires_in: timedelta | Any | None = DEFAULT,
    created_by: Any = None,
    request: HttpRequest | None = None,
) -> tuple[APIToken, str]:
    """Replace ``token`` with a new one carrying the same rights (Stripe's "roll").

    The old token keeps working for ``overlap`` (then it is revoked with the reason
    "Rotated"), so clients can switch without downtime. ``expires_in`` defaults to the old
    token's own lifetime, capped by ``TOKEN_MAX_LIFETIME``. A DPoP-bound token's successor
    is bound to the same key. The successor has the old token's parent and takes over its
    children (:func:`authgate.lineage.hand_over`). Returns ``(new row, plaintext)``.
    """
    if overlap < timedelta(0):
        raise TokenError(_("The overlap cannot be negative."))
    now = timezone.now()
    if expires_in is DEFAULT and token.expires is not None:
        # The same lifetime as the old token had, within today's maximum.
        expires_in = token.expires - token.created
        maximum = token_settings().max_lifetime
        if maximum is not None:
            expires_in = min(expires_in, maximum)
    elif expires_in is DEFAULT and token_settings().allow_non_expiring:
        expires_in = None  # the old token never expired, and that is still allowed
    ends = now + overlap
    with transaction.atomic():
        # Not yet rotated (no revocation, not even a scheduled one): of concurrent rotations
        # the first takes the row lock; the others then see its revoked_at and are refused,
        # instead of each making a successor.
        old = (
            APIToken.objects.select_for_update()
            .filter(pk=token.pk, revoked_at__isnull=True)
            .live(now)
            .first()
        )
        if old is None:
            raise TokenError(
                _("Only a live token can be rotated: this one is %(status)s.")
                % {"status": token.status(now)}
            )
        new, plaintext = issue(
            old.user,
            name=old.name,
            note=old.note,
            scopes=old.scopes,
            policy=old.policy,
            expires_in=expires_in,
            allowed_ips=old.allowed_ips,
            max_uses=old.max_uses,
            extra_data=old.extra_data,
            created_by=created_by,
            request=request,
            dpop_jkt=old.dpop_jkt,
            parent=old.parent,
            parent_key=old.parent_key,
            _rotated_from=old,
        )
        # The successor carries the old token's rights, so it takes over its children:
        # revoking the successor later still ends them.
        lineage.hand_over(old, new)
        reason = _("Rotated; replaced by %(prefix)s") % {"prefix": new.display_prefix}
        APIToken.objects.filter(pk=old.pk).update(revoked_at=ends, revoked_reason=reason)
        audit.record(
            TokenEvent.Kind.ROTATED,
            credential_kind=CREDENTIAL_KIND,
            credential_id=old.display_prefix,
            user=old.user,
            request=request,
            token_id=old.pk,
            new_token_id=new.pk,
            new=new.display_prefix,
            overlap_seconds=int(overlap.total_seconds()),
        )
    token.revoked_at, token.revoked_reason = ends, reason
    token_rotated.send(sender=APIToken, old=token, new=new, overlap=overlap)
    try:
        forget_cached([old])
    except TokenCacheUnreachable:
        # Not raised: the caller would lose the new token's only plaintext. The old row's
        # cached copy ends with TOKEN_CACHE_TIMEOUT; revoke(old) re-sends the invalidation.
        logger.error("Token %s rotated, but the token cache was unreachable", old.display_prefix)
    return new, plaintext
