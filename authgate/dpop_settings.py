"""The DPoP proof settings (``DPOP_*``, RFC 9449), converted once: :func:`dpop_settings`.

Read by :mod:`authgate.dpop`, which knows nothing of OAuth; checked (``authgate.E091`` to
``W091``, :mod:`authgate.dpop_checks`) while a backend that verifies proofs —
``OAuthBackend`` or ``TokenBackend`` — is in the chain. See docs/oauth.md#dpop and
docs/tokens.md#dpop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from authgate.conf import Section, accessor
from authgate.core.specs import Boolean, Duration, Texts, setting

__all__ = ["DPoPSettings", "SUPPORTED_ALGORITHMS", "dpop_settings"]

#: Every algorithm ``DPOP_ALGORITHMS`` may name: asymmetric only (RFC 9449 §4.3), each tied
#: to its key type in :mod:`authgate.dpop` (kept here so the settings import alone).
SUPPORTED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@dataclass(frozen=True, slots=True)
class DPoPSettings(Section):
    """How DPoP proofs are verified."""

    # Runs while OAuthBackend or TokenBackend (each verifies proofs) is in the chain.
    checks = "authgate.dpop_checks.check_dpop_settings"

    #: Asymmetric JWS algorithms a proof may be signed with (the challenge's "algs").
    algorithms: tuple[str, ...] = setting(
        "DPOP_ALGORITHMS",
        [
            *("ES256", "ES384", "ES512", "EdDSA"),
            *("PS256", "PS384", "PS512", "RS256", "RS384", "RS512"),
        ],
        Texts(
            choices=SUPPORTED_ALGORITHMS,
            description="a non-empty list of asymmetric JWS algorithms",
        ),
        check="authgate.E091",
        hint="RFC 9449 §4.3 forbids 'none' and symmetric algorithms. Choose from "
        f"{sorted(SUPPORTED_ALGORITHMS)}.",
    )
    #: Oldest accepted proof "iat" (also how long each jti is remembered).
    proof_max_age: timedelta = setting(
        "DPOP_PROOF_MAX_AGE",
        timedelta(seconds=60),
        Duration(positive=True, description="a positive number of seconds or a timedelta"),
        check="authgate.E092",
    )
    #: How far in the future a proof's "iat" may be.
    clock_skew: timedelta = setting(
        "DPOP_CLOCK_SKEW",
        timedelta(seconds=5),
        Duration(description="a non-negative number of seconds or a timedelta"),
        check="authgate.E092",
    )
    #: Require server nonces (DPoP-Nonce, "use_dpop_nonce"): stateless, a MAC under the key
    #: ring, issued within the last one or two lifetimes.
    nonces: bool = setting("DPOP_NONCES", False, Boolean(), check="authgate.E093")
    nonce_lifetime: timedelta = setting(
        "DPOP_NONCE_LIFETIME",
        timedelta(minutes=5),
        Duration(positive=True, description="a positive number of seconds or a timedelta"),
        check="authgate.E092",
    )


dpop_settings = accessor(DPoPSettings)
