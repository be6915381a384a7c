"""authgate.core.keycache: fetched keys cached for a TTL, refetched for an unknown
identifier at most once per interval, single-flight, and never lost to a failed fetch."""

from __future__ import annotations

import threading
import time

import pytest

from authgate.core.keycache import KeyCache


class Down(Exception):
    pass


class Publisher:
    """Publishes key ids; counts fetches; can fail or publish nothing."""

    def __init__(self, *ids: str) -> None:
        self.ids = list(ids)
        self.calls = 0
        self.fail = False
        self.delay = 0.0

    def load(self) -> tuple[str, ...]:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise Down("publisher down")
        return tuple(self.ids)


@pytest.fixture
def clock() -> list[float]:
    return [1000.0]


def make(clock: list[float]) -> KeyCache[str]:
    return KeyCache(
        name="test keys",
        unavailable=Down,
        has_id=lambda keys, wanted: wanted in keys,
        clock=lambda: clock[0],
    )


def test_fetched_once_then_cached_until_the_ttl(clock):
    cache, publisher = make(clock), Publisher("a")
    assert cache.keys(publisher.load, ttl=60, interval=10) == ("a",)
    assert cache.keys(publisher.load, ttl=60, interval=10) == ("a",)
    assert publisher.calls == cache.fetches == 1
    clock[0] += 59.9
    cache.keys(publisher.load, ttl=60, interval=10)
    assert publisher.calls == 1
    clock[0] += 0.1  # exactly the ttl: stale
    publisher.ids = ["b"]
    assert cache.keys(publisher.load, ttl=60, interval=10) == ("b",)
    assert publisher.calls == cache.fetches == 2


def test_an_unknown_id_refetches_at_most_once_per_interval(clock):
    cache, publisher = make(clock), Publisher("a")
    cache.keys(publisher.load, ttl=3600, interval=60)
    clock[0] += 1
    for _ in range(5):  # within the interval since the first fetch: no fetch
        assert cache.keys(publisher.load, ttl=3600, interval=60, unknown_id="b") == ("a",)
    assert publisher.calls == 1
    clock[0] += 59  # exactly the interval since the last attempt: one fetch
    publisher.ids = ["a", "b"]
    assert cache.keys(publisher.load, ttl=3600, interval=60, unknown_id="b") == ("a", "b")
    assert publisher.calls == 2
    for _ in range(3):
        cache.keys(publisher.load, ttl=3600, interval=60, unknown_id="c")
    assert publisher.calls == 2
    # A known id asks for nothing, however often.
    cache.keys(publisher.load, ttl=3600, interval=0, unknown_id=None)
    assert publisher.calls == 2


def test_a_zero_interval_refetches_for_every_unknown_id(clock):
    cache, publisher = make(clock), Publisher("a")
    cache.keys(publisher.load, ttl=3600, interval=0)
    cache.keys(publisher.load, ttl=3600, interval=0, unknown_id="x")
    cache.keys(publisher.load, ttl=3600, interval=0, unknown_id="y")
    assert publisher.calls == 3


def test_a_failed_or_empty_refetch_keeps_the_previous_keys(clock, caplog):
    cache, publisher = make(clock), Publisher("a")
    cache.keys(publisher.load, ttl=60, interval=10)
    clock[0] += 60
    publisher.fail = True
    assert cache.keys(publisher.load, ttl=60, interval=10) == ("a",)
    assert "test keys refresh failed (publisher down)" in caplog.text
    clock[0] += 10
    publisher.fail, publisher.ids = False, []
    assert cache.keys(publisher.load, ttl=60, interval=10) == ("a",)
    assert "test keys without usable keys" in caplog.text


def test_nothing_fetched_yet_raises_the_callers_exception(clock):
    cache, publisher = make(clock), Publisher("a")
    publisher.fail = True
    with pytest.raises(Down, match="publisher down"):
        cache.keys(publisher.load, ttl=60, interval=10)
    # Within the interval: not asked again, and still an error.
    with pytest.raises(Down, match="no test keys yet"):
        cache.keys(publisher.load, ttl=60, interval=10)
    assert publisher.calls == 1
    clock[0] += 10
    publisher.fail = False
    assert cache.keys(publisher.load, ttl=60, interval=10) == ("a",)


def test_an_empty_first_answer_is_kept_as_no_keys(clock):
    cache, publisher = make(clock), Publisher()
    assert cache.keys(publisher.load, ttl=60, interval=10) == ()
    assert cache.keys(publisher.load, ttl=60, interval=10) == ()
    assert publisher.calls == 1


def test_reset_forgets_everything(clock):
    cache, publisher = make(clock), Publisher("a")
    cache.keys(publisher.load, ttl=60, interval=10)
    cache.reset()
    assert cache.fetches == 0
    cache.keys(publisher.load, ttl=60, interval=10)
    assert publisher.calls == 2


def test_concurrent_misses_fetch_once():
    cache: KeyCache[str] = KeyCache(
        name="test keys", unavailable=Down, has_id=lambda keys, wanted: wanted in keys
    )
    publisher = Publisher("a")
    publisher.delay = 0.05
    barrier = threading.Barrier(8)
    results: list[tuple[str, ...]] = []

    def worker() -> None:
        barrier.wait()
        results.append(cache.keys(publisher.load, ttl=60, interval=10))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [("a",)] * 8
    assert publisher.calls == 1


def _concurrent_misses(
    unknown_id: str | None, *, rotated_to: tuple[str, ...], ttl: float = 60
) -> Publisher:
    """Eight threads miss ``unknown_id`` (or find the set stale) at once, with no interval
    between attempts, while the publisher (slow to answer) has rotated to ``rotated_to``."""
    cache: KeyCache[str] = KeyCache(
        name="test keys", unavailable=Down, has_id=lambda keys, wanted: wanted in keys
    )
    publisher = Publisher("a")
    cache.keys(publisher.load, ttl=ttl, interval=0)
    publisher.ids, publisher.delay = list(rotated_to), 0.2
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        cache.keys(publisher.load, ttl=ttl, interval=0, unknown_id=unknown_id)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return publisher


def test_threads_waiting_for_a_refetch_take_its_keys_when_they_hold_the_id():
    # The first thread's fetch brings "b": the seven waiting behind the lock use it.
    assert _concurrent_misses("b", rotated_to=("a", "b")).calls == 2


def test_threads_waiting_for_a_refetch_still_ask_when_it_lacks_their_id():
    # A made-up id is not in the new set either: with no interval, each waiter asks again
    # (the interval, not the single flight, is what bounds made-up ids).
    assert _concurrent_misses("made-up", rotated_to=("a", "b")).calls == 1 + 8


def test_threads_waiting_for_a_stale_set_take_the_refetched_one():
    # ttl=0: every call finds the set stale; those queued behind the fetch use its result.
    assert _concurrent_misses(None, rotated_to=("b",), ttl=0).calls == 2
