"""Buffered ``last_used`` under real servers: gunicorn (forked workers, its ``worker_exit``
hook from example/gunicorn.conf.py) and uvicorn ``--workers`` (spawned interpreters).

Each server runs the demo with 2 workers on a throwaway SQLite file, the flush timer at an
hour (usage_server_settings.py, beside this file). Tokens used while it runs are not in the
database (the request path does not write); after a graceful stop (SIGTERM) every one is,
with its newest use and the client's address.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.demo_process import free_port, manage, wait_until_serving

httpx = pytest.importorskip("httpx")

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(
    os.environ.get("AUTHGATE_TEST_USER", "auth") != "auth",
    reason="runs in pass 1 only (it uses the demo's own settings and user model)",
)


def _stored(database: Path) -> dict[str, tuple[datetime | None, str | None]]:
    """``display_prefix → (last_used, last_used_ip)`` (SQLite holds naive UTC text)."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT display_prefix, last_used, last_used_ip FROM authgate_apitoken")
        return {
            prefix: (datetime.fromisoformat(used).replace(tzinfo=UTC) if used else None, ip)
            for prefix, used, ip in rows
        }


def _command(server: str, port: int) -> list[str]:
    if server == "gunicorn":  # reads example/gunicorn.conf.py (worker_exit) from its cwd
        return ["-m", "gunicorn", "demo.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}"]
    return ["-m", "uvicorn", "demo.asgi:application", "--workers", "2", "--port", str(port)]


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_uses_reach_the_database_when_the_workers_stop(tmp_path, server):
    database = tmp_path / "demo.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.schemes.tokens.usage_server_settings",
        AUTHGATE_ASGI_DB=str(database),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "example")]),
        DJANGO_DEBUG="0",
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    issued = [manage(env, "authgate", "issue", "alice").strip().splitlines() for _ in range(3)]
    prefixes = {lines[-1]: lines[0].split()[2].rstrip("…") for lines in issued}
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and server
        [sys.executable, *_command(server, port)],
        cwd=ROOT / "example",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    newest: dict[str, tuple[datetime, datetime]] = {}
    try:
        wait_until_serving(process, base, server)
        before = set(_stored(database).values())
        for _ in range(10):
            for token, prefix in prefixes.items():
                sent = datetime.now(UTC)
                response = httpx.get(  # a new connection each time: either worker answers
                    base + "/api/whoami/", headers={"Authorization": f"Bearer {token}"}
                )
                assert response.status_code == 200
                newest[prefix] = (sent, datetime.now(UTC))
        assert before == {(None, None)}
        assert set(_stored(database).values()) == {(None, None)}  # nothing written yet
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output = process.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    stored = _stored(database)
    assert set(stored) == set(newest), output
    for prefix, (used, ip) in stored.items():
        sent, answered = newest[prefix]
        assert used is not None, f"{prefix}: not written on exit\n{output}"
        assert sent <= used <= answered, (prefix, sent, used, answered)
        assert ip == "127.0.0.1"
