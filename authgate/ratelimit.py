"""Failure counting in the Django cache, shared by every worker (djblets' login limits).

A fixed window per key: ``rate`` ``"5/m"`` allows five failures per key per minute. The
check happens *before* any password hashing, so a limited client costs one cache round
trip. If the cache is unreachable we fail closed (503), never open.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

from django.core.cache import caches

from authgate.conf import chain_settings
from authgate.core.durations import parse_rate
from authgate.errors import RateLimited, ServiceUnavailable

__all__ = ["FailureLimiter"]


class FailureLimiter:
    """Counts failures per key (client IP, username, …) in a namespace of the cache."""

    def __init__(self, namespace: str, rate: str | None) -> None:
        self.namespace = namespace
        self.limit, self.period = parse_rate(rate) if rate else (0, 0)

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def _key(self, key: str, window: int) -> str:
        # Hash the key: usernames and IPs may hold characters memcached keys cannot.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"authgate:rl:{self.namespace}:{digest}:{window}"

    def _keys(self, keys: Iterable[str]) -> tuple[list[str], float]:
        now = time.time()
        window = int(now // self.period)
        retry_after = (window + 1) * self.period - now
        return [self._key(k, window) for k in keys if k], retry_after

    def check(self, *keys: str) -> None:
        """Raise :class:`RateLimited` if any key has used up its failures in this window."""
        if not self.enabled:
            return
        cache_keys, retry_after = self._keys(keys)
        try:
            counts = caches[chain_settings().cache].get_many(cache_keys)
        except Exception as exc:  # the cache client's own errors vary by backend
            raise ServiceUnavailable() from exc
        if any(count >= self.limit for count in counts.values()):
            raise RateLimited(retry_after=int(retry_after) + 1)

    def record_failure(self, *keys: str) -> None:
        """Count one failure against every key."""
        if not self.enabled:
            return
        cache_keys, _ = self._keys(keys)
        cache = caches[chain_settings().cache]
        try:
            for key in cache_keys:
                cache.add(key, 0, timeout=self.period + 1)
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.set(key, 1, timeout=self.period + 1)
        except Exception as exc:
            raise ServiceUnavailable() from exc
