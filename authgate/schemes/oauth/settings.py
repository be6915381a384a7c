"""The OAuth 2.0 resource server settings (``OAUTH_*``), converted once: :func:`oauth_settings`.

Durations become ``timedelta`` (numbers of seconds are accepted), ``OAUTH_AUDIENCE`` a tuple,
``OAUTH_TYP`` the set of normalised values it accepts, ``OAUTH_USER_FIELD`` the user model
field ``sub`` is looked up in. See docs/oauth.md#settings; system checks ``authgate.E080`` to
``W082`` (:mod:`authgate.schemes.oauth.checks`, only when ``OAuthBackend`` is in the chain).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from authgate.conf import Section, accessor
from authgate.core.specs import Boolean, Duration, SettingError, Text, Texts, Truthy, setting

__all__ = ["ASYMMETRIC_ALGORITHMS", "OAuthSettings", "oauth_settings", "typ_matches"]

#: Every JWS algorithm a public key can verify (``jwks.key_algorithms`` binds each key to
#: its own); "none" and HMAC are never accepted.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

ALGORITHMS_EXPECTED = "a non-empty list of asymmetric JWS algorithms"
ALGORITHMS_HINT = (
    "'none' and HMAC (HS256, …) are never accepted: an HMAC keyed with a public key is the "
    f"algorithm-confusion attack. Choose from {sorted(ASYMMETRIC_ALGORITHMS)}."
)
_REQUIRED_HINT = (
    "OAUTH_ISSUER is the IdP's exact issuer identifier; OAUTH_AUDIENCE is this API's "
    "identifier there (RFC 9068 §4: both are always checked)."
)
_DURATION = Duration(description="a non-negative number of seconds or a timedelta")


def _audience(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not values:
        values = [None]
    if not all(isinstance(v, str) and v for v in values):
        raise SettingError(f"must be set when OAuthBackend is enabled, got {value!r}.")
    return tuple(values)


def _client_users(value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise SettingError(f"must map client ids to usernames, got {value!r}.")
    return MappingProxyType(dict(value))


def _url(value: Any) -> str | None:
    if not value:
        return None  # unset
    try:
        parts = urllib.parse.urlsplit(value) if isinstance(value, str) else None
        valid = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a malformed authority, e.g. "http://[::1"
        valid = False
    if not valid:
        raise SettingError(f"is not an http(s) URL: {value!r}.")
    return value  # type: ignore[no-any-return]


def _normalise_typ(value: str) -> str:
    # RFC 7515 §4.1.9: media types are case-insensitive and "application/" may be omitted.
    value = value.lower()
    return value[len("application/") :] if value.startswith("application/") else value


def typ_matches(typ: object, accepted: frozenset[str]) -> bool:
    """Whether a token's ``typ`` header is one of ``accepted`` (``OAuthSettings.accepted_typ``)."""
    return isinstance(typ, str) and _normalise_typ(typ) in accepted


@dataclass(frozen=True, slots=True)
class OAuthSettings(Section):
    """authgate as an OAuth 2.0 resource server (RFC 6750, 9068, 7662)."""

    checks = "authgate.schemes.oauth.checks.check_oauth_settings"

    # Resolved when the section is built (derive()).
    #: ``typ`` normalised (case, "application/"); ``None`` accepts any typ.
    accepted_typ: frozenset[str] | None
    #: The user model field ``sub`` is matched against (``user_field_name`` or the
    #: model's ``USERNAME_FIELD``).
    user_field: str

    #: The IdP's issuer identifier: the exact "iss" every access token must carry.
    issuer: str | None = setting(
        "OAUTH_ISSUER",
        None,
        Text(blank=False, null=True, description="a non-empty str (set when OAuthBackend is on)"),
        check="authgate.E080",
        hint=_REQUIRED_HINT,
    )
    #: This API's identifiers at the IdP: "aud" must name one.
    audience: tuple[str, ...] | None = setting(
        "OAUTH_AUDIENCE", None, _audience, check="authgate.E081", hint=_REQUIRED_HINT
    )
    #: Where the IdP publishes its signing keys (JWKS, RFC 7517); fetched, cached.
    jwks_url: str | None = setting(
        "OAUTH_JWKS_URL",
        None,
        _url,
        check="authgate.E087",
        hint="Give the full URL from the IdP's metadata.",
    )
    #: Signing keys given inline instead (or as well): a JWK Set; public keys only.
    jwks: Any = setting("OAUTH_JWKS", None)
    #: Asymmetric JWS algorithms accepted at all; each key is further bound to its own.
    #: Only the list's shape is declared: that each is asymmetric is the rule
    #: ``checks._algorithms`` (E083), so a misconfigured list still runs, and still finds no
    #: key bound to an HMAC algorithm (belt and braces, tested).
    algorithms: tuple[str, ...] = setting(
        "OAUTH_ALGORITHMS",
        [
            *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
            *("ES256", "ES384", "ES512", "EdDSA"),
        ],
        Texts(empty=True, description=ALGORITHMS_EXPECTED),
        check="authgate.E083",
        hint=ALGORITHMS_HINT,
    )
    #: Clock skew allowed on exp, nbf and iat.
    leeway: timedelta = setting(
        "OAUTH_LEEWAY", timedelta(seconds=30), _DURATION, check="authgate.E088"
    )
    #: Accepted JWT "typ" values (RFC 9068 §2.1); None accepts any typ.
    typ: tuple[str, ...] | None = setting(
        "OAUTH_TYP",
        ["at+jwt"],
        Texts(null=True, description="None or a non-empty list of str"),
        check="authgate.E088",
        hint="RFC 9068: ['at+jwt']. None accepts any typ (IdPs that do not follow it).",
    )
    #: The user model field "sub" is looked up in; None: the model's USERNAME_FIELD.
    user_field_name: str | None = setting("OAUTH_USER_FIELD", None)
    #: Create a user on the first valid token of an unknown "sub" (just-in-time).
    create_users: bool = setting("OAUTH_CREATE_USERS", False, Truthy())
    #: RFC 7662 introspection of opaque tokens; None: they are left to the next backend.
    introspection_url: str | None = setting(
        "OAUTH_INTROSPECTION_URL",
        None,
        _url,
        check="authgate.E087",
        hint="Give the full URL from the IdP's metadata.",
    )
    #: This API's client credentials at the introspection endpoint (HTTP Basic).
    client_id: str | None = setting("OAUTH_CLIENT_ID", None)
    client_secret: str | None = setting("OAUTH_CLIENT_SECRET", None)
    #: How long a fetched JWKS is used before it is fetched again.
    jwks_cache_ttl: timedelta = setting(
        "OAUTH_JWKS_CACHE_TTL", timedelta(minutes=10), _DURATION, check="authgate.E088"
    )
    #: At most one JWKS fetch per this interval (unknown kid, or retry after a failure).
    jwks_refresh_interval: timedelta = setting(
        "OAUTH_JWKS_REFRESH_INTERVAL", timedelta(seconds=30), _DURATION, check="authgate.E088"
    )
    #: Longest an "active" introspection answer is reused (never past the token's exp).
    introspection_cache_ttl: timedelta = setting(
        "OAUTH_INTROSPECTION_CACHE_TTL", timedelta(minutes=1), _DURATION, check="authgate.E088"
    )
    #: How long an "inactive" answer is reused (0 disables).
    introspection_inactive_ttl: timedelta = setting(
        "OAUTH_INTROSPECTION_INACTIVE_TTL",
        timedelta(seconds=10),
        _DURATION,
        check="authgate.E088",
    )
    #: Timeout of each HTTP request to the IdP; past it, requests get 503.
    #: Refuse an introspection answer without "aud" (RFC 7662 makes it optional: an IdP
    #: may issue audience-less tokens, e.g. for its own userinfo endpoint). JWTs always need it.
    require_audience: bool = setting(
        "OAUTH_REQUIRE_AUDIENCE", True, Boolean(), check="authgate.E093"
    )
    #: Tokens whose subject is a client (client_credentials): {client id: username of its
    #: service user}. Empty: such tokens are refused unless "sub" names a user.
    client_users: Mapping[str, str] = setting(
        "OAUTH_CLIENT_USERS",
        {},
        _client_users,
        check="authgate.E090",
        hint='For example {"billing-worker": "svc-billing"}; {} maps no client.',
    )
    #: Refuse access tokens that are not DPoP-bound (no cnf.jkt): sender-constrained only.
    require_dpop: bool = setting("OAUTH_REQUIRE_DPOP", False, Boolean(), check="authgate.E093")
    http_timeout: timedelta = setting(
        "OAUTH_HTTP_TIMEOUT",
        5,
        Duration(positive=True, description="a positive number of seconds or a timedelta"),
        check="authgate.E088",
    )

    @classmethod
    def derive(cls, values: dict[str, Any]) -> dict[str, Any]:
        from django.contrib.auth import get_user_model  # the app registry: not at import

        typ = values["typ"]
        return {
            "accepted_typ": None if typ is None else frozenset(map(_normalise_typ, typ)),
            "user_field": values["user_field_name"] or get_user_model().USERNAME_FIELD,
        }


oauth_settings = accessor(OAuthSettings)
