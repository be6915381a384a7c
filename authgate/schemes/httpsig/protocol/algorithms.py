"""The signature algorithms of RFC 9421 §3.3, on top of ``cryptography``.

=====================  =============================================  =====================
name                   what                                           here
=====================  =============================================  =====================
``rsa-pss-sha512``     RSASSA-PSS, SHA-512, MGF1-SHA-512, 64-byte salt  sign and verify (§3.3.1)
``rsa-v1_5-sha256``    RSASSA-PKCS1-v1_5, SHA-256                     verify (§3.3.2)
``hmac-sha256``        HMAC-SHA-256, constant-time comparison         sign and verify (§3.3.3)
``ecdsa-p256-sha256``  ECDSA P-256, raw ``r || s``, 64 bytes          sign and verify (§3.3.4)
``ed25519``            EdDSA on Curve25519 (RFC 8032)                 sign and verify (§3.3.6)
=====================  =============================================  =====================

:func:`verify` returns nothing and raises :class:`VerificationFailed`; it never lets a
``cryptography`` exception escape, whatever the signature bytes are.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from authgate.schemes.httpsig.protocol.errors import VerificationFailed

__all__ = ["ALGORITHMS", "SIGNING_ALGORITHMS", "sign", "verify"]

#: Every algorithm this module verifies.
ALGORITHMS = ("ed25519", "ecdsa-p256-sha256", "rsa-pss-sha512", "rsa-v1_5-sha256", "hmac-sha256")
#: The ones it can also sign with (rsa-v1_5 is verify-only: RFC 9421 §3.3.2 keeps it for
#: legacy signers).
SIGNING_ALGORITHMS = ("ed25519", "ecdsa-p256-sha256", "rsa-pss-sha512", "hmac-sha256")

_P256_BYTES = 32


def _pss() -> padding.PSS:
    # §3.3.1: MGF1 with SHA-512 and a salt of 64 bytes.
    return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


def sign(algorithm: str, key: Any, data: bytes) -> bytes:
    """The signature of ``data`` (a signature base) with the private key or secret ``key``."""
    if algorithm == "hmac-sha256":
        return hmac.new(key, data, hashlib.sha256).digest()
    if algorithm == "ed25519":
        return key.sign(data)  # type: ignore[no-any-return]
    if algorithm == "ecdsa-p256-sha256":
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    if algorithm == "rsa-pss-sha512":
        return key.sign(data, _pss(), hashes.SHA512())  # type: ignore[no-any-return]
    raise ValueError(f"Cannot sign with {algorithm!r}.")


def verify(algorithm: str, key: Any, data: bytes, signature: bytes) -> None:
    """Raise :class:`VerificationFailed` unless ``signature`` is valid for ``data``."""
    if algorithm not in ALGORITHMS:
        raise VerificationFailed(f"Unsupported algorithm {algorithm!r}.")
    try:
        if algorithm == "hmac-sha256":
            expected = hmac.new(key, data, hashlib.sha256).digest()
            if hmac.compare_digest(expected, signature):
                return
        elif algorithm == "ed25519":
            key.verify(signature, data)
            return
        elif algorithm == "ecdsa-p256-sha256":
            if len(signature) == 2 * _P256_BYTES:  # §3.3.4: exactly r || s
                r = int.from_bytes(signature[:_P256_BYTES], "big")
                s = int.from_bytes(signature[_P256_BYTES:], "big")
                key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
                return
        elif algorithm == "rsa-pss-sha512":
            key.verify(signature, data, _pss(), hashes.SHA512())
            return
        else:  # rsa-v1_5-sha256
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return
    except (InvalidSignature, ValueError, TypeError):
        pass
    raise VerificationFailed("The signature does not match the request.")
