"""django-sesame's v2 link tokens, read (and written, for tests) without django-sesame.

A project that switches from django-sesame has links in people's mailboxes; with
``AUTHGATE["LINK_ACCEPT_SESAME_TOKENS"]`` those keep working through a migration window
(:mod:`authgate.schemes.links.sesame`). This module is the format, as django-sesame 3.x
writes it (``sesame/tokens_v2.py`` and ``sesame/settings.py``), with no Django::

    token     = b64url(packed_pk + timestamp + signature)       (padding stripped)
    packed_pk = the user's key packed by a sesame packer          (authgate.core.sesame_packers)
    timestamp = 4 bytes, signed big-endian, seconds since 2020-01-01T00:00:00Z
                — only when SESAME_MAX_AGE is not None
    signature = BLAKE2b(packed_pk + timestamp + revocation + scope (UTF-8),
                        digest_size=SESAME_SIGNATURE_SIZE, key=signing key,
                        person=b"sesame.tokens_v2")
    signing key = BLAKE2b("|".join([str(SECRET_KEY), str(SESAME_KEY),
                                    "max_age" if SESAME_MAX_AGE is not None else "",
                                    SESAME_PACKER or "", SESAME_PRIMARY_KEY_FIELD]),
                          person=b"sesame.settings")          (64 bytes; one per fallback key)
    revocation  = the tail of the password hash (the hash without its salt, by algorithm),
                  + the e-mail if SESAME_INVALIDATE_ON_EMAIL_CHANGE,
                  + last_login.isoformat() if SESAME_ONE_TIME (and the user logged in once)

django-sesame's order is kept where it matters (the user is loaded before the signature
can be checked: the revocation value is not transported) and changed where it does not:
:func:`verify` checks the signature first and the age second, so only a genuine link is
ever "expired". A token ``parse`` cannot read is ``None``; the reason is logged at DEBUG on
``authgate.core.sesame_v2``, never the token. v1 tokens (``sesame.tokens_v1``) are not read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from authgate.core.sesame_packers import BasePacker

__all__ = [
    "DEFAULT_SIGNATURE_SIZE",
    "HASH_SIZES",
    "MAX_LENGTH",
    "TIMESTAMP_OFFSET",
    "SesameClaims",
    "create",
    "derive_key",
    "detect",
    "parse",
    "revocation_key",
    "token_id",
    "verification_keys",
    "verify",
]

logger = logging.getLogger(__name__)

TIMESTAMP_OFFSET = 1577836800  # 2020-01-01T00:00:00Z
DEFAULT_SIGNATURE_SIZE = 10
#: The longest token read (django-sesame's are 19 to ~350 characters): longer is refused.
MAX_LENGTH = 1024
#: Hash lengths by password-hash algorithm: the revocation value keeps only the hash, not
#: the salt (django-sesame's table).
HASH_SIZES = {
    "pbkdf2_sha256": 44,
    "pbkdf2_sha1": 28,
    "argon2": 22,
    "bcrypt_sha256": 31,
    "bcrypt": 31,
    "sha1": 40,
    "md5": 32,
    "crypt": 11,
}

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{4,}")


def _now() -> float:
    return time.time()


def derive_key(
    secret_key: str | bytes,
    *,
    key: str = "",
    timestamped: bool,
    packer_path: str | None = None,
    primary_key_field: str = "pk",
) -> bytes:
    """django-sesame's signing key for one ``SECRET_KEY`` (or fallback) and its settings."""
    material = "|".join(
        [
            str(secret_key),  # str() of bytes too: what django-sesame does
            str(key),
            "max_age" if timestamped else "",
            packer_path if packer_path is not None else "",
            primary_key_field,
        ]
    )
    return hashlib.blake2b(material.encode(), person=b"sesame.settings").digest()


def revocation_key(
    *, password: str | None = None, email: str | None = None, last_login: str | None = None
) -> bytes:
    """The revocation value of a user: pass only the parts the settings enable
    (``password`` for INVALIDATE_ON_PASSWORD_CHANGE, ``email`` for
    INVALIDATE_ON_EMAIL_CHANGE, ``last_login`` as ``isoformat()`` for ONE_TIME)."""
    data = ""
    if password is not None:
        size = HASH_SIZES.get(password.partition("$")[0])
        data += password if size is None else password[-size:]
    if email is not None:
        data += email
    if last_login is not None:
        data += last_login
    return data.encode()


def _sign(data: bytes, key: bytes, size: int) -> bytes:
    return hashlib.blake2b(data, digest_size=size, key=key, person=b"sesame.tokens_v2").digest()


@dataclass(frozen=True, slots=True)
class SesameClaims:
    """What :func:`parse` read; nothing here is trusted before :func:`verify`."""

    user_pk: Any
    #: Seconds since the Unix epoch (``None``: an untimestamped token).
    timestamp: int | None
    #: ``packed_pk + timestamp``: the transported bytes the signature covers.
    signed: bytes = field(repr=False)
    signature: bytes = field(repr=False)


def detect(token: object) -> bool:
    """Whether ``token`` may be a django-sesame v2 token (its alphabet, 4+ characters)."""
    return (
        isinstance(token, str)
        and len(token) <= MAX_LENGTH
        and _TOKEN_RE.fullmatch(token) is not None
    )


def _decode(token: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None


def parse(
    token: object,
    *,
    packer: BasePacker,
    timestamped: bool,
    signature_size: int = DEFAULT_SIGNATURE_SIZE,
) -> SesameClaims | None:
    """The claims of a token django-sesame could have written with these settings, else
    ``None``. Never raises on any ``token``."""
    if not isinstance(token, str) or not detect(token):
        logger.debug("Bad sesame token: doesn't match the format")
        return None
    data = _decode(token)
    if data is None:
        logger.debug("Bad sesame token: cannot decode")
        return None
    try:
        user_pk, rest = packer.unpack_pk(data)
    except Exception:  # a custom packer may raise anything: django-sesame catches all
        logger.debug("Bad sesame token: cannot extract the primary key")
        return None
    timestamp = None
    if timestamped:
        if len(rest) < 4:
            logger.debug("Bad sesame token: cannot extract the timestamp")
            return None
        timestamp = int.from_bytes(rest[:4], "big", signed=True) + TIMESTAMP_OFFSET
        rest = rest[4:]
    if len(rest) != signature_size:
        logger.debug("Bad sesame token: cannot extract the signature")
        return None
    return SesameClaims(user_pk, timestamp, data[:-signature_size], rest)


def verify(
    claims: SesameClaims,
    *,
    keys: Iterable[bytes],
    revocation: bytes,
    scope: str = "",
    max_age: float | None = None,
    now: float | None = None,
) -> Literal["ok", "invalid", "expired"]:
    """Check the signature against each derived key (``SECRET_KEY`` first, then the
    fallbacks), then the age: ``"expired"`` once ``now - timestamp >= max_age``."""
    message = claims.signed + revocation + scope.encode()
    size = len(claims.signature)
    valid = False
    for key in keys:  # every key, whatever matched: constant time over the ring
        valid |= hmac.compare_digest(_sign(message, key, size), claims.signature)
    if not valid:
        logger.debug("Invalid sesame token: bad signature, scope or revocation")
        return "invalid"
    if max_age is not None and claims.timestamp is not None:
        age = int(_now() if now is None else now) - claims.timestamp
        if age >= max_age:
            logger.debug("Expired sesame token: %d seconds old", age)
            return "expired"
    return "ok"


def create(
    user_pk: Any,
    *,
    packer: BasePacker,
    key: bytes,
    revocation: bytes,
    scope: str = "",
    timestamped: bool,
    signature_size: int = DEFAULT_SIGNATURE_SIZE,
    now: float | None = None,
) -> str:
    """A token as django-sesame would write it (for tests and known-answer checks)."""
    data = packer.pack_pk(user_pk)
    if timestamped:
        timestamp = int(_now() if now is None else now) - TIMESTAMP_OFFSET
        data += timestamp.to_bytes(4, "big", signed=True)
    data += _sign(data + revocation + scope.encode(), key, signature_size)
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_id(claims: SesameClaims) -> str:
    """A key to record a one-time token as used: the SHA-256 of its *decoded* bytes, so the
    several spellings base64 allows for one token are one token."""
    return hashlib.sha256(b"sesame.v2:" + claims.signed + claims.signature).hexdigest()


def verification_keys(
    secret_keys: Sequence[str | bytes],
    *,
    key: str = "",
    timestamped: bool,
    packer_path: str | None = None,
    primary_key_field: str = "pk",
) -> tuple[bytes, ...]:
    """:func:`derive_key` for ``SECRET_KEY`` and each of ``SECRET_KEY_FALLBACKS``."""
    return tuple(
        derive_key(
            secret,
            key=key,
            timestamped=timestamped,
            packer_path=packer_path,
            primary_key_field=primary_key_field,
        )
        for secret in secret_keys
    )
