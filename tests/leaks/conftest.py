"""Fixtures for the leaked-token response: local P-256 keys published by a tiny HTTP server
on 127.0.0.1, signed reports, and authgate settings with the endpoint on."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings
from django.test import override_settings

from authgate.leaks import github

ENDPOINT = "/auth/secret-scanning/"


class Signer:
    """A P-256 key pair under an identifier, as GitHub holds one."""

    def __init__(self, identifier: str) -> None:
        self.identifier = identifier
        self.private = ec.generate_private_key(ec.SECP256R1())

    def pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.private.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


class KeyServer:
    """Serves ``{"public_keys": [...]}`` for the signers in :attr:`published`; counts hits."""

    def __init__(self) -> None:
        self.published: list[Signer] = []
        self.extra: list[dict[str, Any]] = []  # raw entries (a published example key, junk)
        self.hits = 0
        self.fail = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                if server.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                body = json.dumps(
                    {
                        "public_keys": [
                            *server.extra,
                            *(
                                {"key_identifier": s.identifier, "key": s.pem(), "is_current": True}
                                for s in server.published
                            ),
                        ]
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = (
            f"http://127.0.0.1:{self.httpd.server_address[1]}/meta/public_keys/secret_scanning"
        )
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    server = KeyServer()
    server.published.append(Signer("key-1"))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def leaks_on(key_server: KeyServer) -> Iterator[Callable[..., Any]]:
    """The endpoint on, its keys from ``key_server``; call it to override more settings."""
    base = {
        **django_settings.AUTHGATE,
        "LEAKS_SECRET_SCANNING": True,
        "LEAKS_GITHUB_KEYS_URL": key_server.url,
    }
    active: list[Any] = []

    def configure(**overrides: Any) -> None:
        while active:
            active.pop().disable()
        override = override_settings(AUTHGATE={**base, **overrides})
        override.enable()
        active.append(override)

    configure()
    github.public_keys.reset()
    try:
        yield configure
    finally:
        while active:
            active.pop().disable()
        github.public_keys.reset()


def report(*entries: dict[str, str]) -> bytes:
    """A report body as GitHub sends it: compact JSON, the order given."""
    return json.dumps(list(entries), separators=(",", ":")).encode()


def match(
    token: str, url: str = "https://github.com/octo/repo/blob/abc/settings.py"
) -> dict[str, str]:
    return {"token": token, "type": "authgate_api_token", "url": url, "source": "content"}


def post_report(client: Any, body: bytes, signer: Signer | None, **headers: str) -> Any:
    if signer is not None:
        headers.setdefault("HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER", signer.identifier)
        headers.setdefault("HTTP_GITHUB_PUBLIC_KEY_SIGNATURE", signer.sign(body))
    return client.post(ENDPOINT, body, content_type="application/json", **headers)
