"""The API-token settings (``TOKEN_*`` and friends), converted once: :func:`token_settings`.

See docs/reference.md#api-tokens for what each one means; system checks ``authgate.E020``
to ``E031`` and ``W020``/``W021`` (:mod:`authgate.schemes.tokens.checks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from authgate.conf import Section, accessor
from authgate.core import headers, opaque
from authgate.core.specs import (
    Boolean,
    Duration,
    Integer,
    SettingError,
    Text,
    Texts,
    Truthy,
    setting,
)

__all__ = ["TokenSettings", "token_settings"]


def _prefix(value: Any) -> str:
    try:
        opaque.validate_prefix(value)
    except (TypeError, ValueError) as exc:
        raise SettingError(f"is invalid: {exc}") from None
    return value  # type: ignore[no-any-return]


_LIFETIME = Duration(numbers=(), positive=True, null=True)
_LEGACY_HINT = "True while the imported credentials may still be used; see docs/howto/migrate.md."


@dataclass(frozen=True, slots=True)
class TokenSettings(Section):
    """Opaque API tokens: format, lifetimes, limits, caching (docs/tokens.md)."""

    checks = "authgate.schemes.tokens.checks.check_token_settings"

    #: The token's type prefix, ``^[a-z][a-z0-9]{1,9}$``. *Format*: changing it
    #: invalidates every token.
    prefix: str = setting("TOKEN_PREFIX", "agt", _prefix, check="authgate.E020", hint="e.g. 'agt'.")
    #: Authorization keywords accepted (case-insensitive, RFC 9110 §11.1); the first
    #: names the challenge.
    keywords: tuple[str, ...] = setting(
        "TOKEN_KEYWORDS",
        ["Bearer", "Token"],
        Texts(pattern=headers._TOKEN_RE, description="a non-empty list of auth-scheme names"),
        check="authgate.E021",
        hint="The default is ['Bearer', 'Token']; the first names the challenge.",
    )
    #: Query parameter carrying an API token. Off by default: URLs end up in logs.
    query_param: str | None = setting(
        "TOKEN_QUERY_PARAM",
        None,
        Text(blank=False, null=True, description="a parameter name or None"),
        check="authgate.E028",
    )
    default_lifetime: timedelta | None = setting(
        "TOKEN_DEFAULT_LIFETIME", timedelta(days=90), _LIFETIME, check="authgate.E022"
    )
    max_lifetime: timedelta | None = setting(
        "TOKEN_MAX_LIFETIME", timedelta(days=366), _LIFETIME, check="authgate.E022"
    )
    allow_non_expiring: bool = setting("ALLOW_NON_EXPIRING_TOKENS", False, Truthy())
    #: With TOKEN_USAGE_FLUSH_INTERVAL = None: last_used is written at most once per this
    #: interval per token. Also how often a "used from a new IP" event may repeat.
    last_used_interval: timedelta = setting(
        "TOKEN_LAST_USED_INTERVAL",
        timedelta(minutes=1),
        Duration(numbers=()),
        check="authgate.E024",
    )
    #: Uses (last_used, last_used_ip) are kept in each process and written by a background
    #: thread this often, one statement per flush (authgate.schemes.tokens.usage): no write
    #: on the request path; a crash loses at most this much. None (or 0): write through on
    #: the request path (serverless processes, frozen between invocations, may never flush).
    usage_flush_interval: timedelta | None = setting(
        "TOKEN_USAGE_FLUSH_INTERVAL",
        timedelta(seconds=10),
        Duration(numbers=(), null=True),
        check="authgate.E030",
        hint="e.g. timedelta(seconds=10); None writes last_used on the request path.",
    )
    #: Tokens a process buffers at most between flushes; reaching it flushes early. While
    #: full (the database down), uses of further tokens are not recorded.
    usage_buffer_size: int = setting(
        "TOKEN_USAGE_BUFFER_SIZE",
        10_000,
        Integer(minimum=1),
        check="authgate.E031",
        hint="A positive number of tokens, e.g. 10000: the usage buffer must be bounded.",
    )
    #: Live tokens a user may hold; None: no limit.
    max_per_user: int | None = setting(
        "MAX_TOKENS_PER_USER", None, Integer(minimum=1, null=True), check="authgate.E025"
    )
    revoke_on_password_change: bool = setting("REVOKE_TOKENS_ON_PASSWORD_CHANGE", False, Truthy())
    revoke_on_deactivation: bool = setting("REVOKE_TOKENS_ON_DEACTIVATION", True, Truthy())
    #: Seconds token lookups are cached in the CACHE alias (a Django cache timeout);
    #: None: off.
    cache_timeout: int | None = setting(
        "TOKEN_CACHE_TIMEOUT", None, Integer(minimum=1, null=True), check="authgate.E027"
    )
    #: With TOKEN_CACHE_TIMEOUT on Redis: rows kept in each process (at most this many),
    #: dropped when Redis publishes a change; a hit makes no query and no round trip. 0: off.
    local_cache_size: int = setting(
        "TOKEN_LOCAL_CACHE_SIZE",
        0,
        Integer(minimum=0),
        check="authgate.E029",
        hint="0 turns it off; e.g. 10000.",
    )
    #: Accept keys imported from rest_framework.authtoken (`authgate import-drf-tokens`):
    #: 40 hex characters, no checksum, answered with `X-API-Token-Deprecated`.
    accept_drf_keys: bool = setting("TOKEN_ACCEPT_DRF_KEYS", False, Truthy())
    #: Accept tokens imported from django-rest-knox (`authgate import-knox-tokens`):
    #: knox's own token strings, checked against knox's SHA-512 digest and 15-character key.
    accept_knox_tokens: bool = setting(
        "TOKEN_ACCEPT_KNOX_TOKENS", False, Boolean(), check="authgate.E032", hint=_LEGACY_HINT
    )
    #: Accept keys imported from djangorestframework-api-key (`authgate import-api-keys`):
    #: ``Authorization: Api-Key <prefix>.<secret>``.
    accept_api_keys: bool = setting(
        "TOKEN_ACCEPT_API_KEYS", False, Boolean(), check="authgate.E032", hint=_LEGACY_HINT
    )
    #: Start a Django session when a token authenticates (djblets' opt-in); later
    #: cookie-only requests keep the token's restrictions and re-check its validity.
    start_session: bool = setting("TOKEN_START_SESSION", False, Truthy())
    #: The token pages: a URL of your API (a path on this site, or absolute) for the curl
    #: line on the page that shows a new token; None shows the Authorization header alone.
    pages_example_url: str | None = setting("TOKEN_PAGES_EXAMPLE_URL", None)


token_settings = accessor(TokenSettings)
