"""Operations on per-user revocation state and one-time token use, safe under concurrency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from authgate.models import UsedToken, UserAuthState

__all__ = ["bump_generation", "consume_once", "generation_of"]


def generation_of(user: Any) -> int:
    """The user's revocation generation, from a ``select_related("authgate_state")`` row."""
    # Most users have no state row: read the related-object cache select_related filled
    # rather than raise and catch DoesNotExist (~1 µs) on every signed token they use.
    state: Any = _STATE.get_cached_value(user, default=_UNLOADED)
    if state is _UNLOADED:
        try:
            state = user.authgate_state  # not selected with the user: one query
        except UserAuthState.DoesNotExist:
            return 0
    return 0 if state is None else int(state.generation)


#: The reverse one-to-one (user -> UserAuthState) whose cache select_related fills.
_STATE = UserAuthState._meta.get_field("user").remote_field
_UNLOADED = object()


def bump_generation(user: Any) -> int:
    """Invalidate every signed token of ``user`` at once; returns the new generation.

    An atomic ``UPDATE … SET generation = generation + 1``, falling back to an insert for a
    user without a row; concurrent bumps never lose an increment.
    """
    for _attempt in range(3):
        updated = UserAuthState.objects.filter(user=user).update(generation=F("generation") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    UserAuthState.objects.create(user=user, generation=1)
            except IntegrityError:
                continue  # another request created it first: increment that row
        state = UserAuthState.objects.get(user=user)
        # Keep a loaded user consistent with the database.
        user.authgate_state = state
        return int(state.generation)
    raise RuntimeError("could not bump the revocation generation")  # pragma: no cover


def consume_once(token_id: str, *, kind: str, expires_at: datetime | None = None) -> bool:
    """Record that a one-time token was used: ``True`` the first time, ``False`` after.

    The primary key makes it exactly once across every worker: of two concurrent inserts,
    PostgreSQL makes the second wait for the first to commit, then fails it.
    """
    try:
        with transaction.atomic():
            UsedToken.objects.create(token_id=token_id, kind=kind, expires_at=expires_at)
    except IntegrityError:
        return False
    return True
