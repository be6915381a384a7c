"""Probe the services the PostgreSQL+Redis test pass needs: ``python tests/services.py``.

Checks PostgreSQL (a TCP connect, then a real ``psycopg`` login) and Redis (``PING``) at the
addresses ``tests/settings.py`` uses. Exit status, read by ``make test``:

* 0 -- both are up: run the pass.
* 3 -- something is down and this is not CI: print one ``SKIP: ...`` line; skip the pass.
* 1 -- something is down and ``CI=true``: print ``ERROR: ...`` lines; fail the build.
"""

from __future__ import annotations

import os
import socket
import sys

TIMEOUT = 3  # seconds, per check

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
REDIS_DB = os.environ.get("AUTHGATE_TEST_REDIS_DB", "15")
REDIS_URL = os.environ.get("REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB}")

EXIT_OK, EXIT_ERROR, EXIT_SKIP = 0, 1, 3


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def check_postgres() -> str | None:
    """``None`` if PostgreSQL accepts a login, else the reason it does not."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=TIMEOUT):
            pass
    except OSError as exc:
        return _one_line(exc)
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (the [postgres] extra: make venv)"
    try:
        # Django creates the test database from the maintenance database, as here.
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=TIMEOUT
        ) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return _one_line(exc)
    return None


def check_redis() -> str | None:
    """``None`` if Redis answers ``PING``, else the reason it does not."""
    try:
        import redis
    except ImportError:
        return "redis is not installed (the [redis] extra: make venv)"
    try:
        client = redis.Redis.from_url(
            REDIS_URL, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        try:
            if not client.ping():
                return "PING was not answered"
        finally:
            client.close()
    except Exception as exc:
        return _one_line(exc)
    return None


def main() -> int:
    checks = [
        ("PostgreSQL", f"{PG_HOST}:{PG_PORT}", check_postgres),
        ("Redis", REDIS_URL, check_redis),
    ]
    down = [(name, addr, reason) for name, addr, check in checks if (reason := check())]
    if not down:
        return EXIT_OK
    if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
        for name, addr, reason in down:
            print(f"ERROR: {name} not reachable at {addr}: {reason}", file=sys.stderr)
        return EXIT_ERROR
    what = "; ".join(f"{name} not reachable at {addr} ({reason})" for name, addr, reason in down)
    print(f"SKIP: {what}; skipping the PostgreSQL+Redis pass")
    return EXIT_SKIP


if __name__ == "__main__":
    sys.exit(main())
