"""Shared machinery for the versioned signed token formats (``scoped_v1``, ``links_v1``, …).

Every format is a module (as django-sesame's ``tokens_v1`` / ``tokens_v2``) satisfying
:class:`TokenFormat`: a ``PREFIX`` such as ``"ags1_"`` naming kind *and* version, a cheap
``detect(token)`` (a prefix check, nothing decoded), and its own ``create(...)`` /
``parse(...)``. A new version is a new module with a new prefix; old modules stay for as
long as their tokens may be in circulation.

Framing, shared by all formats::

    token = PREFIX + b64url(part_1) [+ "." + b64url(part_2) ...]

``b64url`` is URL-safe base64 without padding. Decoding is strict and canonical: any
character outside the alphabet, any padding, and any non-zero trailing bits are refused, so
one byte string has exactly one textual token (which matters for one-time tokens recorded by
their text). Tokens longer than :data:`MAX_TOKEN_LENGTH` are refused before any decoding.

Revocation tags: a token that must die when something about its user changes (password,
email, "log out everywhere") carries or is bound to a per-user *revocation value* the
Django layer computes. The value itself may be sensitive (a tail of the password hash), so a
token only ever carries :func:`revocation_tag`, a short keyed BLAKE2b fingerprint of it in
its own namespace: unreadable without the key, useless in any other namespace.

Decoding functions return ``None`` for anything malformed and log the reason at DEBUG on
``authgate.core.signed``; they never log the token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from authgate.core.encoding import b64url_decode, b64url_encode
from authgate.core.keyring import KeyRing

__all__ = [
    "MAX_TOKEN_LENGTH",
    "TokenFormat",
    "check_revocation_tag",
    "decode_token",
    "detect_prefix",
    "encode_token",
    "find_format",
    "revocation_tag",
]

logger = logging.getLogger(__name__)

#: The longest token any format accepts, in characters. Longer input is refused unread.
MAX_TOKEN_LENGTH = 2048


class TokenFormat(Protocol):
    """What every versioned signed-token module provides (as module-level names).

    ``create`` and ``parse`` take format-specific keyword arguments, so the protocol only
    fixes their names and results; ``detect`` is the same everywhere.
    """

    @property
    def PREFIX(self) -> str:
        """The token prefix, kind and version in one: ``"ags1_"``, ``"agl1_"``."""
        ...

    @property
    def create(self) -> Callable[..., str]:
        """``create(*, keyring, ...) -> str``: mint a token."""
        ...

    @property
    def parse(self) -> Callable[..., object]:
        """``parse(token, *, keyring, ...) -> claims | None``: verify and decode a token."""
        ...

    def detect(self, token: str) -> bool:
        """Whether ``token`` is (claims to be) in this format; a cheap prefix check."""
        ...


def detect_prefix(token: object, prefix: str) -> bool:
    """Whether ``token`` is a ``str`` starting with ``prefix`` (nothing else is looked at)."""
    return isinstance(token, str) and token.startswith(prefix)


_Format = TypeVar("_Format", bound=TokenFormat)


def find_format(token: str, formats: Iterable[_Format]) -> _Format | None:
    """The first of ``formats`` that detects ``token``, or ``None``."""
    for fmt in formats:
        if fmt.detect(token):
            return fmt
    return None


def encode_token(prefix: str, *parts: bytes) -> str:
    """``prefix`` + the base64url ``parts`` joined with ``"."``.

    Raises :class:`ValueError` if the result would exceed :data:`MAX_TOKEN_LENGTH`, since no
    parser would accept it.
    """
    token = prefix + ".".join(b64url_encode(part) for part in parts)
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError(
            f"the token would be {len(token)} characters long; the maximum is {MAX_TOKEN_LENGTH}"
        )
    return token


def decode_token(token: object, *, prefix: str, parts: int) -> tuple[bytes, ...] | None:
    """The ``parts`` byte strings framed in ``token``, or ``None`` if it is malformed.

    Checks, in order: type and :data:`MAX_TOKEN_LENGTH`, ``prefix``, the number of
    ``"."``-separated parts, strict canonical base64url in every part.
    """
    if not isinstance(token, str):
        logger.debug("Bad %s token: not a string", prefix)
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        logger.debug("Bad %s token: longer than %d characters", prefix, MAX_TOKEN_LENGTH)
        return None
    if not token.startswith(prefix):
        logger.debug("Bad %s token: wrong prefix", prefix)
        return None
    texts = token[len(prefix) :].split(".")
    if len(texts) != parts:
        logger.debug("Bad %s token: %d parts instead of %d", prefix, len(texts), parts)
        return None
    decoded = []
    for text in texts:
        data = b64url_decode(text)
        if data is None:
            logger.debug("Bad %s token: invalid base64url", prefix)
            return None
        decoded.append(data)
    return tuple(decoded)


def _revocation_namespace(namespace: str) -> str:
    return namespace + ":rv"


def revocation_tag(*, keyring: KeyRing, namespace: str, revocation: bytes, size: int = 6) -> bytes:
    """A ``size``-byte keyed fingerprint of a user's ``revocation`` value.

    Computed with the signing key in ``namespace + ":rv"``; reveals nothing about the value.
    """
    if not isinstance(revocation, bytes):
        raise TypeError(f"revocation must be bytes, not {type(revocation).__name__}")
    return keyring.tag(namespace=_revocation_namespace(namespace), message=revocation, size=size)


def check_revocation_tag(
    *, keyring: KeyRing, namespace: str, revocation: bytes, tag: bytes
) -> bool:
    """Whether ``tag`` is the :func:`revocation_tag` of ``revocation`` under any key.

    Constant time over the keys; ``False`` for a tag of the wrong type or size.
    """
    if not isinstance(revocation, bytes):
        raise TypeError(f"revocation must be bytes, not {type(revocation).__name__}")
    return keyring.match_tag(
        namespace=_revocation_namespace(namespace), message=revocation, tag=tag
    )
