"""``Content-Digest`` (RFC 9530): binding the body to a signature that covers the header.

RFC 9421 never signs the body itself; a signer covers ``content-digest`` and the verifier
checks that header against the bytes it received. The field is a structured dictionary of
``<algorithm>=:<base64 digest>:``; only ``sha-256`` and ``sha-512`` are accepted (RFC 9530
§5 marks the others insecure or deprecated). Every supported member present must match;
at least one must be present. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import http_sf

from authgate.schemes.httpsig.protocol.errors import DigestMismatch, MalformedSignature
from authgate.schemes.httpsig.protocol.message import Message
from authgate.schemes.httpsig.protocol.structured import parse_dictionary

__all__ = ["DIGEST_ALGORITHMS", "content_digest", "verify_content_digest", "verify_message_digest"]

#: RFC 9530 §7.2 algorithm keys this module computes.
DIGEST_ALGORITHMS: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda body: hashlib.sha256(body).digest(),
    "sha-512": lambda body: hashlib.sha512(body).digest(),
}


def content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """The ``Content-Digest`` value for ``body`` (e.g. ``sha-256=:…:``)."""
    return http_sf.ser({algorithm: DIGEST_ALGORITHMS[algorithm](body)})


def verify_content_digest(value: str, body: bytes) -> None:
    """Raise unless ``value`` (a ``Content-Digest`` field) matches ``body``."""
    parsed = parse_dictionary(value, "Content-Digest", refuse_duplicates=False)
    checked = False
    for algorithm, member in parsed.items():
        compute = DIGEST_ALGORITHMS.get(algorithm)
        if compute is None:
            continue  # RFC 9530 §2: unknown algorithms are ignored
        expected = member[0] if isinstance(member, tuple) else member
        if not isinstance(expected, bytes):
            raise MalformedSignature(f"The Content-Digest member {algorithm!r} is not bytes.")
        if not hmac.compare_digest(compute(body), expected):
            raise DigestMismatch("Content-Digest does not match the request body.")
        checked = True
    if not checked:
        raise DigestMismatch("Content-Digest has no sha-256 or sha-512 digest.")


def verify_message_digest(message: Message) -> None:
    """Raise unless ``message`` has a ``Content-Digest`` matching its body."""
    lines = message.fields.get("content-digest")
    if not lines:
        raise DigestMismatch("The request has no Content-Digest header.")
    verify_content_digest(", ".join(lines), message.body)
