"""An identity provider on 127.0.0.1 for the OAuth backend's tests.

Tokens are minted by joserfc (independent of PyJWT, which authgate verifies with) with RSA,
EC P-256 and Ed25519 keys. A ``ThreadingHTTPServer`` on a random port serves the JWK Set
at ``/jwks`` and an RFC 7662 introspection endpoint at ``/introspect``, counting requests.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from tests import settings as test_settings

ISSUER = "https://idp.example.com/"
AUDIENCE = "https://api.example.com"
CLIENT_ID = "authgate-api"
CLIENT_SECRET = "introspection-secret-123"
OAUTH_BACKEND = "authgate.schemes.oauth.backend.OAuthBackend"


@dataclass
class IdP:
    """The fake IdP's state: what it serves, and what it was asked."""

    keys: dict[str, Any]
    published: list[str]  # kids in the served JWK Set
    url: str = ""
    hits: Counter[str] = field(default_factory=Counter)
    #: token → introspection answer (default: {"active": False}).
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    introspection_auth: list[str | None] = field(default_factory=list)
    delay: float = 0.0
    status: int = 200

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.keys[kid].as_dict(private=False) for kid in self.published]}

    def mint(
        self,
        claims: dict[str, Any] | None = None,
        *,
        kid: str | None = "rsa",
        alg: str | None = None,
        typ: str | None = "at+jwt",
        key: str | None = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        """A signed access token: valid claims for alice, overridden by ``claims``."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "alice",
            "iat": now,
            "exp": now + 300,
            "scope": "notes:read",
            "client_id": "cli",
            "jti": f"j{time.monotonic_ns()}",
        }
        body.update(claims or {})
        for name in drop:
            body.pop(name, None)
        signing_key = self.keys[key or kid or "rsa"]
        alg = alg or {"rsa": "RS256", "ec": "ES256", "ed": "EdDSA"}.get(
            key or kid or "rsa", "RS256"
        )
        header: dict[str, Any] = {"alg": alg}
        if kid is not None:
            header["kid"] = kid
        if typ is not None:
            header["typ"] = typ
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc: "EdDSA is deprecated via RFC 9864"
            return jose_jwt.encode(header, body, signing_key, algorithms=[alg])


def _handler(idp: IdP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output (and the leak check) quiet

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            idp.hits[self.path] += 1
            if idp.delay:
                time.sleep(idp.delay)
            if self.path == "/jwks":
                self._send(idp.status, idp.jwks() if idp.status == 200 else {"error": "x"})
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            idp.hits[self.path] += 1
            if idp.delay:
                time.sleep(idp.delay)
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            idp.introspection_auth.append(self.headers.get("Authorization"))
            if self.path != "/introspect" or idp.status != 200:
                self._send(idp.status if idp.status != 200 else 404, {"error": "x"})
                return
            token = form.get("token", [""])[0]
            self._send(200, idp.answers.get(token, {"active": False}))

    return Handler


@pytest.fixture(scope="session")
def signing_keys() -> dict[str, Any]:
    return {
        "rsa": RSAKey.generate_key(2048, parameters={"kid": "rsa"}),
        "ec": ECKey.generate_key("P-256", parameters={"kid": "ec"}),
        "ed": OKPKey.generate_key("Ed25519", parameters={"kid": "ed"}),
        "rsa2": RSAKey.generate_key(2048, parameters={"kid": "rsa2"}),
        "other": RSAKey.generate_key(2048, parameters={"kid": "rsa"}),  # an impostor's
    }


class _QuietServer(ThreadingHTTPServer):
    """A test IdP that does not print a traceback when a client times out and hangs up."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture
def idp(signing_keys: dict[str, Any]) -> Iterator[IdP]:
    """The IdP serving the rsa, ec and ed keys (not rsa2), on a random port."""
    state = IdP(keys=signing_keys, published=["rsa", "ec", "ed"])
    server = _QuietServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def oauth_settings(idp_url: str, **overrides: Any) -> dict[str, Any]:
    """The test suite's AUTHGATE with OAuthBackend first and the IdP configured."""
    base = dict(test_settings.AUTHGATE)
    base["BACKENDS"] = [OAUTH_BACKEND, *base["BACKENDS"]]
    base.update(
        OAUTH_ISSUER=ISSUER,
        OAUTH_AUDIENCE=AUDIENCE,
        OAUTH_JWKS_URL=f"{idp_url}/jwks",
        OAUTH_HTTP_TIMEOUT=2,
    )
    base.update(overrides)
    return base


@pytest.fixture
def configure(settings: Any, idp: IdP) -> Callable[..., None]:
    """``configure(**overrides)``: point authgate at the IdP (pytest-django's settings)."""

    def apply(**overrides: Any) -> None:
        settings.AUTHGATE = oauth_settings(idp.url, **overrides)

    apply()
    return apply


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user("alice", "correct horse")


@pytest.fixture
def bearer(client: Any, leak_check: Any) -> Callable[..., Any]:
    """``bearer(token, path="/api/whoami/", method="get")`` → the response; the token is
    registered with the session's leak check, so logging it fails the suite."""

    def call(token: str, path: str = "/api/whoami/", method: str = "get", **extra: Any) -> Any:
        leak_check.add_secret(token, "OAuth access token")
        return getattr(client, method)(path, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)

    return call


def challenge(response: Any) -> str:
    return str(response.headers.get("WWW-Authenticate", ""))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- the real authorization server (panva's oidc-provider, tests/node/idp.mjs) -------------


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[Any]:
    """oidc-provider on a free loopback port, for the whole session."""
    from tests.schemes.oauth import oidc_provider as op

    with op.start() as server:
        yield server


@pytest.fixture
def fresh_oidc_provider() -> Iterator[Any]:
    """An oidc-provider of this test's own (for tests that change its state: rotation)."""
    from tests.schemes.oauth import oidc_provider as op

    with op.start() as server:
        yield server


def provider_settings(server: Any, **overrides: Any) -> dict[str, Any]:
    """AUTHGATE pointing at a running oidc-provider: its JWKS and its introspection."""
    from tests.schemes.oauth import oidc_provider as op

    base = dict(test_settings.AUTHGATE)
    base["BACKENDS"] = [OAUTH_BACKEND, *base["BACKENDS"]]
    base.update(
        OAUTH_ISSUER=server.issuer,
        OAUTH_AUDIENCE=op.AUDIENCE,
        OAUTH_JWKS_URL=server.jwks_url,
        OAUTH_INTROSPECTION_URL=server.introspection_url,
        OAUTH_CLIENT_ID=op.API_CLIENT_ID,
        OAUTH_CLIENT_SECRET=op.API_CLIENT_SECRET,
        OAUTH_HTTP_TIMEOUT=5,
        OAUTH_CLIENT_USERS={op.CLIENT_ID: "svc-notes"},
    )
    base.update(overrides)
    return base


@pytest.fixture
def use_provider(settings: Any, oidc_provider: Any) -> Callable[..., Any]:
    """``use_provider(**overrides)``: point authgate at the session's oidc-provider."""

    def apply(**overrides: Any) -> Any:
        settings.AUTHGATE = provider_settings(oidc_provider, **overrides)
        return oidc_provider

    apply()
    return apply


@pytest.fixture
def service_user(make_user: Callable[..., Any]) -> Any:
    """The user OAUTH_CLIENT_USERS maps the test client (notes-cli) to."""
    return make_user("svc-notes", None)
