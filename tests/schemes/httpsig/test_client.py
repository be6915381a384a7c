"""authgate.schemes.httpsig.client end to end: requests and httpx signers against the backend,
and the headers it makes checked by an independent verifier (http_message_signatures)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from http_message_signatures import HTTPMessageVerifier, algorithms
from http_message_signatures.resolvers import MappingKeyResolver

from authgate.schemes.httpsig.client import (
    HttpxSignatureAuth,
    RequestsSignatureAuth,
    signature_headers,
)
from tests.schemes.httpsig.test_interop import BASE, replay

pytestmark = pytest.mark.django_db


def _signer(ed_key: Any, ed_private: Any) -> dict[str, Any]:
    return {"key": ed_private, "keyid": ed_key.keyid, "algorithm": "ed25519"}


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI application, keeping the test's database connection (as the test
    client does: no close_old_connections around each request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_httpx_client_through_wsgi(ed_key: Any, ed_private: Any, wsgi_app: WSGIHandler) -> None:
    auth = HttpxSignatureAuth(**_signer(ed_key, ed_private))
    transport = httpx.WSGITransport(app=wsgi_app)
    with httpx.Client(transport=transport, base_url=BASE, auth=auth) as client:
        response = client.get("/api/whoami/", params={"q": "a b"})
        assert response.status_code == 200, response.text
        assert response.json()["user"] == "alice"
        response = client.post("/api/notes/", json={"title": "via httpx"})
        assert response.status_code == 201, response.text
        unsigned = client.get("/api/whoami/", auth=None)
        assert unsigned.status_code == 401


def test_requests_auth(client: Any, ed_key: Any, ed_private: Any) -> None:
    auth = RequestsSignatureAuth(**_signer(ed_key, ed_private))
    prepared = requests.Request(
        "POST", f"{BASE}/api/notes/", json={"title": "via requests"}, auth=auth
    ).prepare()
    assert replay(client, prepared).status_code == 201
    assert replay(client, prepared).status_code == 401  # the nonce was used


def test_hmac_signature_headers(client: Any, user: Any) -> None:
    from authgate.schemes.httpsig import service as signature_keys

    key, secret = signature_keys.create_hmac_key(user)
    headers = signature_headers(
        "GET", f"{BASE}/api/whoami/", key=secret, keyid=key.keyid, algorithm="hmac-sha256"
    )
    response = client.get("/api/whoami/", headers=headers)
    assert response.status_code == 200
    assert json.loads(response.content)["user"] == "alice"


def test_independent_verifier_accepts_authgate_signatures() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    body = b'{"a": 1}'
    prepared = requests.Request(
        "POST", "https://api.example/v1/x?y=1", data=body,
        headers={"Content-Type": "application/json"},
    ).prepare()  # fmt: skip
    prepared.headers.update(
        signature_headers(
            "POST",
            str(prepared.url),
            key=private,
            keyid="k1",
            algorithm="ed25519",
            headers={k: str(v) for k, v in prepared.headers.items()},
            body=body,
            components=("@method", "@target-uri", "@authority", "content-type"),
        )
    )
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(private_keys={}, public_keys={"k1": private.public_key()}),
    )
    (result,) = verifier.verify(prepared, body=body)
    assert result.parameters["keyid"] == "k1"


def test_streaming_bodies_are_refused(ed_key: Any, ed_private: Any) -> None:
    import io

    auth = RequestsSignatureAuth(**_signer(ed_key, ed_private))
    prepared = requests.Request("POST", f"{BASE}/x", data=io.BytesIO(b"x")).prepare()
    with pytest.raises(TypeError):
        auth(prepared)
