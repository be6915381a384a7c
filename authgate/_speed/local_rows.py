"""API token rows kept in each process, dropped the moment Redis says a token changed.

With ``TOKEN_LOCAL_CACHE_SIZE`` (and ``TOKEN_CACHE_TIMEOUT``, on Redis) a token lookup is
answered from this process's memory: no query and no round trip, only a check of the
subscription socket and building the instances from the kept row. What makes that safe:

* Every change that must end a token's use — revoke, rotate, revoke-all, deactivating the
  user — ends in :func:`authgate.schemes.tokens.service.forget_cached`, which publishes the tokens'
  digests on a Redis channel that every process subscribes to. Before answering from its
  copies, a process reads whatever has arrived and drops those rows. A digest dropped so
  is not kept again for ``TOKEN_CACHE_TIMEOUT`` (the Redis entry's ``INVALIDATED`` does
  the same), and a row read from the database before a drop is never stored after it.
* Copies are used only while the subscription is confirmed: at start-up, after an error,
  a reconnect (when messages may have been missed) or a fork (a child shares nothing with
  its parent) the copies are dropped and lookups use Redis and the database until Redis
  confirms the subscription again.
* A row is kept at most ``TOKEN_CACHE_TIMEOUT`` seconds, like the Redis entry, and only
  if its values are immutable (each hit builds new instances from it).

This is one of the fast paths: it reaches into Django's ``RedisCache`` for its redis-py
client (``_cache.get_client``), and keeps rows as the driver returned them (what
:func:`authgate._speed.lookups.row_lookup`'s ``fetch`` gives), built on every hit. With the
fast paths off (:mod:`authgate._speed.guard`) no rows are kept: lookups take the plain path
behind it, Django's cache API (``TOKEN_CACHE_TIMEOUT``) and the database.

The guarantee is Redis's delivery: a worker drops a revoked token's row as soon as the
publication reaches its socket, which on a local network is within the revoking call's
own round trip to Redis.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver

from authgate._speed.guard import fast_paths
from authgate._speed.lookups import KeptRow
from authgate.conf import chain_settings, on_reload
from authgate.schemes.tokens.settings import token_settings

__all__ = ["LocalRows", "local_rows", "publish_invalidation"]

logger = logging.getLogger(__name__)

#: The channel's name in the cache's key space (so KEY_PREFIX separates deployments).
CHANNEL_KEY = "authgate:apitoken:invalidate"
#: How long a failed subscription waits before the next attempt (s).
RETRY_INTERVAL = 1.0
#: How long subscribing waits for Redis to confirm (s); meanwhile lookups skip the copies.
SUBSCRIBE_TIMEOUT = 1.0
#: How long a lookup waits for another thread's use of the subscription (s).
LOCK_WAIT = 0.05
#: Dropped digests remembered per kept row, at most (a mass revocation stops keeping).
_DROPPED_PER_ROW = 4


def _redis_client(cache_alias: str, *, write: bool) -> Any:
    """The ``redis.Redis`` client of Django's (or authgate's) ``RedisCache``."""
    return caches[cache_alias]._cache.get_client(write=write)  # type: ignore[attr-defined]


def channel(cache_alias: str) -> str:
    """The invalidation channel of the cache's Redis database. Channels are server-wide
    while cache entries live in one database: the number keeps deployments that share a
    server (and only a ``KEY_PREFIX``) from invalidating each other's rows."""
    client = _redis_client(cache_alias, write=False)
    database = client.connection_pool.connection_kwargs.get("db", 0)
    return f"{caches[cache_alias].make_key(CHANNEL_KEY)}:db{database}"


def publish_invalidation(digests: list[str]) -> None:
    """Tell every process to drop these tokens' rows (raises the client's error).

    Returns once this process's own subscription has applied the message too: Redis may
    answer the publisher before it writes to the subscribers, and a request handled here
    right after a revocation must not find the row. Published whenever the setting is on,
    even by a process that keeps no rows itself (its fast paths off): others may.
    """
    if not digests or not token_settings().local_cache_size:
        return
    alias = chain_settings().cache
    payload = " ".join(digests)
    _redis_client(alias, write=True).publish(channel(alias), payload)
    local = local_rows()
    if local is not None:
        local.wait_for(payload)


def _text(message: dict[str, Any]) -> str:
    data = message.get("data") or b""
    return data.decode() if isinstance(data, bytes) else str(data)


class LocalRows:
    """One process's kept rows, and its subscription to the invalidation channel."""

    def __init__(self, cache_alias: str, size: int, timeout: int) -> None:
        self.cache_alias = cache_alias
        self.size = size
        self.timeout = timeout
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[float, KeptRow]] = {}
        #: Digest -> until when it must not be kept again (monotonic seconds).
        self._dropped: dict[str, float] = {}
        #: After more drops than can be remembered: keep nothing until then.
        self._keep_none_until = 0.0
        #: Bumped on every drop: a row read before it is not stored after it.
        self._generation = 0
        self._pubsub: Any = None
        self._poller: Any = None  # select.poll() on the subscription's socket
        self._ready = False  # the subscription is confirmed and nothing was missed since
        self._retry_at = 0.0

    # --- the subscription -------------------------------------------------------------

    def sync(self) -> int | None:
        """Apply what has arrived; the generation to pass to :meth:`put`, or ``None`` when
        the copies may not be used (no confirmed subscription)."""
        # Held for microseconds, unless another thread is (re)subscribing to a slow Redis:
        # then this request does not wait for it, it reads Redis and the database instead.
        if not self._lock.acquire(timeout=LOCK_WAIT):
            return None
        try:
            pubsub = self._pubsub
            if pubsub is None:
                if time.monotonic() < self._retry_at:
                    return None
                pubsub = self._subscribe()
                if pubsub is None:
                    return None
            try:
                if self._arrived(pubsub):
                    self._drain(pubsub)
            except Exception as exc:  # redis-py's ConnectionError and friends
                self._fail(exc)
                return None
            return self._generation if self._ready else None
        finally:
            self._lock.release()

    def _drain(self, pubsub: Any) -> None:
        """Apply every message redis-py has buffered or can read now. Ends only when
        nothing is left in its buffer either, so an idle socket afterwards means idle."""
        while pubsub.connection is not None and pubsub.connection.can_read(timeout=0):
            message = pubsub.get_message(timeout=0)
            if message is not None:
                self._apply(message)

    def _arrived(self, pubsub: Any) -> bool:
        """Whether anything may have arrived, by one ``poll`` of the subscription's socket
        (~0.4 µs; asking redis-py costs ~4). Every drain reads until redis-py has nothing
        buffered, so an idle socket means nothing to apply. Unsure: ``True``."""
        poller = self._poller
        if poller is None:
            sock = getattr(pubsub.connection, "_sock", None)
            if sock is None or not hasattr(select, "poll"):
                return True
            poller = self._poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))

    def wait_for(self, payload: str, timeout: float = SUBSCRIBE_TIMEOUT) -> None:
        """Apply arriving messages until ``payload`` is among them (or ``timeout`` passes,
        when the copies are dropped instead: they are no longer known to be current)."""
        with self._lock:
            pubsub = self._pubsub
            if pubsub is None or not self._ready:
                return  # the copies are not in use
            deadline = time.monotonic() + timeout
            try:
                while (left := deadline - time.monotonic()) > 0:
                    message = pubsub.get_message(timeout=left)
                    if message is None:
                        continue
                    self._apply(message)
                    if message.get("type") == "message" and _text(message) == payload:
                        self._drain(pubsub)  # and whatever came with it
                        return
            except Exception as exc:
                self._fail(exc)
                return
            self._fail(TimeoutError("the invalidation did not come back"))

    def _subscribe(self) -> Any:
        """Subscribe, and wait (one round trip) for Redis to confirm it."""
        try:
            pubsub = _redis_client(self.cache_alias, write=False).pubsub()
            self._pubsub = pubsub
            pubsub.subscribe(channel(self.cache_alias))
            # redis-py reconnects and resubscribes on its own, inside get_message(): be
            # told, since whatever was published meanwhile never arrives.
            pubsub.connection.register_connect_callback(self._on_reconnect)
            deadline = time.monotonic() + SUBSCRIBE_TIMEOUT
            while not self._ready and (left := deadline - time.monotonic()) > 0:
                message = pubsub.get_message(timeout=left)
                if message is not None:
                    self._apply(message)
            self._drain(pubsub)
        except Exception as exc:
            self._fail(exc)
            return None
        return pubsub

    def _apply(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            # Confirmed (again, after a reconnect): what was published meanwhile is lost.
            self._forget_all()
            self._ready = True
        elif kind == "message":
            now = time.monotonic()
            until = now + self.timeout
            self._generation += 1
            for digest in _text(message).split():
                self._rows.pop(digest, None)
                self._dropped[digest] = until
            if len(self._dropped) > _DROPPED_PER_ROW * self.size:
                self._trim_dropped(now, until)
        elif kind in {"unsubscribe", "punsubscribe"}:
            self._forget_all()
            self._ready = False

    def _on_reconnect(self, connection: Any) -> None:
        # Called by redis-py within get_message(), under our lock: trust nothing kept
        # until Redis confirms the new subscription (on a new socket).
        self._forget_all()
        self._ready = False
        self._poller = None

    def _fail(self, exc: Exception) -> None:
        logger.warning(
            "Token invalidation channel unavailable (%s): not using local token rows",
            type(exc).__name__,
        )
        self._disconnect()
        self._retry_at = time.monotonic() + RETRY_INTERVAL

    def _disconnect(self) -> None:
        """Stop using the copies and drop the subscription (a new one is made on demand)."""
        self._forget_all()
        self._ready = False
        self._poller = None
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:  # closing a broken connection may fail too
                logger.debug("Closing the invalidation subscription failed", exc_info=True)

    def reset_after_fork(self) -> None:
        """In a forked child: start over, sharing nothing with the parent (its socket, or
        its lock, which another thread of the parent may have held)."""
        self._lock = threading.Lock()
        self._pubsub = None  # the parent's connection: never read or close it here
        self._poller = None
        self._ready = False
        self._retry_at = 0.0
        self._forget_all()

    def _forget_all(self) -> None:
        self._generation += 1
        self._rows.clear()

    # --- the rows ---------------------------------------------------------------------

    def get(self, digest: str) -> KeptRow | None:
        """The kept row for ``digest`` (call :meth:`sync` first), if still fresh."""
        entry = self._rows.get(digest)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            self._rows.pop(digest, None)
            return None
        return entry[1]

    def put(self, digest: str, fetched: KeptRow, generation: int) -> None:
        """Keep ``fetched`` unless anything was dropped since ``generation`` was read."""
        if not fetched.immutable():
            return
        now = time.monotonic()
        with self._lock:
            if generation != self._generation or not self._ready:
                return
            if now < self._keep_none_until:
                return
            until = self._dropped.get(digest)
            if until is not None:
                if until > now:
                    return
                del self._dropped[digest]
            rows = self._rows
            while len(rows) >= self.size:
                del rows[next(iter(rows))]  # the oldest first
            rows[digest] = (now + self.timeout, fetched.settle())

    def drop(self, digest: str) -> None:
        """Forget this process's row for ``digest`` (its next use reads the database)."""
        self._rows.pop(digest, None)

    def _trim_dropped(self, now: float, until: float) -> None:
        """Bound the dropped digests: forget the expired ones, and if a mass revocation
        leaves too many, keep no row at all until the last of them expires."""
        for digest in [d for d, expiry in self._dropped.items() if expiry <= now]:
            del self._dropped[digest]
        if len(self._dropped) > _DROPPED_PER_ROW * self.size:
            self._dropped.clear()
            self._keep_none_until = until

    def close(self) -> None:
        with self._lock:
            self._disconnect()


_instance: LocalRows | None = None
#: The setting is on but this process keeps no rows: the fast paths are off (decided once
#: per settings generation, like the stores).
_plain = False
_instance_lock = threading.Lock()


def local_rows() -> LocalRows | None:
    """This process's :class:`LocalRows`, or ``None`` when the setting is off — or when the
    fast paths are (:func:`authgate._speed.guard.fast_paths`): the plain paths keep no rows,
    the Django cache (``TOKEN_CACHE_TIMEOUT``) answers instead."""
    tokens = token_settings()
    size = tokens.local_cache_size
    if not size or not tokens.cache_timeout:
        return None
    global _instance, _plain
    instance = _instance
    if instance is None:
        if _plain:
            return None
        with _instance_lock:
            if _instance is None and not _plain:
                if fast_paths():
                    _instance = LocalRows(chain_settings().cache, size, tokens.cache_timeout)
                else:
                    _plain = True
            instance = _instance
    return instance


@receiver(setting_changed)
def _close_on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    # Kept rows are built with the converters of the time zone and database settings.
    if setting in {"USE_TZ", "TIME_ZONE", "DATABASES", "CACHES"}:
        _close()


@on_reload
def _close() -> None:
    global _instance, _plain
    with _instance_lock:
        instance, _instance, _plain = _instance, None, False
    if instance is not None:
        instance.close()


def _after_fork_in_child() -> None:
    global _instance_lock
    _instance_lock = threading.Lock()
    if _instance is not None:
        _instance.reset_after_fork()


if hasattr(os, "register_at_fork"):  # POSIX: prefork servers (gunicorn, uWSGI) fork workers
    os.register_at_fork(after_in_child=_after_fork_in_child)
