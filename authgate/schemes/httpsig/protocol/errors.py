"""The errors of HTTP Message Signatures (RFC 9421), each with a stable error code.

The core raises these; the Django backend turns them into 401 responses with the same
``code`` (``{"error": code, "detail": message}``), so a client can tell *why* its signature
was refused without reading prose. The codes are documented in ``docs/httpsig.md`` and are
never renamed.
"""

from __future__ import annotations

__all__ = [
    "DIGEST_MISMATCH",
    "EXPIRED_SIGNATURE",
    "INVALID_REQUEST",
    "INVALID_SIGNATURE",
    "MISSING_COMPONENT",
    "REPLAYED_SIGNATURE",
    "REVOKED_KEY",
    "UNKNOWN_KEY",
    "DigestMismatch",
    "MalformedSignature",
    "SignatureError",
    "VerificationFailed",
]

#: The headers are not valid structured fields, or a parameter has the wrong type.
INVALID_REQUEST = "invalid_request"
#: The signature does not verify (or covers a component the message does not have).
INVALID_SIGNATURE = "invalid_signature"
#: No key with this ``keyid`` (or its user is inactive: one answer, no enumeration).
UNKNOWN_KEY = "unknown_key"
#: The key was revoked or has expired.
REVOKED_KEY = "revoked_key"
#: A component the server requires is not covered by the signature.
MISSING_COMPONENT = "missing_component"
#: ``created`` is too old or in the future, or ``expires`` has passed.
EXPIRED_SIGNATURE = "expired_signature"
#: The ``nonce`` was seen before within the maximum age.
REPLAYED_SIGNATURE = "replayed_signature"
#: ``Content-Digest`` does not match the body (RFC 9530).
DIGEST_MISMATCH = "digest_mismatch"


class SignatureError(ValueError):
    """Base class: ``code`` is stable and machine-readable, ``str(exc)`` is for humans."""

    code = INVALID_SIGNATURE

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class MalformedSignature(SignatureError):
    """``Signature-Input``, ``Signature`` or a covered component is syntactically wrong."""

    code = INVALID_REQUEST


class VerificationFailed(SignatureError):
    """The signature does not match the signature base under the key."""

    code = INVALID_SIGNATURE


class DigestMismatch(SignatureError):
    """The ``Content-Digest`` field does not match the message body (RFC 9530 §2)."""

    code = DIGEST_MISMATCH
