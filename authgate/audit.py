"""The audit trail: what happened to which credential, never the secret itself.

``TokenEvent`` is the table; :func:`record` appends to it. Callers pass identifiers
(display prefixes, id hashes), never secrets.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from authgate.clientip import client_ip

__all__ = ["TokenEvent", "record"]


class TokenEvent(models.Model):
    """One event in a credential's life: issued, used from a new IP, revoked, rotated, failed.

    ``credential_id`` names the credential without revealing it: an API token's display
    prefix, a scoped token's or link's id hash prefix. Nothing here is secret.
    """

    class Kind(models.TextChoices):
        ISSUED = "issued", _("issued")
        USED_NEW_IP = "used_new_ip", _("used from a new IP")
        USED = "used", _("used")
        REVOKED = "revoked", _("revoked")
        ROTATED = "rotated", _("rotated")
        EXPIRED_USE = "expired_use", _("use after expiry")
        FAILED = "failed", _("failed")

    credential_kind = models.CharField(_("credential kind"), max_length=16)
    credential_id = models.CharField(_("credential"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="authgate_events",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("token event")
        verbose_name_plural = _("token events")
        indexes = [models.Index(fields=["credential_kind", "credential_id"])]

    def __str__(self) -> str:
        return f"{self.credential_kind} {self.credential_id} {self.kind}"


def record(
    kind: str,
    *,
    credential_kind: str,
    credential_id: str = "",
    user: Any = None,
    request: HttpRequest | None = None,
    **detail: Any,
) -> TokenEvent:
    """Append an event to the audit trail (``TokenEvent``)."""
    return TokenEvent.objects.create(
        kind=kind,
        credential_kind=credential_kind,
        credential_id=credential_id[:64],
        user=user if getattr(user, "pk", None) is not None else None,
        ip=(client_ip(request) or None) if request is not None else None,
        detail=detail,
    )
