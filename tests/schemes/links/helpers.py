"""Shared helpers for the magic-link tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from authgate.core import links_v1


def link_settings(**overrides: Any) -> override_settings:
    """``override_settings`` of ``AUTHGATE``: ``MAX_AGE=60`` sets ``LINK_MAX_AGE``; names
    that already start with ``LINK_`` or are given in ``other`` are used as they are."""
    values = dict(django_settings.AUTHGATE)
    other = overrides.pop("other", {})
    for name, value in overrides.items():
        values[name if name.startswith("LINK_") else "LINK_" + name] = value
    values.update(other)
    return override_settings(AUTHGATE=values)


class Clock:
    """The time links are made and checked at (``links_v1._now``)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000

    def advance(self, seconds: int) -> None:
        self.now += seconds


def install_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(links_v1, "_now", lambda: clock.now)
    return clock
