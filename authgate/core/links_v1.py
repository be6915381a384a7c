"""Magic-link tokens, version 1: compact binary tokens for query strings (django-sesame v2).

Wire format::

    token = "agl1_" + b64url(body + pre_mac + signature)
    body  = packed_pk                          (see authgate.core.packers)
            + timestamp   4 bytes, big-endian unsigned Unix seconds — only if timestamped
            + nonce       4 random bytes — only if one_time (two one-time links minted in
                          the same second differ, so each is recorded as used on its own)

    header    = b"agl1_" + flags               flags: 1 byte, bit 0 timestamped, bit 1
                                               one_time (bound by both MACs, not transported)
    namespace = "authgate.links.v1" + (":" + key if key else "")
    pre_mac   = keyring.tag(namespace=namespace + ":pre", message=header + body, size=6)
    signature = keyring.sign(namespace=namespace, size=signature_size,   (default 10)
                             message=header + body + len(revocation) as 4 bytes big-endian
                                     + revocation + scope.encode("utf-8"))

Whether a token has a timestamp and a nonce is a property of the deployment (does it use a
max age? one-time links?), not of the token: :func:`create` and :func:`parse` must be given
the same ``timestamped`` / ``one_time`` / ``key`` / ``signature_size``. The flags byte in the
MACs means a token minted under one configuration never verifies under another (a
timestamp is never misread as a nonce).

**Why two MACs.** The signature covers the user's *revocation value* (computed from the
user row: part of the password hash, the email, …) and the *scope*, neither of which is
transported, so a token dies when the user's password changes and a token for one scope is
useless for another. Checking it therefore needs the user, loaded by the primary key the
token names. Loading first and verifying after would let anyone probe which primary keys
exist, by timing (or by the database load) of garbage tokens. So the token also carries a
short pre-MAC over the transported bytes alone, which :func:`parse` checks, constant time
over every key, *before* anyone loads a user: a forger must guess 48 bits to cause even one
user lookup. Then :func:`verify` checks the full signature with the user's revocation value
and the scope. The pre-MAC adds 6 bytes (8 characters) to the token.

Revocation value and scope are length-delimited in the signed message (not separated by a
NUL as in sesame), so no pair of (revocation, scope) can be confused with another.

Max age: with ``max_age`` given, :func:`verify` answers ``"expired"`` once
``now - timestamp >= max_age`` (a token lives at most ``max_age`` seconds). Timestamps are
4 bytes, so they work until 2106.

One-time use is not decided here: the caller records :func:`token_id` of each accepted
one-time token with an atomic insert into a table with a unique constraint, and refuses the
token if the row already exists.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from authgate.core.keyring import KeyRing
from authgate.core.packers import Packer
from authgate.core.signed import decode_token, detect_prefix, encode_token
from authgate.core.slots import slot_setters

__all__ = [
    "DEFAULT_SIGNATURE_SIZE",
    "NAMESPACE",
    "NONCE_SIZE",
    "PREFIX",
    "PRE_MAC_SIZE",
    "TIMESTAMP_SIZE",
    "LinkClaims",
    "create",
    "detect",
    "parse",
    "token_id",
    "verify",
]

logger = logging.getLogger(__name__)

PREFIX = "agl1_"
NAMESPACE = "authgate.links.v1"
DEFAULT_SIGNATURE_SIZE = 10
PRE_MAC_SIZE = 6
TIMESTAMP_SIZE = 4
NONCE_SIZE = 4

_PREFIX_BYTES = PREFIX.encode("ascii")


def _now() -> int:
    return int(time.time())


@dataclass(frozen=True, slots=True, init=False)
class LinkClaims:
    """What :func:`parse` read from a token; nothing here is trusted before :func:`verify`."""

    user_pk: Any
    timestamp: int | None
    nonce: bytes | None
    #: ``header + body``: the transported bytes the signature covers.
    signed: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    def __init__(
        self,
        user_pk: Any,
        timestamp: int | None,
        nonce: bytes | None,
        signed: bytes,
        signature: bytes,
    ) -> None:
        # Made for every link checked: see authgate.core.slots.
        user_pk_, timestamp_, nonce_, signed_, signature_ = _CLAIMS_SETTERS
        user_pk_(self, user_pk)
        timestamp_(self, timestamp)
        nonce_(self, nonce)
        signed_(self, signed)
        signature_(self, signature)


_CLAIMS_SETTERS = slot_setters(LinkClaims)


def _namespace(key: str) -> str:
    if key == "":  # the default: only the empty str compares equal
        return NAMESPACE
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, not {type(key).__name__}")
    return NAMESPACE + ":" + key


def _header(*, timestamped: bool, one_time: bool) -> bytes:
    return _PREFIX_BYTES + bytes([(1 if timestamped else 0) | (2 if one_time else 0)])


#: ``_header`` of each configuration, and the pre-MAC namespace of the default key: the
#: same on every token checked.
_HEADERS = {
    (timestamped, one_time): _header(timestamped=timestamped, one_time=one_time)
    for timestamped in (False, True)
    for one_time in (False, True)
}
_PRE_NAMESPACE = NAMESPACE + ":pre"


def _signed_message(signed: bytes, revocation: bytes, scope: str) -> bytes:
    if not isinstance(revocation, bytes):
        raise TypeError(f"revocation must be bytes, not {type(revocation).__name__}")
    if not isinstance(scope, str):
        raise TypeError(f"scope must be a str, not {type(scope).__name__}")
    if len(revocation) >= 2**32:
        raise ValueError("revocation value is too long")
    return (
        signed
        + len(revocation).to_bytes(4, "big")
        + revocation
        + scope.encode("utf-8", "surrogatepass")
    )


def _check_signature_size(signature_size: object) -> int:
    if not isinstance(signature_size, int) or isinstance(signature_size, bool):
        raise TypeError("signature_size must be an int")
    if not 8 <= signature_size <= 64:
        raise ValueError(f"signature_size must be between 8 and 64, not {signature_size}")
    return signature_size


def detect(token: str) -> bool:
    """Whether ``token`` claims to be a v1 link token (a prefix check)."""
    return detect_prefix(token, PREFIX)


def create(
    *,
    keyring: KeyRing,
    user_pk: Any,
    packer: Packer,
    revocation: bytes,
    scope: str = "",
    timestamped: bool,
    one_time: bool,
    key: str = "",
    signature_size: int = DEFAULT_SIGNATURE_SIZE,
    now: int | None = None,
) -> str:
    """A link token for ``user_pk`` bound to its ``revocation`` value and ``scope``.

    Raises :class:`TypeError` / :class:`ValueError` for invalid arguments.
    """
    namespace = _namespace(key)
    signature_size = _check_signature_size(signature_size)
    body = packer.pack_pk(user_pk)
    if timestamped:
        timestamp = _now() if now is None else now
        if not isinstance(timestamp, int) or isinstance(timestamp, bool):
            raise TypeError(f"now must be an int, not {type(timestamp).__name__}")
        if not 0 <= timestamp < 2**32:
            raise ValueError("now does not fit in a 4-byte timestamp")
        body += timestamp.to_bytes(TIMESTAMP_SIZE, "big")
    if one_time:
        body += secrets.token_bytes(NONCE_SIZE)
    signed = _header(timestamped=timestamped, one_time=one_time) + body
    message = _signed_message(signed, revocation, scope)
    pre_mac = keyring.tag(namespace=namespace + ":pre", message=signed, size=PRE_MAC_SIZE)
    signature = keyring.sign(namespace=namespace, message=message, size=signature_size)
    return encode_token(PREFIX, body + pre_mac + signature)


def parse(
    token: str,
    *,
    keyring: KeyRing,
    packer: Packer,
    timestamped: bool,
    one_time: bool,
    key: str = "",
    signature_size: int = DEFAULT_SIGNATURE_SIZE,
) -> LinkClaims | None:
    """The claims of a well-formed ``token`` whose pre-MAC is valid, else ``None``.

    The result is not yet trusted: load the user named by ``user_pk`` and call
    :func:`verify`. Never raises on any ``token``.
    """
    namespace = _namespace(key)
    signature_size = _check_signature_size(signature_size)
    parts = decode_token(token, prefix=PREFIX, parts=1)
    if parts is None:
        return None
    (data,) = parts
    extra = (TIMESTAMP_SIZE if timestamped else 0) + (NONCE_SIZE if one_time else 0)
    body_end = len(data) - PRE_MAC_SIZE - signature_size
    if body_end < 1 + extra:
        logger.debug("Bad %s token: too short", PREFIX)
        return None
    body = data[:body_end]
    pre_mac = data[body_end : body_end + PRE_MAC_SIZE]
    signature = data[body_end + PRE_MAC_SIZE :]
    header = _HEADERS.get((timestamped, one_time)) or _header(
        timestamped=timestamped, one_time=one_time
    )
    signed = header + body
    pre_namespace = _PRE_NAMESPACE if namespace is NAMESPACE else namespace + ":pre"
    # Before anything else is read from the body: see "Why two MACs" above.
    if not keyring.match_tag(namespace=pre_namespace, message=signed, tag=pre_mac):
        logger.debug("Bad %s token: invalid pre-MAC", PREFIX)
        return None
    try:
        user_pk, rest = packer.unpack_pk(body)
    except ValueError:
        logger.debug("Bad %s token: cannot unpack the user", PREFIX)
        return None
    if len(rest) != extra:
        logger.debug("Bad %s token: wrong length", PREFIX)
        return None
    timestamp = int.from_bytes(rest[:TIMESTAMP_SIZE], "big") if timestamped else None
    nonce = rest[-NONCE_SIZE:] if one_time else None
    return LinkClaims(user_pk, timestamp, nonce, signed, signature)


def verify(
    claims: LinkClaims,
    *,
    keyring: KeyRing,
    revocation: bytes,
    scope: str = "",
    key: str = "",
    signature_size: int = DEFAULT_SIGNATURE_SIZE,
    max_age: int | None = None,
    now: int | None = None,
) -> Literal["ok", "invalid", "expired"]:
    """Check the full signature of parsed ``claims`` for this user and scope, then max age.

    ``revocation`` is the loaded user's current revocation value. Answers ``"ok"``,
    ``"invalid"`` (wrong signature: forged, another scope or key, or revoked) or
    ``"expired"``. Raises :class:`ValueError` if ``max_age`` is given for claims parsed
    without a timestamp (a configuration error, not a token error).
    """
    namespace = _namespace(key)
    signature_size = _check_signature_size(signature_size)
    if max_age is not None:
        if not isinstance(max_age, int) or isinstance(max_age, bool):
            raise TypeError("max_age must be an int number of seconds or None")
        if max_age <= 0:
            raise ValueError(f"max_age must be positive, not {max_age}")
        if claims.timestamp is None:
            raise ValueError("max_age needs timestamped tokens (parse with timestamped=True)")
    message = _signed_message(claims.signed, revocation, scope)
    if len(claims.signature) != signature_size or not keyring.verify(
        namespace=namespace, message=message, signature=claims.signature
    ):
        logger.debug("Bad %s token: invalid signature", PREFIX)
        return "invalid"
    if max_age is not None and claims.timestamp is not None:
        age = (_now() if now is None else now) - claims.timestamp
        if age >= max_age:
            logger.debug("Expired %s token: %d seconds old", PREFIX, age)
            return "expired"
    logger.debug("Valid %s token", PREFIX)
    return "ok"


def token_id(token: str) -> str:
    """The SHA-256 hex digest of ``token``: the key to record a one-time token as used."""
    if not isinstance(token, str):
        raise TypeError(f"token must be a str, not {type(token).__name__}")
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
