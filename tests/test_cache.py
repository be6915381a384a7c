"""The client-reusing RedisCache behaves like Django's and keeps its clients."""

import pytest
from django.core.cache import caches

from authgate.cache import RedisCache


@pytest.mark.redis
def test_reuses_one_client_and_works_like_djangos():
    cache = caches["default"]
    assert isinstance(cache, RedisCache), "the PostgreSQL+Redis pass uses authgate's RedisCache"
    cache.set("authgate-test-key", {"a": 1}, 30)
    assert cache.get("authgate-test-key") == {"a": 1}
    assert cache.add("authgate-test-key", 2) is False
    cache.delete("authgate-counter")
    assert cache.add("authgate-counter", 0) is True
    assert cache.incr("authgate-counter") == 1
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is first
    assert cache._cache.get_client(write=False) is cache._cache.get_client(write=False)
    cache.delete("authgate-test-key")
    assert cache.get("authgate-test-key") is None


def test_builds_no_connection_until_used():
    cache = RedisCache("redis://127.0.0.1:1/0", {})
    assert cache._cache._clients == {}
