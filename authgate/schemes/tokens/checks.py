"""Checks for the API-token settings (``authgate.E020``-``E034``, ``W020``-``W035``).

Each field is checked by its declaration (:class:`~authgate.schemes.tokens.settings.TokenSettings`);
the functions here are the rules that span fields or look at the cache.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from authgate.checks import check_fields, setting_value
from authgate.schemes.tokens.legacy_checks import check_legacy_settings
from authgate.schemes.tokens.settings import TokenSettings

__all__ = ["check_token_settings"]


def check_token_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Prefix, keywords, lifetimes, scopes, limits, caching and the query-parameter warning."""
    messages, values = check_fields(TokenSettings)
    for rule in (
        _keywords,
        _lifetimes,
        _query_param,
        _local_cache,
        _shared_cache,
        check_legacy_settings,
    ):
        messages.extend(rule(values))
    return messages


def _keywords(values: dict[str, Any]) -> list[CheckMessage]:
    keywords = values.get("TOKEN_KEYWORDS") or ()
    if not any(keyword.lower() == "dpop" for keyword in keywords):
        return []
    return [
        Error(
            "AUTHGATE['TOKEN_KEYWORDS'] names DPoP, which is not a bearer keyword.",
            hint="Remove it: TokenBackend takes 'DPoP agt_…' with a proof for DPoP-bound "
            "tokens by itself, and leaves other DPoP tokens to OAuthBackend.",
            id="authgate.E021",
        )
    ]


def _lifetimes(values: dict[str, Any]) -> list[CheckMessage]:
    default = values.get("TOKEN_DEFAULT_LIFETIME", ...)
    maximum = values.get("TOKEN_MAX_LIFETIME")
    if isinstance(default, timedelta) and isinstance(maximum, timedelta) and default > maximum:
        return [
            Error(
                "AUTHGATE['TOKEN_DEFAULT_LIFETIME'] is longer than TOKEN_MAX_LIFETIME.",
                hint="Shorten the default or raise the maximum.",
                id="authgate.E022",
            )
        ]
    if default is None and not values["ALLOW_NON_EXPIRING_TOKENS"]:
        return [
            Error(
                "AUTHGATE['TOKEN_DEFAULT_LIFETIME'] is None but non-expiring tokens are off.",
                hint="Set a default lifetime, or ALLOW_NON_EXPIRING_TOKENS = True.",
                id="authgate.E023",
            )
        ]
    return []


def _query_param(values: dict[str, Any]) -> list[CheckMessage]:
    param = values.get("TOKEN_QUERY_PARAM")
    if not param:
        return []
    return [
        Warning(
            f"API tokens are accepted in the query parameter {param!r}.",
            hint="URLs end up in server logs, browser history and Referer headers; "
            "prefer the Authorization header and set TOKEN_QUERY_PARAM = None.",
            id="authgate.W020",
        )
    ]


def _cache_backend() -> str:
    return str(django_settings.CACHES.get(setting_value("CACHE"), {}).get("BACKEND", ""))


def _local_cache(values: dict[str, Any]) -> list[CheckMessage]:
    """``TOKEN_LOCAL_CACHE_SIZE``: with the token cache, on the Redis cache whose channel
    it listens to."""
    if not values.get("TOKEN_LOCAL_CACHE_SIZE"):
        return []
    if not values.get("TOKEN_CACHE_TIMEOUT"):
        return [
            Error(
                "AUTHGATE['TOKEN_LOCAL_CACHE_SIZE'] needs TOKEN_CACHE_TIMEOUT.",
                hint="Set TOKEN_CACHE_TIMEOUT (seconds): it bounds how long a row is kept.",
                id="authgate.E029",
            )
        ]
    from django.core.cache.backends.redis import RedisCache

    backend = _cache_backend()
    try:
        is_redis = issubclass(import_string(backend), RedisCache)
    except ImportError:
        is_redis = False
    if is_redis:
        return []
    return [
        Error(
            f"AUTHGATE['TOKEN_LOCAL_CACHE_SIZE'] needs the {setting_value('CACHE')!r} cache to "
            f"be Redis (it is {backend or 'not configured'}).",
            hint="Rows kept in each process are dropped when Redis publishes a change; use "
            "'authgate.cache.RedisCache' (or Django's RedisCache) for AUTHGATE['CACHE'].",
            id="authgate.E029",
        )
    ]


def _shared_cache(values: dict[str, Any]) -> list[CheckMessage]:
    if not values.get("TOKEN_CACHE_TIMEOUT") or "LocMemCache" not in _cache_backend():
        return []
    return [
        Warning(
            "API token lookups are cached (TOKEN_CACHE_TIMEOUT) in a per-process cache.",
            hint="Other workers see a revocation only when their copy times out; use a "
            "shared cache (Redis) or keep TOKEN_CACHE_TIMEOUT = None.",
            id="authgate.W021",
        )
    ]
