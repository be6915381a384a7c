"""DPoP proofs (RFC 9449): is this request signed by the key the access token is bound to?

A DPoP-bound access token names a key by its RFC 7638 thumbprint (``cnf.jkt``); the client
sends, with every request, a fresh JWT signed by that key (the ``DPoP`` header) naming the
request's method and URI and the hash of the token. :func:`verify_proof` checks one proof
per RFC 9449 §4.3, in this order, stopping at the first failure (:class:`ProofRefused`):

1. exactly one ``DPoP`` header, a compact JWS no longer than ``MAX_HEADER_LENGTH``;
2. the JOSE header: ``typ`` is ``dpop+jwt``; ``alg`` is in ``DPOP_ALGORITHMS`` (asymmetric
   only) and belongs to the key's own type; ``jwk`` is a public key (no private members);
   no ``crit``;
3. the signature, with that embedded key;
4. the claims: ``jti`` (a string), ``htm`` equal to the method, ``htu`` equal to the
   request's URI compared per §4.3 (scheme, authority and path normalised per RFC 3986 §6;
   query and fragment ignored; :mod:`authgate.core.uri`), ``iat`` within
   ``DPOP_PROOF_MAX_AGE`` in the past and ``DPOP_CLOCK_SKEW`` in the future, ``ath`` equal
   to base64url(SHA-256(access token)) — unless no token is presented (a request for a
   token, RFC 9449 §5, whose proof has no ``ath``);
5. with ``DPOP_NONCES``, a ``nonce`` this server issued recently (``use_dpop_nonce``
   otherwise, and the 401 carries a fresh ``DPoP-Nonce``);
6. the key's thumbprint equals ``expected_jkt`` (constant time) — ``invalid_token``, as
   RFC 9449 §7.1's example: the proof is fine, the token is not for this key;
7. last, ``jti`` is recorded for the key with an atomic ``cache.add`` in the ``CACHE``
   alias (Redis in production, so every worker agrees): a proof is accepted once.

It knows nothing of OAuth: the caller says which token the proof goes with and which key
it must be signed with, so authgate's own tokens can use it as OAuth access tokens do. The
proof accepted for a request is kept on it (:func:`verified_proof`): its ``jti`` is spent,
so code after the chain — an endpoint issuing a token bound to the caller's key — asks that
instead of verifying the header again.

**Nonces** (RFC 9449 §9) are stateless: ``<window>.<MAC(window)>`` under the key ring
(``SECRET_KEY`` and its fallbacks), ``window`` a count of ``DPOP_NONCE_LIFETIME`` periods.
The current and the previous window are accepted, so every worker agrees without storage
and a nonce lives between one and two lifetimes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.http import HttpRequest
from django.utils.translation import gettext as _

from authgate.conf import chain_settings
from authgate.core.timestamps import numeric_date
from authgate.core.uri import normalise_http_uri
from authgate.dpop_settings import dpop_settings
from authgate.errors import INVALID_TOKEN, ServiceUnavailable
from authgate.requesttarget import request_target
from authgate.signing import keyring

__all__ = [
    "INVALID_DPOP_PROOF",
    "SUPPORTED_ALGORITHMS",
    "USE_DPOP_NONCE",
    "ProofRefused",
    "VerifiedProof",
    "access_token_hash",
    "current_nonce",
    "jwk_thumbprint",
    "nonce_is_valid",
    "proof_algorithms",
    "request_uri",
    "verified_proof",
    "verify_proof",
]

logger = logging.getLogger(__name__)

#: RFC 9449 §12.2 error codes (resource access error responses), beside ``invalid_token``.
INVALID_DPOP_PROOF = "invalid_dpop_proof"
USE_DPOP_NONCE = "use_dpop_nonce"

#: Asymmetric JWS algorithms a proof may use, each tied to its key type (RFC 7518, 8037).
_KEY_TYPES: dict[str, tuple[str, str | None]] = {
    **dict.fromkeys(("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"), ("RSA", None)),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", "Ed25519"),
}
#: Every algorithm ``DPOP_ALGORITHMS`` may name.
SUPPORTED_ALGORITHMS = frozenset(_KEY_TYPES)
#: Members of each key type that RFC 7638 §3.2 hashes, in lexicographic order.
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}
_THUMBPRINT_MEMBERS["OKP"] = ("crv", "kty", "x")
#: Private members (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2): a proof's jwk never has them.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_TYP = "dpop+jwt"
_SEGMENT_RE = re.compile(r"[A-Za-z0-9_-]+")
_MAX_JTI_LENGTH = 256
_NONCE_NAMESPACE = "authgate.dpop-nonce"
#: Where the proof accepted for a request is kept (``request.__dict__``).
_VERIFIED = "_authgate_dpop_proof"


class ProofRefused(Exception):
    """A refused proof: ``code`` (``invalid_dpop_proof``, ``use_dpop_nonce`` or
    ``invalid_token``) and a human ``detail`` for the 401."""

    def __init__(self, code: str, detail: Any) -> None:
        super().__init__(str(detail))
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """A proof that passed every check: its key's thumbprint and what it claimed."""

    jkt: str
    jti: str
    iat: float
    htm: str
    htu: str
    nonce: str | None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _now() -> float:
    """The current Unix time (a hook, so tests need no monkeypatching)."""
    return time.time()


def _bad(detail: Any) -> ProofRefused:
    return ProofRefused(INVALID_DPOP_PROOF, detail)


def proof_algorithms() -> list[str]:
    """The accepted proof algorithms (``DPOP_ALGORITHMS``), for the ``algs`` parameter."""
    return [alg for alg in dpop_settings().algorithms if alg in _KEY_TYPES]


def access_token_hash(access_token: str) -> str:
    """``ath`` (RFC 9449 §4.2): base64url of the SHA-256 of the token's ASCII bytes."""
    return _b64url(hashlib.sha256(access_token.encode("ascii", "surrogateescape")).digest())


def _thumbprint_input(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 §3: the required members, sorted, as JSON without whitespace."""
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None:
        raise ValueError("unsupported key type")
    values = {name: jwk.get(name) for name in members}
    for value in values.values():
        if not isinstance(value, str) or not value:
            raise ValueError("missing key member")
    return json.dumps(values, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url; ``ValueError`` if the key
    lacks a required member or one is not a string."""
    return _b64url(hashlib.sha256(_thumbprint_input(jwk).encode("utf-8")).digest())


# --- nonces ------------------------------------------------------------------------------


def _window(now: float) -> int:
    return int(now // max(1.0, dpop_settings().nonce_lifetime.total_seconds()))


def _nonce_for(window: int) -> str:
    mac = keyring().sign(namespace=_NONCE_NAMESPACE, message=str(window).encode(), size=16)
    return f"{window:x}.{_b64url(mac)}"


def current_nonce(now: float | None = None) -> str:
    """The nonce to hand out now (``DPoP-Nonce``): the same on every worker."""
    return _nonce_for(_window(_now() if now is None else now))


def nonce_is_valid(nonce: object, now: float | None = None) -> bool:
    """Whether ``nonce`` was issued in this window or the previous one, under any key of
    the ring."""
    if not isinstance(nonce, str) or len(nonce) > 64 or nonce.count(".") != 1:
        return False
    window_hex, mac = nonce.split(".")
    try:
        window = int(window_hex, 16)
        signature = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except (ValueError, binascii.Error):
        return False
    if window_hex != f"{window:x}" or mac != _b64url(signature):
        return False  # one spelling per nonce
    current = _window(_now() if now is None else now)
    if window not in (current, current - 1):
        return False
    return keyring().verify(
        namespace=_NONCE_NAMESPACE, message=str(window).encode(), signature=signature
    )


# --- the proof ---------------------------------------------------------------------------


def _proof_header(request: HttpRequest) -> str:
    value = request.META.get("HTTP_DPOP")
    if value is None:
        raise _bad(_("The request has no DPoP proof."))
    # Servers join repeated header lines with ","; a compact JWS never contains one.
    if "," in value:
        raise _bad(_("Send exactly one DPoP header."))
    value = value.strip(" \t")
    if not value or len(value) > chain_settings().max_header_length or value.count(".") != 2:
        raise _bad(_("The DPoP proof is not a JWT."))
    return value


def _check_jwk(jwk: object, alg: str) -> dict[str, Any]:
    if not isinstance(jwk, dict):
        raise _bad(_("The DPoP proof has no jwk header."))
    if _PRIVATE_MEMBERS & jwk.keys():
        raise _bad(_("The DPoP proof's jwk holds a private key."))
    kty, crv = _KEY_TYPES[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        raise _bad(_("The DPoP proof's alg does not match its key."))
    if "alg" in jwk and jwk["alg"] != alg:
        raise _bad(_("The DPoP proof's alg does not match its key."))
    return jwk


def _segment(value: str) -> bytes:
    """One base64url segment of a compact JWS (RFC 7515 §2: no padding, no other alphabet)."""
    if not _SEGMENT_RE.fullmatch(value):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@functools.lru_cache(maxsize=1)
def _algorithms() -> dict[str, Any]:
    import jwt  # PyJWT: the ``oauth`` extra

    return jwt.algorithms.get_default_algorithms()


@functools.lru_cache(maxsize=1024)
def _public_key(members: str, alg: str) -> Any:
    """The key object for a JWK's RFC 7638 members (a client reuses its key: parsed once)."""
    return _algorithms()[alg].from_jwk(members)


def _verified_claims(proof: str) -> tuple[dict[str, Any], str]:
    """The signature checked with the embedded key: (claims, the key's thumbprint).

    The compact JWS is split and decoded here, once (PyJWT's own parser decodes it twice
    and costs more than the signature); PyJWT's algorithm objects load the key and check
    the signature.
    """
    header_part, payload_part, signature_part = proof.split(".")
    try:
        header = json.loads(_segment(header_part))
    except (ValueError, binascii.Error, RecursionError):
        raise _bad(_("The DPoP proof is not a JWT.")) from None
    if not isinstance(header, dict):
        raise _bad(_("The DPoP proof is not a JWT."))
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") != _TYP:
        raise _bad(_("The DPoP proof's typ is not dpop+jwt."))
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in proof_algorithms():
        raise _bad(_("The DPoP proof's signature algorithm is not accepted."))
    if "crit" in header:
        raise _bad(_("The DPoP proof uses an unsupported extension."))
    jwk = _check_jwk(header.get("jwk"), alg)
    try:
        members = _thumbprint_input(jwk)
        key = _public_key(members, alg)
        signature = _segment(signature_part)
        signed = f"{header_part}.{payload_part}".encode("ascii")
        valid = _algorithms()[alg].verify(signed, key, signature)
    except Exception:  # any key or encoding error (PyJWT raises several kinds): refused
        raise _bad(_("The DPoP proof is malformed.")) from None
    if not valid:
        raise _bad(_("The DPoP proof's signature is invalid."))
    try:
        claims = json.loads(_segment(payload_part))
    except (ValueError, binascii.Error, RecursionError):
        raise _bad(_("The DPoP proof is malformed.")) from None
    if not isinstance(claims, dict):
        raise _bad(_("The DPoP proof is malformed."))
    return claims, _b64url(hashlib.sha256(members.encode("utf-8")).digest())


def request_uri(request: HttpRequest) -> str:
    """The URI this request arrived at, as ``htu`` must name it (before normalisation)."""
    path, _query = request_target(request)
    return f"{request.scheme}://{request.get_host()}{path}"


def _check_claims(
    request: HttpRequest, claims: dict[str, Any], *, access_token: str | None, now: float
) -> tuple[str, str, float]:
    jti, htm, htu, iat = (claims.get(name) for name in ("jti", "htm", "htu", "iat"))
    if not isinstance(jti, str) or not jti or len(jti) > _MAX_JTI_LENGTH:
        raise _bad(_("The DPoP proof has no usable jti claim."))
    if not isinstance(htm, str) or htm != request.method:
        raise _bad(_("The DPoP proof was made for another HTTP method."))
    expected = normalise_http_uri(request_uri(request))
    if not isinstance(htu, str) or expected is None or normalise_http_uri(htu) != expected:
        raise _bad(_("The DPoP proof was made for another URL."))
    iat = numeric_date(iat)  # NaN would pass both comparisons below; 1e20 is no date
    if iat is None:
        raise _bad(_("The DPoP proof has no usable iat claim."))
    config = dpop_settings()
    skew = config.clock_skew.total_seconds()
    if iat > now + skew:
        raise _bad(_("The DPoP proof was made in the future."))
    if iat < now - config.proof_max_age.total_seconds() - skew:
        raise _bad(_("The DPoP proof is too old."))
    if access_token is not None:  # None: a token request, whose proof has no ath (§5)
        ath = claims.get("ath")
        if not isinstance(ath, str) or not _equal(ath, access_token_hash(access_token)):
            raise _bad(_("The DPoP proof was made for another access token (ath)."))
    return jti, htu, iat


def _equal(a: str, b: str) -> bool:
    from cryptography.hazmat.primitives.constant_time import bytes_eq

    return bytes_eq(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def _remember(jkt: str, jti: str) -> None:
    """Accept ``jti`` once per key while a proof carrying it could be fresh."""
    digest = hashlib.sha256(f"{jkt}\x00{jti}".encode("utf-8", "surrogatepass")).hexdigest()
    config = dpop_settings()
    timeout = (config.proof_max_age + 2 * config.clock_skew).total_seconds()
    try:
        fresh = caches[chain_settings().cache].add(
            f"authgate:dpop-jti:{digest}", 1, int(timeout) + 1
        )
    except Exception:
        logger.error("Cache unavailable: cannot check DPoP proofs for replay")
        raise ServiceUnavailable() from None
    if not fresh:
        raise _bad(_("This DPoP proof has already been used."))


def verify_proof(
    request: HttpRequest,
    *,
    access_token: str | None,
    expected_jkt: str | None,
    now: float | None = None,
) -> VerifiedProof:
    """Verify the request's DPoP proof for ``access_token`` (see the module doc).

    ``access_token`` is the token presented with the proof (its hash is ``ath``); ``None``
    for a request that asks for a token (RFC 9449 §5: no ``ath`` is checked).
    ``expected_jkt`` is the thumbprint the token is bound to; ``None`` skips that check (a
    caller that binds a new token to the proof's key). Raises :class:`ProofRefused`, or
    :class:`~authgate.errors.ServiceUnavailable` when the replay cache is down. The
    accepted proof is kept on the request (:func:`verified_proof`).
    """
    now = _now() if now is None else now
    proof = _proof_header(request)
    claims, jkt = _verified_claims(proof)
    jti, htu, iat = _check_claims(request, claims, access_token=access_token, now=now)
    nonce = claims.get("nonce")
    if dpop_settings().nonces and not nonce_is_valid(nonce, now):
        raise ProofRefused(USE_DPOP_NONCE, _("Send a DPoP proof with the nonce this server gave."))
    if expected_jkt is not None and not _equal(jkt, expected_jkt):
        raise ProofRefused(INVALID_TOKEN, _("The DPoP proof is signed by another key."))
    _remember(jkt, jti)
    verified = VerifiedProof(
        jkt=jkt,
        jti=jti,
        iat=iat,
        htm=request.method or "",
        htu=htu,
        nonce=nonce if isinstance(nonce, str) else None,
    )
    request.__dict__[_VERIFIED] = verified
    return verified


def verified_proof(request: HttpRequest) -> VerifiedProof | None:
    """The proof :func:`verify_proof` accepted for this request, if any (its ``jti`` is
    spent: a second verification of the same header would be refused as a replay)."""
    found: VerifiedProof | None = request.__dict__.get(_VERIFIED)
    return found
