"""panva's ``oidc-provider`` (tests/node/idp.mjs) as the suite's real authorization server.

:func:`start` runs it in a subprocess on a free loopback port and waits for its one JSON
line; :class:`AuthorizationServer` gets tokens from it over real HTTP (the
``client_credentials`` grant of a confidential client, with or without a DPoP proof),
revokes them and rotates its keys. DPoP proofs are made with joserfc (:func:`dpop_proof`),
an implementation independent of PyJWT, which authgate verifies them with.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey

from tests.node_tools import NODE_DIR, node

AUDIENCE = "https://api.example.com"
CLIENT_ID = "notes-cli"
CLIENT_SECRET = "notes-cli-secret-" + "x" * 16
API_CLIENT_ID = "authgate-api"  # this API, for introspection
API_CLIENT_SECRET = "authgate-api-secret-" + "y" * 16
JWT_RESOURCE = f"{AUDIENCE}/jwt"
OPAQUE_RESOURCE = f"{AUDIENCE}/opaque"
OTHER_RESOURCE = "https://other.example.com/jwt"
START_TIMEOUT = 30  # seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def dpop_proof(
    key: ECKey,
    method: str,
    url: str,
    *,
    access_token: str | None = None,
    iat: float | None = None,
    jti: str | None = None,
    nonce: str | None = None,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
) -> str:
    """A DPoP proof JWT (RFC 9449 §4.2) signed by ``key``, made with joserfc."""
    head: dict[str, Any] = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    head.update(header or {})
    body: dict[str, Any] = {
        "jti": jti or secrets.token_urlsafe(16),
        "htm": method,
        "htu": url,
        "iat": int(time.time() if iat is None else iat),
    }
    if access_token is not None:
        body["ath"] = _b64(hashlib.sha256(access_token.encode()).digest())
    if nonce is not None:
        body["nonce"] = nonce
    body.update(claims or {})
    return jose_jwt.encode(head, body, key, algorithms=[head["alg"]])


def new_key() -> ECKey:
    """A fresh P-256 client key."""
    return ECKey.generate_key("P-256")


@dataclass
class AuthorizationServer:
    """A running oidc-provider: its issuer and the calls the tests make to it."""

    issuer: str
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

    @property
    def introspection_url(self) -> str:
        return f"{self.issuer}/token/introspection"

    def _post(
        self, url: str, form: dict[str, str], *, auth: tuple[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        basic = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - the loopback server we started
            url,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Authorization": f"Basic {basic}", **headers},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                body = response.read()
                return response.status, json.loads(body) if body else {}
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def token(
        self,
        *,
        resource: str | None = JWT_RESOURCE,
        scope: str = "notes:read",
        dpop_key: ECKey | None = None,
        client: tuple[str, str] = (CLIENT_ID, CLIENT_SECRET),
    ) -> dict[str, Any]:
        """A client_credentials token response (bound to ``dpop_key`` if given)."""
        form = {"grant_type": "client_credentials", "scope": scope}
        if resource is not None:
            form["resource"] = resource
        headers = {}
        if dpop_key is not None:
            headers["DPoP"] = dpop_proof(dpop_key, "POST", self.token_url)
        status, body = self._post(self.token_url, form, auth=client, headers=headers)
        assert status == 200, f"token endpoint answered {status}: {body}"
        return body

    def access_token(self, **kwargs: Any) -> str:
        return str(self.token(**kwargs)["access_token"])

    def revoke(self, token: str) -> None:
        status, body = self._post(
            f"{self.issuer}/token/revocation",
            {"token": token, "token_type_hint": "access_token"},
            auth=(CLIENT_ID, CLIENT_SECRET),
            headers={},
        )
        assert status == 200, f"revocation answered {status}: {body}"

    def rotate(self) -> None:
        """Switch to the second key set: a new signing key, the old one still published."""
        request = urllib.request.Request(  # noqa: S310 - the loopback server we started
            f"{self.issuer}/__test__/rotate", data=b"", method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.status == 204


@contextmanager
def start() -> Iterator[AuthorizationServer]:
    """Run tests/node/idp.mjs until the block exits (skip, or fail in CI, without Node)."""
    executable = node()
    config = {
        "audience": AUDIENCE,
        "clients": [
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            {"client_id": API_CLIENT_ID, "client_secret": API_CLIENT_SECRET},
        ],
    }
    with tempfile.TemporaryDirectory(prefix="authgate-idp-") as folder:
        config_path = Path(folder) / "config.json"
        config_path.write_text(json.dumps(config))
        log_path = Path(folder) / "idp.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own script, under our own node
                [executable, str(NODE_DIR / "idp.mjs"), str(config_path)],
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=NODE_DIR,
            )
            try:
                yield AuthorizationServer(_wait_for_issuer(process, log_path), process)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()


def _wait_for_issuer(process: subprocess.Popen[bytes], log_path: Path) -> str:
    import selectors

    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if selector.select(timeout=0.2):
            line = process.stdout.readline()
            if line:
                return str(json.loads(line)["issuer"])
        if process.poll() is not None:
            break
    from tests.node_tools import unavailable

    unavailable(f"oidc-provider did not start: {log_path.read_text(errors='replace')[-1000:]}")
    raise AssertionError("unreachable")
