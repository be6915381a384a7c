"""RFC 9421 Appendix B, byte for byte: signature bases, signatures, transformations.

hmac-sha256 (B.2.5) and ed25519 (B.2.6, B.4) are deterministic, so authgate's signer must
reproduce the RFC's signatures exactly; rsa-pss-sha512 (B.2.1-B.2.3) and ecdsa-p256-sha256
(B.2.4, B.3) are randomized, so the RFC's signatures are verified, and fresh ones
round-trip.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from authgate.schemes.httpsig.protocol import (
    Message,
    SignatureParams,
    parse_signature_input,
    parse_signatures,
    sign_message,
    signature_base,
    verify_message,
)
from authgate.schemes.httpsig.protocol.algorithms import verify
from authgate.schemes.httpsig.protocol.digest import content_digest, verify_content_digest
from authgate.schemes.httpsig.protocol.errors import DigestMismatch, VerificationFailed
from authgate.schemes.httpsig.protocol.key_material import decode_secret, load_public_key
from tests.schemes.httpsig import rfc9421

PUBLIC = {
    "rsa-pss": rfc9421.RSA_PSS_PUBLIC,
    "ed25519": rfc9421.ED25519_PUBLIC,
    "ecc-p256": rfc9421.ECC_P256_PUBLIC,
}


def _key(name: str, algorithm: str) -> Any:
    if algorithm == "hmac-sha256":
        return decode_secret(rfc9421.SHARED_SECRET)
    return load_public_key(algorithm, PUBLIC[name])


def _parsed(signature_input: str, signature: str) -> tuple[SignatureParams, bytes]:
    (params,) = parse_signature_input(signature_input).values()
    (value,) = parse_signatures(signature).values()
    return params, value


@pytest.mark.parametrize(
    ("section", "key", "algorithm", "signature_input", "signature", "base"),
    rfc9421.B2_VECTORS,
    ids=[v[0] for v in rfc9421.B2_VECTORS],
)
def test_b2_signature_base_and_verification(
    section: str, key: str, algorithm: str, signature_input: str, signature: str, base: str
) -> None:
    params, value = _parsed(signature_input, signature)
    message = rfc9421.test_request()
    assert signature_base(message, params) == base.encode()
    verify_message(message, params, value, algorithm=algorithm, key=_key(key, algorithm))
    with pytest.raises(VerificationFailed):
        verify_message(
            message,
            params,
            value[:-1] + bytes([value[-1] ^ 1]),
            algorithm=algorithm,
            key=_key(key, algorithm),
        )


def test_b25_hmac_reproduced_byte_for_byte() -> None:
    headers = sign_message(
        rfc9421.test_request(),
        algorithm="hmac-sha256",
        key=rfc9421.SHARED_SECRET,
        keyid="test-shared-secret",
        components=["date", "@authority", "content-type"],
        label="sig-b25",
        created=rfc9421.CREATED,
        include_alg=False,
    )
    _, _, _, signature_input, signature, _ = rfc9421.B2_VECTORS[3]
    assert headers == {"Signature-Input": signature_input, "Signature": signature}


def test_b26_ed25519_reproduced_byte_for_byte() -> None:
    private = serialization.load_pem_private_key(rfc9421.ED25519_PRIVATE.encode(), None)
    _, _, _, signature_input, signature, _ = rfc9421.B2_VECTORS[4]
    headers = sign_message(
        rfc9421.test_request(),
        algorithm="ed25519",
        key=private,
        keyid="test-key-ed25519",
        components=["date", "@method", "@path", "@authority", "content-type", "content-length"],
        label="sig-b26",
        created=rfc9421.CREATED,
        include_alg=False,
    )
    assert headers == {"Signature-Input": signature_input, "Signature": signature}
    # The PEM form of the private key signs the same bytes.
    assert (
        sign_message(
            rfc9421.test_request(),
            algorithm="ed25519",
            key=rfc9421.ED25519_PRIVATE,
            keyid="test-key-ed25519",
            components=["date", "@method", "@path", "@authority", "content-type", "content-length"],
            label="sig-b26",
            created=rfc9421.CREATED,
            include_alg=False,
        )["Signature"]
        == signature
    )


def test_b24_ecdsa_response_verifies_on_its_base() -> None:
    # @status belongs to responses; the RFC's base is verified directly, and its
    # Content-Digest matches the response body.
    (value,) = parse_signatures(rfc9421.B24_SIGNATURE).values()
    assert len(value) == 64  # raw r || s (§3.3.4)
    for material in (rfc9421.ECC_P256_PUBLIC, rfc9421.ECC_P256_PUBLIC_JWK):
        key = load_public_key("ecdsa-p256-sha256", material)
        verify("ecdsa-p256-sha256", key, rfc9421.B24_BASE.encode(), value)
    (params,) = parse_signature_input(rfc9421.B24_SIGNATURE_INPUT).values()
    assert rfc9421.B24_BASE.endswith(params.serialize())
    verify_content_digest(rfc9421.B24_CONTENT_DIGEST, rfc9421.B24_RESPONSE_BODY)
    with pytest.raises(VerificationFailed):
        verify("ecdsa-p256-sha256", key, rfc9421.B24_BASE.encode() + b" ", value)


def test_b3_proxy_signature() -> None:
    params, value = _parsed(rfc9421.B3_SIGNATURE_INPUT, rfc9421.B3_SIGNATURE)
    message = rfc9421.proxy_request()
    assert signature_base(message, params) == rfc9421.B3_BASE.encode()
    key = load_public_key("ecdsa-p256-sha256", rfc9421.ECC_P256_PUBLIC)
    verify_message(message, params, value, algorithm="ecdsa-p256-sha256", key=key)


@pytest.mark.parametrize(
    ("change", "method", "url", "headers"), rfc9421.B4_VALID, ids=[v[0] for v in rfc9421.B4_VALID]
)
def test_b4_transformations_that_verify(
    change: str, method: str, url: str, headers: list[tuple[str, str]]
) -> None:
    params, value = _parsed(rfc9421.B4_SIGNATURE_INPUT, rfc9421.B4_SIGNATURE)
    message = Message(method, url, headers)
    assert signature_base(message, params) == rfc9421.B4_BASE.encode()
    for material in (rfc9421.ED25519_PUBLIC, rfc9421.ED25519_PUBLIC_JWK):
        key = load_public_key("ed25519", material)
        verify_message(message, params, value, algorithm="ed25519", key=key)


@pytest.mark.parametrize(
    ("change", "method", "url", "headers"),
    rfc9421.B4_INVALID,
    ids=[v[0] for v in rfc9421.B4_INVALID],
)
def test_b4_transformations_that_must_not_verify(
    change: str, method: str, url: str, headers: list[tuple[str, str]]
) -> None:
    params, value = _parsed(rfc9421.B4_SIGNATURE_INPUT, rfc9421.B4_SIGNATURE)
    key = load_public_key("ed25519", rfc9421.ED25519_PUBLIC)
    with pytest.raises(VerificationFailed):
        verify_message(Message(method, url, headers), params, value, algorithm="ed25519", key=key)


@pytest.mark.parametrize("algorithm", ["rsa-pss-sha512", "ecdsa-p256-sha256", "ed25519"])
def test_randomized_algorithms_round_trip(algorithm: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    private: Any = {
        "rsa-pss-sha512": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ecdsa-p256-sha256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
    }[algorithm]()
    message = rfc9421.test_request()
    headers = sign_message(message, algorithm=algorithm, key=private, keyid="k")
    params, value = _parsed(headers["Signature-Input"], headers["Signature"])
    verify_message(message, params, value, algorithm=algorithm, key=private.public_key())


def test_rsa_v1_5_verifies() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = b'"@signature-params": ();created=1'
    signature = private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    verify("rsa-v1_5-sha256", private.public_key(), data, signature)
    with pytest.raises(VerificationFailed):
        verify("rsa-pss-sha512", private.public_key(), data, signature)


def test_content_digest_rfc9530() -> None:
    assert content_digest(rfc9421.BODY, "sha-512") == rfc9421.CONTENT_DIGEST_SHA512
    # RFC 9530 §B.1's sha-256 of the same body.
    assert content_digest(rfc9421.BODY) == (
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    )
    verify_content_digest(rfc9421.CONTENT_DIGEST_SHA512, rfc9421.BODY)
    with pytest.raises(DigestMismatch):
        verify_content_digest(rfc9421.CONTENT_DIGEST_SHA512, rfc9421.BODY + b" ")
    with pytest.raises(DigestMismatch):
        verify_content_digest("md5=:" + base64.b64encode(b"x" * 16).decode() + ":", b"")
