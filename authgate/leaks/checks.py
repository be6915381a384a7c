"""Checks for the leaked-token response settings (``LEAKS_*``: ``authgate.E110`` to ``E114``,
``W110``): each field by its declaration, and one rule on where GitHub's keys come from."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning

from authgate.checks import check_fields
from authgate.leaks.settings import LeakSettings

__all__ = ["check_leak_settings"]


def check_leak_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The fields; with the endpoint on, a warning for keys fetched over plain HTTP."""
    messages, values = check_fields(LeakSettings)
    url = values.get("LEAKS_GITHUB_KEYS_URL")
    if values.get("LEAKS_SECRET_SCANNING") and isinstance(url, str) and url[:5].lower() == "http:":
        messages.append(
            Warning(
                "AUTHGATE['LEAKS_GITHUB_KEYS_URL'] is fetched over plain HTTP.",
                hint="Whoever can change that answer can sign reports that revoke any token "
                "they hold. Use https:// (GitHub's default) outside tests.",
                id="authgate.W110",
            )
        )
    return messages
