"""Key material for the RFC 9421 algorithms: loading and checking public keys and secrets.

A verification key is given as a PEM ``SubjectPublicKeyInfo`` or as a JWK (RFC 7517, a
JSON object with ``kty`` ``RSA``, ``EC`` or ``OKP``); a shared HMAC secret as base64
(standard or URL-safe, padding optional). Each key is checked against the ONE algorithm
it is registered for (RFC 9421 §3.3.7 / §7.3.6: a key must not be usable with an
algorithm it was not meant for): an RSA key cannot verify ``ed25519``, a P-384 key cannot
verify ``ecdsa-p256-sha256``, and no public key is ever used as an HMAC secret.
"""

from __future__ import annotations

import base64
import binascii
import functools
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from authgate.core import json_limits

__all__ = [
    "HMAC_MIN_SECRET_BYTES",
    "RSA_MIN_BITS",
    "InvalidKey",
    "decode_secret",
    "load_private_key",
    "load_public_key",
]

#: RFC 2104 §3 / RFC 9421 §3.3.3: a secret shorter than the hash output weakens HMAC.
HMAC_MIN_SECRET_BYTES = 32
#: RSA moduli below this are refused (NIST SP 800-131A).
RSA_MIN_BITS = 2048


class InvalidKey(ValueError):
    """The key material is malformed or does not fit the algorithm; ``str()`` says why."""


def _b64decode(text: str) -> bytes:
    cleaned = "".join(text.split())
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        if "-" in cleaned or "_" in cleaned:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKey("Not valid base64.") from None


def decode_secret(text: str) -> bytes:
    """An HMAC secret from its base64 text; at least :data:`HMAC_MIN_SECRET_BYTES` long."""
    secret = _b64decode(text)
    if len(secret) < HMAC_MIN_SECRET_BYTES:
        raise InvalidKey(f"An HMAC secret must be at least {HMAC_MIN_SECRET_BYTES} bytes.")
    return secret


def _jwk_int(jwk: dict[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise InvalidKey(f"The JWK has no {name!r} member.")
    return int.from_bytes(_b64decode(value), "big")


def _public_from_jwk(jwk: dict[str, Any]) -> Any:
    kty = jwk.get("kty")
    if "d" in jwk:
        raise InvalidKey("This JWK contains a private key: register the public key only.")
    if kty == "OKP" and jwk.get("crv") == "Ed25519":
        try:
            return ed25519.Ed25519PublicKey.from_public_bytes(_b64decode(str(jwk.get("x", ""))))
        except ValueError:
            raise InvalidKey("Invalid Ed25519 JWK.") from None
    if kty == "EC" and jwk.get("crv") == "P-256":
        numbers = ec.EllipticCurvePublicNumbers(
            _jwk_int(jwk, "x"), _jwk_int(jwk, "y"), ec.SECP256R1()
        )
        try:
            return numbers.public_key()
        except ValueError:
            raise InvalidKey("The JWK point is not on the P-256 curve.") from None
    if kty == "RSA":
        try:
            return rsa.RSAPublicNumbers(_jwk_int(jwk, "e"), _jwk_int(jwk, "n")).public_key()
        except ValueError:
            raise InvalidKey("Invalid RSA JWK.") from None
    raise InvalidKey("Unsupported JWK: use kty RSA, EC (P-256) or OKP (Ed25519).")


def _check(algorithm: str, key: Any) -> Any:
    if algorithm == "ed25519":
        ok = isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey)
    elif algorithm == "ecdsa-p256-sha256":
        ok = isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) and isinstance(
            key.curve, ec.SECP256R1
        )
    elif algorithm in {"rsa-pss-sha512", "rsa-v1_5-sha256"}:
        ok = isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey)
        if ok and key.key_size < RSA_MIN_BITS:
            raise InvalidKey(f"RSA keys must have at least {RSA_MIN_BITS} bits.")
    else:
        raise InvalidKey(f"{algorithm!r} does not use a public key.")
    if not ok:
        raise InvalidKey(f"This key cannot be used with {algorithm}.")
    return key


@functools.lru_cache(maxsize=1024)
def load_public_key(algorithm: str, material: str) -> Any:
    """The ``cryptography`` public key for PEM or JWK ``material``, checked for ``algorithm``.

    Memoized: parsing a key costs more than verifying with it, and the same few keys sign
    most requests. Only successful loads are cached.
    """
    text = material.strip()
    if text.startswith("{"):
        try:
            # A JWK is flat (RSA's "oth" is a list of objects: 3 levels); a deep one is
            # refused before the recursive parser sees it (a RecursionError is a 500).
            jwk = json_limits.loads(text, max_depth=4)
        except json_limits.JSONRefused:
            raise InvalidKey("Not a valid JWK (JSON).") from None
        if not isinstance(jwk, dict):
            raise InvalidKey("A JWK is a JSON object.")
        return _check(algorithm, _public_from_jwk(jwk))
    if "PRIVATE KEY" in text:
        raise InvalidKey("This is a private key: register the public key only.")
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidKey("Not a PEM public key (-----BEGIN PUBLIC KEY-----) or a JWK.") from None
    return _check(algorithm, key)


def load_private_key(algorithm: str, material: bytes | str | Any) -> Any:
    """A signing key for ``algorithm``: HMAC secret bytes, or a private key (PEM or object)."""
    if algorithm == "hmac-sha256":
        if isinstance(material, str):
            return decode_secret(material)
        if not isinstance(material, bytes) or len(material) < HMAC_MIN_SECRET_BYTES:
            raise InvalidKey(f"An HMAC secret must be at least {HMAC_MIN_SECRET_BYTES} bytes.")
        return material
    if isinstance(material, str):
        material = material.encode("ascii")
    if isinstance(material, bytes):
        try:
            material = serialization.load_pem_private_key(material, password=None)
        except (ValueError, TypeError):
            raise InvalidKey("Not an unencrypted PEM private key.") from None
    return _check(algorithm, material)
