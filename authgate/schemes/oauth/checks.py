"""Checks for the OAuth 2.0 resource server settings (``authgate.E080`` to ``W089``), and
for client subjects (``E090``, ``E093``, ``W090``); the DPoP proof settings have their own
(:mod:`authgate.dpop_checks`: API tokens verify proofs too).

They run only when a backend of the chain is (a subclass of)
:class:`~authgate.schemes.oauth.backend.OAuthBackend`. Each field is checked by its
declaration (:class:`~authgate.schemes.oauth.settings.OAuthSettings`); the functions here
are the rules that span fields, load keys, or read the user model and the chain.
"""

from __future__ import annotations

import contextlib
import importlib.util
import urllib.parse
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import FieldDoesNotExist
from django.utils.module_loading import import_string

from authgate.checks import check_fields, setting_value
from authgate.schemes.oauth.settings import (
    ALGORITHMS_EXPECTED,
    ALGORITHMS_HINT,
    ASYMMETRIC_ALGORITHMS,
    OAuthSettings,
)

__all__ = ["check_oauth_settings"]

_MAX_LEEWAY = timedelta(minutes=5)


def check_oauth_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Nothing unless OAuthBackend is in the chain; then PyJWT, the fields and the rules."""
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
    messages, values = check_fields(OAuthSettings)
    for rule in (
        _required,
        _algorithms,
        _keys,
        _plain_http,
        _leeway,
        _user_field,
        _audience_optional,
    ):
        messages.extend(rule(values))
    messages.extend(_order(classes))
    return messages


def _chain_classes() -> list[type]:
    classes = []
    backends = setting_value("BACKENDS")
    for path in backends if isinstance(backends, list | tuple) else ():
        # A path that does not import is the chain check's to report.
        with contextlib.suppress(ImportError, ValueError):
            found = import_string(path)
            if isinstance(found, type):
                classes.append(found)
    return classes


def _required(values: dict[str, Any]) -> list[CheckMessage]:
    return [
        Error(
            f"AUTHGATE[{name!r}] must be set when OAuthBackend is enabled, got None.",
            hint="OAUTH_ISSUER is the IdP's exact issuer identifier; OAUTH_AUDIENCE is "
            "this API's identifier there (RFC 9068 §4: both are always checked).",
            id=error_id,
        )
        for name, error_id in (
            ("OAUTH_ISSUER", "authgate.E080"),
            ("OAUTH_AUDIENCE", "authgate.E081"),
        )
        if name in values and values[name] is None
    ]


def _algorithms(values: dict[str, Any]) -> list[CheckMessage]:
    algorithms = values.get("OAUTH_ALGORITHMS")
    if algorithms is None or (algorithms and set(algorithms) <= ASYMMETRIC_ALGORITHMS):
        return []
    return [
        Error(
            f"AUTHGATE['OAUTH_ALGORITHMS'] must be {ALGORITHMS_EXPECTED}, "
            f"got {list(algorithms)!r}.",
            hint=ALGORITHMS_HINT,
            id="authgate.E083",
        )
    ]


def _keys(values: dict[str, Any]) -> list[CheckMessage]:
    from authgate.schemes.oauth.jwks import load_keys

    messages: list[CheckMessage] = []
    inline = values["OAUTH_JWKS"]
    introspection = values.get("OAUTH_INTROSPECTION_URL")
    # An invalid URL is its field's error, not a missing one.
    urls_valid = "OAUTH_JWKS_URL" in values and "OAUTH_INTROSPECTION_URL" in values
    if urls_valid and not inline and not values["OAUTH_JWKS_URL"] and not introspection:
        messages.append(
            Error(
                "OAuthBackend has no way to check a token: OAUTH_JWKS_URL, OAUTH_JWKS and "
                "OAUTH_INTROSPECTION_URL are all unset.",
                hint="Set OAUTH_JWKS_URL to the IdP's jwks_uri (see its "
                "/.well-known/openid-configuration), or OAUTH_INTROSPECTION_URL.",
                id="authgate.E082",
            )
        )
    algorithms = values.get("OAUTH_ALGORITHMS")
    if inline and not _algorithms(values) and not load_keys(inline, algorithms or ()):
        messages.append(
            Error(
                "AUTHGATE['OAUTH_JWKS'] holds no usable public signing key.",
                hint="Give a JWK Set {'keys': [...]} of RSA, EC (P-256/384/521) or OKP "
                "(Ed25519) public keys whose type matches OAUTH_ALGORITHMS; private and "
                "symmetric keys are ignored.",
                id="authgate.E086",
            )
        )
    if introspection and not (values["OAUTH_CLIENT_ID"] and values["OAUTH_CLIENT_SECRET"]):
        messages.append(
            Error(
                "OAUTH_INTROSPECTION_URL is set without OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET.",
                hint="RFC 7662 §2.1: the resource server authenticates to the introspection "
                "endpoint; register it as a client at the IdP.",
                id="authgate.E085",
            )
        )
    return messages


def _plain_http(values: dict[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for name in ("OAUTH_JWKS_URL", "OAUTH_INTROSPECTION_URL"):
        url = values.get(name)
        parts = urllib.parse.urlsplit(url) if url else None
        if (
            parts
            and parts.scheme == "http"
            and parts.hostname not in ("localhost", "127.0.0.1", "::1")
        ):
            messages.append(
                Warning(
                    f"AUTHGATE[{name!r}] uses plain http.",
                    hint="Keys and introspection answers decide who gets in: fetch them over "
                    "https so nobody on the path can substitute their own.",
                    id="authgate.W081",
                )
            )
    return messages


def _leeway(values: dict[str, Any]) -> list[CheckMessage]:
    leeway = values.get("OAUTH_LEEWAY")
    if leeway is None or leeway <= _MAX_LEEWAY:
        return []
    return [
        Warning(
            "AUTHGATE['OAUTH_LEEWAY'] is more than 5 minutes.",
            hint="Leeway extends every token's life by that much; synchronise clocks "
            "(NTP) and keep it under a minute.",
            id="authgate.W082",
        )
    ]


def _user_field(values: dict[str, Any]) -> list[CheckMessage]:
    field_name = values["OAUTH_USER_FIELD"]
    model = get_user_model()
    if field_name is None or field_name == "pk":
        if field_name == "pk" and values["OAUTH_CREATE_USERS"]:
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
    except (FieldDoesNotExist, TypeError):
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


def _audience_optional(values: dict[str, Any]) -> list[CheckMessage]:
    if values.get("OAUTH_REQUIRE_AUDIENCE") is not False:
        return []
    return [
        Warning(
            "AUTHGATE['OAUTH_REQUIRE_AUDIENCE'] is off: introspected tokens without an "
            "audience are accepted.",
            hint="An IdP issues audience-less tokens for its own endpoints (userinfo); "
            "with this off, any of them opens this API. Turn it on unless your IdP "
            "never puts aud in introspection answers.",
            id="authgate.W090",
        )
    ]


def _order(classes: list[type]) -> list[CheckMessage]:
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
