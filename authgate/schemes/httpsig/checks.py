"""Checks for the HTTP Message Signatures settings (``authgate.E100`` to ``E109``).

Each ``HTTPSIG_*`` setting is validated where a mistake would otherwise surface as every
signed request failing (or, worse, as a weaker policy than intended). Each field is checked
by its declaration (:class:`~authgate.schemes.httpsig.settings.HTTPSigSettings`); the
functions here are the rules that span fields or look at the chain and the cache.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error

from authgate.checks import check_fields, setting_value
from authgate.schemes.httpsig.settings import HTTPSigSettings

__all__ = ["check_httpsig_settings"]

BACKEND = "authgate.schemes.httpsig.backend.HTTPSignatureBackend"


def check_httpsig_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The extra (with the backend), the fields, what they bind, and the nonce cache."""
    if not _extra_installed():
        return _missing_extra()
    messages, values = check_fields(HTTPSigSettings)
    for rule in (_binding, _skew_below_max_age, _nonce_cache):
        messages.extend(rule(values))
    return messages


def _extra_installed() -> bool:
    try:
        return all(importlib.util.find_spec(name) for name in ("http_sf", "cryptography"))
    except (ImportError, ValueError):
        return False


def _enabled() -> bool:
    backends = setting_value("BACKENDS")
    return isinstance(backends, list | tuple) and BACKEND in backends


def _missing_extra() -> list[CheckMessage]:
    if not _enabled():
        return []  # the settings only matter with the backend, which needs the extra
    return [
        Error(
            "HTTPSignatureBackend needs the cryptography and http-sf packages.",
            hint="pip install 'authgate[httpsig]'.",
            id="authgate.E109",
        )
    ]


def _binding(values: dict[str, Any]) -> list[CheckMessage]:
    """The required components bind a signature to the method and the target."""
    from authgate.schemes.httpsig.protocol.structured import parse_component_id

    components = values.get("HTTPSIG_REQUIRED_COMPONENTS")
    if components is None:
        return []
    names = {parse_component_id(text).name for text in components}
    covers_target = (
        "@target-uri" in names
        or {"@authority", "@path"} <= names
        or ({"@authority", "@request-target"} <= names)
    )
    if "@method" in names and covers_target:
        return []
    return [
        Error(
            "AUTHGATE['HTTPSIG_REQUIRED_COMPONENTS'] does not bind a signature to the "
            "method and the target of the request.",
            hint="Require @method and @target-uri, or @method, @authority and @path "
            "(and @query): otherwise a signed request can be replayed elsewhere.",
            id="authgate.E101",
        )
    ]


def _skew_below_max_age(values: dict[str, Any]) -> list[CheckMessage]:
    skew, max_age = values.get("HTTPSIG_CLOCK_SKEW"), values.get("HTTPSIG_MAX_AGE")
    if skew is None or max_age is None or skew < max_age:
        return []
    return [
        Error(
            "AUTHGATE['HTTPSIG_CLOCK_SKEW'] must be a whole number of seconds (int) or "
            f"timedelta, 0 or more and below HTTPSIG_MAX_AGE, got {skew!r}.",
            hint="The default is 30 seconds.",
            id="authgate.E103",
        )
    ]


def _nonce_cache(values: dict[str, Any]) -> list[CheckMessage]:
    if not _enabled():
        return []
    cache = django_settings.CACHES.get(setting_value("CACHE"), {})
    if "DummyCache" not in str(cache.get("BACKEND", "")):
        return []
    return [
        Error(
            "HTTP signature nonces are remembered in a DummyCache, which forgets them: "
            "replayed signatures would be accepted.",
            hint="Point AUTHGATE['CACHE'] at a real cache (RedisCache in production).",
            id="authgate.E108",
        )
    ]
