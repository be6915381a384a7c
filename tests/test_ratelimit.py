"""Attempt counting in the shared cache: counted first, atomically, in a sliding window.

The limiter runs on a clock of the test's own (``FailureLimiter._now``), never the real
time, and on the suite's default cache: local memory in the SQLite passes, Redis in the
PostgreSQL pass.
"""

from __future__ import annotations

import threading

import pytest
from django.core.cache import caches
from hypothesis import given, settings
from hypothesis import strategies as st

from authgate.core.durations import parse_rate
from authgate.errors import RateLimited, ServiceUnavailable
from authgate.ratelimit import FailureLimiter

#: A calendar-minute boundary (a multiple of 60 s, and of every bucket width below).
MINUTE = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = MINUTE) -> None:
        self.now = now


class ClockedLimiter(FailureLimiter):
    """The limiter on a clock the test sets."""

    def __init__(self, namespace: str, rate: str | None, clock: Clock) -> None:
        super().__init__(namespace, rate)
        self.clock = clock

    def _now(self) -> float:
        return self.clock.now


def allowed(limiter: FailureLimiter, *keys: str) -> bool:
    try:
        limiter.attempt(*keys)
    except RateLimited:
        return False
    return True


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("5/m", (5, 60)),
        ("100/h", (100, 3600)),
        ("10/15m", (10, 900)),
        ("1/d", (1, 86400)),
        ("3/second", (3, 1)),
    ],
)
def test_parse_rate(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "5", "m/5", "0/m", "5/y", None, 5])
def test_parse_rate_refuses_nonsense(rate):
    with pytest.raises(ValueError):
        parse_rate(rate)


def test_counts_per_key_and_isolates_namespaces():
    clock = Clock()
    limiter = ClockedLimiter("t1", "2/m", clock)
    other = ClockedLimiter("t2", "2/m", clock)
    limiter.attempt("ip:1")
    limiter.attempt("ip:1")
    with pytest.raises(RateLimited) as info:
        limiter.attempt("ip:1", "user:x")
    assert 1 <= info.value.retry_after <= 66
    assert allowed(limiter, "user:x")  # the refused attempt did not count against it
    assert allowed(limiter, "ip:2")
    assert allowed(other, "ip:1")


def test_disabled_limiter_never_limits():
    limiter = FailureLimiter("t3", None)
    for _ in range(10):
        limiter.attempt("k")
    assert limiter.enabled is False


def test_unreachable_cache_fails_closed(settings):
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    settings.AUTHGATE = {"CACHE": "down"}
    with pytest.raises(ServiceUnavailable):
        FailureLimiter("t4", "5/m").attempt("k")


def test_a_burst_across_the_minute_gets_the_limit_once():
    """Reproduction 8 (the window): five failures at :59.9, then nothing at :00.1 — a
    calendar minute would have allowed five more."""
    clock = Clock(MINUTE - 0.1)
    limiter = ClockedLimiter("t5", "5/m", clock)
    assert [allowed(limiter, "user:a") for _ in range(5)] == [True] * 5
    clock.now = MINUTE + 0.1
    with pytest.raises(RateLimited) as info:
        limiter.attempt("user:a")
    # Free again once the burst has left the window: a minute, plus at most one bucket.
    clock.now += info.value.retry_after
    assert allowed(limiter, "user:a")
    assert MINUTE - 0.1 + 60 <= clock.now <= MINUTE - 0.1 + 60 + limiter.width + 1


def test_a_success_gives_its_count_back():
    limiter = ClockedLimiter("t6", "3/m", Clock())
    for _ in range(10):
        limiter.attempt("user:a").refund()
    assert [allowed(limiter, "user:a") for _ in range(4)] == [True, True, True, False]


def test_a_refund_counts_once():
    limiter = ClockedLimiter("t7", "2/m", Clock())
    attempt = limiter.attempt("user:a")
    attempt.refund()
    attempt.refund()
    assert [allowed(limiter, "user:a") for _ in range(3)] == [True, True, False]


def test_refused_attempts_do_not_extend_the_lockout():
    clock = Clock()
    limiter = ClockedLimiter("t8", "2/m", clock)
    limiter.attempt("ip:1")
    limiter.attempt("ip:1")
    for _ in range(30):  # hammering while limited
        clock.now += 1
        assert not allowed(limiter, "ip:1")
    clock.now = MINUTE + 60 + limiter.width
    assert allowed(limiter, "ip:1")


@pytest.mark.parametrize("keys", [("user:a",), ("ip:1", "user:a")])
def test_concurrent_attempts_pass_at_most_the_limit(keys):
    """Thirty threads released together: at most five attempts get through — exactly five
    for one key (the increments are ordered); with two keys a thread needs a place in
    both orders, so fewer may."""
    limiter = ClockedLimiter("t9", "5/m", Clock())
    barrier = threading.Barrier(30)
    results: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        outcome = allowed(limiter, *keys)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 30
    if len(keys) == 1:
        assert results.count(True) == 5
    assert results.count(True) <= 5


@settings(max_examples=60)
@given(
    limit=st.integers(min_value=1, max_value=4),
    steps=st.lists(
        st.tuples(st.floats(min_value=0, max_value=40), st.booleans()), min_size=1, max_size=40
    ),
)
def test_never_more_than_the_limit_in_any_period(limit, steps):
    """Whatever the timing: in any 60 seconds, at most ``limit`` attempts stay counted
    (allowed and not refunded); and an attempt with nothing counted in the last period
    and one bucket is allowed."""
    caches["default"].clear()
    clock = Clock()
    limiter = ClockedLimiter("prop", f"{limit}/m", clock)
    counted: list[float] = []
    for pause, succeeds in steps:
        clock.now += pause
        quiet = not [t for t in counted if clock.now - t < 60 + limiter.width]
        try:
            attempt = limiter.attempt("user:p")
        except RateLimited:
            assert not quiet
            continue
        if succeeds:
            attempt.refund()
        else:
            counted.append(clock.now)
            assert len([t for t in counted if clock.now - t < 60]) <= limit
