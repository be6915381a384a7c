"""GitHub's secret scanning partner protocol: verifying a report, reading it, answering it.

When GitHub finds a string matching one of our registered regexes in a public repository,
gist, issue or npm package, it POSTs a JSON array to our endpoint::

    POST /auth/secret-scanning/
    Github-Public-Key-Identifier: <key_identifier>
    Github-Public-Key-Signature:  <base64 DER ECDSA signature>

    [{"token": "agt_…", "type": "authgate_api_token", "url": "https://github.com/…",
      "source": "content"}]

The signature is ECDSA over NIST P-256 with SHA-256 (``ECDSA-NIST-P256V1-SHA256``) of the
**raw body** (never re-serialised JSON), by the key named in the identifier header, from the
public-keys document ``{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}``
(``LEAKS_GITHUB_KEYS_URL``). Only P-256 keys are loaded; a key of any other type or curve
is skipped, so no other algorithm can ever verify.

The document is cached (:class:`authgate.core.keycache.KeyCache`, as OAuth's JWKS):
``LEAKS_GITHUB_KEYS_CACHE_TTL``, and an unknown identifier refetches at most once per
``LEAKS_GITHUB_KEYS_REFRESH_INTERVAL`` per process — forged identifiers cannot make us
hammer GitHub (60 unauthenticated requests an hour) or the database: :func:`verify` runs
before anything else and touches neither the database nor the cache.

Feedback (optional in the protocol, sent when GitHub asks): one entry per match,
``{"token_hash": sha256 hex, "token_type": <type as reported>, "label": "true_positive" |
"false_positive"}``; never the raw token.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authgate.conf import on_reload
from authgate.core.keycache import KeyCache
from authgate.leaks.settings import leak_settings
from authgate.schemes.oauth.http import IdPUnavailable, fetch_json

__all__ = [
    "KEY_ID_HEADER",
    "MAX_MATCHES",
    "MAX_REPORT_BYTES",
    "SIGNATURE_HEADER",
    "KeysUnavailable",
    "Match",
    "PublicKey",
    "feedback",
    "load_public_keys",
    "parse_report",
    "public_keys",
    "verify",
]

logger = logging.getLogger(__name__)

KEY_ID_HEADER = "Github-Public-Key-Identifier"
SIGNATURE_HEADER = "Github-Public-Key-Signature"
#: Largest report read (bytes). GitHub batches matches; a batch of a thousand is ~300 KB.
MAX_REPORT_BYTES = 1_000_000
#: Most matches handled from one report (the rest are refused with the whole report).
MAX_MATCHES = 1000
#: At most this many keys of the document are loaded (GitHub publishes a handful).
MAX_KEYS = 32
_MAX_KEY_ID = 128
_MAX_SIGNATURE = 256  # base64 of a DER P-256 signature is at most 96 characters

#: Fetching the document failed (network, status, not JSON): ``str(exc)`` is safe to log.
KeysUnavailable = IdPUnavailable


@dataclass(frozen=True, slots=True)
class PublicKey:
    """One of GitHub's signing keys: its identifier and the P-256 public key."""

    identifier: str
    key: Any  # cryptography's EllipticCurvePublicKey


@dataclass(frozen=True, slots=True)
class Match:
    """One reported secret: the value (never logged), its type, where it was found."""

    token: str
    type: str
    url: str
    source: str


def load_public_keys(document: object) -> tuple[PublicKey, ...]:
    """The usable P-256 keys of a public-keys document (entries that are not are skipped)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    entries = document.get("public_keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        return ()
    found = []
    for entry in entries[:MAX_KEYS]:
        if not isinstance(entry, Mapping):
            continue
        identifier, pem = entry.get("key_identifier"), entry.get("key")
        if not isinstance(identifier, str) or not isinstance(pem, str) or not identifier:
            continue
        try:
            key = load_pem_public_key(pem.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError):
            logger.warning("Ignored GitHub public key %r: not a PEM public key", identifier)
            continue
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            logger.warning("Ignored GitHub public key %r: not ECDSA P-256", identifier)
            continue
        found.append(PublicKey(identifier, key))
    return tuple(found)


#: The process-wide cache of GitHub's keys.
public_keys: KeyCache[PublicKey] = KeyCache(
    name="GitHub public keys",
    unavailable=KeysUnavailable,
    has_id=lambda keys, identifier: any(key.identifier == identifier for key in keys),
)
on_reload(public_keys.reset)


def _load() -> tuple[PublicKey, ...]:
    config = leak_settings()
    document = fetch_json(config.github_keys_url, timeout=config.http_timeout.total_seconds())
    return load_public_keys(document)


def _key(identifier: str) -> PublicKey | None:
    config = leak_settings()
    limits = {
        "ttl": config.github_keys_cache_ttl.total_seconds(),
        "interval": config.github_keys_refresh_interval.total_seconds(),
    }
    for unknown in (None, identifier):  # then once more, if GitHub may have rotated
        for key in public_keys.keys(_load, unknown_id=unknown, **limits):
            if key.identifier == identifier:
                return key
    return None


def verify(body: bytes, key_id: str | None, signature: str | None) -> bool:
    """Whether ``signature`` (the header's base64 DER) is GitHub's over the raw ``body``
    with the key ``key_id`` names. ``False`` for a missing, malformed or unknown anything;
    raises :class:`KeysUnavailable` only when no key document could ever be fetched."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if not key_id or not signature or len(key_id) > _MAX_KEY_ID:
        return False
    if len(signature) > _MAX_SIGNATURE or not key_id.isascii() or not key_id.isprintable():
        return False
    try:
        der = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    key = _key(key_id)
    if key is None:
        logger.info("Refused a secret-scanning report: unknown key identifier")
        return False
    try:
        key.key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        logger.info("Refused a secret-scanning report: bad signature")
        return False
    return True


def parse_report(body: bytes) -> list[Match] | None:
    """The matches of a verified report, or ``None`` if it is not GitHub's format (a JSON
    array of at most :data:`MAX_MATCHES` objects, each with a string ``token``)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, list) or len(data) > MAX_MATCHES:
        return None
    matches = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            return None
        fields = [entry.get(name) for name in ("type", "url", "source")]
        matches.append(Match(entry["token"], *(f if isinstance(f, str) else "" for f in fields)))
    return matches


def feedback(match: Match, *, token_hash: str, genuine: bool) -> dict[str, str]:
    """GitHub's feedback entry for one match (the hashed form: never the raw token)."""
    return {
        "token_hash": token_hash,
        "token_type": match.type,
        "label": "true_positive" if genuine else "false_positive",
    }
