"""HTTP Message Signatures (RFC 9421): requests signed with a registered client key.

The backend claims every request that carries ``Signature-Input`` (a request without it is
"not my scheme"). Checking order, stopping at the first failure — cheap checks first, the
database once, the cache last so an attacker cannot burn another client's nonces:

1. the fields parse as structured fields, and one signature is selected (the
   ``HTTPSIG_LABEL`` label, or the only one) → 401 ``invalid_request``;
2. ``keyid`` and ``created`` are present, ``created`` is not older than ``HTTPSIG_MAX_AGE``
   nor in the future, ``expires`` has not passed (both with ``HTTPSIG_CLOCK_SKEW``) →
   ``expired_signature`` / ``invalid_signature``;
3. the covered components include ``HTTPSIG_REQUIRED_COMPONENTS``, plus ``content-digest``
   when the request has a body → ``missing_component``;
4. the key and its user in one indexed query: unknown key or inactive user →
   ``unknown_key``; revoked or expired key → ``revoked_key``; an ``alg`` parameter that is
   not the key's one algorithm → ``invalid_signature``;
5. the signature over the base rebuilt from this request (:mod:`.protocol`) →
   ``invalid_signature``;
6. ``Content-Digest`` against the body (RFC 9530) → ``digest_mismatch``;
7. the ``nonce``, remembered in the cache for the maximum age → ``replayed_signature``.

RFC 9421 registers no ``WWW-Authenticate`` scheme, so this backend has no challenge; its
401s carry ``Accept-Signature`` (§5.1) naming the components a signature must cover.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, ClassVar

from django.core.cache import caches
from django.http import HttpRequest
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _

from authgate.backend import Backend, Credentials
from authgate.conf import chain_settings
from authgate.errors import AuthenticationFailed, ServiceUnavailable
from authgate.identity import Identity
from authgate.requesttarget import request_target
from authgate.schemes.httpsig.models import HTTPSignatureKey
from authgate.schemes.httpsig.protocol import errors
from authgate.schemes.httpsig.protocol.digest import verify_message_digest
from authgate.schemes.httpsig.protocol.key_material import (
    InvalidKey,
    decode_secret,
    load_public_key,
)
from authgate.schemes.httpsig.protocol.message import Message
from authgate.schemes.httpsig.protocol.signatures import verify_message
from authgate.schemes.httpsig.protocol.structured import (
    SignatureParams,
    parse_component_id,
    parse_signature_input,
    parse_signatures,
)
from authgate.schemes.httpsig.service import open_secret
from authgate.schemes.httpsig.settings import HTTPSigSettings, httpsig_settings
from authgate.schemes.tokens.settings import token_settings

__all__ = ["HTTPSignatureBackend", "covered_names", "message_from_request"]

logger = logging.getLogger(__name__)

#: Derived components a covered component stands for (a signature over the whole target
#: URI covers its parts).
_IMPLIES = {
    "@target-uri": {"@scheme", "@authority", "@path", "@query", "@request-target"},
    "@request-target": {"@path", "@query"},
}


def _fail(code: str, detail: str) -> AuthenticationFailed:
    return AuthenticationFailed(code, detail)


def message_from_request(request: HttpRequest, *, body: bytes = b"") -> Message:
    """The :class:`~authgate.schemes.httpsig.protocol.Message` of a Django request.

    The target URI is rebuilt from the scheme, ``Host`` (validated against
    ``ALLOWED_HOSTS``) and the request target as the client sent it, before
    percent-decoding (RFC 9421 §2.2.6, :mod:`authgate.requesttarget`; re-escaped from the
    decoded path on servers that do not provide it). Behind a proxy that rewrites them,
    configure ``SECURE_PROXY_SSL_HEADER`` / ``USE_X_FORWARDED_HOST`` so they match what
    the client signed.
    """
    path, query = request_target(request)
    target = f"{request.scheme}://{request.get_host()}{path}"
    if query:
        target = f"{target}?{query}"
    return Message(request.method or "GET", target, request.headers.items(), body)


def covered_names(params: SignatureParams) -> set[str]:
    """The names a signature covers, whole-field or whole-URI (parameters narrow a
    component, so ``"content-digest";key="sha-256"`` does not count as ``content-digest``)."""
    names: set[str] = set()
    for component in params.components:
        if component.params:
            continue
        names.add(component.name)
        names.update(_IMPLIES.get(component.name, ()))
    return names


def _has_body(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return length > 0 or "HTTP_TRANSFER_ENCODING" in request.META


class HTTPSignatureBackend(Backend):
    """Requests signed per RFC 9421 with a key registered as :class:`HTTPSignatureKey`."""

    scheme = "HTTPSig"
    settings_section = HTTPSigSettings
    #: The model holding client keys (DRF-style knob).
    model: ClassVar[type[HTTPSignatureKey]] = HTTPSignatureKey

    @staticmethod
    def _now() -> float:
        """The current Unix time (a hook, so tests need no monkeypatching)."""
        return time.time()

    # --- the chain contract ------------------------------------------------------------

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """The OpenAPI scheme (:mod:`authgate.contrib.openapi`): OpenAPI has no type for
        RFC 9421, so an apiKey header ``Signature`` described in words."""
        required = ", ".join(f"`{c}`" for c in httpsig_settings().required_components)
        return {
            "httpSignature": {
                "type": "apiKey",
                "in": "header",
                "name": "Signature",
                "description": (
                    "HTTP Message Signatures (RFC 9421) with a registered key: send "
                    "`Signature-Input` and `Signature`. Cover "
                    f"{required} (or `@method` and `@target-uri`), plus `content-digest` "
                    "(RFC 9530) when there is a body; include `created` and `keyid`."
                ),
            }
        }

    def get_auth_headers(self, request: HttpRequest) -> dict[str, str]:
        """``Accept-Signature`` (RFC 9421 §5.1): what a signature on this request must cover."""
        config = httpsig_settings()
        components = [str(c) for c in config.required_components]
        if config.require_content_digest and _has_body(request):
            components.append("content-digest")
        try:
            items = " ".join(parse_component_id(c).identifier for c in components)
        except errors.SignatureError:  # pragma: no cover - the system checks refuse these
            return {}
        label = config.label or "sig1"
        flags = ";created;nonce" if config.require_nonce else ";created"
        return {"Accept-Signature": f"{label}=({items}){flags}"}

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        raw_input = request.META.get("HTTP_SIGNATURE_INPUT")
        if raw_input is None:
            return None
        raw_signature = request.META.get("HTTP_SIGNATURE")
        if raw_signature is None:
            raise _fail(
                errors.INVALID_REQUEST, _("Signature-Input is present but Signature is not.")
            )
        config = httpsig_settings()
        limit = config.max_header_length
        if len(raw_input) > limit or len(raw_signature) > limit:
            raise _fail(errors.INVALID_REQUEST, _("The signature headers are too long."))
        try:
            inputs = parse_signature_input(raw_input)
            signatures = parse_signatures(raw_signature)
        except errors.SignatureError as exc:
            raise _fail(exc.code, str(exc)) from None
        label = config.label
        if label is None:
            if len(inputs) != 1:
                raise _fail(
                    errors.INVALID_REQUEST,
                    _("Send exactly one signature (the request has %(count)d).")
                    % {"count": len(inputs)},
                )
            (label,) = inputs
        if label not in inputs or label not in signatures:
            raise _fail(
                errors.INVALID_REQUEST,
                _("No signature labelled %(label)r in Signature-Input and Signature.")
                % {"label": label},
            )
        return {"label": label, "params": inputs[label], "signature": signatures[label]}

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        params: SignatureParams = credentials["params"]
        self._check_params(params)
        has_body = _has_body(request)
        self._check_coverage(params, has_body=has_body)
        key = self._load_key(params)
        body = b""
        if has_body or "content-digest" in covered_names(params):
            try:
                body = request.body
            except RawPostDataException:
                # Something streamed the body before authentication: it cannot be checked.
                raise _fail(
                    errors.INVALID_REQUEST, _("The body was read before it could be verified.")
                ) from None
        message = message_from_request(request, body=body)
        try:
            material = self._key_material(key)
            verify_message(
                message, params, credentials["signature"], algorithm=key.algorithm, key=material
            )
            if "content-digest" in covered_names(params):
                verify_message_digest(message)
        except errors.SignatureError as exc:
            logger.debug("Refused HTTP signature of key %s: %s", key.pk, exc.code)
            raise _fail(exc.code, str(exc)) from None
        self._check_nonce(key, params)
        self._touch(key)
        return Identity(
            user=key.user,
            scheme=self.scheme.lower(),
            credential=key,
            expires_at=key.expires,
        )

    # --- the steps -----------------------------------------------------------------------

    def _check_params(self, params: SignatureParams) -> None:
        """§2.3 parameters and §3.2 step 8: keyid, created, expires, age, nonce present."""
        if not params.keyid:
            raise _fail(errors.INVALID_REQUEST, _("The signature has no keyid parameter."))
        if params.created is None:
            raise _fail(errors.INVALID_REQUEST, _("The signature has no created parameter."))
        config = httpsig_settings()
        if config.require_nonce and not params.nonce:
            raise _fail(errors.INVALID_REQUEST, _("The signature has no nonce parameter."))
        now = self._now()
        skew = int(config.clock_skew.total_seconds())
        if params.created > now + skew:
            raise _fail(errors.INVALID_SIGNATURE, _("The signature was created in the future."))
        if params.created < now - int(config.max_age.total_seconds()) - skew:
            raise _fail(errors.EXPIRED_SIGNATURE, _("The signature is too old."))
        if params.expires is not None and params.expires < now - skew:
            raise _fail(errors.EXPIRED_SIGNATURE, _("The signature has expired."))

    def _check_coverage(self, params: SignatureParams, *, has_body: bool) -> None:
        covered = covered_names(params)
        config = httpsig_settings()
        required = [str(name) for name in config.required_components]
        if has_body and config.require_content_digest:
            required.append("content-digest")
        missing = [name for name in required if name not in covered]
        if missing:
            raise _fail(
                errors.MISSING_COMPONENT,
                _("The signature must cover %(names)s.") % {"names": ", ".join(missing)},
            )

    def _load_key(self, params: SignatureParams) -> HTTPSignatureKey:
        """The key and its user: one query on the unique ``keyid`` index."""
        try:
            key = self.model.objects.select_related("user").get(keyid=params.keyid)
        except self.model.DoesNotExist:
            raise _fail(errors.UNKNOWN_KEY, _("Unknown signature key.")) from None
        if not key.user.is_active:
            logger.debug("Refused HTTP signature: key %s of an inactive user", key.pk)
            raise _fail(errors.UNKNOWN_KEY, _("Unknown signature key."))
        if not key.is_live():
            raise _fail(errors.REVOKED_KEY, _("This signature key is revoked or expired."))
        if key.algorithm not in httpsig_settings().algorithms:
            raise _fail(
                errors.INVALID_SIGNATURE,
                _("The algorithm %(alg)s is not accepted.") % {"alg": key.algorithm},
            )
        if params.alg is not None and params.alg != key.algorithm:
            # §3.2 step 6 and §7.3.6: the key's algorithm decides, never the client's alg.
            raise _fail(
                errors.INVALID_SIGNATURE,
                _("The alg parameter does not match the key's algorithm (%(alg)s).")
                % {"alg": key.algorithm},
            )
        return key

    def _key_material(self, key: HTTPSignatureKey) -> Any:
        try:
            if key.is_symmetric:
                return decode_secret(open_secret(key))
            return load_public_key(key.algorithm, key.public_key)
        except InvalidKey:
            logger.warning("HTTP signature key %s has unusable key material", key.pk)
            raise errors.VerificationFailed(_("This signature key cannot be used.")) from None

    def _check_nonce(self, key: HTTPSignatureKey, params: SignatureParams) -> None:
        """Accept each nonce once per key while a signature carrying it could be fresh."""
        if not params.nonce:
            return
        digest = hashlib.sha256(f"{key.keyid}\x00{params.nonce}".encode()).hexdigest()
        config = httpsig_settings()
        timeout = int((config.max_age + 2 * config.clock_skew).total_seconds())
        try:
            fresh = caches[chain_settings().cache].add(
                f"authgate:httpsig-nonce:{digest}", 1, timeout
            )
        except Exception:
            logger.error("Cache unavailable: cannot check HTTP signature nonces")
            raise ServiceUnavailable() from None
        if not fresh:
            raise _fail(errors.REPLAYED_SIGNATURE, _("This nonce has already been used."))

    def _touch(self, key: HTTPSignatureKey) -> None:
        """Record ``last_used``, at most once per ``TOKEN_LAST_USED_INTERVAL`` per key."""
        now = timezone.now()
        interval = token_settings().last_used_interval
        if key.last_used is not None and now - key.last_used < interval:
            return
        self.model.objects.filter(pk=key.pk).update(last_used=now)
        key.last_used = now
