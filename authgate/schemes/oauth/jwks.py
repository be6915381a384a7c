"""The identity provider's signing keys: a JWK Set (RFC 7517), each key bound to its algorithms.

**Algorithm binding** (the PyJWT / Authlib algorithm-confusion CVEs, e.g. CVE-2022-29217):
a key verifies only with the algorithms its own type allows — RSA: ``RS*``/``PS*``; EC: the
one ``ES*`` of its curve; OKP Ed25519/Ed448: ``EdDSA`` — narrowed further by the JWK's
``alg`` if present and by ``OAUTH_ALGORITHMS``. Symmetric (``oct``) keys, encryption keys
and private keys are never loaded, so neither ``none`` nor an HMAC keyed with a public key
can ever verify.

**Caching**: keys live in process memory (a parsed key is not picklable, and a Redis round
trip per request would cost more than the JWKS fetch it saves). A fetched set is used for
``OAUTH_JWKS_CACHE_TTL``; a ``kid`` it does not hold triggers a refetch (the IdP rotated),
but at most one fetch per ``OAUTH_JWKS_REFRESH_INTERVAL`` per process, so tokens with
made-up ``kid`` values cannot make us hammer the IdP. Fetches are single-flight under a lock.
If a refetch fails, the previous set stays in use; with no set at all, :class:`IdPUnavailable`.
That policy is :class:`authgate.core.keycache.KeyCache`, shared with GitHub's secret-scanning
keys (:mod:`authgate.leaks.github`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from authgate.conf import on_reload
from authgate.core.keycache import KeyCache
from authgate.schemes.oauth.http import IdPUnavailable, fetch_json
from authgate.schemes.oauth.settings import oauth_settings

__all__ = ["MAX_KEYS", "KeyStore", "VerificationKey", "key_algorithms", "load_keys", "store"]

logger = logging.getLogger(__name__)

#: At most this many keys of a JWK Set are loaded (a real IdP publishes a handful).
MAX_KEYS = 32

_RSA = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
# RFC 7518 §3.4 (one curve per ES algorithm) and RFC 8037 §3.1 (EdDSA over OKP curves).
_BY_CURVE: dict[tuple[object, object], frozenset[str]] = {
    ("EC", "P-256"): frozenset({"ES256"}),
    ("EC", "P-384"): frozenset({"ES384"}),
    ("EC", "P-521"): frozenset({"ES512"}),
    ("OKP", "Ed25519"): frozenset({"EdDSA"}),
    ("OKP", "Ed448"): frozenset({"EdDSA"}),
}
# Private members (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2): a public key set never has them.
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key and the only algorithms it may verify."""

    kid: str | None
    algorithms: frozenset[str]
    key: Any  # a cryptography public key object


def key_algorithms(jwk: Mapping[str, Any]) -> frozenset[str]:
    """The JWS algorithms a JWK's own type allows (empty: unusable for signatures)."""
    kty = jwk.get("kty")
    derived = _RSA if kty == "RSA" else _BY_CURVE.get((kty, jwk.get("crv")), frozenset())
    alg = jwk.get("alg")
    if alg is not None:
        # A key announcing an algorithm of another type (HS256 on an RSA key) is refused.
        return derived & {alg} if isinstance(alg, str) else frozenset()
    return derived


def _load(jwk: object, allowed: frozenset[str]) -> VerificationKey | None:
    import jwt  # PyJWT: the ``oauth`` extra (system check authgate.E084)

    if not isinstance(jwk, Mapping):
        return None
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        return None
    if jwk.get("use", "sig") != "sig":
        return None  # RFC 7517 §4.2: an encryption key
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        return None  # RFC 7517 §4.3
    if any(member in jwk for member in _PRIVATE_MEMBERS):
        logger.warning("Ignored JWK %r: it holds private key material", kid)
        return None
    algorithms = key_algorithms(jwk) & allowed
    if not algorithms:
        logger.info("Ignored JWK %r: no allowed signature algorithm for its type", kid)
        return None
    try:
        key = jwt.PyJWK(dict(jwk), algorithm=min(algorithms)).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        logger.warning("Ignored JWK %r: %s", kid, type(exc).__name__)
        return None
    return VerificationKey(kid=kid, algorithms=algorithms, key=key)


def load_keys(jwks: object, allowed: Iterable[str]) -> tuple[VerificationKey, ...]:
    """The usable signature keys of a JWK Set (``{"keys": [...]}``) or a list of JWKs."""
    entries = jwks.get("keys") if isinstance(jwks, Mapping) else jwks
    if not isinstance(entries, list):
        return ()
    allowed = frozenset(allowed)
    keys = (_load(entry, allowed) for entry in entries[:MAX_KEYS])
    return tuple(key for key in keys if key is not None)


class KeyStore:
    """Inline keys (``OAUTH_JWKS``) plus the ``OAUTH_JWKS_URL`` set, cached (see module doc;
    the fetching and its rate limit are :class:`authgate.core.keycache.KeyCache`'s)."""

    def __init__(self, *, clock: Any = time.monotonic) -> None:
        self._clock = clock  # read on each use: tests replace it
        self._cache: KeyCache[VerificationKey] = KeyCache(
            name="JWKS",
            unavailable=IdPUnavailable,
            has_id=lambda keys, kid: any(key.kid == kid for key in keys),
            clock=lambda: self._clock(),
        )
        self.reset()

    def reset(self) -> None:
        """Forget every key (the settings changed)."""
        self._inline: tuple[VerificationKey, ...] | None = None
        self._cache.reset()

    @property
    def fetches(self) -> int:
        """How many fetches were attempted (tests and metrics read it)."""
        return self._cache.fetches

    def find(self, kid: str | None, alg: str) -> list[VerificationKey]:
        """The keys that may verify a token with this ``kid`` and ``alg`` header.

        Raises :class:`IdPUnavailable` only when a fetch was needed and failed with no
        earlier key set to fall back on.
        """
        keys = self._keys(refresh_unknown_kid=None)
        found = _select(keys, kid, alg)
        if not found and kid is not None and oauth_settings().jwks_url:
            # RFC 7517 §4.5: an unknown kid may mean the IdP rotated; look again (rate limited).
            keys = self._keys(refresh_unknown_kid=kid)
            found = _select(keys, kid, alg)
        return found

    def _inline_keys(self) -> tuple[VerificationKey, ...]:
        if self._inline is None:
            config = oauth_settings()
            inline = config.jwks
            self._inline = load_keys(inline, config.algorithms) if inline else ()
        return self._inline

    def _keys(self, *, refresh_unknown_kid: str | None) -> tuple[VerificationKey, ...]:
        inline = self._inline_keys()
        config = oauth_settings()
        url = config.jwks_url
        if not url:
            return inline

        def load() -> tuple[VerificationKey, ...]:
            document = fetch_json(url, timeout=config.http_timeout.total_seconds())
            return load_keys(document, config.algorithms)

        fetched = self._cache.keys(
            load,
            ttl=config.jwks_cache_ttl.total_seconds(),
            interval=config.jwks_refresh_interval.total_seconds(),
            unknown_id=refresh_unknown_kid,
        )
        return inline + fetched


def _select(keys: Iterable[VerificationKey], kid: str | None, alg: str) -> list[VerificationKey]:
    # A kid names one key (RFC 7515 §4.1.4); without one, every key bound to alg is a candidate.
    return [key for key in keys if alg in key.algorithms and (kid is None or key.kid == kid)]


#: The process-wide key store.
store = KeyStore()
on_reload(store.reset)
