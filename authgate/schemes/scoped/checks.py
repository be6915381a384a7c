"""Checks for the signed temporary scoped token settings (``authgate.E040`` to ``W049``).

Each field is checked by its declaration
(:class:`~authgate.schemes.scoped.settings.ScopedSettings`); the functions here are the
rules that span fields, or read another kind's settings.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.checks import CheckMessage, Error, Warning

from authgate.checks import check_fields, setting_value
from authgate.schemes.scoped.settings import ScopedSettings

__all__ = ["check_scoped_settings"]

_LONG = timedelta(days=1)


def check_scoped_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Lifetimes, the keyword and the query parameter, and their clashes with other kinds."""
    messages, values = check_fields(ScopedSettings)
    for rule in (_lifetimes, _keyword_clash, _param_clash):
        messages.extend(rule(values))
    return messages


def _lifetimes(values: dict[str, Any]) -> list[CheckMessage]:
    default, maximum = values.get("SCOPED_DEFAULT_MAX_AGE"), values.get("SCOPED_MAX_AGE")
    messages: list[CheckMessage] = []
    if default is not None and maximum is not None and default > maximum:
        messages.append(
            Error(
                "AUTHGATE['SCOPED_DEFAULT_MAX_AGE'] is longer than AUTHGATE['SCOPED_MAX_AGE'].",
                hint="The default lifetime must not exceed the maximum; lower the default or "
                "raise the maximum.",
                id="authgate.E042",
            )
        )
    if maximum is not None and maximum > _LONG:
        messages.append(
            Warning(
                "AUTHGATE['SCOPED_MAX_AGE'] allows scoped tokens to live longer than a day.",
                hint="Scoped tokens are meant to be short-lived and cannot be revoked one by "
                "one; use API tokens for long-lived access.",
                id="authgate.W040",
            )
        )
    return messages


def _keyword_clash(values: dict[str, Any]) -> list[CheckMessage]:
    keyword = values.get("SCOPED_KEYWORD")
    if keyword is None:
        return []
    others = {"basic", "session"}
    token_keywords = setting_value("TOKEN_KEYWORDS")
    if isinstance(token_keywords, list | tuple):
        others.update(k.lower() for k in token_keywords if isinstance(k, str))
    if keyword.lower() not in others:
        return []
    return [
        Error(
            f"AUTHGATE['SCOPED_KEYWORD'] {keyword!r} is also another scheme's keyword.",
            hint="Keywords are case-insensitive and must differ from 'Basic' and "
            "AUTHGATE['TOKEN_KEYWORDS'].",
            id="authgate.E044",
        )
    ]


def _param_clash(values: dict[str, Any]) -> list[CheckMessage]:
    param = values.get("SCOPED_QUERY_PARAM")
    if not param or param not in (
        setting_value("TOKEN_QUERY_PARAM"),
        setting_value("LINK_TOKEN_NAME"),
    ):
        return []
    return [
        Error(
            f"AUTHGATE['SCOPED_QUERY_PARAM'] {param!r} is also used by another kind of token.",
            hint="Give scoped tokens, API tokens (TOKEN_QUERY_PARAM) and magic links "
            "(LINK_TOKEN_NAME) different query parameters.",
            id="authgate.E046",
        )
    ]
