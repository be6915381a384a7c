"""Registering, creating and revoking HTTP Message Signature keys (RFC 9421).

The one place that validates key material before a row is saved, used by the admin, the
token pages and your own code:

* :func:`register_public_key` — a client's public key (PEM or JWK), checked against the
  ONE algorithm it will be used with;
* :func:`create_hmac_key` — a fresh 256-bit shared secret for ``hmac-sha256``, returned
  once (base64) and stored for verification (see :mod:`authgate.models.httpsig`);
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

from authgate.models import HTTPSignatureKey

__all__ = [
    "KEYID_PREFIX",
    "backend_enabled",
    "clean_public_key",
    "create_hmac_key",
    "new_keyid",
    "register_public_key",
    "revoke",
]

#: Generated key ids look like ``agk_<16 random characters>`` (not secret).
KEYID_PREFIX = "agk_"
_SECRET_BYTES = 32


def backend_enabled() -> bool:
    """Whether an :class:`~authgate.backends.httpsig.HTTPSignatureBackend` is in the chain.

    Decided without importing the backend (it needs the ``[httpsig]`` extra): loading the
    chain imports every configured backend's module, so if that module is not imported,
    the backend is not configured.
    """
    from authgate.chain import load_backends

    backends = load_backends()
    module = sys.modules.get("authgate.backends.httpsig")
    return module is not None and any(
        isinstance(backend, module.HTTPSignatureBackend) for backend in backends
    )


def new_keyid() -> str:
    """A fresh, unguessable key id."""
    return KEYID_PREFIX + secrets.token_urlsafe(12)


def clean_public_key(algorithm: str, material: str) -> str:
    """``material`` stripped, or :class:`ValidationError` if it cannot verify ``algorithm``."""
    # Imported here: the key code needs the [httpsig] extra, the admin and pages do not.
    from authgate.httpsig.keys import InvalidKey, load_public_key

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
) -> HTTPSignatureKey:
    """Store a client's public key for ``algorithm`` (validated) and return the row."""
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
            )
    except IntegrityError:
        raise ValidationError(_("This key id is already registered.")) from None


def create_hmac_key(
    user: Any, *, name: str = "", keyid: str | None = None, expires: datetime | None = None
) -> tuple[HTTPSignatureKey, str]:
    """A new ``hmac-sha256`` key and its secret (base64) — shown to the client once."""
    secret = base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")
    key = HTTPSignatureKey.objects.create(
        user=user,
        algorithm=HTTPSignatureKey.Algorithm.HMAC_SHA256,
        secret=secret,
        name=name,
        keyid=keyid or new_keyid(),
        expires=expires,
    )
    return key, secret


def revoke(key: HTTPSignatureKey, *, when: datetime | None = None) -> None:
    """Revoke ``key`` now (or at ``when``); an already revoked key keeps its first time."""
    if key.revoked_at is not None and key.revoked_at <= timezone.now():
        return
    key.revoked_at = when or timezone.now()
    HTTPSignatureKey.objects.filter(pk=key.pk).update(revoked_at=key.revoked_at)
