"""A reported token stops working on the next request on every worker: gunicorn with two
forked workers on PostgreSQL and Redis, the token cache and the rows kept in each worker
on (tests/leaks/server_settings.py), GitHub's keys served by this test on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo_process import free_port, manage, wait_until_serving
from tests.leaks.conftest import KeyServer, Signer, match, report

httpx = pytest.importorskip("httpx")
psycopg = pytest.importorskip("psycopg")

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis]

STRESS_DB = os.environ.get("STRESS_DB", "authgate_stress")
REDIS_DB = os.environ.get("STRESS_REDIS_DB", os.environ.get("AUTHGATE_TEST_REDIS_DB", "15"))


def _ensure_database() -> None:
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (STRESS_DB,)).fetchone():
            db.execute(f'CREATE DATABASE "{STRESS_DB}"')


def _until_both_workers(base: str, token: str, expected: int) -> dict[str, list[int]]:
    """GETs over new connections until both workers have answered twice; every status."""
    seen: dict[str, list[int]] = {}
    for _ in range(400):
        response = httpx.get(base + "/api/whoami/", headers={"Authorization": f"Bearer {token}"})
        seen.setdefault(response.headers["X-Worker-Pid"], []).append(response.status_code)
        assert response.status_code == expected, (response.status_code, response.text)
        if len(seen) >= 2 and all(len(statuses) >= 2 for statuses in seen.values()):
            return seen
    pytest.fail(f"only worker(s) {sorted(seen)} answered")


def test_a_reported_token_stops_working_on_every_worker(tmp_path):
    _ensure_database()
    keys = KeyServer()
    signer = Signer("gunicorn-key")
    keys.published.append(signer)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.leaks.server_settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{STRESS_DB}",
        REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        AUTHGATE_LEAKS_KEYS_URL=keys.url,
        AUTHGATE_LEAKS_MAIL_DIR=str(mail_dir),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "example")]),
        DJANGO_DEBUG="0",
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    lines = manage(env, "authgate", "issue", "alice", "--name", "leaks-servers").splitlines()
    token, prefix = lines[-1], lines[0].split()[2].rstrip("…")
    other = manage(env, "authgate", "issue", "alice").splitlines()[-1]
    port = free_port()
    command = ["-m", "gunicorn", "demo.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}"]
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and server
        [sys.executable, *command],
        cwd=ROOT / "example",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    url = "https://github.com/octo/leaky/blob/0123abc/deploy/.env"
    try:
        wait_until_serving(process, base, "gunicorn")
        warm = _until_both_workers(base, token, 200)  # each worker now keeps the row
        body = report(match(token, url))
        response = httpx.post(
            base + "/auth/secret-scanning/",
            content=body,
            headers={
                "Content-Type": "application/json",
                "Github-Public-Key-Identifier": signer.identifier,
                "Github-Public-Key-Signature": signer.sign(body),
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()[0]["label"] == "true_positive"
        # The very next request, on either worker, is refused.
        after = _until_both_workers(base, token, 401)
        assert set(after) == set(warm)
        _until_both_workers(base, other, 200)  # the owner's other token still works
        # Reported again by GitHub: nothing new.
        body = report(match(token, url), match(token, url))
        again = httpx.post(
            base + "/auth/secret-scanning/",
            content=body,
            headers={
                "Content-Type": "application/json",
                "Github-Public-Key-Identifier": signer.identifier,
                "Github-Public-Key-Signature": signer.sign(body),
            },
        )
        assert [entry["label"] for entry in again.json()] == ["true_positive"] * 2
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output = process.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        keys.close()
    assert token not in output
    # One e-mail to the owner, naming the place, never the secret.
    messages = [path.read_text() for path in mail_dir.iterdir()]
    assert len(messages) == 1, output
    assert "alice@example.com" in messages[0] and url in messages[0]
    assert prefix in messages[0] and token not in messages[0]
    # The audit trail has the report URL.
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={STRESS_DB}") as db:
        rows = db.execute(
            "SELECT detail FROM authgate_tokenevent WHERE kind = 'revoked' AND credential_id = %s",
            (prefix,),
        ).fetchall()
    details = [row[0] if isinstance(row[0], dict) else json.loads(row[0]) for row in rows]
    assert [detail["reason"] for detail in details] == [f"found in public: {url}"]
