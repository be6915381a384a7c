"""Attempt counting in the Django cache, shared by every worker (djblets' login limits).

Counted *before* the work it limits. :meth:`FailureLimiter.attempt` adds one to each key's
count with the cache's atomic increment (``cache.add`` then ``cache.incr``: atomic in
Django's ``RedisCache``, Memcached and ``LocMemCache``) and refuses the attempt (429) if
that takes any key past the limit. N concurrent guesses therefore check at most ``limit``
passwords, whatever the server's concurrency. A refused attempt gives its count back at
once; a password login that succeeds gives it back too (:meth:`Attempt.refund`), so what
stays counted is the checks that failed (and those still in flight).

The window slides: ``rate`` ``"5/m"`` allows five per key in *any* 60 seconds, not five
per calendar minute. Each key's counts are kept in :attr:`FailureLimiter.buckets` short
buckets per period (6 seconds for a minute); an attempt adds the buckets of the last
period, the current one and the next (a worker whose clock runs ahead may already count
there), so a burst across ``:59 → :00`` gets the limit once, not twice, and a count stops
counting between one period and one period plus one bucket after it was made.

If the cache is unreachable we fail closed (503), never open.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from typing import Any, ClassVar

from django.core.cache import caches

from authgate.conf import chain_settings
from authgate.core.durations import parse_rate
from authgate.errors import RateLimited, ServiceUnavailable

__all__ = ["Attempt", "FailureLimiter"]

logger = logging.getLogger(__name__)

#: Tries of ``add`` + ``incr`` when a bucket expires between the two (it never should: a
#: bucket outlives its period by three buckets).
_INCREMENT_TRIES = 3


class Attempt:
    """One counted attempt: :meth:`refund` gives its count back (a login that succeeded)."""

    __slots__ = ("_cache_keys", "_limiter", "_started")

    def __init__(self, limiter: FailureLimiter | None, cache_keys: list[str], started: float):
        self._limiter = limiter
        self._cache_keys = cache_keys
        self._started = started

    def refund(self) -> None:
        """Uncount this attempt (once). A refund the cache cannot take is logged, not
        raised: the attempt then stays counted, which only errs on the closed side."""
        limiter, keys, self._cache_keys = self._limiter, self._cache_keys, []
        if limiter is None or not keys:
            return
        # Past its period the count no longer counts, and its bucket may be gone: a
        # decrement then could make a stray key (Redis INCRBY creates one without expiry).
        if limiter._now() - self._started >= limiter.period:
            return
        try:
            limiter._decrement(caches[chain_settings().cache], keys)
        except Exception as exc:  # the cache client's own errors vary by backend
            logger.warning("Could not refund a rate-limit count (%s)", type(exc).__name__)


class FailureLimiter:
    """Counts attempts per key (client IP, username, …) in a namespace of the cache.

    ``rate`` is ``"<count>/<period>"`` (``"5/m"``, ``"10/15m"``) or ``None`` (no limit).
    Override :meth:`_now` to run the limiter on another clock (tests do).
    """

    #: Buckets per period. More buckets: a window closer to exactly one period, and one
    #: more key read per attempt.
    buckets: ClassVar[int] = 10

    def __init__(self, namespace: str, rate: str | None) -> None:
        self.namespace = namespace
        self.limit, self.period = parse_rate(rate) if rate else (0, 0)

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    @property
    def width(self) -> float:
        """Seconds per bucket."""
        return self.period / self.buckets

    def _now(self) -> float:
        """The current time in seconds since the epoch: the clock windows are cut from."""
        return time.time()

    def _key(self, key: str, bucket: int) -> str:
        # Hash the key: usernames and IPs may hold characters memcached keys cannot.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"authgate:rl:{self.namespace}:{digest}:{bucket}"

    def _window(self, bucket: int) -> range:
        """The buckets an attempt in ``bucket`` adds up: the last period's, its own and
        the next one."""
        return range(bucket - self.buckets, bucket + 2)

    def attempt(self, *keys: str) -> Attempt:
        """Count one attempt against every key, then refuse it if any key is past the limit.

        Raises :class:`RateLimited` (the attempt uncounted, ``retry_after`` set) or
        :class:`ServiceUnavailable` when the cache is unreachable.
        """
        now = self._now()
        if not self.enabled:
            return Attempt(None, [], now)
        names = list(dict.fromkeys(k for k in keys if k))
        bucket = int(now // self.width)
        cache = caches[chain_settings().cache]
        counted: list[str] = []
        try:
            current: dict[str, int] = {}
            for name in names:
                cache_key = self._key(name, bucket)
                current[name] = self._increment(cache, cache_key)
                counted.append(cache_key)
            others = cache.get_many(
                [self._key(n, b) for n in names for b in self._window(bucket) if b != bucket]
            )
        except Exception as exc:  # the cache client's own errors vary by backend
            self._undo(cache, counted)
            raise ServiceUnavailable() from exc
        retry_after = 0.0
        for name in names:
            counts = {
                b: current[name] - 1 if b == bucket else int(others.get(self._key(name, b), 0))
                for b in self._window(bucket)
            }
            if sum(counts.values()) + 1 > self.limit:
                retry_after = max(retry_after, self._retry_after(counts, now))
        if retry_after:
            self._undo(cache, counted)
            raise RateLimited(retry_after=math.ceil(retry_after))
        return Attempt(self, counted, now)

    def _retry_after(self, counts: dict[int, int], now: float) -> float:
        """Seconds until enough of ``counts`` (bucket → count, without this attempt) age
        out of the window for one more attempt."""
        remaining = sum(counts.values())
        for bucket in sorted(counts):
            remaining -= counts[bucket]
            if remaining + 1 <= self.limit:
                # A bucket leaves the window when the current bucket is `buckets` past it.
                return max(1.0, (bucket + self.buckets + 1) * self.width - now)
        return float(self.period) + self.width

    def _timeout(self) -> int:
        """How long a bucket is kept: its period and three buckets more, whole seconds."""
        return math.ceil(self.period + 3 * self.width) + 1

    def _increment(self, cache: Any, cache_key: str) -> int:
        for _ in range(_INCREMENT_TRIES):
            cache.add(cache_key, 0, timeout=self._timeout())
            try:
                return int(cache.incr(cache_key))
            except ValueError:  # expired between add and incr: add it again
                continue
        raise ServiceUnavailable()

    def _decrement(self, cache: Any, cache_keys: list[str]) -> None:
        for cache_key in cache_keys:
            with contextlib.suppress(ValueError):  # already expired: nothing to give back
                cache.decr(cache_key)

    def _undo(self, cache: Any, cache_keys: list[str]) -> None:
        """Give back counts this attempt made before it was refused or failed."""
        try:
            self._decrement(cache, cache_keys)
        except Exception as exc:
            logger.warning("Could not undo a rate-limit count (%s)", type(exc).__name__)
