"""Shared HMAC secrets sealed at rest with AES-256-GCM (NIST SP 800-38D).

An ``hmac-sha256`` key's secret has to be stored, since the verifier recomputes the MAC;
sealed, a copy of the database alone no longer gives it away. ::

    sealed = "agenc1_" + base64url(nonce (12 random bytes) + AES-256-GCM(secret))

The AES key is a :meth:`~authgate.core.keyring.KeyRing.subkeys` key of the ring
(``SECRET_KEY`` seals; it and every fallback open), and the associated data is
:data:`NAMESPACE` and the key id, so a sealed secret copied onto another key does not open.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from authgate.core.encoding import b64url_decode, b64url_encode
from authgate.core.keyring import KeyRing
from authgate.schemes.httpsig.protocol.key_material import InvalidKey

__all__ = ["NAMESPACE", "PREFIX", "is_sealed", "seal", "unseal"]

PREFIX = "agenc1_"
NAMESPACE = "authgate.httpsig.secret.v1"
_NONCE_BYTES = 12  # GCM's native nonce size; random, so at most ~2^32 seals per key


def _associated_data(keyid: str) -> bytes:
    return f"{NAMESPACE}\x00{keyid}".encode()


def is_sealed(value: str) -> bool:
    """Whether ``value`` is in the sealed format (not whether it opens)."""
    return value.startswith(PREFIX)


def seal(secret: str, *, keyid: str, ring: KeyRing) -> str:
    """``secret`` sealed for the key ``keyid`` under the ring's current key."""
    key = ring.subkeys(namespace=NAMESPACE)[0]
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, secret.encode("utf-8"), _associated_data(keyid))
    return PREFIX + b64url_encode(nonce + sealed)


def unseal(value: str, *, keyid: str, ring: KeyRing) -> tuple[str, bool]:
    """The secret sealed in ``value`` for ``keyid``, and whether the ring's current key
    opened it (``False``: a fallback did; seal it again before that key is retired).

    Raises :class:`~.key_material.InvalidKey` if it is not sealed, is damaged, was
    sealed for another key id, or no key of the ring opens it.
    """
    if not is_sealed(value):
        raise InvalidKey("The secret is not sealed.")
    data = b64url_decode(value[len(PREFIX) :])
    if data is None:
        raise InvalidKey("The sealed secret is not valid base64url.")
    nonce, sealed = data[:_NONCE_BYTES], data[_NONCE_BYTES:]
    if len(nonce) != _NONCE_BYTES or not sealed:
        raise InvalidKey("The sealed secret is truncated.")
    aad = _associated_data(keyid)
    for index, key in enumerate(ring.subkeys(namespace=NAMESPACE)):
        try:
            secret = AESGCM(key).decrypt(nonce, sealed, aad)
        except InvalidTag:
            continue
        return secret.decode("utf-8"), index == 0
    raise InvalidKey("No key of SECRET_KEY and SECRET_KEY_FALLBACKS opens the sealed secret.")
