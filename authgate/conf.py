"""The ``AUTHGATE`` settings dict: defaults in one place, read through :data:`settings`.

Every setting authgate reads is listed in :data:`DEFAULTS`. Values are looked up on each
attribute access through a small cache that is cleared on Django's ``setting_changed``
signal, so ``override_settings(AUTHGATE=...)`` in tests just works.

Settings marked *format* below change the shape or the keys of issued tokens: changing them
invalidates outstanding tokens of that kind (the docs say which).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = ["DEFAULTS", "django_setting", "settings"]

DEFAULTS: dict[str, Any] = {
    # --- the chain -------------------------------------------------------------------
    # Ordered dotted paths of Backend classes; the first that recognises its credentials wins.
    "BACKENDS": [
        "authgate.schemes.session.SessionBackend",
        "authgate.schemes.basic.BasicBackend",
    ],
    # Dotted path of the callable that builds request.user when no backend authenticates.
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # The realm named in Basic (and Bearer) challenges.
    "REALM": "api",
    # Authorization headers longer than this are refused before any parsing (bytes).
    "MAX_HEADER_LENGTH": 4096,
    # Passwords longer than this are refused before hashing (denial-of-service guard).
    "MAX_PASSWORD_LENGTH": 1024,
    # The Django cache alias that holds rate-limit counters (and, if enabled, the token cache).
    "CACHE": "default",
    # Failed logins allowed per client IP and per username, as "<count>/<s|m|h|d>".
    # None disables the limit.
    "LOGIN_LIMIT_RATE": "5/m",
    # META key of a header set by a trusted proxy with the client IP (e.g.
    # "HTTP_X_FORWARDED_FOR"); None uses REMOTE_ADDR. Only set this behind a proxy you run.
    "CLIENT_IP_HEADER": None,
    # The hot-path tricks of authgate._speed (compiled token and user lookups, token rows
    # kept per process, the raw query-string scan). False: the plain ORM paths and Django's
    # cache API, same answers in more time. They are also skipped, with one INFO log
    # line, on a Django whose internals they do not know.
    "FAST_PATHS": True,
    # --- API tokens ------------------------------------------------------------------
    "TOKEN_PREFIX": "agt",  # format
    # Authorization keywords the token backend accepts (case-insensitive, RFC 9110 §11.1).
    "TOKEN_KEYWORDS": ["Bearer", "Token"],
    # Query parameter carrying an API token. Off by default: URLs end up in logs.
    "TOKEN_QUERY_PARAM": None,
    "TOKEN_DEFAULT_LIFETIME": timedelta(days=90),
    "TOKEN_MAX_LIFETIME": timedelta(days=366),
    "ALLOW_NON_EXPIRING_TOKENS": False,
    # last_used is written at most once per this interval per token.
    "TOKEN_LAST_USED_INTERVAL": timedelta(minutes=1),
    # None means no limit on live tokens per user.
    "MAX_TOKENS_PER_USER": None,
    "REVOKE_TOKENS_ON_PASSWORD_CHANGE": False,
    "REVOKE_TOKENS_ON_DEACTIVATION": True,
    # Registered scopes: {"name": "human description"}. Tokens may only carry these.
    "SCOPES": {},
    # Optional read-through cache for token lookups (uses the CACHE alias). None = off.
    "TOKEN_CACHE_TIMEOUT": None,
    # With TOKEN_CACHE_TIMEOUT on Redis: rows kept in each process (at most this many),
    # dropped when Redis publishes a change; a hit makes no query and no round trip. 0 = off.
    "TOKEN_LOCAL_CACHE_SIZE": 0,
    # Accept keys imported from rest_framework.authtoken (`authgate import-drf-tokens`):
    # 40 hex characters, no checksum, answered with `X-API-Token-Deprecated`.
    "TOKEN_ACCEPT_DRF_KEYS": False,
    # Start a Django session when a token authenticates (djblets' opt-in); later
    # cookie-only requests keep the token's restrictions and re-check its validity.
    "TOKEN_START_SESSION": False,
    # --- signed temporary scoped tokens -----------------------------------------------
    "SCOPED_KEYWORD": "TmpToken",
    "SCOPED_QUERY_PARAM": "TOKEN",
    "SCOPED_DEFAULT_MAX_AGE": timedelta(minutes=6),
    "SCOPED_MAX_AGE": timedelta(hours=1),
    # --- magic links (django-sesame's settings, same meanings) -------------------------
    "LINK_TOKEN_NAME": "sesame",
    "LINK_MAX_AGE": None,  # format when switched between None and a value
    "LINK_ONE_TIME": False,  # format
    # sesame's one-time mechanism: any login (last_login changing) kills outstanding links.
    # Off by default: one-time use is enforced in the database instead.
    "LINK_INVALIDATE_ON_LOGIN": False,  # format
    "LINK_INVALIDATE_ON_PASSWORD_CHANGE": True,  # format
    "LINK_INVALIDATE_ON_EMAIL_CHANGE": False,  # format
    "LINK_PRIMARY_KEY_FIELD": "pk",  # format
    "LINK_PACKER": None,  # format
    "LINK_TOKENS": ["authgate.core.links_v1"],
    "LINK_KEY": "",  # format
    "LINK_SIGNATURE_SIZE": 10,  # format
    "LINK_REQUEST_RATE": "5/h",
    # --- token pages (authgate.pages) ---------------------------------------------------
    # A URL of your API (a path on this site, or absolute) for the curl line on the page
    # that shows a new token; None shows the Authorization header alone.
    "TOKEN_PAGES_EXAMPLE_URL": None,
    # --- HTTP Message Signatures, RFC 9421 (authgate.schemes.httpsig.backend, docs/httpsig.md) ---
    # Components every signature must cover. "@target-uri" stands for "@scheme",
    # "@authority", "@path" and "@query"; "@request-target" for "@path" and "@query".
    "HTTPSIG_REQUIRED_COMPONENTS": ["@method", "@authority", "@path", "@query"],
    # Requests with a body must cover "content-digest" (RFC 9530), checked against the body.
    "HTTPSIG_REQUIRE_CONTENT_DIGEST": True,
    # Oldest accepted "created" (also how long nonces are remembered), and clock skew.
    "HTTPSIG_MAX_AGE": timedelta(minutes=5),
    "HTTPSIG_CLOCK_SKEW": timedelta(seconds=30),
    # Require a "nonce" parameter (each nonce is accepted once per key within MAX_AGE).
    "HTTPSIG_REQUIRE_NONCE": False,
    # The Signature-Input label to verify; None: the request must carry exactly one.
    "HTTPSIG_LABEL": None,
    # Algorithms accepted at all; each key is bound to one of them.
    "HTTPSIG_ALGORITHMS": ["ed25519", "ecdsa-p256-sha256", "rsa-pss-sha512", "hmac-sha256"],
    # Signature-Input / Signature longer than this are refused before parsing (characters).
    "HTTPSIG_MAX_HEADER_LENGTH": 8192,
    # --- OAuth 2.0 resource server (authgate.schemes.oauth.backend, docs/oauth.md) --------------
    # The IdP's issuer identifier: the exact "iss" every access token must carry.
    "OAUTH_ISSUER": None,
    # This API's identifier at the IdP (str, or a list of accepted ones): "aud" must name one.
    "OAUTH_AUDIENCE": None,
    # Where the IdP publishes its signing keys (JWKS, RFC 7517); fetched over HTTP, cached.
    "OAUTH_JWKS_URL": None,
    # Signing keys given inline instead (or as well): a JWK Set {"keys": [...]}; public keys only.
    "OAUTH_JWKS": None,
    # Asymmetric JWS algorithms accepted at all; each key is further bound to its own
    # (RSA: RS*/PS*, EC: ES* by curve, OKP: EdDSA). "none" and HS* are never accepted.
    "OAUTH_ALGORITHMS": [
        *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
        *("ES256", "ES384", "ES512", "EdDSA"),
    ],
    # Clock skew allowed on exp, nbf and iat (seconds or timedelta).
    "OAUTH_LEEWAY": timedelta(seconds=30),
    # Accepted JWT "typ" header values (RFC 9068 §2.1, case-insensitive, "application/"
    # optional); None accepts any typ (for IdPs that do not follow RFC 9068).
    "OAUTH_TYP": ["at+jwt"],
    # The user model field "sub" is looked up in; None: the model's USERNAME_FIELD.
    "OAUTH_USER_FIELD": None,
    # Create a user on the first valid token of an unknown "sub" (just-in-time); off.
    "OAUTH_CREATE_USERS": False,
    # RFC 7662 introspection of opaque (non-JWT) tokens: endpoint and this API's client
    # credentials (HTTP Basic). None: opaque tokens are left to the next backend.
    "OAUTH_INTROSPECTION_URL": None,
    "OAUTH_CLIENT_ID": None,
    "OAUTH_CLIENT_SECRET": None,
    # How long a fetched JWKS is used before it is fetched again.
    "OAUTH_JWKS_CACHE_TTL": timedelta(minutes=10),
    # At most one JWKS fetch per this interval (unknown kid, or retry after a failure).
    "OAUTH_JWKS_REFRESH_INTERVAL": timedelta(seconds=30),
    # Longest an "active" introspection answer is reused (never past the token's exp).
    "OAUTH_INTROSPECTION_CACHE_TTL": timedelta(minutes=1),
    # How long an "inactive" answer is reused (0 disables): a replayed dead token is not
    # re-introspected on every request.
    "OAUTH_INTROSPECTION_INACTIVE_TTL": timedelta(seconds=10),
    # Timeout of each HTTP request to the IdP (seconds); past it, requests get 503.
    "OAUTH_HTTP_TIMEOUT": 5,
}


class Settings:
    """Attribute access to ``settings.AUTHGATE`` merged over :data:`DEFAULTS`."""

    def __getattr__(self, name: str) -> Any:
        # Only called for names not yet resolved: the value is then stored on the instance,
        # so every later read is a plain attribute lookup (the request path reads many).
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown authgate setting: {name!r}")
        user_settings = getattr(django_settings, "AUTHGATE", None) or {}
        value = user_settings.get(name, DEFAULTS[name])
        self.__dict__[name] = value
        return value

    @property
    def user_settings(self) -> dict[str, Any]:
        """The raw ``AUTHGATE`` dict from the project settings (for system checks)."""
        return dict(getattr(django_settings, "AUTHGATE", None) or {})

    def reload(self) -> None:
        """Forget cached values; the next access reads the project settings again."""
        for name in [name for name in self.__dict__ if name in DEFAULTS]:
            del self.__dict__[name]
        for callback in _reload_callbacks:
            callback()


_reload_callbacks: list[Any] = []


def on_reload(callback: Any) -> Any:
    """Register ``callback`` to run whenever authgate's settings change (decorator)."""
    _reload_callbacks.append(callback)
    return callback


settings = Settings()

#: Where ``django.conf.settings`` keeps the values it has resolved (it empties it whenever
#: a setting changes); reading it skips ``LazyObject.__getattribute__`` (~0.25 µs).
_RESOLVED_DJANGO_SETTINGS: dict[str, Any] = object.__getattribute__(django_settings, "__dict__")


def django_setting(name: str) -> Any:
    """``getattr(django.conf.settings, name)``, cheaper: for settings read on every request."""
    value = _RESOLVED_DJANGO_SETTINGS.get(name, _RESOLVED_DJANGO_SETTINGS)
    return getattr(django_settings, name) if value is _RESOLVED_DJANGO_SETTINGS else value


@receiver(setting_changed)
def _reload_settings(*, setting: str, **kwargs: Any) -> None:
    if setting in {"AUTHGATE", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "AUTH_USER_MODEL"}:
        settings.reload()
