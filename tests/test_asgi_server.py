"""The demo under a real ASGI server: uvicorn in a subprocess, called over HTTP.

Runs once per ``make test`` (in pass 1, SQLite + Django's User): it uses the demo's own
settings on a throwaway SQLite file, so the other passes' database and user model add
nothing. Checks sync and async views, DRF and Ninja, and that concurrent requests to async
views all authenticate (the chain runs off the event loop, never blocking it).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo_process import free_port, manage, wait_until_serving

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    os.environ.get("AUTHGATE_TEST_USER", "auth") != "auth",
    reason="the ASGI server test runs in pass 1 only (it uses the demo's own settings)",
)
BASIC = "Basic " + base64.b64encode(b"alice:alice-password").decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.asgi_demo_settings",
        AUTHGATE_ASGI_DB=str(tmp_path_factory.mktemp("asgi") / "demo.sqlite3"),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "example")]),
        DJANGO_DEBUG="0",
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    token = (
        manage(env, "authgate", "issue", "alice", "--scope", "notes:read").strip().splitlines()[-1]
    )
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and uvicorn
        [
            sys.executable,
            "-m",
            "uvicorn",
            "demo.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT / "example",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base, "uvicorn", seconds=30)
        yield base, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.parametrize(
    "path",
    [
        "/api/whoami/",
        "/api/async/whoami/",
        "/api/drf/whoami/",
        "/api/ninja/whoami/",
        "/api/ninja/async/whoami/",
    ],
)
def test_unauthenticated_is_401_with_challenges(server, path):
    base, _token = server
    response = httpx.get(base + path)
    assert response.status_code == 401
    assert 'Basic realm="api"' in response.headers["WWW-Authenticate"]
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.parametrize(
    "path",
    [
        "/api/whoami/",
        "/api/async/whoami/",
        "/api/drf/whoami/",
        "/api/ninja/whoami/",
        "/api/ninja/async/whoami/",
    ],
)
def test_basic_and_token_are_200(server, path):
    base, token = server
    basic = httpx.get(base + path, headers={"Authorization": BASIC})
    assert basic.status_code == 200, basic.text
    assert basic.json()["scheme"] == "basic"
    bearer = httpx.get(base + path, headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200, bearer.text
    assert bearer.json()["scheme"] == "token"


def test_bad_token_is_401_and_scope_is_enforced(server):
    base, token = server
    bad = httpx.get(base + "/api/async/whoami/", headers={"Authorization": "Bearer agt_nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"
    ok = httpx.get(base + "/api/async/notes/", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert ok.json()["notes"][0]["title"] == "alice's first note"


def test_concurrent_async_requests_all_authenticate(server):
    import asyncio

    base, token = server

    async def burst():
        async with httpx.AsyncClient(base_url=base, timeout=20) as client:
            requests = [
                client.get("/api/async/whoami/", headers={"Authorization": f"Bearer {token}"})
                for _ in range(20)
            ]
            return await asyncio.gather(*requests)

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 20


def test_schema_is_served(server):
    base, _token = server
    assert httpx.get(base + "/api/schema/").status_code == 200
    assert httpx.get(base + "/api/ninja/openapi.json").status_code == 200
