"""API tokens: opaque secrets stored only as a digest, with policy, scopes, expiry, revocation.

A row never holds the token itself. ``digest`` is SHA-256 of the token (versioned by
``digest_version``, see :mod:`authgate.core.opaque`) under a unique index, so a request
costs one indexed lookup; ``display_prefix`` (``agt_`` plus six random characters) is the
non-secret handle that lists, logs, the admin and the command line show.

``dpop_jkt``, when set, binds the token to a client's key (RFC 9449, DPoP): the RFC 7638
thumbprint of its public key, so the token works only with a fresh proof signed by that key
(:mod:`authgate.schemes.tokens.binding`).

Revocation follows djblets (``valid`` / ``invalid_date`` / ``invalid_reason``, available
as properties) but is stored as one nullable time, ``revoked_at``: a time in the future is
a scheduled revocation, which is how a rotated token keeps working through its overlap.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from authgate.lifetime import RevocableQuerySet

__all__ = ["APIToken", "APITokenQuerySet"]


class APITokenQuerySet(RevocableQuerySet):
    """Filters by status, all relative to ``now`` (default: the current time)."""

    def unrevoked(self, now: datetime | None = None) -> APITokenQuerySet:
        """Tokens not (yet) revoked, whether expired or not."""
        now = now or timezone.now()
        return self.filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=now))


class APIToken(models.Model):
    """One API token of a user (many per user; see ``MAX_TOKENS_PER_USER``)."""

    class Format(models.TextChoices):
        OPAQUE = "opaque", _("authgate token")
        #: A ``rest_framework.authtoken`` key imported by ``authgate import-drf-tokens``:
        #: accepted (with ``X-API-Token-Deprecated``) while clients move to the new format.
        DRF = "drf", _("imported DRF key (deprecated)")
        #: A django-rest-knox token imported by ``authgate import-knox-tokens``: knox's own
        #: SHA-512 digest, its 15-character key as the display prefix.
        KNOX = "knox", _("imported knox token (deprecated)")
        #: A djangorestframework-api-key key imported by ``authgate import-api-keys``: its
        #: password hash is checked once, then replaced by authgate's digest.
        API_KEY = "apikey", _("imported API key (deprecated)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="authgate_api_tokens",
        verbose_name=_("user"),
        db_index=False,  # authgate_apitoken_user_idx (user, revoked_at) serves user_id
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    display_prefix = models.CharField(
        _("token prefix"),
        max_length=20,
        editable=False,
        help_text=_("The start of the token: safe to show, not enough to use it."),
    )
    #: Unique through ``Meta.constraints``, not ``unique=True``: on PostgreSQL that would also
    #: build a ``varchar_pattern_ops`` index for LIKE queries no one makes on a digest.
    digest = models.CharField(_("digest"), max_length=128, editable=False)
    digest_version = models.PositiveSmallIntegerField(_("digest version"), editable=False)
    token_format = models.CharField(
        _("format"), max_length=8, choices=Format.choices, default=Format.OPAQUE, editable=False
    )
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(
        _("last used from"), null=True, blank=True, editable=False
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_reason = models.TextField(_("revocation reason"), blank=True, editable=False)
    #: A djblets API-token policy (``{"resources": {...}}``); empty means full access.
    policy = models.JSONField(_("policy"), default=dict, blank=True)
    #: Registered scope names; ``None`` means not limited by scope (the user's full rights).
    scopes = models.JSONField(_("scopes"), null=True, blank=True, default=None)
    #: IP addresses and networks (CIDR) the token may be used from; empty means anywhere.
    allowed_ips = models.JSONField(_("allowed client IPs"), default=list, blank=True)
    max_uses = models.PositiveIntegerField(
        _("maximum uses"), null=True, blank=True, help_text=_("1 makes a one-time token.")
    )
    use_count = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    extra_data = models.JSONField(_("extra data"), default=dict, blank=True)
    #: The RFC 7638 SHA-256 thumbprint (base64url, 43 characters) of the client key the
    #: token is bound to (DPoP, RFC 9449); empty: a bearer token. Set at issue, never changed.
    dpop_jkt = models.CharField(
        _("DPoP key thumbprint"),
        max_length=43,
        blank=True,
        default="",
        editable=False,
        help_text=_("Bound to this key: the token works only with a DPoP proof signed by it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    rotated_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rotated_to",
        verbose_name=_("rotated from"),
        editable=False,
    )

    #: Lineage (authgate.derive): the API token, or the HTTP-signature key, whose request
    #: created this token. Revoking either revokes this token too (authgate.lineage).
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("created with token"),
        editable=False,
    )
    parent_key = models.ForeignKey(
        "authgate.HTTPSignatureKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="child_tokens",
        verbose_name=_("created with signature key"),
        editable=False,
    )
    #: Has minted a scoped token: revoking it must end that token too (authgate.lineage
    #: bumps the user's derived generation only then).
    minted_scoped = models.BooleanField(_("minted scoped tokens"), default=False, editable=False)

    objects = APITokenQuerySet.as_manager()

    #: Not a field: the :meth:`status` the token pages show, set by
    #: :mod:`authgate.pages.tokens` before a template reads it (one ``now`` per page).
    page_status: str

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        # Only the indexes queries use: each one more is written on every insert, stored, and
        # weighed by PostgreSQL's planner on every unprepared token lookup.
        constraints = [
            models.UniqueConstraint(fields=["digest"], name="authgate_apitoken_digest_uniq")
        ]
        indexes = [
            models.Index(fields=["user", "revoked_at"], name="authgate_apitoken_user_idx"),
            # Exact matches only (`authgate revoke <prefix>`); no LIKE index, as for digest.
            models.Index(fields=["display_prefix"], name="authgate_apitoken_prefix_idx"),
        ]

    def __str__(self) -> str:
        label = f"{self.display_prefix}…"
        return f"{label} ({self.name})" if self.name else label

    # --- status ---------------------------------------------------------------------

    def is_revoked(self, now: datetime | None = None) -> bool:
        """Revoked at or before ``now`` (a rotated token's future revocation is not yet)."""
        return self.revoked_at is not None and self.revoked_at <= (now or timezone.now())

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires is not None and self.expires <= (now or timezone.now())

    def is_used_up(self) -> bool:
        return self.max_uses is not None and self.use_count >= self.max_uses

    def status(self, now: datetime | None = None) -> str:
        """``"revoked"``, ``"expired"``, ``"used up"``, ``"rotating"`` or ``"active"``."""
        now = now or timezone.now()
        if self.is_revoked(now):
            return "revoked"
        if self.is_expired(now):
            return "expired"
        if self.is_used_up():
            return "used up"
        if self.revoked_at is not None:
            return "rotating"
        return "active"

    # djblets' names for the same facts.

    @property
    def valid(self) -> bool:
        return not self.is_revoked()

    @property
    def invalid_date(self) -> datetime | None:
        return self.revoked_at

    @property
    def invalid_reason(self) -> str:
        return self.revoked_reason

    @property
    def dpop_label(self) -> str:
        """The bound key's thumbprint, shortened for lists (``""``: not bound)."""
        return f"{self.dpop_jkt[:8]}…" if self.dpop_jkt else ""

    @property
    def is_deprecated_format(self) -> bool:
        """An imported credential of another package (DRF, knox, api-key)."""
        return self.token_format != self.Format.OPAQUE
