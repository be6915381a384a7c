"""Interoperability: requests signed by independent RFC 9421 implementations.

``http_message_signatures`` (HTTPMessageSigner) and ``requests_http_signature``
(HTTPSignatureAuth) sign a ``requests.PreparedRequest``; its method, URL, headers and body
are then replayed through Django's test client, where the backend must accept it as the
right user — and refuse tampered copies. The other direction, authgate's signer checked
by ``HTTPMessageVerifier``, is in ``test_client.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from http_message_signatures import HTTPMessageSigner, algorithms
from http_message_signatures.resolvers import MappingKeyResolver
from requests_http_signature import HTTPSignatureAuth

from authgate.schemes.httpsig import service as signature_keys

pytestmark = pytest.mark.django_db
BASE = "http://testserver"

_HMS_ALGORITHMS = {
    "ed25519": algorithms.ED25519,
    "ecdsa-p256-sha256": algorithms.ECDSA_P256_SHA256,
    "rsa-pss-sha512": algorithms.RSA_PSS_SHA512,
    "hmac-sha256": algorithms.HMAC_SHA256,
}


def _private(algorithm: str) -> Any:
    if algorithm == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ecdsa-p256-sha256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(params=list(_HMS_ALGORITHMS))
def client_key(request: pytest.FixtureRequest, user: Any) -> tuple[str, str, Any]:
    """(algorithm, keyid, signing key) for each algorithm, registered for alice."""
    algorithm: str = request.param
    if algorithm == "hmac-sha256":
        key, secret = signature_keys.create_hmac_key(user, name="interop")
        import base64

        return algorithm, key.keyid, base64.b64decode(secret)
    private = _private(algorithm)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = signature_keys.register_public_key(user, algorithm=algorithm, public_key=pem.decode())
    return algorithm, key.keyid, private


def replay(client: Any, prepared: requests.PreparedRequest, **changes: Any) -> Any:
    """Send ``prepared`` through the Django test client (``changes`` tamper with it)."""
    url = urlsplit(str(changes.get("url", prepared.url)))
    body: Any = changes.get("body", prepared.body) or b""
    if isinstance(body, str):
        body = body.encode()
    headers = {
        k: v
        for k, v in prepared.headers.items()
        if k.lower() not in {"host", "content-length", "content-type"}
    }
    return client.generic(
        changes.get("method", prepared.method),
        url.path + (f"?{url.query}" if url.query else ""),
        data=body,
        content_type=prepared.headers.get("Content-Type", "application/octet-stream"),
        headers=headers,
    )


def _hms_sign(
    algorithm: str, keyid: str, key: Any, prepared: requests.PreparedRequest, **options: Any
) -> requests.PreparedRequest:
    signer = HTTPMessageSigner(
        signature_algorithm=_HMS_ALGORITHMS[algorithm],
        key_resolver=MappingKeyResolver(private_keys={keyid: key}, public_keys={}),
    )
    signer.sign(prepared, key_id=keyid, **options)
    return prepared


def test_http_message_signatures_get(client: Any, client_key: tuple[str, str, Any]) -> None:
    algorithm, keyid, key = client_key
    prepared = requests.Request("GET", f"{BASE}/api/whoami/?page=2").prepare()
    _hms_sign(algorithm, keyid, key, prepared)
    response = replay(client, prepared)
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["user"] == "alice"
    assert json.loads(response.content)["scheme"] == "httpsig"
    # Tampered copies are refused.
    assert replay(client, prepared, url=f"{BASE}/api/whoami/?page=3").status_code == 401
    assert replay(client, prepared, method="DELETE").status_code == 401


def test_http_message_signatures_post_with_body(
    client: Any, client_key: tuple[str, str, Any]
) -> None:
    algorithm, keyid, key = client_key
    body = json.dumps({"title": "from http-message-signatures"}).encode()
    prepared = requests.Request(
        "POST", f"{BASE}/api/notes/", data=body, headers={"Content-Type": "application/json"}
    ).prepare()
    _hms_sign(
        algorithm,
        keyid,
        key,
        prepared,
        covered_component_ids=("@method", "@authority", "@target-uri", "content-type"),
        body=body,
        nonce="interop-nonce",
    )
    assert "Content-Digest" in prepared.headers
    response = replay(client, prepared)
    assert response.status_code == 201, response.content
    tampered = replay(client, prepared, body=body.replace(b"from", b"FROM"))
    assert (tampered.status_code, json.loads(tampered.content)["error"]) == (
        401,
        "digest_mismatch",
    )
    replayed = replay(client, prepared)
    assert (replayed.status_code, json.loads(replayed.content)["error"]) == (
        401,
        "replayed_signature",
    )


def _auth(algorithm: str, keyid: str, key: Any, **options: Any) -> HTTPSignatureAuth:
    from requests_http_signature import algorithms as rhs

    material = key
    if not isinstance(key, bytes):
        material = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    signature_algorithm = {
        "ed25519": rhs.ED25519,
        "ecdsa-p256-sha256": rhs.ECDSA_P256_SHA256,
        "rsa-pss-sha512": rhs.RSA_PSS_SHA512,
        "hmac-sha256": rhs.HMAC_SHA256,
    }[algorithm]
    return HTTPSignatureAuth(
        signature_algorithm=signature_algorithm, key=material, key_id=keyid, **options
    )


def test_requests_http_signature(client: Any, client_key: tuple[str, str, Any]) -> None:
    algorithm, keyid, key = client_key
    auth = _auth(algorithm, keyid, key, use_nonce=True)
    prepared = auth(requests.Request("GET", f"{BASE}/api/whoami/").prepare())
    response = replay(client, prepared)
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["user"] == "alice"
    assert replay(client, prepared).status_code == 401  # its nonce was used

    body = b'{"title": "from requests-http-signature"}'
    request = requests.Request(
        "POST", f"{BASE}/api/notes/", data=body, headers={"Content-Type": "application/json"}
    )
    prepared = auth(request.prepare())
    assert replay(client, prepared).status_code == 201
    other = auth(request.prepare())
    tampered = replay(client, other, url=f"{BASE}/api/notes/?x=1")
    assert (tampered.status_code, json.loads(tampered.content)["error"]) == (
        401,
        "invalid_signature",
    )


def test_requests_http_signature_wrong_key_is_refused(
    client: Any, user: Any, send: Callable[..., Any]
) -> None:
    registered = ed25519.Ed25519PrivateKey.generate()
    pem = registered.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = signature_keys.register_public_key(user, algorithm="ed25519", public_key=pem.decode())
    auth = _auth("ed25519", key.keyid, ed25519.Ed25519PrivateKey.generate())
    prepared = auth(requests.Request("GET", f"{BASE}/api/whoami/").prepare())
    response = replay(client, prepared)
    assert (response.status_code, json.loads(response.content)["error"]) == (
        401,
        "invalid_signature",
    )
