"""The toy scheme's system check: its fields (one call), then one rule of its own."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning

from authgate.checks import check_fields
from tests.toy_scheme.settings import ToySettings

__all__ = ["check_toy_settings"]

#: Shorter keys can be guessed.
MIN_KEY_LENGTH = 16


def check_toy_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages, values = check_fields(ToySettings)
    short = [key for key in values.get("TOY_KEYS", {}) if len(key) < MIN_KEY_LENGTH]
    if short:
        messages.append(
            Warning(
                f"{len(short)} of AUTHGATE['TOY_KEYS'] are shorter than {MIN_KEY_LENGTH} "
                "characters.",
                hint="Use secrets.token_urlsafe(32) for each key.",
                id="toy.W001",
            )
        )
    return messages
