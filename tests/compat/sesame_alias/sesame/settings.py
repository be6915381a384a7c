"""``sesame.settings`` → :mod:`authgate.schemes.links.sesame` (``MAX_AGE`` … read live)."""

from typing import Any

from authgate.schemes.links.sesame import check, setting

__all__ = ["check"]


def __getattr__(name: str) -> Any:
    return setting(name)
