"""Scoped tokens, version 1: short-lived, stateless, limited to methods + endpoints.

drf-tmp-scoped-token's idea (a token for one user, a few endpoints, a few minutes), with its
gaps closed: strict validation, expiry reported apart from garbage, revocation, scopes, a
versioned prefix and a MAC in its own namespace.

Wire format::

    token     = "ags1_" + b64url(payload) + "." + b64url(signature)
    payload   = compact JSON, UTF-8, sorted keys, no spaces:
                {"e": {"GET": ["/api/a/"], ...},   endpoints: METHOD -> path prefixes
                 "i": 1700000000,                  issued at (int seconds, Unix time)
                 "r": "ci-bot" | null,             recipient
                 "rv": b64url(tag),                revocation tag (6 bytes)
                 "s": ["read:x", ...] | null,      scopes (null: no scope restriction)
                 "u": b64url(packed pk),           the user's primary key, packed
                 "x": 1700000600,                  expires at (int seconds)
                 "p": "api_token:42",              optional: the credential that minted it
                 "a": ["10.0.0.0/8", ...]}         optional: its client-IP allowlist

``p`` and ``a`` are present only in tokens minted from a credential (``authgate.derive``):
tokens without them read exactly as before. ``p`` makes the revocation value include the
user's *derived generation* (bumped when an API token or a signature key is revoked), and
``a`` is the parent's IP allowlist, checked on every request.
    signature = keyring.sign(namespace="authgate.scoped.v1",
                             message=ascii("ags1_" + b64url(payload)), size=16)

The user's primary key is packed with a :mod:`~authgate.core.packers` packer and base64url
encoded, so int, UUID and string keys round-trip exactly (the packer decides the Python type
on the way back) and each key has exactly one encoding. ``rv`` is
:func:`~authgate.core.signed.revocation_tag` of the user's revocation value; the value itself
is never in the token.

**Signed, not encrypted.** Anyone holding the token can read the user's primary key, the
endpoints, the times, the recipient and the scopes. Nothing secret belongs in any of them.

:func:`parse` works in this order and stops at the first failure: length cap, prefix,
framing, base64url, signature (constant time, every key of the ring), JSON and schema (every
field type-checked; anything unexpected is invalid), then expiry. It returns ``None`` for
an invalid token and raises :class:`ExpiredToken` for a correctly signed token whose
expiry has passed, so callers can answer ``expired_token`` rather than ``invalid_token``.
A token is valid while ``now < expires_at``. Revocation needs the user, so it is checked
later, by the caller, with :func:`check_revocation`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from authgate.core.encoding import b64url_decode, b64url_encode
from authgate.core.keyring import KeyRing
from authgate.core.packers import Packer
from authgate.core.scoped_lineage import clean_allowed_ips as _clean_allowed_ips
from authgate.core.scoped_lineage import clean_parent as _clean_parent
from authgate.core.signed import (
    check_revocation_tag,
    decode_token,
    detect_prefix,
    encode_token,
    revocation_tag,
)

__all__ = [
    "MAX_RECIPIENT_LENGTH",
    "METHODS",
    "NAMESPACE",
    "PREFIX",
    "REVOCATION_TAG_SIZE",
    "SIGNATURE_SIZE",
    "ExpiredToken",
    "ScopedClaims",
    "check_revocation",
    "create",
    "detect",
    "parse",
]

logger = logging.getLogger(__name__)

PREFIX = "ags1_"
NAMESPACE = "authgate.scoped.v1"
SIGNATURE_SIZE = 16
REVOCATION_TAG_SIZE = 6
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_RECIPIENT_LENGTH = 200

_KEYS = frozenset({"e", "i", "r", "rv", "s", "u", "x"})
_OPTIONAL_KEYS = frozenset({"p", "a"})
# RFC 6749 §3.3 scope-token: printable ASCII except space, '"' and '\'.
_SCOPE_RE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def _now() -> int:
    return int(time.time())


class ExpiredToken(Exception):
    """A correctly signed, well-formed scoped token whose expiry has passed.

    ``expired_at`` is the expiry (Unix seconds) the token carried.
    """

    def __init__(self, expired_at: int) -> None:
        super().__init__(expired_at)
        self.expired_at = expired_at

    def __str__(self) -> str:
        return f"token expired at {self.expired_at}"


@dataclass(frozen=True, slots=True)
class ScopedClaims:
    """What a valid scoped token says. ``scopes`` is ``None`` when scopes are unrestricted."""

    user_pk: Any
    endpoints: dict[str, tuple[str, ...]]
    issued_at: int
    expires_at: int
    recipient: str | None
    scopes: tuple[str, ...] | None
    revocation_tag: bytes = field(repr=False)
    #: ``"<kind>:<id>"`` of the credential that minted the token, or ``None``.
    parent: str | None = None
    #: The minting credential's client-IP allowlist (networks as text); empty: anywhere.
    allowed_ips: tuple[str, ...] = ()


# -- validation (shared by create and parse) ----------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_paths(method: str, paths: object) -> tuple[str, ...]:
    if isinstance(paths, (str, bytes)) or not isinstance(paths, Iterable):
        raise TypeError(
            f"endpoints[{method!r}] must be a list of paths, not {type(paths).__name__}"
        )
    cleaned: list[str] = []
    for path in paths:
        if not isinstance(path, str):
            raise TypeError(f"endpoint paths must be str, not {type(path).__name__}")
        if not path.startswith("/"):
            raise ValueError(f"endpoint path {path!r} must start with '/'")
        if not path.isprintable():
            raise ValueError(f"endpoint path {path!r} must be printable text")
        if path not in cleaned:
            cleaned.append(path)
    if not cleaned:
        raise ValueError(f"endpoints[{method!r}] lists no paths")
    return tuple(cleaned)


def _clean_endpoints(endpoints: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(endpoints, Mapping):
        raise TypeError(
            f"endpoints must be a mapping of METHOD to paths, not {type(endpoints).__name__}"
        )
    cleaned: dict[str, tuple[str, ...]] = {}
    for method, paths in endpoints.items():
        if not isinstance(method, str):
            raise TypeError(f"endpoint methods must be str, not {type(method).__name__}")
        upper = method.upper()
        if upper not in METHODS:
            raise ValueError(f"unknown method {method!r}; expected one of {sorted(METHODS)}")
        if upper in cleaned:
            raise ValueError(f"method {upper} is listed twice")
        cleaned[upper] = _clean_paths(upper, paths)
    if not cleaned:
        raise ValueError("endpoints must not be empty")
    return cleaned


def _clean_recipient(recipient: object) -> str | None:
    if recipient is None:
        return None
    if not isinstance(recipient, str):
        raise TypeError(f"recipient must be a str or None, not {type(recipient).__name__}")
    if not recipient:
        raise ValueError("recipient must not be empty (use None for no recipient)")
    if len(recipient) > MAX_RECIPIENT_LENGTH:
        raise ValueError(f"recipient must be at most {MAX_RECIPIENT_LENGTH} characters")
    if not recipient.isprintable():
        raise ValueError("recipient must be printable text")
    return recipient


def _clean_scopes(scopes: object) -> tuple[str, ...] | None:
    if scopes is None:
        return None
    if isinstance(scopes, (str, bytes)) or not isinstance(scopes, Iterable):
        raise TypeError(f"scopes must be a list of names or None, not {type(scopes).__name__}")
    cleaned: list[str] = []
    for scope in scopes:
        if not isinstance(scope, str):
            raise TypeError(f"scope names must be str, not {type(scope).__name__}")
        if not _SCOPE_RE.fullmatch(scope):
            raise ValueError(
                f"invalid scope name {scope!r}: printable ASCII without spaces, quotes or '\\'"
            )
        if scope not in cleaned:
            cleaned.append(scope)
    return tuple(cleaned)


# -- the format --------------------------------------------------------------------------


def detect(token: str) -> bool:
    """Whether ``token`` claims to be a v1 scoped token (a prefix check)."""
    return detect_prefix(token, PREFIX)


def create(
    *,
    keyring: KeyRing,
    user_pk: Any,
    packer: Packer,
    endpoints: Mapping[str, Iterable[str]],
    max_age: int,
    revocation: bytes,
    recipient: str | None = None,
    scopes: Iterable[str] | None = None,
    now: int | None = None,
    parent: str | None = None,
    allowed_ips: Iterable[str] = (),
) -> str:
    """A scoped token for ``user_pk``, valid ``max_age`` seconds from ``now``.

    ``endpoints`` maps HTTP methods (any case; stored uppercase) to path prefixes starting
    with ``/``. ``revocation`` is the user's current revocation value. Raises
    :class:`TypeError` / :class:`ValueError` for invalid arguments, including a token that
    would exceed :data:`~authgate.core.signed.MAX_TOKEN_LENGTH`.
    """
    if not _is_int(max_age):
        raise TypeError(f"max_age must be an int number of seconds, not {type(max_age).__name__}")
    if max_age <= 0:
        raise ValueError(f"max_age must be positive, not {max_age}")
    issued_at = _now() if now is None else now
    if not _is_int(issued_at):
        raise TypeError(f"now must be an int, not {type(issued_at).__name__}")
    if issued_at < 0:
        raise ValueError("now must not be negative")
    cleaned_endpoints = _clean_endpoints(endpoints)
    cleaned_recipient = _clean_recipient(recipient)
    cleaned_scopes = _clean_scopes(scopes)
    cleaned_parent = _clean_parent(parent)
    cleaned_ips = _clean_allowed_ips(list(allowed_ips))
    packed = packer.pack_pk(user_pk)
    tag = revocation_tag(
        keyring=keyring, namespace=NAMESPACE, revocation=revocation, size=REVOCATION_TAG_SIZE
    )
    payload = {
        "e": {method: list(paths) for method, paths in cleaned_endpoints.items()},
        "i": issued_at,
        "r": cleaned_recipient,
        "rv": b64url_encode(tag),
        "s": None if cleaned_scopes is None else list(cleaned_scopes),
        "u": b64url_encode(packed),
        "x": issued_at + max_age,
    }
    if cleaned_parent is not None:
        payload["p"] = cleaned_parent
    if cleaned_ips:
        payload["a"] = list(cleaned_ips)
    payload_bytes = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    unsigned = PREFIX + b64url_encode(payload_bytes)
    signature = keyring.sign(
        namespace=NAMESPACE, message=unsigned.encode("ascii"), size=SIGNATURE_SIZE
    )
    return encode_token(PREFIX, payload_bytes, signature)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _claims_from_payload(payload_bytes: bytes, packer: Packer) -> ScopedClaims | None:
    """The claims in a (signed) payload, or ``None`` if anything is unexpected."""
    try:
        payload = json.loads(
            payload_bytes.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
        )
        if not isinstance(payload, dict) or not (_KEYS <= payload.keys() <= _KEYS | _OPTIONAL_KEYS):
            raise ValueError("unexpected keys")
        parent = _clean_parent(payload.get("p"))
        if "p" in payload and parent is None:
            raise ValueError("bad parent")
        allowed_ips = _clean_allowed_ips(payload.get("a", []))
        if "a" in payload and (not allowed_ips or list(allowed_ips) != payload["a"]):
            raise ValueError("non-canonical allowlist")
        issued_at, expires_at = payload["i"], payload["x"]
        if not (_is_int(issued_at) and _is_int(expires_at) and 0 <= issued_at < expires_at):
            raise ValueError("bad times")
        raw_endpoints = payload["e"]
        endpoints = _clean_endpoints(raw_endpoints)
        if {m: list(p) for m, p in endpoints.items()} != raw_endpoints:
            raise ValueError("non-canonical endpoints")
        recipient = _clean_recipient(payload["r"])
        raw_scopes = payload["s"]
        if raw_scopes is not None and not isinstance(raw_scopes, list):
            raise ValueError("bad scopes")
        scopes = _clean_scopes(raw_scopes)
        if scopes is not None and list(scopes) != raw_scopes:
            raise ValueError("non-canonical scopes")
        if not isinstance(payload["rv"], str) or not isinstance(payload["u"], str):
            raise ValueError("bad encoded fields")
        tag = b64url_decode(payload["rv"])
        if tag is None or len(tag) != REVOCATION_TAG_SIZE:
            raise ValueError("bad revocation tag")
        packed = b64url_decode(payload["u"])
        if packed is None:
            raise ValueError("bad user")
        user_pk, rest = packer.unpack_pk(packed)
        if rest:
            raise ValueError("trailing bytes after the user")
    except (ValueError, TypeError, RecursionError) as exc:
        logger.debug("Bad %s token: invalid payload (%s)", PREFIX, exc.__class__.__name__)
        return None
    return ScopedClaims(
        user_pk=user_pk,
        endpoints=endpoints,
        issued_at=issued_at,
        expires_at=expires_at,
        recipient=recipient,
        scopes=scopes,
        revocation_tag=tag,
        parent=parent,
        allowed_ips=allowed_ips,
    )


def parse(
    token: str, *, keyring: KeyRing, packer: Packer, now: int | None = None
) -> ScopedClaims | None:
    """The claims of a valid ``token``, or ``None`` if it is not a valid v1 scoped token.

    Raises :class:`ExpiredToken` if the token is valid but ``now >= expires_at``. Never
    raises anything else, whatever ``token`` is. Revocation is not checked here: call
    :func:`check_revocation` once the user is loaded.
    """
    parts = decode_token(token, prefix=PREFIX, parts=2)
    if parts is None:
        return None
    payload_bytes, signature = parts
    if len(signature) != SIGNATURE_SIZE:
        logger.debug("Bad %s token: wrong signature size", PREFIX)
        return None
    unsigned = token[: token.index(".")]
    if not keyring.verify(
        namespace=NAMESPACE, message=unsigned.encode("ascii"), signature=signature
    ):
        logger.debug("Bad %s token: invalid signature", PREFIX)
        return None
    claims = _claims_from_payload(payload_bytes, packer)
    if claims is None:
        return None
    current = _now() if now is None else now
    if current >= claims.expires_at:
        logger.debug(
            "Expired %s token: expired %d seconds ago", PREFIX, current - claims.expires_at
        )
        raise ExpiredToken(claims.expires_at)
    logger.debug("Valid %s token", PREFIX)
    return claims


def check_revocation(claims: ScopedClaims, *, keyring: KeyRing, revocation: bytes) -> bool:
    """Whether ``claims`` were issued for the user's current ``revocation`` value.

    ``True`` means not revoked. Constant time over the keys of the ring.
    """
    return check_revocation_tag(
        keyring=keyring, namespace=NAMESPACE, revocation=revocation, tag=claims.revocation_tag
    )
