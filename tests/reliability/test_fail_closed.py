"""Fail closed: with the database or the cache unreachable, nobody is let through.

In-process, in every pass: the database "goes away" (every new cursor raises
``OperationalError``, as a dropped connection does) and the cache is pointed at a Redis on a
closed port. Requests carrying any kind of credential are answered 503
``service_unavailable`` (or 401) — never 200, never 500 — and the same requests succeed once
the store is back, with no restart. The real outage (a proxy in front of PostgreSQL and
Redis, cut and restored under gunicorn) is part of ``make stress`` (stress/run.py).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.test import override_settings

from authgate.models import TokenEvent
from authgate.schemes.links import service as links
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens import service as tokens
from tests.reliability.conftest import WHOAMI, authgate_settings, client, count, outcome

pytestmark = pytest.mark.django_db

CLOSED_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@contextmanager
def database_down() -> Iterator[None]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server: Connection refused (simulated)")

    with mock.patch.object(connections["default"], "cursor", refuse):
        yield


@pytest.fixture
def requests(alice: Any) -> dict[str, dict[str, Any]]:
    """One authenticated request of each kind (and a session cookie), as client kwargs."""
    _row, opaque = tokens.issue(alice)
    basic = base64.b64encode(b"alice:alice-correct-horse").decode()
    session = client()
    session.force_login(alice)
    return {
        "api token": {"HTTP_AUTHORIZATION": f"Bearer {opaque}"},
        "scoped token": {"HTTP_AUTHORIZATION": f"TmpToken {scoped.issue(alice, {'GET': ['/']})}"},
        "magic link": {"data": {"sesame": links.get_token(alice)}},
        "basic": {"HTTP_AUTHORIZATION": f"Basic {basic}"},
        "session": {"HTTP_COOKIE": f"sessionid={session.cookies['sessionid'].value}"},
    }


def send(path: str, kwargs: dict[str, Any]) -> tuple[int, Any]:
    kwargs = dict(kwargs)
    data = kwargs.pop("data", None)
    count("fail-closed requests")
    response = client().get(path, data, **kwargs)
    if response.status_code == 503:
        assert_retry_after(response)
    return outcome(response)


def assert_retry_after(response: Any) -> None:
    """A 503 tells the client when to come back (RFC 9110 §10.2.3), on every stack."""
    assert int(response["Retry-After"]) > 0, response.headers


@pytest.mark.parametrize("path", WHOAMI)
def test_database_down_refuses_every_credential_then_recovers(path, requests):
    for kind, kwargs in requests.items():
        assert send(path, kwargs)[0] == 200, kind
    with database_down():
        for kind, kwargs in requests.items():
            status, error = send(path, kwargs)
            assert (status, error) in {(503, "service_unavailable"), (401, error)}, (kind, status)
            assert status != 200
    for kind, kwargs in requests.items():
        assert send(path, kwargs)[0] == 200, f"{kind} did not recover"


def test_database_down_on_obtain_token_is_503(alice):
    with authgate_settings(LOGIN_LIMIT_RATE=None), database_down():
        count("fail-closed requests")
        response = client().post(
            "/auth/token/", {"username": "alice", "password": "alice-correct-horse"}
        )
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    assert_retry_after(response)


def test_cache_down_refuses_password_logins_then_recovers(requests):
    pytest.importorskip("redis")
    with override_settings(CACHES=CLOSED_REDIS):
        count("fail-closed requests", 2)
        assert send(WHOAMI[0], requests["basic"]) == (503, "service_unavailable")
        response = client().post(
            "/auth/token/", {"username": "alice", "password": "alice-correct-horse"}
        )
        assert (response.status_code, response.json()["error"]) == (503, "service_unavailable")
        assert_retry_after(response)
    assert send(WHOAMI[0], requests["basic"])[0] == 200


def test_cache_down_with_the_token_cache_asks_the_database(alice):
    """The token cache is an optimisation: with it down, the database decides — a live
    token works and a revoked one is refused (never accepted from a stale entry)."""
    pytest.importorskip("redis")
    _live_row, live = tokens.issue(alice)
    revoked_row, revoked = tokens.issue(alice)
    tokens.revoke(revoked_row)
    with authgate_settings(TOKEN_CACHE_TIMEOUT=60), override_settings(CACHES=CLOSED_REDIS):
        assert send(WHOAMI[0], {"HTTP_AUTHORIZATION": f"Bearer {live}"})[0] == 200
        assert send(WHOAMI[0], {"HTTP_AUTHORIZATION": f"Bearer {revoked}"}) == (
            401,
            "revoked_token",
        )


def test_revoking_during_a_cache_outage_is_recorded_and_can_be_resent(alice):
    """revoke() with the token cache unreachable: the database change stands (and refuses
    the token while the cache is down), the caller is told, and running it again once the
    cache is back drops the entry the outage left behind."""
    pytest.importorskip("redis")
    row, plaintext = tokens.issue(alice)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    with authgate_settings(TOKEN_CACHE_TIMEOUT=60):
        assert send(WHOAMI[0], bearer)[0] == 200  # now in the cache
        with override_settings(CACHES=CLOSED_REDIS):
            with pytest.raises(tokens.TokenCacheUnreachable, match="Run it again"):
                tokens.revoke(row, "leaked")
            assert send(WHOAMI[0], bearer) == (401, "revoked_token")
        row.refresh_from_db()
        assert row.is_revoked() and row.revoked_reason == "leaked"
        assert TokenEvent.objects.filter(
            kind=TokenEvent.Kind.REVOKED, credential_id=row.display_prefix
        ).exists()
        # The cache is back, still holding the row as it was before the outage: the reason
        # the error says "run it again". The re-run re-sends the invalidation.
        assert send(WHOAMI[0], bearer)[0] == 200
        assert tokens.revoke(row, "leaked") is False
        assert send(WHOAMI[0], bearer) == (401, "revoked_token")


def test_cache_down_on_request_a_link_is_refused(alice):
    pytest.importorskip("redis")
    with override_settings(CACHES=CLOSED_REDIS):
        count("fail-closed requests")
        response = client().post("/auth/links/request/", {"email": "alice@example.com"})
    assert response.status_code == 503, response.status_code
    assert_retry_after(response)


def test_database_down_on_request_a_link_is_503(alice):
    with authgate_settings(LINK_REQUEST_RATE=None), database_down():
        count("fail-closed requests")
        response = client().post("/auth/links/request/", {"email": "alice@example.com"})
    assert response.status_code == 503, response.status_code
    assert_retry_after(response)
