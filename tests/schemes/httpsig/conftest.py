"""Fixtures for the HTTP Message Signatures tests: the backend in the chain, keys, a signer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from authgate.schemes.httpsig import service as signature_keys
from authgate.schemes.httpsig.protocol import Message, sign_message
from authgate.schemes.httpsig.protocol.digest import content_digest

BACKEND = "authgate.schemes.httpsig.backend.HTTPSignatureBackend"


@pytest.fixture(autouse=True)
def httpsig_chain(settings: Any) -> None:
    """The test chain with the signature backend first (before Basic, which has a challenge)."""
    settings.AUTHGATE = {
        **settings.AUTHGATE,
        "BACKENDS": [BACKEND, *settings.AUTHGATE["BACKENDS"]],
    }


@pytest.fixture
def ed_private() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def ed_key(user: Any, ed_private: ed25519.Ed25519PrivateKey) -> Any:
    """alice's registered ed25519 key (keyid ``alice-ed``)."""
    from cryptography.hazmat.primitives import serialization

    pem = ed_private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return signature_keys.register_public_key(
        user, algorithm="ed25519", public_key=pem.decode(), name="laptop", keyid="alice-ed"
    )


def signed_headers(
    method: str,
    path: str,
    *,
    key: Any,
    keyid: str,
    algorithm: str = "ed25519",
    body: bytes = b"",
    content_type: str | None = None,
    components: tuple[str, ...] | None = None,
    digest: bool | None = None,
    **options: Any,
) -> dict[str, str]:
    """Headers that sign a request to ``http://testserver<path>`` with authgate's signer."""
    headers: dict[str, str] = {"Host": "testserver"}
    if content_type:
        headers["Content-Type"] = content_type
    if digest if digest is not None else bool(body):
        headers["Content-Digest"] = content_digest(body)
    if components is None:
        components = ("@method", "@target-uri") + (
            ("content-digest",) if "Content-Digest" in headers else ()
        )
    message = Message(method, f"http://testserver{path}", headers, body)
    signature = sign_message(
        message, algorithm=algorithm, key=key, keyid=keyid, components=components, **options
    )
    return {**{k: v for k, v in headers.items() if k != "Host"}, **signature}


@pytest.fixture
def send(client: Any) -> Callable[..., Any]:
    """``send(method, path, headers, body=b"", content_type=...)`` through the test client."""

    def send(
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes = b"",
        content_type: str = "application/octet-stream",
    ) -> Any:
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        return client.generic(
            method,
            path,
            data=body,
            content_type=headers.get("Content-Type", content_type),
            headers=extra,
        )

    return send
