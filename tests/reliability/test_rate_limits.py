"""Password guessing is bounded by the limit, not by the server's concurrency (issue #19, 8).

Wrong passwords for one account are sent at once from threads released by a barrier, through
the full request stack (Django's test client, the middleware, the chain, the demo's views
and authgate's obtain-token endpoint), each thread with its own database connection. The
hasher counts its checks (tests/hashers.py): however many requests there are, at most
``LOGIN_LIMIT_RATE``'s count of passwords is checked, because every attempt is counted in
the cache, atomically, before any hashing. Fewer may be: an attempt counts against the
client IP and the username, and needs a place under the limit in both. Runs in every pass:
local memory and SQLite, Redis and PostgreSQL. The same bound under gunicorn with four
processes is part of ``make stress``.
"""

from __future__ import annotations

import base64
from typing import Any
from unittest import mock

import pytest
from django.test import Client, override_settings

from authgate.ratelimit import FailureLimiter
from tests import hashers
from tests.reliability.conftest import count, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 30
LIMIT = 5  # the default LOGIN_LIMIT_RATE, "5/m"


@pytest.fixture
def counting() -> Any:
    """The counting hasher for the whole test (the users' passwords are MD5 too)."""
    with override_settings(PASSWORD_HASHERS=["tests.hashers.CountingMD5PasswordHasher"]):
        hashers.reset()
        yield hashers


@pytest.fixture
def victim(make_user: Any, counting: Any) -> Any:
    user = make_user("victim", "victim-correct-horse")
    counting.reset()
    return user


def basic(password: str, username: str = "victim") -> dict[str, str]:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {value}"}


def guess_basic(i: int = 0) -> int:
    return Client().get("/api/whoami/", **basic(f"guess-{i}")).status_code


def guess_token_endpoint() -> int:
    return Client().post("/auth/token/", {"username": "victim", "password": "a-guess"}).status_code


def test_concurrent_wrong_basic_passwords_check_at_most_the_limit(victim, counting):
    statuses = run_in_threads(THREADS, guess_basic)
    count("races tried")
    assert counting.checks <= LIMIT
    assert sorted(statuses) == [401] * counting.checks + [429] * (THREADS - counting.checks)


def test_concurrent_guesses_at_the_token_endpoint_check_at_most_the_limit(victim, counting):
    statuses = run_in_threads(THREADS, guess_token_endpoint)
    count("races tried")
    assert counting.checks <= LIMIT
    assert sorted(statuses) == [400] * counting.checks + [429] * (THREADS - counting.checks)


def test_basic_and_the_token_endpoint_share_one_limit(victim, counting):
    turn = iter(range(THREADS))

    def either() -> int:
        return guess_basic() if next(turn) % 2 else guess_token_endpoint()

    statuses = run_in_threads(THREADS, either)
    count("races tried")
    assert counting.checks <= LIMIT
    assert statuses.count(429) == THREADS - counting.checks


def test_a_burst_across_the_minute_gets_the_limit_once(victim, counting):
    """Five wrong passwords at :59.9, five more at :00.1: the second five are refused
    without a check (a calendar-minute window checked all ten)."""
    clock = [1_800_000_000.0 - 0.1]  # a calendar-minute boundary, minus 0.1 s
    with mock.patch.object(FailureLimiter, "_now", lambda self: clock[0]):
        first = [guess_basic(i) for i in range(LIMIT)]
        clock[0] += 0.2
        second = [guess_basic(i) for i in range(LIMIT)]
    assert first == [401] * LIMIT
    assert second == [429] * LIMIT
    assert counting.checks == LIMIT


def test_a_correct_password_does_not_use_up_the_limit(victim, counting):
    """A login that succeeds gives its count back: sequential successes never lock out."""
    client = Client()
    for _ in range(3 * LIMIT):
        assert client.get("/api/whoami/", **basic("victim-correct-horse")).status_code == 200
    wrong = [guess_basic(i) for i in range(LIMIT + 1)]
    assert wrong == [401] * LIMIT + [429]


def test_concurrent_link_requests_send_at_most_the_limit(make_user):
    """Every request to the request-a-link form counts before anything is done: 30 at once
    for one address e-mail at most LINK_REQUEST_RATE's 5 links."""
    from django.core import mail

    make_user("victim", "victim-correct-horse", email="victim@example.com")
    mail.outbox = []

    def ask() -> int:
        response = Client().post("/auth/links/request/", {"email": "victim@example.com"})
        response.close()  # as a server does: the link is sent after the page
        return response.status_code

    statuses = run_in_threads(THREADS, ask)
    count("races tried")
    assert statuses.count(200) <= LIMIT
    assert statuses.count(200) + statuses.count(429) == THREADS
    assert len(mail.outbox) == statuses.count(200)
