"""The leaked-token response settings (``LEAKS_*``), converted once: :func:`leak_settings`.

Checked by :func:`authgate.leaks.checks.check_leak_settings` (``authgate.E110`` to
``E114``, ``W110``); see docs/howto/leaks.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from authgate.conf import Section, accessor
from authgate.core.specs import Boolean, Duration, Rate, Text, setting

__all__ = ["GITHUB_KEYS_URL", "LeakSettings", "leak_settings"]

#: Where GitHub publishes the keys it signs secret-scanning reports with.
GITHUB_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning"

_URL = re.compile(r"https?://[^\s/]+(/\S*)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LeakSettings(Section):
    """GitHub's secret scanning reports, RFC 7009 revocation, the owner's e-mail."""

    checks = "authgate.leaks.checks.check_leak_settings"

    #: Whether ``/auth/secret-scanning/`` answers (opt-in: a 404 until it is True).
    secret_scanning: bool = setting(
        "LEAKS_SECRET_SCANNING", False, Boolean(), check="authgate.E110"
    )
    #: The public-keys document (``{"public_keys": [{key_identifier, key, is_current}]}``).
    github_keys_url: str = setting(
        "LEAKS_GITHUB_KEYS_URL",
        GITHUB_KEYS_URL,
        Text(pattern=_URL, blank=False, description="an http(s) URL"),
        check="authgate.E111",
        hint=f"GitHub's is {GITHUB_KEYS_URL}.",
    )
    #: How long a fetched public-keys document is used before it is fetched again.
    github_keys_cache_ttl: timedelta = setting(
        "LEAKS_GITHUB_KEYS_CACHE_TTL",
        timedelta(hours=24),
        Duration(positive=True, description="a positive number of seconds or a timedelta"),
        check="authgate.E112",
    )
    #: At most one fetch per this interval and process when a report names a key
    #: identifier the cached document lacks (GitHub rotated, or a forger guessed).
    github_keys_refresh_interval: timedelta = setting(
        "LEAKS_GITHUB_KEYS_REFRESH_INTERVAL",
        timedelta(minutes=1),
        Duration(description="a non-negative number of seconds or a timedelta"),
        check="authgate.E112",
    )
    #: Timeout of one fetch of the public-keys document.
    http_timeout: timedelta = setting(
        "LEAKS_HTTP_TIMEOUT",
        timedelta(seconds=5),
        Duration(positive=True, description="a positive number of seconds or a timedelta"),
        check="authgate.E112",
    )
    #: Secret-scanning reports per client IP in any sliding period (counted before the
    #: signature is checked); None: no limit.
    report_rate: str | None = setting(
        "LEAKS_REPORT_RATE",
        "60/m",
        Rate(),
        check="authgate.E113",
        hint="Use '<count>/<s|m|h|d>', e.g. '60/m', or None to disable.",
    )
    #: ``POST /auth/revoke/`` calls per client IP in any sliding period; None: no limit.
    revoke_rate: str | None = setting(
        "LEAKS_REVOKE_RATE",
        "30/m",
        Rate(),
        check="authgate.E113",
        hint="Use '<count>/<s|m|h|d>', e.g. '30/m', or None to disable.",
    )
    #: E-mail the owner of a credential revoked because it leaked (the signal is sent
    #: either way).
    notify_owner: bool = setting("LEAKS_NOTIFY_OWNER", True, Boolean(), check="authgate.E114")


leak_settings = accessor(LeakSettings)
