"""Checks for the buffered ``last_used`` writes (``authgate.E030``, ``E031``).

The buffer (:mod:`authgate.token_usage`) must be bounded: a process that records the uses
of ever more tokens, while the database cannot take them, must not grow without limit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.checks import Error, Tags, register

from authgate.conf import settings

__all__ = ["check_token_usage_settings"]


@register(Tags.security)
def check_token_usage_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """``TOKEN_USAGE_FLUSH_INTERVAL`` is a duration (or ``None``); the buffer has a size."""
    interval = settings.TOKEN_USAGE_FLUSH_INTERVAL
    if interval is not None and (not isinstance(interval, timedelta) or interval < timedelta(0)):
        return [
            Error(
                "AUTHGATE['TOKEN_USAGE_FLUSH_INTERVAL'] must be a timedelta or None.",
                hint="e.g. timedelta(seconds=10); None writes last_used on the request path.",
                id="authgate.E030",
            )
        ]
    size = settings.TOKEN_USAGE_BUFFER_SIZE
    if interval and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        return [
            Error(
                "AUTHGATE['TOKEN_USAGE_BUFFER_SIZE'] must be a positive integer (tokens): "
                "the usage buffer would be unbounded.",
                hint="e.g. 10000; or TOKEN_USAGE_FLUSH_INTERVAL = None to write through.",
                id="authgate.E031",
            )
        ]
    return []
