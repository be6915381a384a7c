"""DPoP-bound API tokens (RFC 9449): an ``agt_`` token that works only with its key's proofs.

A token issued with ``dpop_jkt`` — the RFC 7638 thumbprint of a client's public key — is
bound to that key. The client sends it as ``Authorization: DPoP agt_…`` with a ``DPoP``
header: a fresh JWT signed by the key, naming the request's method and URL and the hash of
the token (``ath``). A token copied from a log, a proxy or a laptop is then useless without
the private key. :func:`check` holds the rules, once the token's row is found and checked:

* a **bound** token sent as ``DPoP`` needs a proof that :func:`authgate.dpop.verify_proof`
  accepts for this token and this key (RFC 9449 §4.3: one signature verification, the
  thumbprint compared in constant time, the ``jti`` spent in the shared cache, so a
  replayed proof is refused by every worker);
* a **bound** token sent any other way (``Bearer``, ``Token``, the query parameter) is
  refused, with or without a proof: the downgrade RFC 9449 §7.2 forbids;
* an **unbound** token sent as ``DPoP`` is refused (``invalid_token``), as ``OAuthBackend``
  refuses an unbound access token: a client that believes its token bound learns it is not,
  instead of sending a bearer token it thinks is protected.

Which ``DPoP`` credentials are ours (:func:`credentials`): those of the API-token shape,
``DPoP <TOKEN_PREFIX>_…``. Any other ``DPoP`` token is left to ``OAuthBackend``, so both
kinds work in one chain. Refusals carry the RFC 9449 §7.1 challenge (:func:`challenges`).

A token is bound **at issue** (:func:`issue_binding`): ``POST /auth/token/`` and ``POST
/auth/api/tokens/`` with a ``DPoP`` proof of the RFC 9449 §5 kind (``htm``/``htu`` of the
endpoint, no ``ath``: there is no token yet) bind the new token to the proof's key; a caller
that is itself a DPoP credential (its proof already verified by the chain) binds the new
token to its own key. ``tokens.issue(..., dpop_jkt=...)`` and ``authgate issue --dpop-jkt``
take the thumbprint directly; rotating keeps the binding.

Verifying proofs needs PyJWT (the ``oauth`` extra); without it a DPoP request is a 503 and
the log says what to install.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authgate import dpop
from authgate.backend import Credentials, bearer_challenge, dpop_challenge, get_authorization
from authgate.core import headers
from authgate.dpop_settings import dpop_settings
from authgate.errors import (
    INVALID_REQUEST,
    INVALID_TOKEN,
    AuthenticationFailed,
    AuthgateError,
    PermissionDenied,
    ServiceUnavailable,
)
from authgate.identity import Identity
from authgate.schemes.tokens.models import APIToken

__all__ = [
    "DOWNGRADE",
    "OTHER_KEY",
    "ProofError",
    "challenge",
    "challenges",
    "check",
    "credentials",
    "error_headers",
    "issue_binding",
    "uses_dpop",
]

logger = logging.getLogger(__name__)

#: Audit reasons (``TokenEvent`` ``failed``) of the refusals that suggest a stolen token: a
#: bound token sent without its scheme, or with a proof from another key.
DOWNGRADE = "dpop_downgrade"
OTHER_KEY = "dpop_other_key"

_UNBOUND = gettext_lazy("This API token is not DPoP-bound: send it with the Bearer scheme.")
_BOUND = gettext_lazy("This API token is DPoP-bound: send it as 'DPoP' with a DPoP proof.")


class ProofError(AuthgateError):
    """A ``DPoP`` proof refused by an endpoint that issues a token: 400 with
    ``invalid_dpop_proof`` or ``use_dpop_nonce``, as a token endpoint answers (RFC 9449 §5,
    §8); :func:`error_headers` gives the ``DPoP-Nonce`` to send with it."""

    status_code = 400
    default_code = dpop.INVALID_DPOP_PROOF


# --- on a request -----------------------------------------------------------------------


def uses_dpop(request: HttpRequest) -> bool:
    """Whether the request's ``Authorization`` scheme is ``DPoP`` (case-insensitive)."""
    authorization = get_authorization(request)
    return authorization is not None and authorization.scheme_key == "dpop"


def credentials(request: HttpRequest, prefix: str) -> Credentials | None:
    """``DPoP <prefix>_…``: an API token sent with the DPoP scheme (anything else ``None``).

    The token's shape decides, so an OAuth access token sent as ``DPoP`` stays
    ``OAuthBackend``'s; a malformed header whose credentials look like ours is a 401.
    """
    authorization = get_authorization(request)
    if authorization is None or authorization.scheme_key != "dpop":
        return None
    if not authorization.credentials.startswith(f"{prefix}_"):
        return None
    try:
        token = headers.token68(authorization)
    except headers.MalformedHeader as exc:
        raise AuthenticationFailed(INVALID_REQUEST, str(exc)) from None
    return {"token": token, "keyword": authorization.scheme, "dpop": True}


@functools.cache
def _verifier_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("jwt", "cryptography"))


def _require_verifier() -> None:
    """Fail closed, and say why in the log, when proofs cannot be verified here."""
    if not _verifier_installed():
        logger.error("DPoP proofs need PyJWT and cryptography: pip install 'authgate[oauth]'")
        raise ServiceUnavailable()


def check(request: HttpRequest, token: APIToken, presented: str, *, is_dpop: bool) -> None:
    """The binding rules of the module doc, for a token whose row passed every other check.

    Raises :class:`~authgate.errors.AuthenticationFailed` (``dpop_bound`` for the downgrade,
    ``audit`` naming a refusal worth a ``TokenEvent``), or
    :class:`~authgate.errors.ServiceUnavailable`.
    """
    if not token.dpop_jkt:
        if is_dpop:
            raise AuthenticationFailed(INVALID_TOKEN, _UNBOUND)
        return
    if not is_dpop:
        raise AuthenticationFailed(INVALID_TOKEN, _BOUND, dpop_bound=True, audit=DOWNGRADE)
    _require_verifier()
    try:
        dpop.verify_proof(request, access_token=presented, expected_jkt=token.dpop_jkt)
    except dpop.ProofRefused as exc:
        logger.debug("Refused DPoP proof for API token %s: %s", token.display_prefix, exc.code)
        audit = {"audit": OTHER_KEY} if exc.code == INVALID_TOKEN else {}
        raise AuthenticationFailed(exc.code, exc.detail, **audit) from None


# --- challenges -------------------------------------------------------------------------


def challenge(request: HttpRequest, keyword: str, error: AuthgateError) -> str:
    """The one challenge of a refusal (a 403 ``insufficient_scope`` names one): ``DPoP`` for
    a DPoP credential, else the bearer one as before."""
    return dpop_challenge(error) if uses_dpop(request) else bearer_challenge(keyword, error)


def challenges(request: HttpRequest, keyword: str, error: AuthgateError | None) -> list[str] | None:
    """Both schemes (RFC 9449 §7.1, §7.2) when the token backend refused a DPoP credential
    or a bound token, the error on the scheme the client used; ``None``: the usual one
    challenge. (Only the failing backend is given ``error``: if the request used the DPoP
    scheme, the credential it refused is that one.)"""
    if error is None:
        return None
    if uses_dpop(request):
        return [bearer_challenge(keyword), dpop_challenge(error)]
    if error.extra.get("dpop_bound"):
        return [bearer_challenge(keyword, error), dpop_challenge()]
    return None


def error_headers(request: HttpRequest, error: AuthgateError | None = None) -> dict[str, str]:
    """``DPoP-Nonce`` (RFC 9449 §9) with ``DPOP_NONCES`` on, for a DPoP request's 401 or a
    proof refused at issue (so the client can retry with the nonce)."""
    if not dpop_settings().nonces:
        return {}
    if uses_dpop(request) or (error is not None and error.code == dpop.USE_DPOP_NONCE):
        return {"DPoP-Nonce": dpop.current_nonce()}
    return {}


# --- at issue ---------------------------------------------------------------------------


def issue_binding(request: HttpRequest, identity: Identity | None = None) -> str | None:
    """The thumbprint a token issued by this request is bound to, or ``None`` (a bearer token).

    The key of the proof the chain verified for this request, when the caller is itself a
    DPoP credential (``identity``); else of the request's own ``DPoP`` header, verified as
    RFC 9449 §5's token request: ``htm``/``htu`` of this endpoint, no ``ath``; else none.
    Raises :class:`ProofError` (400), or :class:`~authgate.errors.ServiceUnavailable` when
    proofs cannot be checked.
    """
    verified = dpop.verified_proof(request)
    if verified is None and "HTTP_DPOP" in request.META:
        _require_verifier()
        try:
            verified = dpop.verify_proof(request, access_token=None, expected_jkt=None)
        except dpop.ProofRefused as exc:
            raise ProofError(exc.code, exc.detail) from None
    caller: Any = identity.credential if identity is not None else None
    bound = caller.dpop_jkt if isinstance(caller, APIToken) else ""
    if bound and (verified is None or verified.jkt != bound):
        # The chain verified the caller's proof against its own key: never reached through
        # it. A token minted by a bound token is bound to the same key, or not minted.
        raise PermissionDenied(
            detail=_("A DPoP-bound token can only create tokens bound to its own key.")
        )
    return verified.jkt if verified is not None else None
