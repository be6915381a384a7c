"""Checks for the API-token settings (``authgate.E020``-``E039``, ``W020``-``W039``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.checks import Error, Tags, Warning, register

from authgate.conf import DEFAULTS, settings
from authgate.core import headers, opaque
from authgate.core.policy import SCOPE_RE

__all__ = ["check_token_settings"]


def _error(message: str, hint: str, number: int) -> Error:
    return Error(message, hint=hint, id=f"authgate.E{number:03d}")


@register(Tags.security)
def check_token_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Prefix, keywords, lifetimes, scopes, limits and the query-parameter warning."""
    messages: list[Any] = []
    try:
        opaque.validate_prefix(settings.TOKEN_PREFIX)
    except ValueError as exc:
        messages.append(_error(f"AUTHGATE['TOKEN_PREFIX'] is invalid: {exc}", "e.g. 'agt'.", 20))
    keywords = settings.TOKEN_KEYWORDS
    if (
        not isinstance(keywords, list | tuple)
        or not keywords
        or not all(isinstance(k, str) and headers._TOKEN_RE.fullmatch(k) for k in keywords)
    ):
        messages.append(
            _error(
                "AUTHGATE['TOKEN_KEYWORDS'] must be a non-empty list of auth-scheme names.",
                f"The default is {DEFAULTS['TOKEN_KEYWORDS']!r}; the first names the challenge.",
                21,
            )
        )
    default, maximum = settings.TOKEN_DEFAULT_LIFETIME, settings.TOKEN_MAX_LIFETIME
    for name, value in (("TOKEN_DEFAULT_LIFETIME", default), ("TOKEN_MAX_LIFETIME", maximum)):
        if value is not None and (not isinstance(value, timedelta) or value <= timedelta(0)):
            messages.append(
                _error(f"AUTHGATE[{name!r}] must be a positive timedelta or None.", "", 22)
            )
    if isinstance(default, timedelta) and isinstance(maximum, timedelta) and default > maximum:
        messages.append(
            _error(
                "AUTHGATE['TOKEN_DEFAULT_LIFETIME'] is longer than TOKEN_MAX_LIFETIME.",
                "Shorten the default or raise the maximum.",
                22,
            )
        )
    if default is None and not settings.ALLOW_NON_EXPIRING_TOKENS:
        messages.append(
            _error(
                "AUTHGATE['TOKEN_DEFAULT_LIFETIME'] is None but non-expiring tokens are off.",
                "Set a default lifetime, or ALLOW_NON_EXPIRING_TOKENS = True.",
                23,
            )
        )
    interval = settings.TOKEN_LAST_USED_INTERVAL
    if not isinstance(interval, timedelta) or interval < timedelta(0):
        messages.append(_error("AUTHGATE['TOKEN_LAST_USED_INTERVAL'] must be a timedelta.", "", 24))
    limit = settings.MAX_TOKENS_PER_USER
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        messages.append(
            _error("AUTHGATE['MAX_TOKENS_PER_USER'] must be a positive integer or None.", "", 25)
        )
    scopes = settings.SCOPES
    if not isinstance(scopes, dict) or not all(
        isinstance(name, str) and SCOPE_RE.fullmatch(name) for name in scopes
    ):
        messages.append(
            _error(
                "AUTHGATE['SCOPES'] must map scope names to descriptions.",
                "Names are lowercase words like 'notes' or 'notes:read'.",
                26,
            )
        )
    cache_timeout = settings.TOKEN_CACHE_TIMEOUT
    if cache_timeout is not None and (
        not isinstance(cache_timeout, int) or isinstance(cache_timeout, bool) or cache_timeout < 1
    ):
        messages.append(
            _error(
                "AUTHGATE['TOKEN_CACHE_TIMEOUT'] must be a positive integer (s) or None.", "", 27
            )
        )
    param = settings.TOKEN_QUERY_PARAM
    if param is not None and (not isinstance(param, str) or not param):
        messages.append(
            _error("AUTHGATE['TOKEN_QUERY_PARAM'] must be a parameter name or None.", "", 28)
        )
    elif param:
        messages.append(
            Warning(
                f"API tokens are accepted in the query parameter {param!r}.",
                hint="URLs end up in server logs, browser history and Referer headers; "
                "prefer the Authorization header and set TOKEN_QUERY_PARAM = None.",
                id="authgate.W020",
            )
        )
    messages.extend(_local_cache_messages(cache_timeout))
    if cache_timeout and "LocMemCache" in (
        django_settings.CACHES.get(settings.CACHE, {}).get("BACKEND", "")
    ):
        messages.append(
            Warning(
                "API token lookups are cached (TOKEN_CACHE_TIMEOUT) in a per-process cache.",
                hint="Other workers see a revocation only when their copy times out; use a "
                "shared cache (Redis) or keep TOKEN_CACHE_TIMEOUT = None.",
                id="authgate.W021",
            )
        )
    return messages


def _local_cache_messages(cache_timeout: Any) -> list[Any]:
    """``TOKEN_LOCAL_CACHE_SIZE``: a size, with the Redis cache whose channel it listens to."""
    size = settings.TOKEN_LOCAL_CACHE_SIZE
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return [
            _error(
                "AUTHGATE['TOKEN_LOCAL_CACHE_SIZE'] must be a non-negative integer (rows).",
                "0 turns it off; e.g. 10000.",
                29,
            )
        ]
    if not size:
        return []
    if not cache_timeout:
        return [
            _error(
                "AUTHGATE['TOKEN_LOCAL_CACHE_SIZE'] needs TOKEN_CACHE_TIMEOUT.",
                "Set TOKEN_CACHE_TIMEOUT (seconds): it bounds how long a row is kept.",
                29,
            )
        ]
    from django.core.cache.backends.redis import RedisCache

    backend = django_settings.CACHES.get(settings.CACHE, {}).get("BACKEND", "")
    try:
        from django.utils.module_loading import import_string

        is_redis = issubclass(import_string(backend), RedisCache)
    except ImportError:
        is_redis = False
    if not is_redis:
        return [
            _error(
                f"AUTHGATE['TOKEN_LOCAL_CACHE_SIZE'] needs the {settings.CACHE!r} cache to be "
                f"Redis (it is {backend or 'not configured'}).",
                "Rows kept in each process are dropped when Redis publishes a change; use "
                "'authgate.cache.RedisCache' (or Django's RedisCache) for AUTHGATE['CACHE'].",
                29,
            )
        ]
    return []
