"""Per-user revocation state and the record of one-time tokens already used.

Stateless signed tokens (scoped tokens, magic links) cannot be deleted, so their signature
covers a per-user *generation*: bumping it (``revoke_all``, "log out everywhere") makes
every outstanding signed token of that user fail at once. One-time tokens are consumed by
inserting their id under a primary key, so the database guarantees "exactly once".

The operations on them are safe under concurrency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

__all__ = [
    "UsedToken",
    "UserAuthState",
    "bump_derived_generation",
    "bump_generation",
    "consume_once",
    "derived_generation_of",
    "generation_of",
    "note_no_state",
]


class UserAuthState(models.Model):
    """One row per user who ever had their signed tokens revoked (absent means generation 0)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="authgate_state",
        verbose_name=_("user"),
    )
    generation = models.PositiveBigIntegerField(_("generation"), default=0)
    #: Bumped when an API token or a signature key is revoked: the signed credentials that
    #: such a credential minted (scoped tokens with a parent) carry it in their revocation
    #: tag, so they stop with it at no cost on the request path (the row is already read).
    derived_generation = models.PositiveBigIntegerField(_("derived generation"), default=0)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("user authentication state")
        verbose_name_plural = _("user authentication states")

    def __str__(self) -> str:
        return f"generation {self.generation}"


class UsedToken(models.Model):
    """A one-time token that has been used; its SHA-256 id is the primary key."""

    token_id = models.CharField(_("token id"), max_length=64, primary_key=True)
    kind = models.CharField(_("kind"), max_length=16)
    used_at = models.DateTimeField(_("used at"), auto_now_add=True)
    #: After this the token is refused anyway, so ``authgate cleanup`` may delete the row.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("used one-time token")
        verbose_name_plural = _("used one-time tokens")

    def __str__(self) -> str:
        return f"{self.kind} {self.token_id[:8]}…"


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


def derived_generation_of(user: Any) -> int:
    """The user's derived generation (see :attr:`UserAuthState.derived_generation`), read
    from the same ``select_related`` row as :func:`generation_of`."""
    state: Any = _STATE.get_cached_value(user, default=_UNLOADED)
    if state is _UNLOADED:
        try:
            state = user.authgate_state
        except UserAuthState.DoesNotExist:
            return 0
    return 0 if state is None else int(state.derived_generation)


def note_no_state(user: Any) -> None:
    """Record on a user instance that it has no state row (generation 0), as
    ``select_related`` would: for a user just created, which cannot have one yet."""
    _STATE.set_cached_value(user, None)


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


def bump_derived_generation(user: Any) -> int:
    """End every scoped token of ``user`` that a credential (not a session or a password)
    minted: called when an API token or a signature key is revoked (:mod:`authgate.lineage`).

    Coarser than the one revoked parent (its siblings' scoped children end too: they are
    minutes-long and re-minted by their own parents), in exchange for no work at all on the
    request path: the generation is on the row the user lookup already joins.
    """
    for _attempt in range(3):
        updated = UserAuthState.objects.filter(user=user).update(
            derived_generation=F("derived_generation") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    UserAuthState.objects.create(user=user, derived_generation=1)
            except IntegrityError:
                continue
        state = UserAuthState.objects.get(user=user)
        user.authgate_state = state
        return int(state.derived_generation)
    raise RuntimeError("could not bump the derived generation")  # pragma: no cover


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
