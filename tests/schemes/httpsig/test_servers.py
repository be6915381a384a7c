"""Percent-encoded paths signed by the npm ``http-message-signatures`` package, verified
under real servers: gunicorn (WSGI, ``RAW_URI``) and uvicorn (ASGI, ``raw_path``).

RFC 9421 §2.2.6 signs ``@path`` before percent-decoding. The Node package derives it from
the URL as written (``/caf%c3%a9/``); authgate must read the same bytes from the server,
not rebuild them from Django's decoded path (which would give ``/caf%C3%A9/``). The
requests are sent with ``http.client``, which puts the target on the wire as given.

Runs in pass 1 only (it uses the demo's own settings on a throwaway SQLite file).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.demo_process import free_port, manage
from tests.node_tools import run_script

pytest.importorskip("uvicorn")
pytest.importorskip("gunicorn")

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(
    os.environ.get("AUTHGATE_TEST_USER", "auth") != "auth",
    reason="the real-server tests run in pass 1 only (they use the demo's own settings)",
)
COMPONENTS = ["@method", "@authority", "@path", "@query", "@target-uri"]
PATHS = [
    "/api/notes/%31/",  # alice's first note: %31 is "1"
    "/%7Esmith",  # an encoded unreserved character
    "/caf%c3%a9/",  # lowercase hex, UTF-8
    "/a%2Fb/",  # an encoded slash is not a slash
    "/api/whoami/?q=%41%20b&x",  # the query, raw too
]


_REGISTER = """
from django.contrib.auth import get_user_model
from authgate.schemes.httpsig import service as signature_keys
alice = get_user_model().objects.get(username="alice")
key = signature_keys.register_public_key(alice, algorithm="ed25519", public_key=PEM, name="npm")
print(key.keyid)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str, Any]:
    """(the servers' environment, alice's key id, her private key) on a fresh database."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.schemes.httpsig.server_settings",
        AUTHGATE_SERVER_DB=str(tmp_path_factory.mktemp("httpsig-servers") / "db.sqlite3"),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "example")]),
        DJANGO_DEBUG="0",
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    private = ed25519.Ed25519PrivateKey.generate()
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    code = f"PEM = {pem!r}\n{_REGISTER}"
    keyid = manage(env, "shell", "-c", code).strip().splitlines()[-1]
    return env, keyid, private


def _command(kind: str, port: int) -> list[str]:
    quiet = ["--log-level", "warning"]
    if kind == "gunicorn":
        app = ["gunicorn", "demo.wsgi:application", "--workers", "1"]
        return [sys.executable, "-m", *app, "--bind", f"127.0.0.1:{port}", *quiet]
    app = ["uvicorn", "demo.asgi:application", "--host", "127.0.0.1"]
    return [sys.executable, "-m", *app, "--port", str(port), *quiet]


@pytest.fixture(scope="module", params=["gunicorn", "uvicorn"])
def server(request: pytest.FixtureRequest, site: Any) -> Iterator[tuple[str, int]]:
    """(the server's kind, its port), serving the demo until the module ends."""
    env, _keyid, _private = site
    kind: str = request.param
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and server
        _command(kind, port),
        cwd=ROOT / "example",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"{kind} did not start:\n{output}")
                time.sleep(0.1)
        yield kind, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _sign(site: Any, port: int, targets: list[str]) -> list[dict[str, str]]:
    _env, keyid, private = site
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    requests = [{"method": "GET", "url": f"http://127.0.0.1:{port}{t}"} for t in targets]
    payload = {"key": pem, "alg": "ed25519", "keyid": keyid, "fields": COMPONENTS}
    signed: list[dict[str, str]] = run_script("httpsig_sign.mjs", {**payload, "requests": requests})
    return signed


def _get(port: int, target: str, headers: dict[str, str]) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", target, headers=headers)  # the target goes out as written
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def test_percent_encoded_paths_signed_by_npm_verify(server: Any, site: Any) -> None:
    kind, port = server
    for target, headers in zip(PATHS, _sign(site, port, PATHS), strict=True):
        status, body = _get(port, target, headers)
        assert status == 200, f"{kind} {target}: {status} {body}"
        if target.startswith("/api/notes/"):
            assert body["title"] == "alice's first note"
        else:
            assert body == {"user": "alice", "scheme": "httpsig", "scopes": None}, target


def test_a_signature_over_one_spelling_does_not_cover_another(server: Any, site: Any) -> None:
    """``/%7Esmith`` and ``/~smith`` route alike, but the signature covers the bytes sent."""
    kind, port = server
    (headers,) = _sign(site, port, ["/%7Esmith"])
    status, body = _get(port, "/~smith", headers)
    assert status == 401, f"{kind}: {status} {body}"
    assert body["error"] == "invalid_signature"
