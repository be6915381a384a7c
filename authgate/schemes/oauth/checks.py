"""Checks for the OAuth 2.0 resource server settings (``authgate.E080`` to ``W089``, and
``E090`` to ``W091`` for DPoP and client subjects in :mod:`.dpop_checks`).

They run only when a backend of the chain is (a subclass of)
:class:`~authgate.schemes.oauth.backend.OAuthBackend`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import urllib.parse
from typing import Any

from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import FieldDoesNotExist
from django.utils.module_loading import import_string

from authgate.conf import DEFAULTS, settings

__all__ = ["check_oauth_settings"]

_DURATIONS = (
    "OAUTH_LEEWAY",
    "OAUTH_JWKS_CACHE_TTL",
    "OAUTH_JWKS_REFRESH_INTERVAL",
    "OAUTH_INTROSPECTION_CACHE_TTL",
    "OAUTH_INTROSPECTION_INACTIVE_TTL",
    "OAUTH_HTTP_TIMEOUT",
)
_MAX_LEEWAY = 300  # seconds


def _chain_classes() -> list[type]:
    classes = []
    for path in settings.BACKENDS if isinstance(settings.BACKENDS, list | tuple) else ():
        # A path that does not import is the chain check's to report.
        with contextlib.suppress(ImportError, ValueError):
            found = import_string(path)
            if isinstance(found, type):
                classes.append(found)
    return classes


def _check_order(classes: list[type]) -> list[Any]:
    from authgate.schemes.oauth.backend import OAuthBackend
    from authgate.schemes.tokens.backend import TokenBackend

    kinds = [
        "oauth" if issubclass(c, OAuthBackend) else "token"
        for c in classes
        if issubclass(c, OAuthBackend | TokenBackend)
    ]
    if "token" in kinds and kinds.index("token") < kinds.index("oauth"):
        return [
            Warning(
                "TokenBackend comes before OAuthBackend in AUTHGATE['BACKENDS']: it refuses "
                "every Bearer token that is not an API token, so OAuth tokens never reach "
                "OAuthBackend.",
                hint="Put authgate.schemes.oauth.backend.OAuthBackend before "
                "authgate.schemes.tokens.backend.TokenBackend; it leaves agt_… tokens to it.",
                id="authgate.W080",
            )
        ]
    return []


def _check_keys() -> list[Any]:
    messages: list[Any] = []
    url, inline, introspection = (
        settings.OAUTH_JWKS_URL,
        settings.OAUTH_JWKS,
        settings.OAUTH_INTROSPECTION_URL,
    )
    if not url and not inline and not introspection:
        messages.append(
            Error(
                "OAuthBackend has no way to check a token: OAUTH_JWKS_URL, OAUTH_JWKS and "
                "OAUTH_INTROSPECTION_URL are all unset.",
                hint="Set OAUTH_JWKS_URL to the IdP's jwks_uri (see its "
                "/.well-known/openid-configuration), or OAUTH_INTROSPECTION_URL.",
                id="authgate.E082",
            )
        )
    algorithms = settings.OAUTH_ALGORITHMS
    from authgate.schemes.oauth.jwks import key_algorithms, load_keys

    asymmetric = key_algorithms({"kty": "RSA"}) | {"ES256", "ES384", "ES512", "EdDSA"}
    if (
        not isinstance(algorithms, list | tuple)
        or not algorithms
        or not set(algorithms) <= asymmetric
    ):
        messages.append(
            Error(
                f"AUTHGATE['OAUTH_ALGORITHMS'] must be a non-empty list of asymmetric JWS "
                f"algorithms, got {algorithms!r}.",
                hint="'none' and HMAC (HS256, …) are never accepted: an HMAC keyed with a "
                f"public key is the algorithm-confusion attack. Choose from {sorted(asymmetric)}.",
                id="authgate.E083",
            )
        )
    elif inline and not load_keys(inline, algorithms):
        messages.append(
            Error(
                "AUTHGATE['OAUTH_JWKS'] holds no usable public signing key.",
                hint="Give a JWK Set {'keys': [...]} of RSA, EC (P-256/384/521) or OKP "
                "(Ed25519) public keys whose type matches OAUTH_ALGORITHMS; private and "
                "symmetric keys are ignored.",
                id="authgate.E086",
            )
        )
    if introspection and not (settings.OAUTH_CLIENT_ID and settings.OAUTH_CLIENT_SECRET):
        messages.append(
            Error(
                "OAUTH_INTROSPECTION_URL is set without OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET.",
                hint="RFC 7662 §2.1: the resource server authenticates to the introspection "
                "endpoint; register it as a client at the IdP.",
                id="authgate.E085",
            )
        )
    for name in ("OAUTH_JWKS_URL", "OAUTH_INTROSPECTION_URL"):
        value = getattr(settings, name)
        if not value:
            continue
        parts = urllib.parse.urlsplit(str(value))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            messages.append(
                Error(
                    f"AUTHGATE[{name!r}] is not an http(s) URL: {value!r}.",
                    hint="Give the full URL from the IdP's metadata.",
                    id="authgate.E087",
                )
            )
        elif parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
            messages.append(
                Warning(
                    f"AUTHGATE[{name!r}] uses plain http.",
                    hint="Keys and introspection answers decide who gets in: fetch them over "
                    "https so nobody on the path can substitute their own.",
                    id="authgate.W081",
                )
            )
    return messages


def _check_values() -> list[Any]:
    messages: list[Any] = []
    for name, error_id in (("OAUTH_ISSUER", "authgate.E080"), ("OAUTH_AUDIENCE", "authgate.E081")):
        value = getattr(settings, name)
        valid = isinstance(value, str) and bool(value)
        if name == "OAUTH_AUDIENCE" and isinstance(value, list | tuple):
            valid = bool(value) and all(isinstance(v, str) and v for v in value)
        if not valid:
            messages.append(
                Error(
                    f"AUTHGATE[{name!r}] must be set when OAuthBackend is enabled, got {value!r}.",
                    hint="OAUTH_ISSUER is the IdP's exact issuer identifier; OAUTH_AUDIENCE is "
                    "this API's identifier there (RFC 9068 §4: both are always checked).",
                    id=error_id,
                )
            )
    from authgate.schemes.oauth.config import seconds

    for name in _DURATIONS:
        value = getattr(settings, name)
        try:
            ok = seconds(value) >= 0 and (name != "OAUTH_HTTP_TIMEOUT" or seconds(value) > 0)
        except ValueError:
            ok = False
        if not ok:
            messages.append(
                Error(
                    f"AUTHGATE[{name!r}] must be a non-negative number of seconds or a "
                    f"timedelta, got {value!r}.",
                    hint=f"The default is {DEFAULTS[name]!r}.",
                    id="authgate.E088",
                )
            )
        elif name == "OAUTH_LEEWAY" and seconds(value) > _MAX_LEEWAY:
            messages.append(
                Warning(
                    "AUTHGATE['OAUTH_LEEWAY'] is more than 5 minutes.",
                    hint="Leeway extends every token's life by that much; synchronise clocks "
                    "(NTP) and keep it under a minute.",
                    id="authgate.W082",
                )
            )
    typ = settings.OAUTH_TYP
    if typ is not None and not (
        isinstance(typ, list | tuple) and typ and all(isinstance(t, str) for t in typ)
    ):
        messages.append(
            Error(
                f"AUTHGATE['OAUTH_TYP'] must be None or a non-empty list of str, got {typ!r}.",
                hint="RFC 9068: ['at+jwt']. None accepts any typ (IdPs that do not follow it).",
                id="authgate.E088",
            )
        )
    messages.extend(_check_user_field())
    return messages


def _check_user_field() -> list[Any]:
    field_name = settings.OAUTH_USER_FIELD
    model = get_user_model()
    if field_name is None or field_name == "pk":
        if field_name == "pk" and settings.OAUTH_CREATE_USERS:
            return [
                Error(
                    "OAUTH_CREATE_USERS cannot create users when OAUTH_USER_FIELD is 'pk'.",
                    hint="Map sub to a unique field you can set (a username, or a dedicated "
                    "field), or turn OAUTH_CREATE_USERS off.",
                    id="authgate.E089",
                )
            ]
        return []
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        field = None
    if field is None or not getattr(field, "unique", False):
        return [
            Error(
                f"AUTHGATE['OAUTH_USER_FIELD'] {field_name!r} is not a unique field of "
                f"{model._meta.label}.",
                hint="sub must identify one user: use a unique field (None: the username).",
                id="authgate.E089",
            )
        ]
    return []


@register(Tags.security)
def check_oauth_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    try:
        from authgate.schemes.oauth.backend import OAuthBackend
    except ImportError:
        # No PyJWT: a chain naming OAuthBackend cannot import it, which authgate.E002
        # reports with the extra to install; any other chain has nothing to check here.
        return []

    classes = _chain_classes()
    if not any(issubclass(c, OAuthBackend) for c in classes):
        return []
    if importlib.util.find_spec("jwt") is None:
        return [
            Error(
                "OAuthBackend needs PyJWT, which is not installed.",
                hint="pip install 'authgate[oauth]'",
                id="authgate.E084",
            )
        ]
    from authgate.schemes.oauth.dpop_checks import dpop_messages

    return [*_check_values(), *_check_keys(), *_check_order(classes), *dpop_messages()]
