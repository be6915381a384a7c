"""Per-user revocation state and the record of one-time tokens already used.

Stateless signed tokens (scoped tokens, magic links) cannot be deleted, so their signature
covers a per-user *generation*: bumping it (``revoke_all``, "log out everywhere") makes
every outstanding signed token of that user fail at once. One-time tokens are consumed by
inserting their id under a primary key, so the database guarantees "exactly once".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["UsedToken", "UserAuthState"]


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
