"""Checks for the DPoP and the newer OAuth settings (``authgate.E090`` to ``W091``).

Called by :func:`authgate.schemes.oauth.checks.check_oauth_settings`, so they run when a backend
that verifies DPoP proofs is in the chain (today: ``OAuthBackend``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.checks import Error, Warning

from authgate.conf import DEFAULTS, settings

__all__ = ["dpop_messages"]

_BOOLEANS = ("OAUTH_REQUIRE_AUDIENCE", "OAUTH_REQUIRE_DPOP", "DPOP_NONCES")
_DURATIONS = ("DPOP_PROOF_MAX_AGE", "DPOP_CLOCK_SKEW", "DPOP_NONCE_LIFETIME")
_MAX_PROOF_AGE = 300  # seconds


def _client_users() -> list[Any]:
    value = settings.OAUTH_CLIENT_USERS
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        return []
    return [
        Error(
            f"AUTHGATE['OAUTH_CLIENT_USERS'] must map client ids to usernames, got {value!r}.",
            hint='For example {"billing-worker": "svc-billing"}; {} maps no client.',
            id="authgate.E090",
        )
    ]


def _algorithms() -> list[Any]:
    from authgate.dpop import SUPPORTED_ALGORITHMS

    value = settings.DPOP_ALGORITHMS
    if (
        isinstance(value, list | tuple)
        and value
        and all(isinstance(alg, str) and alg in SUPPORTED_ALGORITHMS for alg in value)
    ):
        return []
    return [
        Error(
            f"AUTHGATE['DPOP_ALGORITHMS'] must be a non-empty list of asymmetric JWS "
            f"algorithms, got {value!r}.",
            hint=f"RFC 9449 §4.3 forbids 'none' and symmetric algorithms. Choose from "
            f"{sorted(SUPPORTED_ALGORITHMS)}.",
            id="authgate.E091",
        )
    ]


def _durations() -> list[Any]:
    from authgate.schemes.oauth.config import seconds

    messages: list[Any] = []
    for name in _DURATIONS:
        value = getattr(settings, name)
        try:
            amount = seconds(value)
        except ValueError:
            amount = -1.0
        positive = name != "DPOP_CLOCK_SKEW"
        if amount < 0 or (positive and amount == 0):
            messages.append(
                Error(
                    f"AUTHGATE[{name!r}] must be a {'positive' if positive else 'non-negative'}"
                    f" number of seconds or a timedelta, got {value!r}.",
                    hint=f"The default is {DEFAULTS[name]!r}.",
                    id="authgate.E092",
                )
            )
        elif name == "DPOP_PROOF_MAX_AGE" and amount > _MAX_PROOF_AGE:
            messages.append(
                Warning(
                    "AUTHGATE['DPOP_PROOF_MAX_AGE'] is more than 5 minutes.",
                    hint="A proof is meant for one request, now: a long window lets a "
                    "captured proof be replayed elsewhere for longer and grows the replay "
                    "cache. Use server nonces (DPOP_NONCES) for clients with bad clocks.",
                    id="authgate.W091",
                )
            )
    return messages


def dpop_messages() -> list[Any]:
    """Every message about the DPoP and client-mapping settings."""
    messages: list[Any] = [
        Error(
            f"AUTHGATE[{name!r}] must be True or False, got {getattr(settings, name)!r}.",
            hint=f"The default is {DEFAULTS[name]!r}.",
            id="authgate.E093",
        )
        for name in _BOOLEANS
        if not isinstance(getattr(settings, name), bool)
    ]
    if settings.OAUTH_REQUIRE_AUDIENCE is False:
        messages.append(
            Warning(
                "AUTHGATE['OAUTH_REQUIRE_AUDIENCE'] is off: introspected tokens without an "
                "audience are accepted.",
                hint="An IdP issues audience-less tokens for its own endpoints (userinfo); "
                "with this off, any of them opens this API. Turn it on unless your IdP "
                "never puts aud in introspection answers.",
                id="authgate.W090",
            )
        )
    return [*messages, *_client_users(), *_algorithms(), *_durations()]
