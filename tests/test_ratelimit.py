"""Failure counting in the shared cache."""

import pytest

from authgate.core.durations import parse_rate
from authgate.errors import RateLimited, ServiceUnavailable
from authgate.ratelimit import FailureLimiter


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
    limiter = FailureLimiter("t1", "2/m")
    other = FailureLimiter("t2", "2/m")
    limiter.record_failure("ip:1")
    limiter.check("ip:1")
    limiter.record_failure("ip:1")
    with pytest.raises(RateLimited) as info:
        limiter.check("ip:1", "user:x")
    assert 1 <= info.value.retry_after <= 61
    limiter.check("ip:2")
    other.check("ip:1")


def test_disabled_limiter_never_limits():
    limiter = FailureLimiter("t3", None)
    for _ in range(10):
        limiter.record_failure("k")
    limiter.check("k")


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
        FailureLimiter("t4", "5/m").check("k")
