"""Public keys fetched from a URL, cached, refetched for an identifier never seen (no Django).

Two callers share it: OAuth's JWK Set (:mod:`authgate.schemes.oauth.jwks`, keys named by
``kid``) and GitHub's secret-scanning public keys (:mod:`authgate.leaks.github`, named by
``key_identifier``). Both publish a handful of keys, rotate them now and then, and sign
with a new key before every verifier has fetched it. So:

* a fetched set is used for ``ttl`` seconds, then fetched again;
* an identifier the set does not hold triggers a refetch (the publisher rotated), but at
  most one fetch attempt per ``interval`` seconds per process, so requests with made-up
  identifiers cannot make us hammer the publisher (or burn its rate limit);
* fetches are single-flight under a lock: of many threads missing the same key, one asks;
* a failed or empty refetch keeps the previous set; with no set at all, the caller's
  ``unavailable`` exception.

Keys live in process memory: a parsed public key is not picklable, and a shared-cache
round trip per request would cost more than the rare fetch it saves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["KeyCache"]

logger = logging.getLogger(__name__)

K = TypeVar("K")


class KeyCache(Generic[K]):
    """The fetched keys of one publisher (see the module doc)."""

    def __init__(
        self,
        *,
        name: str,
        unavailable: type[Exception],
        has_id: Callable[[tuple[K, ...], str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: Names the publisher in log lines ("JWKS", "GitHub public keys").
        self.name = name
        self._unavailable = unavailable
        self._has_id = has_id
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every key (the settings changed)."""
        self._fetched: tuple[K, ...] | None = None
        self._fetched_at = float("-inf")  # last successful fetch
        self._attempted_at = float("-inf")  # last fetch attempt, successful or not
        #: How many fetches were attempted (tests and metrics read it).
        self.fetches = 0

    def keys(
        self,
        load: Callable[[], tuple[K, ...]],
        *,
        ttl: float,
        interval: float,
        unknown_id: str | None = None,
    ) -> tuple[K, ...]:
        """The current keys: ``load()`` when none are fetched yet, the set is older than
        ``ttl``, or ``unknown_id`` is given (a key the caller did not find) and no attempt
        was made in the last ``interval`` seconds.

        ``load`` fetches and parses the set, raising ``unavailable`` on failure.
        """
        fetched = self._fetched
        stale = fetched is None or self._clock() - self._fetched_at >= ttl
        if stale or unknown_id is not None:
            fetched = self._refresh(load, known=fetched, unknown_id=unknown_id, interval=interval)
        return fetched or ()

    def _refresh(
        self,
        load: Callable[[], tuple[K, ...]],
        *,
        known: tuple[K, ...] | None,
        unknown_id: str | None,
        interval: float,
    ) -> tuple[K, ...] | None:
        with self._lock:
            if self._fetched is not known and (
                unknown_id is None or self._has_id(self._fetched or (), unknown_id)
            ):
                return self._fetched  # another thread fetched while we waited
            now = self._clock()
            if now - self._attempted_at < interval:
                if self._fetched is None:
                    raise self._unavailable(
                        f"no {self.name} yet; the last fetch failed moments ago"
                    )
                return self._fetched  # rate limited: answer from what we have
            self._attempted_at = now
            self.fetches += 1
            try:
                keys = load()
            except self._unavailable as exc:
                if self._fetched is None:
                    raise
                logger.warning(
                    "%s refresh failed (%s); still using the previous keys", self.name, exc
                )
                return self._fetched
            if not keys and self._fetched is not None:
                logger.warning("%s without usable keys; still using the previous keys", self.name)
                return self._fetched
            self._fetched, self._fetched_at = keys, now
            return keys
