"""Races on PostgreSQL: threads released together by a barrier, each with its own connection.

Already covered elsewhere, not repeated here: ``max_uses=1`` over HTTP and the per-user
limit through ``issue()`` (tests/schemes/tokens/test_service.py), ``consume_once`` and concurrent
generation bumps (tests/test_state.py). Added here:

* a one-time magic link used by many requests at once succeeds exactly once;
* a ``max_uses=N`` token succeeds exactly N times;
* the per-user token limit holds through the obtain-token endpoint;
* rotating one token from many threads makes exactly one successor;
* after ``revoke()`` / ``revoke_all()`` returns, no request started later succeeds, with and
  without the Redis token cache; and the lookup cache cannot be re-filled with a row read
  before the revocation (a stale write racing the invalidation).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.test import Client

from authgate.models import APIToken
from authgate.schemes.links import service as links
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.store import token_store
from tests.reliability.conftest import authgate_settings, count, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def whoami(**kwargs: Any) -> int:
    path = kwargs.pop("path", "/api/whoami/")
    return Client().get(path, **kwargs).status_code


def test_one_time_link_succeeds_exactly_once(make_user):
    user = make_user("racer", "racer-password")
    with authgate_settings(LINK_ONE_TIME=True):
        for _round in range(5):
            token = links.get_token(user)
            statuses = run_in_threads(THREADS, lambda t=token: whoami(data={"sesame": t}))
            count("races tried")
            assert sorted(statuses) == [200] + [401] * (THREADS - 1)


def test_max_uses_n_succeeds_exactly_n_times(make_user):
    user = make_user("racer", "racer-password")
    for uses in (1, 3, 7):
        _row, plaintext = tokens.issue(user, max_uses=uses)
        statuses = run_in_threads(
            THREADS, lambda p=plaintext: whoami(HTTP_AUTHORIZATION=f"Bearer {p}")
        )
        count("races tried")
        assert sorted(statuses) == [200] * uses + [401] * (THREADS - uses)
        assert APIToken.objects.get(display_prefix=_row.display_prefix).use_count == uses


def test_per_user_limit_holds_through_the_endpoint(make_user):
    make_user("racer", "racer-password")

    def obtain() -> int:
        return (
            Client()
            .post("/auth/token/", {"username": "racer", "password": "racer-password"})
            .status_code
        )

    with authgate_settings(MAX_TOKENS_PER_USER=3, LOGIN_LIMIT_RATE=None):
        statuses = run_in_threads(THREADS, obtain)
    count("races tried")
    assert sorted(statuses) == [200] * 3 + [400] * (THREADS - 3)
    assert APIToken.objects.filter(user__username="racer").count() == 3


def test_concurrent_rotation_makes_one_successor(make_user):
    user = make_user("racer", "racer-password")
    row, _plaintext = tokens.issue(user)

    def rotate() -> str:
        try:
            tokens.rotate(APIToken.objects.get(pk=row.pk))
        except tokens.TokenError:
            return "refused"
        return "rotated"

    results = run_in_threads(THREADS, rotate)
    count("races tried")
    assert sorted(results) == ["refused"] * (THREADS - 1) + ["rotated"]
    assert APIToken.objects.filter(rotated_from=row).count() == 1


def hammer_while(revoke: Any, headers: dict[str, str], *, path: str = "/api/whoami/") -> None:
    """Requests from THREADS threads before, during and after ``revoke()``; none that
    started after it returned may succeed."""
    stop, warmed = threading.Event(), threading.Event()
    done_at: list[float] = []
    log: list[tuple[float, int]] = []  # (start, status)
    lock = threading.Lock()

    def worker() -> None:
        c = Client()
        while not stop.is_set():
            started = time.monotonic()
            status = c.get(path, **headers).status_code
            with lock:
                log.append((started, status))
            if status == 200:
                warmed.set()

    def revoker() -> None:
        # Let the workers (and the caches) warm up: a cold first request can take longer
        # than any fixed pause, and then the token would never be seen working.
        warmed.wait(timeout=10)
        time.sleep(0.05)
        revoke()
        done_at.append(time.monotonic())
        time.sleep(0.3)
        stop.set()

    threads = [threading.Thread(target=worker) for _ in range(THREADS - 1)]
    threads.append(threading.Thread(target=revoker))
    from django.db import close_old_connections

    def wrap(target: Any) -> Any:
        def run() -> None:
            try:
                target()
            finally:
                close_old_connections()

        return run

    threads = [threading.Thread(target=wrap(t._target)) for t in threads]  # type: ignore[attr-defined]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    count("races tried")
    revoked_at = done_at[0]
    before = [status for started, status in log if started < revoked_at]
    after = [status for started, status in log if started > revoked_at]
    assert 200 in before, "the token never worked: the race was not exercised"
    assert after, "no request after the revocation: the race was not exercised"
    assert set(after) == {401}, f"{after.count(200)} request(s) succeeded after revoke() returned"


#: No cache; the Redis token cache; rows kept in the process too (needs Redis).
CACHE_MODES = [
    pytest.param({}, id="no-cache"),
    pytest.param({"TOKEN_CACHE_TIMEOUT": 60}, id="token-cache"),
    pytest.param(
        {"TOKEN_CACHE_TIMEOUT": 60, "TOKEN_LOCAL_CACHE_SIZE": 1000},
        id="local-rows",
        marks=pytest.mark.redis,
    ),
]


@pytest.mark.parametrize("cache", CACHE_MODES)
def test_revoke_takes_effect_on_every_worker_at_once(cache, make_user):
    if cache:
        pytest.importorskip("redis")
    user = make_user("racer", "racer-password")
    with authgate_settings(**cache):
        row, plaintext = tokens.issue(user)
        hammer_while(lambda: tokens.revoke(row), {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"})


@pytest.mark.parametrize("cache", CACHE_MODES)
def test_revoke_all_takes_effect_for_every_kind(cache, make_user):
    user = make_user("racer", "racer-password")
    with authgate_settings(**cache):
        for kind in ("Bearer", "TmpToken"):
            if kind == "Bearer":
                token = tokens.issue(user)[1]
            else:
                token = scoped.issue(user, {"GET": ["/api/"]})
            hammer_while(lambda: tokens.revoke_all(user), {"HTTP_AUTHORIZATION": f"{kind} {token}"})


@pytest.mark.redis
def test_a_lookup_racing_revoke_cannot_recache_the_live_row(make_user):
    """The classic stale-write: a request reads the row, ``revoke()`` updates it and drops
    the cache entry, then the request writes the row it read (still live) into the cache.
    Forced deterministically here by pausing the request between its read and its write."""
    user = make_user("racer", "racer-password")
    with authgate_settings(TOKEN_CACHE_TIMEOUT=60):
        row, plaintext = tokens.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
        read_done, revoked = threading.Event(), threading.Event()
        store = token_store()  # this settings generation's: the reader thread uses it too
        real_cache = store.remember

        def slow_cache(token: Any, **kwargs: Any) -> None:
            if threading.current_thread().name == "stale-reader":
                read_done.set()
                revoked.wait(timeout=10)
            real_cache(token, **kwargs)

        store.remember = slow_cache
        try:
            result: list[int] = []

            def reader() -> None:
                try:
                    result.append(whoami(**headers))
                finally:
                    from django.db import close_old_connections

                    close_old_connections()

            thread = threading.Thread(target=reader, name="stale-reader")
            thread.start()
            assert read_done.wait(timeout=10)
            tokens.revoke(row)  # returns while the reader holds the live row
            revoked.set()
            thread.join(timeout=10)
        finally:
            del store.remember  # the method again
        count("races tried")
        # The in-flight request may have succeeded (it started before the revocation); no
        # request after revoke() returned may.
        assert [whoami(**headers) for _ in range(3)] == [401] * 3
