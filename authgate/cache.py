"""A drop-in ``RedisCache`` that reuses its Redis clients.

Django's ``RedisCache`` builds a new ``redis.Redis`` client for every operation; with
redis-py 5+ that constructor fills a table of ~170 response callbacks each time, which
costs more than the network round trip itself (measured here: ~130 µs of a ~170 µs GET,
against ~35 µs for the same GET on a kept client). A ``redis.Redis`` client is safe to
share between threads — every command takes its own connection from the pool — so this
backend builds one client per connection pool and keeps it.

Use it exactly like Django's::

    CACHES = {"default": {"BACKEND": "authgate.cache.RedisCache", "LOCATION": "redis://…"}}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.cache.backends import redis as django_redis

from authgate.extras import MissingExtra

try:  # Django's RedisCache imports redis-py only when first used: say it at import instead
    import redis  # noqa: F401
except ImportError as exc:
    raise MissingExtra(__name__, "redis", "redis-py", exc) from exc

__all__ = ["RedisCache"]


class _ReusingClient(django_redis.RedisCacheClient):
    if TYPE_CHECKING:  # Django's private members, which django-stubs does not describe
        _client: Callable[..., Any]

        def _get_connection_pool_index(self, write: bool) -> int: ...
        def _get_connection_pool(self, write: bool) -> Any: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class RedisCache(django_redis.RedisCache):
    """Django's ``RedisCache``, keeping one Redis client per connection pool."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient
