"""Checks for the HTTP Message Signatures settings (``authgate.E100`` to ``E109``).

Each ``HTTPSIG_*`` setting is validated where a mistake would otherwise surface as every
signed request failing (or, worse, as a weaker policy than intended): the components a
signature must cover, the time window, the accepted algorithms, and a cache that can
actually remember nonces.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.checks import Error, Tags, register

from authgate.conf import DEFAULTS, settings
from authgate.schemes.scoped.checks import _duration

__all__ = ["check_httpsig_settings"]

BACKEND = "authgate.schemes.httpsig.backend.HTTPSignatureBackend"
# RFC 8941 §3.2: a dictionary key.
_KEY_RE = re.compile(r"[a-z*][a-z0-9_.*-]*")


#: What the backend verifies (kept here so the checks import without the extra).
ALGORITHMS = ("ed25519", "ecdsa-p256-sha256", "rsa-pss-sha512", "rsa-v1_5-sha256", "hmac-sha256")


def _extra_installed() -> bool:
    try:
        return all(importlib.util.find_spec(name) for name in ("http_sf", "cryptography"))
    except (ImportError, ValueError):
        return False


def _component_errors(value: object) -> list[Any]:
    from authgate.schemes.httpsig.protocol.components import DERIVED_COMPONENTS
    from authgate.schemes.httpsig.protocol.errors import MalformedSignature
    from authgate.schemes.httpsig.protocol.structured import parse_component_id

    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return [
            Error(
                "AUTHGATE['HTTPSIG_REQUIRED_COMPONENTS'] must be a list of component names.",
                hint=f"The default is {DEFAULTS['HTTPSIG_REQUIRED_COMPONENTS']!r}.",
                id="authgate.E100",
            )
        ]
    names = set()
    for text in value:
        try:
            component = parse_component_id(text)
        except MalformedSignature:
            component = None
        if (
            component is None
            or (component.is_derived and component.name not in DERIVED_COMPONENTS)
            or component.name == "@query-param"
        ):
            return [
                Error(
                    f"AUTHGATE['HTTPSIG_REQUIRED_COMPONENTS'] has {text!r}, which is not a "
                    "request component authgate can require.",
                    hint="Use lowercase header names or @method, @target-uri, @authority, "
                    "@scheme, @request-target, @path, @query.",
                    id="authgate.E100",
                )
            ]
        names.add(component.name)
    covers_target = (
        "@target-uri" in names
        or {"@authority", "@path"} <= names
        or ({"@authority", "@request-target"} <= names)
    )
    if "@method" not in names or not covers_target:
        return [
            Error(
                "AUTHGATE['HTTPSIG_REQUIRED_COMPONENTS'] does not bind a signature to the "
                "method and the target of the request.",
                hint="Require @method and @target-uri, or @method, @authority and @path "
                "(and @query): otherwise a signed request can be replayed elsewhere.",
                id="authgate.E101",
            )
        ]
    return []


def _skew(value: object) -> timedelta | None:
    if value == 0 or value == timedelta(0):
        return timedelta(0)
    return _duration(value)


@register(Tags.security)
def check_httpsig_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    if not _extra_installed():
        return _missing_extra()
    messages = _component_errors(settings.HTTPSIG_REQUIRED_COMPONENTS)
    max_age = _duration(settings.HTTPSIG_MAX_AGE)
    if max_age is None:
        messages.append(
            Error(
                "AUTHGATE['HTTPSIG_MAX_AGE'] must be a positive whole number of seconds (int) "
                f"or timedelta, got {settings.HTTPSIG_MAX_AGE!r}.",
                hint="The default is 5 minutes: signatures older than this are refused.",
                id="authgate.E102",
            )
        )
    skew = _skew(settings.HTTPSIG_CLOCK_SKEW)
    if skew is None or (max_age is not None and skew >= max_age):
        messages.append(
            Error(
                "AUTHGATE['HTTPSIG_CLOCK_SKEW'] must be a whole number of seconds (int) or "
                f"timedelta, 0 or more and below HTTPSIG_MAX_AGE, got "
                f"{settings.HTTPSIG_CLOCK_SKEW!r}.",
                hint="The default is 30 seconds.",
                id="authgate.E103",
            )
        )
    algorithms = settings.HTTPSIG_ALGORITHMS
    if (
        not isinstance(algorithms, list | tuple)
        or not algorithms
        or any(a not in ALGORITHMS for a in algorithms)
    ):
        messages.append(
            Error(
                f"AUTHGATE['HTTPSIG_ALGORITHMS'] must be a non-empty list drawn from "
                f"{', '.join(ALGORITHMS)}; got {algorithms!r}.",
                hint="Each key is bound to one algorithm; this list switches algorithms off.",
                id="authgate.E104",
            )
        )
    label = settings.HTTPSIG_LABEL
    if label is not None and (not isinstance(label, str) or not _KEY_RE.fullmatch(label)):
        messages.append(
            Error(
                f"AUTHGATE['HTTPSIG_LABEL'] must be None or a structured-field key "
                f"(lowercase letters, digits, _ - . *), got {label!r}.",
                hint="None verifies the only signature of a request.",
                id="authgate.E105",
            )
        )
    for name in ("HTTPSIG_REQUIRE_NONCE", "HTTPSIG_REQUIRE_CONTENT_DIGEST"):
        if not isinstance(getattr(settings, name), bool):
            messages.append(
                Error(
                    f"AUTHGATE[{name!r}] must be True or False.",
                    hint=f"The default is {DEFAULTS[name]!r}.",
                    id="authgate.E106",
                )
            )
    length = settings.HTTPSIG_MAX_HEADER_LENGTH
    if isinstance(length, bool) or not isinstance(length, int) or length < 256:
        messages.append(
            Error(
                f"AUTHGATE['HTTPSIG_MAX_HEADER_LENGTH'] must be an int of at least 256, got "
                f"{length!r}.",
                hint="The default is 8192 characters.",
                id="authgate.E107",
            )
        )
    messages.extend(_cache_errors())
    return messages


def _enabled() -> bool:
    backends = settings.BACKENDS
    return isinstance(backends, list | tuple) and BACKEND in backends


def _missing_extra() -> list[Any]:
    if not _enabled():
        return []  # the settings only matter with the backend, which needs the extra
    return [
        Error(
            "HTTPSignatureBackend needs the cryptography and http-sf packages.",
            hint="pip install 'authgate[httpsig]'.",
            id="authgate.E109",
        )
    ]


def _cache_errors() -> list[Any]:
    if not _enabled():
        return []
    cache = django_settings.CACHES.get(settings.CACHE, {})
    if "DummyCache" in str(cache.get("BACKEND", "")):
        return [
            Error(
                "HTTP signature nonces are remembered in a DummyCache, which forgets them: "
                "replayed signatures would be accepted.",
                hint="Point AUTHGATE['CACHE'] at a real cache (RedisCache in production).",
                id="authgate.E108",
            )
        ]
    return []
