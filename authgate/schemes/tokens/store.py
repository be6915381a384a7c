"""Where the token backend gets a token row: this process, the Django cache, the database.

:class:`TokenStore` is the one interface between the token backend and every speed trick
behind it. :meth:`TokenStore.lookup` answers, in order, from:

1. this process's kept rows (``TOKEN_LOCAL_CACHE_SIZE``, :mod:`authgate._speed.local_rows`,
   a fast path), while their invalidation channel is confirmed: no query, no round trip;
2. the Django cache (``TOKEN_CACHE_TIMEOUT``): one ``GET``; a cache error falls back to
   the database, the source of truth;
3. the database: **one** indexed query, the row by digest joined with its user
   (:func:`authgate._speed.lookups.row_lookup`).

The database read is the compiled lookup of :mod:`authgate._speed.fastquery` when the
fast paths are on and Django's internals are the expected ones (:mod:`authgate._speed.guard`),
else the ORM's own ``select_related`` query; both give the same ``APIToken`` with its user.
With the fast paths off no rows are kept in the process: step 2 (when configured) and 3.
The store is built once per settings generation (:func:`token_store`), so switching
``AUTHGATE["FAST_PATHS"]`` takes effect with the next settings change, at no cost per
request.
"""

from __future__ import annotations

import contextlib
import functools

from django.core.cache import caches

from authgate._speed.local_rows import local_rows
from authgate._speed.lookups import RowLookup, row_lookup
from authgate.conf import chain_settings, on_reload
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.service import INVALIDATED, cache_key
from authgate.schemes.tokens.settings import token_settings

__all__ = ["TokenStore", "token_store"]


class TokenStore:
    """Token rows by digest, through the caches in front of the database."""

    def __init__(self, rows: RowLookup) -> None:
        #: The database read: the compiled lookup or the ORM's (``rows.fast`` tells).
        self.rows = rows

    def lookup(self, digest: str) -> APIToken | None:
        """The token row with this digest, its user loaded: one indexed query (or a hit).

        Rows of unlimited tokens are cached (``TOKEN_CACHE_TIMEOUT``); revoking, rotating
        and saving the user drop them. With ``TOKEN_LOCAL_CACHE_SIZE`` too, rows are first
        kept in the process, whenever its invalidation channel is confirmed.
        """
        local = local_rows()
        if local is not None:
            generation = local.sync()
            if generation is not None:  # the process's copies are trustworthy right now
                kept = local.get(digest)
                if kept is not None:
                    return kept.build()  # type: ignore[no-any-return]
                fetched = self.rows.fetch(digest)
                if fetched is None:
                    return None
                token: APIToken = fetched.build()
                if token.max_uses is None:  # a use count must be read from the database
                    local.put(digest, fetched, generation)
                return token
        timeout = token_settings().cache_timeout
        cached = None
        if timeout:
            try:
                cached = caches[chain_settings().cache].get(cache_key(digest))
            except Exception:  # the cache client's errors vary; the database still answers
                cached = None
            if cached is not None and cached != INVALIDATED:
                return cached  # type: ignore[no-any-return]
        found: APIToken | None = self.rows.get(digest)
        if timeout and found is not None and found.max_uses is None and cached is None:
            self.remember(found)
        return found

    def remember(self, token: APIToken, *, refresh: bool = False) -> None:
        """Cache a row read from the database: only into an empty slot (``add``), so a row
        read before a revocation can never replace
        :data:`~authgate.schemes.tokens.service.INVALIDATED`; ``refresh`` replaces a live
        entry (after this process wrote the row)."""
        # Caching is an optimisation only: a failing cache must not fail the request.
        with contextlib.suppress(Exception):
            cache = caches[chain_settings().cache]
            key = cache_key(token.digest)
            timeout = token_settings().cache_timeout
            if refresh and cache.get(key) != INVALIDATED:
                cache.set(key, token, timeout)
            else:
                cache.add(key, token, timeout)

    def written(self, token: APIToken) -> None:
        """This process just wrote ``token``'s row (``last_used``): its kept copy is stale,
        and the cache gets the new row, so cache hits do not retry the write."""
        local = local_rows()
        if local is not None:  # the next use reads the row
            local.drop(token.digest)
        if token_settings().cache_timeout and token.max_uses is None:
            self.remember(token, refresh=True)


@functools.cache
def token_store() -> TokenStore:
    """This settings generation's store (rebuilt when authgate's settings change)."""
    # ``digest`` is unique: no ORDER BY (PostgreSQL would plan and run a sort of one row).
    return TokenStore(
        row_lookup(
            APIToken,
            lambda value: APIToken.objects.select_related("user").filter(digest=value).order_by(),
            field="digest",
            samples=("0" * 64, "1" * 64),
        )
    )


on_reload(token_store.cache_clear)
