"""Small text codecs shared by the token formats: base62, CRC32 checksums, base64url.

Everything here is deterministic except :func:`random_base62`, which draws from
:mod:`secrets`. Decoders used on untrusted input (:func:`b64url_decode`) return ``None``
instead of raising, so a caller can never be surprised by an exception type.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import zlib

__all__ = [
    "BASE62_ALPHABET",
    "b62encode",
    "b62decode",
    "random_base62",
    "crc32_checksum",
    "CHECKSUM_LENGTH",
    "b64url_encode",
    "b64url_decode",
]

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_INDEX = {char: value for value, char in enumerate(BASE62_ALPHABET)}

#: Length of :func:`crc32_checksum`'s output: 62**6 (≈ 5.7e10) > 2**32, so six digits always fit.
CHECKSUM_LENGTH = 6

# Unpadded base64url (RFC 4648 §5). `[A-Za-z0-9]` is ASCII-only in a character class, unlike
# `\w`, which would also accept any Unicode letter or digit.
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
_B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_PAD = {0: b"", 2: b"==", 3: b"="}
#: Per tail length (len % 4): the characters whose unused low bits are zero (RFC 4648 §3.5).
_CANONICAL_LAST = {
    2: frozenset(c for i, c in enumerate(_B64URL_ALPHABET) if i % 16 == 0),
    3: frozenset(c for i, c in enumerate(_B64URL_ALPHABET) if i % 4 == 0),
}


def b62encode(n: int, width: int | None = None) -> str:
    """Encode a non-negative integer in base62, left-padded with ``0`` to ``width`` digits.

    The result is never truncated: a number needing more than ``width`` digits gets them all.
    """
    if n < 0:
        raise ValueError(f"b62encode() needs a non-negative integer, got {n}")
    digits: list[str] = []
    while True:
        n, remainder = divmod(n, 62)
        digits.append(BASE62_ALPHABET[remainder])
        if n == 0:
            break
    text = "".join(reversed(digits))
    return text.rjust(width, "0") if width else text


def b62decode(s: str) -> int:
    """Decode a base62 string; ``ValueError`` for an empty string or a character outside it."""
    if not s:
        raise ValueError("b62decode() needs at least one digit")
    n = 0
    for char in s:
        try:
            n = n * 62 + _BASE62_INDEX[char]
        except KeyError:
            raise ValueError(f"invalid base62 character {char!r}") from None
    return n


def random_base62(length: int) -> str:
    """Return ``length`` base62 characters from the OS CSPRNG (≈ 5.95 bits each)."""
    if length < 0:
        raise ValueError(f"random_base62() needs a non-negative length, got {length}")
    return "".join(secrets.choice(BASE62_ALPHABET) for _ in range(length))


def crc32_checksum(text: str) -> str:
    """Return the CRC32 of ``text`` (UTF-8) as six zero-padded base62 digits.

    This is GitHub's token checksum design: it catches typos and truncation offline, before
    any database work. It is *not* a MAC; the token's entropy is what keeps it secret.
    Raises ``UnicodeEncodeError`` (a ``ValueError``) for text with lone surrogates.
    """
    n = zlib.crc32(text.encode("utf-8"))
    # b62encode(n, width=6), two digits at a time (it runs on every token presented):
    # n < 2**32 < 62**6, so n // 62**4 is a valid pair index.
    return _PAIRS[n // 14776336] + _PAIRS[n // 3844 % 3844] + _PAIRS[n % 3844]


#: Every two-digit base62 string, in order: ``_PAIRS[i]`` is ``i`` written with two digits.
_PAIRS = tuple(high + low for high in BASE62_ALPHABET for low in BASE62_ALPHABET)


def b64url_encode(data: bytes) -> str:
    """Encode bytes as unpadded URL-safe base64 (RFC 4648 §5, padding dropped per §3.2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes | None:
    """Decode unpadded URL-safe base64, or return ``None`` if ``text`` is not exactly that.

    Strict on purpose, so that one byte string has exactly one accepted spelling: no padding,
    no whitespace, no standard-alphabet ``+``/``/``, no impossible length (``len % 4 == 1``)
    and no non-zero "unused" trailing bits (RFC 4648 §3.5: decoders MAY reject those).
    """
    if not isinstance(text, str) or _B64URL_RE.fullmatch(text) is None:
        return None
    tail = len(text) % 4
    if tail == 1:
        return None
    # Canonical form only: "AB" and "AA" would otherwise both decode to b"\x00". The last
    # character of a 2- or 3-character tail carries 4 or 2 unused bits, which must be zero.
    if tail and text[-1] not in _CANONICAL_LAST[tail]:
        return None
    # The alphabet was checked above, so the standard decoder sees only valid input.
    return binascii.a2b_base64(text.encode("ascii").translate(_URLSAFE_TO_STANDARD) + _PAD[tail])
