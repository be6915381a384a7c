"""System checks for the API-token settings (authgate.E020-E029, W020-W021)."""

from datetime import timedelta

import pytest
from django.test import override_settings

from authgate.conf import user_settings
from authgate.schemes.tokens.checks import check_token_settings

AUTHGATE = user_settings()


def ids(**overrides):
    with override_settings(AUTHGATE={**AUTHGATE, **overrides}):
        return [message.id for message in check_token_settings()]


def test_defaults_are_clean():
    assert ids() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"TOKEN_PREFIX": "AGT"}, "authgate.E020"),
        ({"TOKEN_KEYWORDS": []}, "authgate.E021"),
        ({"TOKEN_KEYWORDS": ["Bad Keyword"]}, "authgate.E021"),
        ({"TOKEN_DEFAULT_LIFETIME": timedelta(days=400)}, "authgate.E022"),
        ({"TOKEN_MAX_LIFETIME": 5}, "authgate.E022"),
        ({"TOKEN_DEFAULT_LIFETIME": None}, "authgate.E023"),
        ({"TOKEN_LAST_USED_INTERVAL": 60}, "authgate.E024"),
        ({"MAX_TOKENS_PER_USER": 0}, "authgate.E025"),
        ({"TOKEN_CACHE_TIMEOUT": -1}, "authgate.E027"),
        ({"TOKEN_QUERY_PARAM": ""}, "authgate.E028"),
        ({"TOKEN_LOCAL_CACHE_SIZE": -1}, "authgate.E029"),
        ({"TOKEN_LOCAL_CACHE_SIZE": True}, "authgate.E029"),
        ({"TOKEN_LOCAL_CACHE_SIZE": 1000}, "authgate.E029"),  # without TOKEN_CACHE_TIMEOUT
        ({"TOKEN_QUERY_PARAM": "access_token"}, "authgate.W020"),
    ],
)
def test_bad_settings(overrides, expected):
    assert expected in ids(**overrides)


def test_token_cache_in_a_per_process_cache_warns():
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=locmem):
        assert ids(TOKEN_CACHE_TIMEOUT=30) == ["authgate.W021"]
    redis = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    with override_settings(CACHES=redis):
        assert ids(TOKEN_CACHE_TIMEOUT=30) == []


def test_local_token_rows_need_a_redis_cache():
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    local = {"TOKEN_CACHE_TIMEOUT": 30, "TOKEN_LOCAL_CACHE_SIZE": 1000}
    with override_settings(CACHES=locmem):
        assert "authgate.E029" in ids(**local)
    for backend in ("django.core.cache.backends.redis.RedisCache", "authgate.cache.RedisCache"):
        with override_settings(CACHES={"default": {"BACKEND": backend}}):
            assert ids(**local) == []
