"""Opaque API tokens: random secrets with a type prefix and an offline checksum.

Wire format (the GitHub / djblets ``vendor_checksum`` design)::

    <prefix>_<random><checksum>

    prefix    2-10 chars, ^[a-z][a-z0-9]{1,9}$   says what the token is (to humans and to
                                                 secret scanners); not secret
    random    36 base62 chars                    ≈ 214 bits from `secrets`; the secret
    checksum  6 base62 chars                     CRC32 of "<prefix>_<random>" (UTF-8),
                                                 zero-padded: rejects typos offline

    e.g.  agt_0Qx4...(36 chars)...Zk3fP9  →  45-53 characters in all

Only :func:`digest` of a token is stored; :func:`display_prefix` (``<prefix>_`` plus the
first 6 random chars, leaving ≥ 178 secret bits) is what lists and logs may show.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from .encoding import BASE62_ALPHABET, CHECKSUM_LENGTH, crc32_checksum, random_base62

__all__ = [
    "RANDOM_LENGTH",
    "DISPLAY_LENGTH",
    "PREFIX_RE",
    "generate",
    "OpaqueToken",
    "parse",
    "is_valid",
    "DIGEST_VERSION",
    "digest",
    "display_prefix",
    "scanner_regex",
    "ANY_TOKEN_RE",
    "validate_prefix",
]

logger = logging.getLogger(__name__)

#: Random base62 characters per token: 36 * log2(62) ≈ 214.3 bits of entropy.
RANDOM_LENGTH = 36
#: Non-secret random characters shown by :func:`display_prefix` (≈ 35.7 bits).
DISPLAY_LENGTH = 6
#: What a prefix may look like. ``re.ASCII`` keeps ``[a-z]`` honest about what it means.
PREFIX_RE = re.compile(r"[a-z][a-z0-9]{1,9}", re.ASCII)

_BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH  # everything after the underscore: 42
_MIN_LENGTH = 2 + 1 + _BODY_LENGTH
_MAX_LENGTH = 10 + 1 + _BODY_LENGTH
_BODY_RE = re.compile(rf"[{BASE62_ALPHABET}]{{{_BODY_LENGTH}}}")
#: A whole well-formed token: the prefix (group 1) and the checksum (group 2).
_TOKEN_RE = re.compile(
    rf"([a-z][a-z0-9]{{1,9}})_[{BASE62_ALPHABET}]{{{RANDOM_LENGTH}}}"
    rf"([{BASE62_ALPHABET}]{{{CHECKSUM_LENGTH}}})"
)

#: Matches a token with any well-formed prefix, e.g. to redact logs. ``re.ASCII`` makes
#: ``\b`` an ASCII word boundary, so a token glued to a non-ASCII letter is still found.
ANY_TOKEN_RE = re.compile(rf"\b[a-z][a-z0-9]{{1,9}}_[0-9A-Za-z]{{{_BODY_LENGTH}}}\b", re.ASCII)


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is a valid token prefix, else raise ``ValueError``."""
    if not isinstance(prefix, str) or PREFIX_RE.fullmatch(prefix) is None:
        raise ValueError(
            f"Token prefix must match ^[a-z][a-z0-9]{{1,9}}$ (2-10 lowercase ASCII letters "
            f"and digits, starting with a letter), got {prefix!r}"
        )
    return prefix


def generate(prefix: str) -> str:
    """Return a new token ``<prefix>_<36 random base62><6-char checksum>``."""
    body = f"{validate_prefix(prefix)}_{random_base62(RANDOM_LENGTH)}"
    return body + crc32_checksum(body)


@dataclass(frozen=True, slots=True)
class OpaqueToken:
    """A token that passed :func:`parse`: well-formed, known prefix, valid checksum."""

    prefix: str
    token: str = field(repr=False)


def parse(token: str, *, prefixes: Collection[str]) -> OpaqueToken | None:
    """Return the parsed token, or ``None`` (with a debug reason) if it is not one of ours.

    ``prefixes`` are the prefixes this caller accepts. Work is bounded: the length is
    checked before anything else looks at the string. Raises ``TypeError`` only if
    ``prefixes`` is a bare string (``"agt"`` would otherwise accept the prefix ``"ag"``).
    """
    prefix = _accepted_prefix(token, prefixes)
    return None if prefix is None else OpaqueToken(prefix=prefix, token=token)


def is_valid(token: str, *, prefixes: Collection[str]) -> bool:
    """Whether :func:`parse` would accept ``token``, without building the result (the
    request path asks this on every call)."""
    return _accepted_prefix(token, prefixes) is not None


def _accepted_prefix(token: str, prefixes: Collection[str]) -> str | None:
    """``token``'s prefix if :func:`parse` accepts it, else ``None`` (with a debug reason)."""
    if isinstance(prefixes, str):
        raise TypeError("parse() needs a collection of prefixes, not a string")
    # The common case, a well-formed token of an accepted prefix, in one match; anything
    # else takes the steps below, which say why it was refused.
    whole = _TOKEN_RE.fullmatch(token) if type(token) is str else None
    if (
        whole is not None
        and whole[1] in prefixes
        and hmac.compare_digest(crc32_checksum(token[:-CHECKSUM_LENGTH]), whole[2])
    ):
        return whole[1]
    if not isinstance(token, str):
        logger.debug("Rejected opaque token: not a string")
        return None
    if not _MIN_LENGTH <= len(token) <= _MAX_LENGTH:
        logger.debug("Rejected opaque token: wrong length (%d characters)", len(token))
        return None
    prefix, _, body = token.partition("_")
    # The prefix is checked against PREFIX_RE too, so a caller-supplied oddity in `prefixes`
    # can never reach the checksum code with non-ASCII text.
    if prefix not in prefixes or PREFIX_RE.fullmatch(prefix) is None:
        # Not logged: a string that merely looks token-sized may be some other secret.
        logger.debug("Rejected opaque token: unknown prefix")
        return None
    if len(body) != _BODY_LENGTH:
        logger.debug("Rejected opaque token: wrong length for prefix %r", prefix)
        return None
    if _BODY_RE.fullmatch(body) is None:
        logger.debug("Rejected opaque token: bad characters (prefix %r)", prefix)
        return None
    random_part, checksum = body[:RANDOM_LENGTH], body[RANDOM_LENGTH:]
    # Both sides are ASCII here (checked above), which hmac.compare_digest requires of str.
    if not hmac.compare_digest(crc32_checksum(f"{prefix}_{random_part}"), checksum):
        logger.debug("Rejected opaque token: bad checksum (prefix %r)", prefix)
        return None
    return prefix


# --- digests --------------------------------------------------------------------------

#: The digest version new tokens are stored with.
DIGEST_VERSION = 1


def _sha256_hex(token: str) -> str:
    # A token carries ~214 random bits: a fast hash is enough. Key stretching (password
    # hashers) only helps low-entropy secrets, and would cost milliseconds per request.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# Stored rows keep their digest version, so adding version 2 (say, HMAC with a server key)
# leaves every existing token valid: old rows are looked up with their own digester.
_DIGESTERS: dict[int, Callable[[str], str]] = {
    1: _sha256_hex,
}


def digest(token: str, version: int = DIGEST_VERSION) -> str:
    """Return the storable digest of ``token`` (version 1: SHA-256, hex); ``ValueError`` for
    an unknown version."""
    try:
        digester = _DIGESTERS[version]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown token digest version: {version!r}") from None
    return digester(token)


def display_prefix(token: str) -> str:
    """Return ``<prefix>_<first 6 random chars>``: safe to show in lists and logs.

    Raises ``ValueError`` if ``token`` is not shaped like a token (the checksum is not
    verified: call :func:`parse` for that).
    """
    prefix, sep, body = token.partition("_")
    if not sep or PREFIX_RE.fullmatch(prefix) is None or _BODY_RE.fullmatch(body) is None:
        raise ValueError("Not an opaque token")
    return f"{prefix}_{body[:DISPLAY_LENGTH]}"


def scanner_regex(prefix: str) -> str:
    """Return a regex a secret scanner can use to find this prefix's tokens in text."""
    return rf"\b{validate_prefix(prefix)}_[0-9A-Za-z]{{{_BODY_LENGTH}}}\b"
