"""API-token uses kept in memory and written to the database in batches, off the request path.

A thousand clients each calling now and then make almost every request its token's first
use in a while; writing ``last_used`` then costs an ``UPDATE`` and its commit on the request
path (on SQLite, behind the one database lock, a thirty-sixth of the throughput). Instead:

* :func:`record` (the token backend's one call) notes the use — time and client IP — in
  this process's buffer: a dictionary store under a lock, no I/O. Per token the newest
  use wins.
* A daemon thread per process writes the buffer every ``TOKEN_USAGE_FLUSH_INTERVAL``
  (10 s), as **one statement** (:mod:`authgate.schemes.tokens.usage_sql`) that only moves
  ``last_used`` forward, so across workers and machines the newest use wins, with its IP:
  the database is within one interval of the truth.
* The buffer holds at most ``TOKEN_USAGE_BUFFER_SIZE`` tokens. Reaching it wakes the thread
  to write early; while it stays full (the database slow or down), uses of *further*
  tokens are not recorded (counted and logged) — memory stays bounded. A failed write puts
  its uses back, within the same bound, for the next attempt.
* On a clean exit what is left is written: :mod:`atexit`, gunicorn's ``worker_exit``
  hook if configured (:func:`gunicorn_worker_exit`), and the ASGI lifespan's shutdown if
  the application is wrapped (:func:`flush_on_shutdown`). ``manage.py authgate
  flush-usage`` and :func:`flush` write the calling process's buffer now.

A crash (``SIGKILL``, an out-of-memory kill, a worker timeout) loses that process's uses
of at most the last interval: ``last_used`` values only. Revocations and use counts
(``max_uses``, one-time tokens) never go through here: they are written on the request
path, atomically, as before.

Processes:

* **gunicorn** (prefork): a forked worker starts with an empty buffer and no thread
  (:func:`os.register_at_fork`; the parent's pending uses stay the parent's to write), and
  starts its thread with its first recorded use. Graceful stops and ``max_requests``
  recycling write the buffer on the way out.
* **uvicorn** (``--workers`` or gunicorn's ``UvicornWorker``): each worker has its own
  buffer and thread (spawned workers are fresh interpreters). After its graceful shutdown
  uvicorn re-raises the ``SIGTERM`` it caught, with the default handler, so the process
  ends without :mod:`atexit`: wrap the ASGI application with :func:`flush_on_shutdown`, and
  the lifespan's shutdown writes the buffer. Async views record from whichever thread
  runs the backend: the buffer is thread-safe.
* **serverless** (a process frozen between invocations, killed without warning): a thread
  does not run while frozen and :mod:`atexit` may never run. Set
  ``TOKEN_USAGE_FLUSH_INTERVAL = None`` to write through: the request path then writes
  ``last_used`` itself, at most once per ``TOKEN_LAST_USED_INTERVAL`` per token.

"Used from a new IP" audit events are written by the flush, off the request path: for a
token whose newest use came from another address than the one last known to this process
(or stored in the row as read), at most once per token and address per
``TOKEN_LAST_USED_INTERVAL`` (de-duplicated in the shared cache, so across workers too).

Importable before Django is set up (a gunicorn configuration file imports the hook).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from django.db import close_old_connections, connections
from django.http import HttpRequest

from authgate.clientip import client_ip
from authgate.conf import chain_settings
from authgate.schemes.tokens.settings import token_settings

if TYPE_CHECKING:
    from authgate.schemes.tokens.models import APIToken

__all__ = [
    "UsageBuffer",
    "flush",
    "flush_on_shutdown",
    "gunicorn_worker_exit",
    "record",
    "usage_buffer",
]

logger = logging.getLogger(__name__)

#: How long a shutdown waits for the thread's own write in progress (s).
STOP_TIMEOUT = 10.0


@dataclass(slots=True)
class _Use:
    last_used: datetime
    ip: str | None
    previous_ip: str | None  # the token's address before this interval, as last known
    user_id: Any
    display_prefix: str


def record(token: APIToken, request: HttpRequest, now: datetime) -> bool:
    """Note a use of ``token`` for the next flush; ``False`` when uses are written through
    (``TOKEN_USAGE_FLUSH_INTERVAL = None``): then the caller writes it."""
    if not token_settings().usage_flush_interval:
        return False
    ip = client_ip(request) or None
    usage_buffer().add(token, ip, now)
    token.last_used, token.last_used_ip = now, ip  # the request's own copy shows this use
    return True


def flush() -> int:
    """Write this process's buffered uses now; the number of tokens written. Raises the
    database's error (the uses are kept for the next attempt)."""
    instance = _instance
    return instance.flush() if instance is not None else 0


def gunicorn_worker_exit(server: Any, worker: Any) -> None:
    """gunicorn's ``worker_exit`` hook: write what the worker has buffered as it exits
    (in ``gunicorn.conf.py``: ``from authgate.schemes.tokens.usage import gunicorn_worker_exit as
    worker_exit``). :mod:`atexit` does the same a moment later; the hook writes while
    gunicorn's logging is still up, so a failure is reported in the worker's log."""
    _shutdown()


def flush_on_shutdown(application: Any) -> Any:
    """Wrap Django's ASGI application so the ASGI lifespan's shutdown writes the buffer:
    ``application = flush_on_shutdown(get_asgi_application())``.

    uvicorn ends a worker by re-raising the ``SIGTERM`` it handled, so :mod:`atexit` never
    runs there; it does send ``lifespan.shutdown`` first, once every connection is done.
    The wrapper answers the lifespan itself (Django's handler refuses that scope) and passes
    every other scope on.
    """

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await application(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(_shutdown_and_close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    return app


class UsageBuffer:
    """One process's recorded uses and the thread that writes them."""

    def __init__(self, *, thread: bool = True) -> None:
        #: Whether :meth:`add` starts the writing thread (off: the owner calls :meth:`flush`).
        self.thread = thread
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one write at a time in this process
        self._pending: dict[Any, _Use] = {}
        #: The address this process last wrote per token (bounded like the buffer).
        self._known_ips: dict[Any, str | None] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False
        #: Uses not recorded because the buffer was full (reported by the next flush).
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._pending)

    # --- the request path ---------------------------------------------------------------

    def add(self, token: APIToken, ip: str | None, now: datetime) -> None:
        """Record a use (newest per token wins); start the writing thread if need be."""
        size = token_settings().usage_buffer_size
        key = token.pk
        with self._lock:
            use = self._pending.get(key)
            if use is not None:
                if now >= use.last_used:
                    use.last_used, use.ip = now, ip
            elif len(self._pending) >= size:
                self.dropped += 1
                self._wake.set()
            else:
                previous = self._known_ips.get(key, token.last_used_ip)
                self._pending[key] = _Use(now, ip, previous, token.user_id, token.display_prefix)
                if len(self._pending) >= size:
                    self._wake.set()  # full: write now, not at the end of the interval
        if self._thread is None and self.thread:
            self._start()

    # --- writing --------------------------------------------------------------------------

    def flush(self) -> int:
        """Write every pending use, in one statement (:mod:`.usage_sql`)."""
        from authgate.schemes.tokens.usage_sql import write_uses

        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
                dropped, self.dropped = self.dropped, 0
            if dropped:
                logger.warning(
                    "API-token usage buffer full (TOKEN_USAGE_BUFFER_SIZE): last_used of %d "
                    "uses not recorded",
                    dropped,
                )
            if not pending:
                return 0
            try:
                write_uses([(key, use.last_used, use.ip) for key, use in pending.items()])
            except Exception:
                self._put_back(pending)
                raise
            self._remember_ips(pending)
            _audit_new_ips(pending)
            return len(pending)

    def _put_back(self, pending: dict[Any, _Use]) -> None:
        """After a failed write: keep the uses for the next one (newest wins, still bounded)."""
        size = token_settings().usage_buffer_size
        with self._lock:
            for key, use in pending.items():
                newer = self._pending.get(key)
                if newer is not None:
                    newer.previous_ip = use.previous_ip
                    if use.last_used > newer.last_used:
                        newer.last_used, newer.ip = use.last_used, use.ip
                elif len(self._pending) < size:
                    self._pending[key] = use
                else:
                    self.dropped += 1

    def _remember_ips(self, written: dict[Any, _Use]) -> None:
        size = token_settings().usage_buffer_size
        with self._lock:
            known = self._known_ips
            for key, use in written.items():
                known.pop(key, None)  # re-inserted last: the oldest entries go first
                known[key] = use.ip
            while len(known) > size:
                del known[next(iter(known))]

    # --- the thread -------------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._run, name="authgate-token-usage", daemon=True
            )
            thread = self._thread
        thread.start()

    def _run(self) -> None:
        wake = self._wake
        while True:
            interval = token_settings().usage_flush_interval
            wake.wait(interval.total_seconds() if interval else 1.0)
            wake.clear()
            if self._stopping:
                return
            # Like a request: a connection past CONN_MAX_AGE, or broken, is replaced.
            close_old_connections()
            try:
                self.flush()
            except Exception:
                logger.warning(
                    "Writing API-token last_used failed; keeping the uses for the next attempt",
                    exc_info=True,
                )
            finally:
                close_old_connections()

    def stop(self) -> None:
        """Stop the thread (after its write in progress, if any): before a final flush."""
        thread = self._thread
        if thread is None:
            return
        self._stopping = True
        self._wake.set()
        if thread is not threading.current_thread():
            thread.join(STOP_TIMEOUT)
        self._thread, self._stopping, self._wake = None, False, threading.Event()

    def reset_after_fork(self) -> None:
        """In a forked child: an empty buffer and no thread (the parent's uses stay with the
        parent, its locks may have been held by another of its threads)."""
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending = {}
        self._known_ips = {}
        self._wake = threading.Event()
        self._thread = None
        self._stopping = False
        self.dropped = 0

    def discard(self) -> None:
        """Forget pending uses without writing them (tests; the thread keeps running)."""
        with self._lock:
            self._pending.clear()
            self._known_ips.clear()
            self.dropped = 0


def _audit_new_ips(written: dict[Any, _Use]) -> None:
    """``used_new_ip`` events for tokens whose newest use came from another address."""
    changed = [
        (key, use)
        for key, use in written.items()
        if use.ip and use.previous_ip and use.ip != use.previous_ip
    ]
    if not changed:
        return
    from authgate.audit import TokenEvent
    from authgate.schemes.tokens.service import CREDENTIAL_KIND

    interval = max(1, int(token_settings().last_used_interval.total_seconds()))
    cache = caches[chain_settings().cache]
    events = []
    for key, use in changed:
        try:  # once per token and address per interval, across workers (a shared cache)
            if not cache.add(f"authgate:apitoken-ip:{key}:{use.ip}", 1, interval):
                continue
        except Exception:  # the cache client's errors vary; a duplicate beats a gap
            logger.debug("Cache unavailable: not de-duplicating a new-IP event")
        events.append(
            TokenEvent(
                kind=TokenEvent.Kind.USED_NEW_IP,
                credential_kind=CREDENTIAL_KIND,
                credential_id=use.display_prefix[:64],
                user_id=use.user_id,
                ip=use.ip,
                detail={"token_id": key, "previous_ip": use.previous_ip},
            )
        )
    TokenEvent.objects.bulk_create(events)


# --- the process's buffer ------------------------------------------------------------------

_instance: UsageBuffer | None = None
_instance_lock = threading.Lock()


def usage_buffer() -> UsageBuffer:
    """This process's :class:`UsageBuffer` (made on first use)."""
    global _instance
    instance = _instance
    if instance is None:
        with _instance_lock:
            if _instance is None:
                _instance = UsageBuffer()
            instance = _instance
    return instance


def _shutdown() -> None:
    """Stop the thread and write what is left (a clean exit: atexit, worker_exit)."""
    instance = _instance
    if instance is None:
        return
    instance.stop()
    try:
        instance.flush()
    except Exception:
        logger.warning("Writing API-token last_used at exit failed", exc_info=True)


def _shutdown_and_close() -> None:
    try:
        _shutdown()
    finally:
        connections.close_all()  # this thread's, opened for the write


def _after_fork_in_child() -> None:
    global _instance_lock
    _instance_lock = threading.Lock()
    if _instance is not None:
        _instance.reset_after_fork()


atexit.register(_shutdown)
if hasattr(os, "register_at_fork"):  # POSIX: prefork servers (gunicorn, uWSGI) fork workers
    os.register_at_fork(after_in_child=_after_fork_in_child)
