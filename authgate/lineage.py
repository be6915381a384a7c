"""Lineage and cascade: revoking a credential ends every credential it minted.

:mod:`authgate.derive` records the parent of each minted credential:

* an API token: ``APIToken.parent`` (an API token) or ``APIToken.parent_key`` (a signature
  key), and ``"parent"`` in its ``issued`` audit event;
* a signature key: ``HTTPSignatureKey.parent_token``;
* a scoped token: ``"p"`` in its signed payload, and ``minted_scoped`` on the parent row;
  being stateless it cannot be found and revoked, so its revocation tag covers the user's
  *derived generation*, which a revocation here bumps when a revoked credential has
  minted scoped tokens (:func:`authgate.state.bump_derived_generation`).

:func:`revoke_descendants` walks that graph breadth-first (API tokens transitively, keys
registered with a revoked token, tokens minted with a revoked key), revokes what is still
live with one conditional UPDATE per kind and level, writes one audit row per credential
naming the ancestor it followed, and returns the revoked token rows so the caller can drop
them from the token cache (:func:`authgate.schemes.tokens.service.forget_cached`).

Only database work here: signals and cache invalidation stay with the services.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from authgate.audit import TokenEvent
from authgate.clientip import client_ip
from authgate.schemes.httpsig.models import HTTPSignatureKey
from authgate.schemes.tokens.models import APIToken
from authgate.state import bump_derived_generation

__all__ = [
    "KEY_KIND",
    "TOKEN_KIND",
    "end_signature_keys",
    "hand_over",
    "note_minted",
    "parent_of",
    "reference",
    "revoke_descendants",
]

#: Lineage kinds, as recorded in audit events and in a scoped token's ``"p"`` claim.
TOKEN_KIND = "api_token"  # noqa: S105 - a kind name, not a secret
KEY_KIND = "signature_key"
#: The audit trail's ``credential_kind`` of signature keys.
_KEY_AUDIT_KIND = "httpsig"
#: Lineage is a tree of one user's credentials; a cycle cannot be made through the API,
#: but a hand-edited database must not loop the walk forever.
_MAX_DEPTH = 64


def reference(kind: str, pk: Any) -> str:
    """``"<kind>:<pk>"``: how a child names its parent (audit events, scoped tokens)."""
    return f"{kind}:{pk}"


def parent_of(parent: APIToken | None, parent_key: Any) -> str:
    """The :func:`reference` of a new API token's parent (a token, else a key)."""
    if parent is not None:
        return reference(TOKEN_KIND, parent.pk)
    return reference(KEY_KIND, parent_key.pk)


def _live(now: datetime) -> Q:
    return Q(revoked_at__isnull=True) | Q(revoked_at__gt=now)


def _events(
    rows: Iterable[Any], kind: str, now: datetime, reason: str, request: HttpRequest | None
) -> list[TokenEvent]:
    ip = (client_ip(request) or None) if request is not None else None
    events = []
    for row in rows:
        if isinstance(row, APIToken):
            ancestor = (
                reference(TOKEN_KIND, row.parent_id)
                if row.parent_id is not None
                else reference(KEY_KIND, row.parent_key_id)
            )
            credential_id = row.display_prefix
            detail: dict[str, Any] = {"token_id": row.pk}
        else:
            ancestor = reference(TOKEN_KIND, row.parent_token_id)
            credential_id = row.keyid
            detail = {"key_id": row.pk}
        events.append(
            TokenEvent(
                kind=TokenEvent.Kind.REVOKED,
                credential_kind=kind,
                credential_id=credential_id[:64],
                user_id=row.user_id,
                ip=ip,
                detail={**detail, "reason": reason, "cascade_from": ancestor},
            )
        )
    return events


def revoke_descendants(
    user: Any,
    *,
    tokens: Iterable[int] = (),
    keys: Iterable[int] = (),
    reason: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> list[APIToken]:
    """Revoke every live descendant of the API tokens ``tokens`` and the signature keys
    ``keys`` (primary keys, already revoked by the caller), and end the scoped tokens any
    credential of ``user`` minted. Returns the API-token rows revoked here."""
    now = now or timezone.now()
    reason = reason or "Parent credential revoked"
    token_ids, key_ids = set(tokens), set(keys)
    every_token, every_key = set(token_ids), set(key_ids)
    revoked_tokens: list[APIToken] = []
    for _level in range(_MAX_DEPTH):
        if not token_ids and not key_ids:
            break
        child_tokens = list(
            APIToken.objects.filter(Q(parent__in=token_ids) | Q(parent_key__in=key_ids))
            .filter(_live(now))
            .select_related("user")
        )
        child_keys = list(
            HTTPSignatureKey.objects.filter(parent_token__in=token_ids).filter(_live(now))
        )
        if child_tokens:
            APIToken.objects.filter(pk__in=[t.pk for t in child_tokens]).filter(_live(now)).update(
                revoked_at=now, revoked_reason=reason
            )
        if child_keys:
            HTTPSignatureKey.objects.filter(pk__in=[k.pk for k in child_keys]).filter(
                _live(now)
            ).update(revoked_at=now)
        TokenEvent.objects.bulk_create(
            _events(child_tokens, "api_token", now, reason, request)
            + _events(child_keys, _KEY_AUDIT_KIND, now, reason, request)
        )
        for token in child_tokens:
            token.revoked_at, token.revoked_reason = now, reason
        revoked_tokens.extend(child_tokens)
        token_ids = {t.pk for t in child_tokens}
        key_ids = {k.pk for k in child_keys}
        every_token |= token_ids
        every_key |= key_ids
    if (
        APIToken.objects.filter(pk__in=every_token, minted_scoped=True).exists()
        or HTTPSignatureKey.objects.filter(pk__in=every_key, minted_scoped=True).exists()
    ):
        bump_derived_generation(user)  # their scoped tokens (and their siblings') end
    return revoked_tokens


def note_minted(parent: str) -> None:
    """Record that the credential ``parent`` (a :func:`reference`) minted a scoped token,
    before the token exists: revoking the parent then ends it (:func:`revoke_descendants`).
    Parents of other kinds (an OAuth token, a session) are not revocable here."""
    kind, _sep, pk = parent.partition(":")
    model: Any = {TOKEN_KIND: APIToken, KEY_KIND: HTTPSignatureKey}.get(kind)
    if model is not None:
        model.objects.filter(pk=pk, minted_scoped=False).update(minted_scoped=True)


def end_signature_keys(user: Any, *, now: datetime | None = None) -> list[int]:
    """Revoke every live signature key of ``user`` ("log out everywhere"); their ids."""
    now = now or timezone.now()
    ids = list(
        HTTPSignatureKey.objects.filter(user=user).filter(_live(now)).values_list("pk", flat=True)
    )
    if ids:
        HTTPSignatureKey.objects.filter(pk__in=ids).update(revoked_at=now)
    return ids


def hand_over(old: APIToken, new: APIToken) -> None:
    """A rotated token's children become its successor's (same rights, same lineage)."""
    APIToken.objects.filter(parent=old).exclude(pk=new.pk).update(parent=new)
    HTTPSignatureKey.objects.filter(parent_token=old).update(parent_token=new)
