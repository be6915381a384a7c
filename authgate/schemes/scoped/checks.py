"""Checks for the signed temporary scoped token settings (``authgate.E040`` to ``W049``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.checks import Error, Tags, Warning, register

from authgate.conf import DEFAULTS, settings

__all__ = ["check_scoped_settings"]

# RFC 9110 §5.6.2 token: the auth-scheme grammar.
_TOKEN_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A query parameter name that needs no escaping in a URL.
_PARAM_RE = re.compile(r"[A-Za-z0-9_.~-]+")
_LONG = timedelta(days=1)


def _duration(value: object) -> timedelta | None:
    """``value`` as a positive whole-second timedelta, or ``None`` if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta) or value <= timedelta(0):
        return None
    if value % timedelta(seconds=1):
        return None
    return value


@register(Tags.security)
def check_scoped_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    durations: dict[str, timedelta] = {}
    for name, error_id in (
        ("SCOPED_MAX_AGE", "authgate.E040"),
        ("SCOPED_DEFAULT_MAX_AGE", "authgate.E041"),
    ):
        value = getattr(settings, name)
        duration = _duration(value)
        if duration is None:
            messages.append(
                Error(
                    f"AUTHGATE[{name!r}] must be a positive whole number of seconds (int) or "
                    f"timedelta, got {value!r}.",
                    hint=f"The default is {DEFAULTS[name]!r}. Scoped tokens always expire.",
                    id=error_id,
                )
            )
        else:
            durations[name] = duration
    if len(durations) == 2 and durations["SCOPED_DEFAULT_MAX_AGE"] > durations["SCOPED_MAX_AGE"]:
        messages.append(
            Error(
                "AUTHGATE['SCOPED_DEFAULT_MAX_AGE'] is longer than AUTHGATE['SCOPED_MAX_AGE'].",
                hint="The default lifetime must not exceed the maximum; lower the default or "
                "raise the maximum.",
                id="authgate.E042",
            )
        )
    if "SCOPED_MAX_AGE" in durations and durations["SCOPED_MAX_AGE"] > _LONG:
        messages.append(
            Warning(
                "AUTHGATE['SCOPED_MAX_AGE'] allows scoped tokens to live longer than a day.",
                hint="Scoped tokens are meant to be short-lived and cannot be revoked one by "
                "one; use API tokens for long-lived access.",
                id="authgate.W040",
            )
        )
    keyword = settings.SCOPED_KEYWORD
    if not isinstance(keyword, str) or not _TOKEN_RE.fullmatch(keyword):
        messages.append(
            Error(
                f"AUTHGATE['SCOPED_KEYWORD'] must be an HTTP auth-scheme name (an RFC 9110 "
                f"token, no spaces), got {keyword!r}.",
                hint="The default is 'TmpToken'.",
                id="authgate.E043",
            )
        )
    else:
        others = {"basic", "session"}
        token_keywords = settings.TOKEN_KEYWORDS
        if isinstance(token_keywords, (list, tuple)):
            others.update(k.lower() for k in token_keywords if isinstance(k, str))
        if keyword.lower() in others:
            messages.append(
                Error(
                    f"AUTHGATE['SCOPED_KEYWORD'] {keyword!r} is also another scheme's keyword.",
                    hint="Keywords are case-insensitive and must differ from 'Basic' and "
                    "AUTHGATE['TOKEN_KEYWORDS'].",
                    id="authgate.E044",
                )
            )
    param = settings.SCOPED_QUERY_PARAM
    if param is not None and (not isinstance(param, str) or not _PARAM_RE.fullmatch(param)):
        messages.append(
            Error(
                f"AUTHGATE['SCOPED_QUERY_PARAM'] must be None (off) or a plain parameter name "
                f"(letters, digits, '_', '.', '~', '-'), got {param!r}.",
                hint="The default is 'TOKEN'.",
                id="authgate.E045",
            )
        )
    elif param and param in {settings.TOKEN_QUERY_PARAM, settings.LINK_TOKEN_NAME}:
        messages.append(
            Error(
                f"AUTHGATE['SCOPED_QUERY_PARAM'] {param!r} is also used by another kind of token.",
                hint="Give scoped tokens, API tokens (TOKEN_QUERY_PARAM) and magic links "
                "(LINK_TOKEN_NAME) different query parameters.",
                id="authgate.E046",
            )
        )
    return messages
