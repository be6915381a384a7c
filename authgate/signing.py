"""The key ring every signed token kind uses: ``SECRET_KEY`` signs, fallbacks verify."""

from __future__ import annotations

import functools

from django.conf import settings as django_settings

from authgate.conf import on_reload
from authgate.core.keyring import KeyRing

__all__ = ["keyring"]


@functools.cache
def keyring() -> KeyRing:
    """``KeyRing([SECRET_KEY, *SECRET_KEY_FALLBACKS])``, rebuilt when either setting changes.

    Rotating keys the Django way keeps outstanding tokens valid: move the old key to
    ``SECRET_KEY_FALLBACKS``; remove it from there to invalidate what it signed.
    """
    fallbacks = list(getattr(django_settings, "SECRET_KEY_FALLBACKS", []) or [])
    return KeyRing([django_settings.SECRET_KEY, *fallbacks])


on_reload(keyring.cache_clear)
