"""Registering, creating and revoking HTTP Message Signature keys (RFC 9421).

The one place that validates key material before a row is saved, used by the admin, the
token pages and your own code:

* :func:`register_public_key` — a client's public key (PEM or JWK), checked against the
  ONE algorithm it will be used with;
* :func:`create_hmac_key` — a fresh 256-bit shared secret for ``hmac-sha256``, returned
  once (base64) and stored sealed for verification (:mod:`.protocol.sealing`);
  :func:`open_secret` opens it, :func:`reseal_secrets` follows a ``SECRET_KEY`` rotation;
* :func:`revoke` — effective on the next request of every worker (no cache involved).
"""

from __future__ import annotations

import base64
import secrets
import sys
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from authgate import lineage
from authgate.schemes.httpsig.models import HTTPSignatureKey
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.service import forget_cached
from authgate.signals import token_revoked
from authgate.signing import keyring

__all__ = [
    "KEYID_PREFIX",
    "backend_enabled",
    "clean_public_key",
    "create_hmac_key",
    "new_keyid",
    "open_secret",
    "register_public_key",
    "reseal_secrets",
    "revoke",
]

#: Generated key ids look like ``agk_<16 random characters>`` (not secret).
KEYID_PREFIX = "agk_"
_SECRET_BYTES = 32


def backend_enabled() -> bool:
    """Whether an :class:`~authgate.schemes.httpsig.backend.HTTPSignatureBackend` is in the chain.

    Decided without importing the backend (it needs the ``[httpsig]`` extra): loading the
    chain imports every configured backend's module, so if that module is not imported,
    the backend is not configured.
    """
    from authgate.chain import load_backends

    backends = load_backends()
    module = sys.modules.get("authgate.schemes.httpsig.backend")
    return module is not None and any(
        isinstance(backend, module.HTTPSignatureBackend) for backend in backends
    )


def new_keyid() -> str:
    """A fresh, unguessable key id."""
    return KEYID_PREFIX + secrets.token_urlsafe(12)


def clean_public_key(algorithm: str, material: str) -> str:
    """``material`` stripped, or :class:`ValidationError` if it cannot verify ``algorithm``."""
    # Imported here: the key code needs the [httpsig] extra, the admin and pages do not.
    from authgate.schemes.httpsig.protocol.key_material import InvalidKey, load_public_key

    if (
        algorithm not in HTTPSignatureKey.Algorithm.values
        or algorithm == HTTPSignatureKey.Algorithm.HMAC_SHA256
    ):
        raise ValidationError(_("Choose an asymmetric algorithm for a public key."))
    try:
        load_public_key(algorithm, material.strip())
    except InvalidKey as exc:
        raise ValidationError(str(exc)) from None
    return material.strip()


def register_public_key(
    user: Any,
    *,
    algorithm: str,
    public_key: str,
    name: str = "",
    keyid: str | None = None,
    expires: datetime | None = None,
    parent_token: Any = None,
) -> HTTPSignatureKey:
    """Store a client's public key for ``algorithm`` (validated) and return the row.

    ``parent_token``: the API token whose session registers the key (lineage: revoking the
    token revokes the key); :func:`authgate.derive.derive` decides what it may register.
    """
    material = clean_public_key(algorithm, public_key)
    keyid = keyid or new_keyid()
    try:
        with transaction.atomic():  # the unique index decides, also between racing requests
            return HTTPSignatureKey.objects.create(
                user=user,
                algorithm=algorithm,
                public_key=material,
                name=name,
                keyid=keyid,
                expires=expires,
                parent_token=parent_token,
            )
    except IntegrityError:
        raise ValidationError(_("This key id is already registered.")) from None


def create_hmac_key(
    user: Any, *, name: str = "", keyid: str | None = None, expires: datetime | None = None
) -> tuple[HTTPSignatureKey, str]:
    """A new ``hmac-sha256`` key and its secret (base64) — shown to the client once."""
    from authgate.schemes.httpsig.protocol import sealing

    secret = base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")
    keyid = keyid or new_keyid()
    key = HTTPSignatureKey.objects.create(
        user=user,
        algorithm=HTTPSignatureKey.Algorithm.HMAC_SHA256,
        secret=sealing.seal(secret, keyid=keyid, ring=keyring()),
        name=name,
        keyid=keyid,
        expires=expires,
    )
    return key, secret


def open_secret(key: HTTPSignatureKey) -> str:
    """The base64 secret of an ``hmac-sha256`` key, opened from its sealed column.

    Opened by a ``SECRET_KEY_FALLBACKS`` key, it is sealed again under ``SECRET_KEY`` (one
    conditional ``UPDATE``), so keys in use follow a key rotation by themselves. Raises
    :class:`~.protocol.key_material.InvalidKey` if no key of the ring opens it.
    """
    from authgate.schemes.httpsig.protocol import sealing

    secret, current = sealing.unseal(key.secret, keyid=key.keyid, ring=keyring())
    if not current:
        _reseal(key, secret)
    return secret


def _reseal(key: HTTPSignatureKey, secret: str) -> bool:
    from authgate.schemes.httpsig.protocol import sealing

    resealed = sealing.seal(secret, keyid=key.keyid, ring=keyring())
    # Conditional: a concurrent reseal (or a rotation elsewhere) is not overwritten.
    changed = HTTPSignatureKey.objects.filter(pk=key.pk, secret=key.secret).update(secret=resealed)
    key.secret = resealed
    return bool(changed)


def reseal_secrets() -> tuple[int, int]:
    """Seal every HMAC secret a fallback key opens under ``SECRET_KEY``: run it before
    removing the old key from ``SECRET_KEY_FALLBACKS``. Returns ``(resealed, unopenable)``;
    an unopenable secret (sealed under a key no longer in the ring) is left as it is."""
    from authgate.schemes.httpsig.protocol import sealing
    from authgate.schemes.httpsig.protocol.key_material import InvalidKey

    resealed = unopenable = 0
    ring = keyring()
    for key in HTTPSignatureKey.objects.filter(algorithm=HTTPSignatureKey.Algorithm.HMAC_SHA256):
        try:
            secret, current = sealing.unseal(key.secret, keyid=key.keyid, ring=ring)
        except InvalidKey:
            unopenable += 1
            continue
        if not current and _reseal(key, secret):
            resealed += 1
    return resealed, unopenable


def revoke(key: HTTPSignatureKey, *, when: datetime | None = None) -> None:
    """Revoke ``key`` now (or at ``when``); an already revoked key keeps its first time.

    What the key minted ends with it (:func:`authgate.lineage.revoke_descendants`): the API
    tokens created with it, transitively, and its scoped tokens.
    """
    if key.revoked_at is not None and key.revoked_at <= timezone.now():
        return
    key.revoked_at = when or timezone.now()
    HTTPSignatureKey.objects.filter(pk=key.pk).update(revoked_at=key.revoked_at)
    children = lineage.revoke_descendants(key.user, keys=[key.pk], now=key.revoked_at)
    for child in children:
        token_revoked.send(sender=APIToken, token=child, reason=child.revoked_reason)
    forget_cached(children)
