"""Keys of HTTP Message Signature clients (RFC 9421), one row per ``keyid``.

Each key belongs to one user and is bound to ONE algorithm (RFC 9421 §7.3.6: never let the
``alg`` a client sends choose how a key is used). Asymmetric keys store only the public
half (PEM ``SubjectPublicKeyInfo`` or a JWK); ``hmac-sha256`` keys must store the shared
secret itself — a verifier needs it to recompute the MAC. ``secret`` holds it sealed with
AES-256-GCM under a key derived from ``SECRET_KEY`` (:mod:`.protocol.sealing`), so a
copy of the database alone does not give it away; it is never shown by the admin or the
pages. Asymmetric keys remain the better choice: they put nothing secret on the server.

A request costs one query on the unique ``keyid`` index, joined to the user.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from authgate.lifetime import RevocableQuerySet

__all__ = ["HTTPSignatureKey", "HTTPSignatureKeyQuerySet"]


class HTTPSignatureKeyQuerySet(RevocableQuerySet):
    """Signature keys by status: :meth:`~RevocableQuerySet.live`."""


class HTTPSignatureKey(models.Model):
    """A client's signature key: its ``keyid``, its one algorithm, its key material."""

    class Algorithm(models.TextChoices):
        ED25519 = "ed25519", "ed25519"
        ECDSA_P256_SHA256 = "ecdsa-p256-sha256", "ecdsa-p256-sha256"
        RSA_PSS_SHA512 = "rsa-pss-sha512", "rsa-pss-sha512"
        RSA_V1_5_SHA256 = "rsa-v1_5-sha256", "rsa-v1_5-sha256 (legacy)"
        HMAC_SHA256 = "hmac-sha256", _("hmac-sha256 (shared secret)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="authgate_signature_keys",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    keyid = models.CharField(
        _("key id"),
        max_length=200,
        unique=True,
        help_text=_("The keyid signature parameter clients send (RFC 9421 §2.3)."),
    )
    algorithm = models.CharField(_("algorithm"), max_length=32, choices=Algorithm.choices)
    public_key = models.TextField(
        _("public key"), blank=True, help_text=_("PEM (BEGIN PUBLIC KEY) or a JWK.")
    )
    #: The shared secret of an hmac-sha256 key, sealed (protocol.sealing): open it with
    #: authgate.schemes.httpsig.service.open_secret. Never displayed.
    secret = models.TextField(_("shared secret"), blank=True, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    #: Lineage (authgate.derive): the API token whose session registered this key, if any.
    #: Revoking that token revokes this key (authgate.lineage).
    parent_token = models.ForeignKey(
        "authgate.APIToken",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="child_keys",
        verbose_name=_("registered with token"),
        editable=False,
    )
    #: Has minted a scoped token: revoking it must end that token too (authgate.lineage
    #: bumps the user's derived generation only then).
    minted_scoped = models.BooleanField(_("minted scoped tokens"), default=False, editable=False)

    objects = HTTPSignatureKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("HTTP signature key")
        verbose_name_plural = _("HTTP signature keys")

    def __str__(self) -> str:
        return f"{self.keyid} ({self.algorithm})"

    @property
    def is_symmetric(self) -> bool:
        """Whether this key is a shared secret (HMAC) rather than a public key."""
        return self.algorithm == self.Algorithm.HMAC_SHA256

    def is_live(self, now: datetime | None = None) -> bool:
        """Not revoked and not expired at ``now``."""
        now = now or timezone.now()
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return self.expires is None or self.expires > now
