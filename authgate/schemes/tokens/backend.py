"""API tokens: ``Authorization: Bearer <token>`` (RFC 6750) or ``Token <token>`` (DRF, djblets),
and ``DPoP <token>`` with a proof for a DPoP-bound token (RFC 9449, :mod:`.binding`).

The request path, in order, and what it costs:

1. the header keyword (``TOKEN_KEYWORDS``, case-insensitive) says the token is ours;
2. :func:`authgate.core.opaque.is_valid` checks the prefix, length, alphabet and CRC32
   checksum — garbage and typos are refused here with **no database query**;
3. :meth:`~authgate.schemes.tokens.store.TokenStore.lookup` runs **one** indexed query: the
   row by digest, joined with its user (or answers from a cache, with none);
4. revocation, expiry, the user's ``is_active`` (re-checked on every use: simplejwt's
   CVE-2024-22513 minted tokens for deactivated users), client IP, and ``max_uses``
   (a conditional UPDATE, so a one-time token works exactly once across workers);
   a DPoP-bound token's proof (one signature verification) before a use is counted;
5. ``last_used`` is noted in memory and written in batches, off the request path
   (:mod:`authgate.schemes.tokens.usage`); with ``TOKEN_USAGE_FLUSH_INTERVAL = None``, at most once
   per ``TOKEN_LAST_USED_INTERVAL`` by a conditional UPDATE on the request path.

The token's djblets policy and scopes compile (cached:
:mod:`~authgate.schemes.tokens.restrictions`) into one ``Policy`` that the chain enforces
on every request.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from typing import Any

from django.contrib import auth
from django.core.cache import caches
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from authgate import audit
from authgate.audit import TokenEvent
from authgate.backend import (
    AuthorizationHeaderBackend,
    Credentials,
    bearer_challenge,
    get_authorization,
    openapi_header_scheme,
    openapi_query_scheme,
    openapi_scheme_name,
)
from authgate.clientip import client_ip
from authgate.conf import chain_settings
from authgate.core import opaque
from authgate.errors import (
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    PERMISSION_DENIED,
    REVOKED_TOKEN,
    AuthenticationFailed,
    AuthgateError,
    PermissionDenied,
)
from authgate.identity import Identity
from authgate.schemes.tokens import binding, legacy, usage
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.restrictions import ip_allowed, restrictions_for
from authgate.schemes.tokens.service import CREDENTIAL_KIND
from authgate.schemes.tokens.settings import TokenSettings, token_settings
from authgate.schemes.tokens.store import token_store
from authgate.signals import token_expired_use

__all__ = [
    "DEPRECATED_HEADER",
    "DRF_KEY_RE",
    "SESSION_KIND",
    "TokenBackend",
    "check_token",
    "restrictions_for",
    "restore_from_session",
]

logger = logging.getLogger(__name__)

#: djblets' header for tokens of a deprecated format (imported DRF keys).
DEPRECATED_HEADER = "X-API-Token-Deprecated"
#: A ``rest_framework.authtoken`` key: 40 lowercase hex characters (no checksum).
DRF_KEY_RE = legacy.DRF_KEY_RE
#: The ``kind`` under which a token-started session remembers its token.
SESSION_KIND = "api_token"


def _format_date(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else ""


# --- checks -----------------------------------------------------------------------------


def _note_failure(token: APIToken, kind: str, request: HttpRequest | None, **detail: Any) -> None:
    """Audit a refused use of a known token, at most once per token, kind and interval.

    A leaked, revoked token may be replayed in a loop; the trail needs the first sighting,
    not a database write per attempt. The cache de-duplicates; if it is down, skip.
    """
    interval = max(1, int(token_settings().last_used_interval.total_seconds()))
    try:
        if not caches[chain_settings().cache].add(
            f"authgate:apitoken-fail:{token.pk}:{kind}", 1, interval
        ):
            return
    except Exception:
        logger.warning("Cache unavailable: not auditing a refused API token use")
        return
    audit.record(
        kind,
        credential_kind=CREDENTIAL_KIND,
        credential_id=token.display_prefix,
        user=token.user,
        request=request,
        token_id=token.pk,
        **detail,
    )


def check_token(
    token: APIToken,
    request: HttpRequest | None,
    *,
    now: datetime | None = None,
    for_session: bool = False,
) -> None:
    """Refuse a token that is revoked, expired, used up, of an inactive user or out of its
    IP allowlist; used for the header and for a token-started session alike (a session
    started by a limited token is not a further use of it)."""
    now = now or timezone.now()
    if token.is_revoked(now):
        _note_failure(token, TokenEvent.Kind.FAILED, request, reason="revoked")
        detail = (
            _("This API token became invalid on %(date)s: %(reason)s")
            if token.revoked_reason
            else _("This API token became invalid on %(date)s.")
        )
        raise AuthenticationFailed(
            REVOKED_TOKEN,
            detail % {"date": _format_date(token.revoked_at), "reason": token.revoked_reason},
        )
    if token.is_expired(now):
        _note_failure(token, TokenEvent.Kind.EXPIRED_USE, request)
        token_expired_use.send(sender=APIToken, token=token, request=request)
        raise AuthenticationFailed(
            EXPIRED_TOKEN,
            _("This API token expired on %(date)s.") % {"date": _format_date(token.expires)},
        )
    if not token.user.is_active:
        raise AuthenticationFailed(INVALID_TOKEN, _("User inactive or deleted."))
    if token.is_used_up() and not for_session:
        raise AuthenticationFailed(
            INVALID_TOKEN, _("This API token has been used the maximum number of times.")
        )
    if token.allowed_ips and not ip_allowed(
        token.allowed_ips, client_ip(request) if request is not None else ""
    ):
        _note_failure(token, TokenEvent.Kind.FAILED, request, reason="ip_not_allowed")
        raise PermissionDenied(
            PERMISSION_DENIED, _("This API token may not be used from your IP address.")
        )


def _consume_use(token: APIToken) -> None:
    """Count one use of a limited token; the database decides who gets the last one."""
    updated = APIToken.objects.filter(pk=token.pk, use_count__lt=F("max_uses")).update(
        use_count=F("use_count") + 1
    )
    if not updated:
        raise AuthenticationFailed(
            INVALID_TOKEN, _("This API token has been used the maximum number of times.")
        )
    token.use_count += 1


def _touch(token: APIToken, request: HttpRequest, now: datetime) -> None:
    """Record ``last_used`` (and the client IP): buffered, or written at most once per
    interval when uses are written through."""
    if usage.record(token, request, now):  # written by the flush, off this path
        return
    interval = token_settings().last_used_interval
    if token.last_used is not None and token.last_used > now - interval:
        return
    ip = client_ip(request) or None
    # Conditional: of many workers seeing a stale last_used, one writes.
    updated = (
        APIToken.objects.filter(pk=token.pk)
        .filter(Q(last_used__isnull=True) | Q(last_used__lte=now - interval))
        .update(last_used=now, last_used_ip=ip)
    )
    if updated and ip and token.last_used_ip and ip != token.last_used_ip:
        audit.record(
            TokenEvent.Kind.USED_NEW_IP,
            credential_kind=CREDENTIAL_KIND,
            credential_id=token.display_prefix,
            user=token.user,
            request=request,
            token_id=token.pk,
            previous_ip=token.last_used_ip,
        )
    token.last_used, token.last_used_ip = now, ip
    token_store().written(token)


def _identity(token: APIToken) -> Identity:
    # Positional (user, scheme, credential, restrictions, expires_at, response_headers):
    # keyword arguments cost a third of the construction, on every request.
    return Identity(
        token.user,
        "token",
        token,
        restrictions_for(token),
        token.expires,
        (
            {DEPRECATED_HEADER: _("This API token uses a deprecated format. Issue a new one.")}
            if token.is_deprecated_format
            else {}
        ),
    )


# --- the backend ------------------------------------------------------------------------


class TokenBackend(AuthorizationHeaderBackend):
    """Opaque API tokens from the ``Authorization`` header (or an opt-in query parameter)."""

    scheme = "Bearer"
    settings_section = TokenSettings

    @property  # type: ignore[override]
    def login_with_credentials(self) -> bool:  # type: ignore[override]
        return token_settings().start_session

    def get_keywords(self) -> tuple[str, ...]:
        config = token_settings()
        if config.accept_api_keys:  # djangorestframework-api-key's clients, migrating
            return (*config.keywords, legacy.API_KEY_KEYWORD)
        return config.keywords

    def challenge(self, request: HttpRequest, error: AuthgateError | None = None) -> str:
        if error is None:
            return bearer_challenge(self.get_keywords()[0])
        return binding.challenge(request, self.get_keywords()[0], error)

    def challenges(self, request: HttpRequest, error: AuthgateError | None = None) -> list[str]:
        """``Bearer`` and ``DPoP`` (RFC 9449 §7.1) when a DPoP credential or a bound token
        was refused; the one ``Bearer`` challenge otherwise."""
        both = binding.challenges(request, self.get_keywords()[0], error)
        return both if both is not None else super().challenges(request, error)

    def get_auth_headers(self, request: HttpRequest) -> dict[str, str]:
        """``DPoP-Nonce`` on a DPoP request's 401, with ``DPOP_NONCES`` on."""
        return binding.error_headers(request)

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        """``bearerAuth`` (http bearer) for ``Bearer``, an apiKey header scheme for each
        other keyword (``tokenAuth``), and ``tokenQuery`` when ``TOKEN_QUERY_PARAM`` is set."""
        found: dict[str, dict[str, Any]] = {}
        for keyword in self.get_keywords():
            if keyword.lower() == "bearer":
                found["bearerAuth"] = {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`agt_…`), RFC 6750.",
                }
            else:
                found[openapi_scheme_name(keyword)] = openapi_header_scheme(
                    keyword, "An API token (`agt_…`)."
                )
        param = token_settings().query_param
        if param:
            found["tokenQuery"] = openapi_query_scheme(param, "An API token in the URL.")
        return found

    def get_credentials(self, request: HttpRequest) -> Credentials | None:
        credentials = super().get_credentials(request)
        if credentials is not None:
            return credentials  # the header's (the common case: no second settings read)
        config = token_settings()
        found = binding.credentials(request, config.prefix)  # DPoP agt_…: by shape
        if found is not None:
            return found
        param = config.query_param
        if param and get_authorization(request) is None:
            value = request.GET.get(param)
            if value:
                return {"token": value, "keyword": "query"}
        return None

    def parse_credentials(self, token: str, *, keyword: str) -> Credentials:
        return {"token": token, "keyword": keyword}

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        presented = credentials["token"]
        is_dpop = "dpop" in credentials
        config = token_settings()
        if opaque.is_valid(presented, prefixes=(config.prefix,)):
            token_digest = opaque.digest(presented)
            token = token_store().lookup(token_digest)
            if (
                token is None
                or token.token_format != APIToken.Format.OPAQUE
                or not hmac.compare_digest(token.digest, token_digest)
            ):
                raise AuthenticationFailed(INVALID_TOKEN, _("Invalid token."))
        elif is_dpop:  # only agt_ tokens are bound: no other format is looked up
            raise AuthenticationFailed(INVALID_TOKEN, _("Invalid token."))
        else:
            # Malformed or a bad checksum, unless a migration accepts another package's
            # credentials of this shape: refused before any database work.
            token = self._legacy(presented, credentials["keyword"], config)
        now = timezone.now()
        check_token(token, request, now=now)
        if token.dpop_jkt or is_dpop:
            self._check_binding(request, token, presented, is_dpop=is_dpop)
        if token.max_uses is not None:
            _consume_use(token)
        _touch(token, request, now)
        if token.token_format != APIToken.Format.OPAQUE:
            legacy.note_use(token, request)
        return _identity(token)

    @staticmethod
    def _check_binding(
        request: HttpRequest, token: APIToken, presented: str, *, is_dpop: bool
    ) -> None:
        """:func:`.binding.check`; a refusal that suggests a stolen token is audited."""
        try:
            binding.check(request, token, presented, is_dpop=is_dpop)
        except AuthenticationFailed as exc:
            if "audit" in exc.extra:
                _note_failure(token, TokenEvent.Kind.FAILED, request, reason=exc.extra["audit"])
            raise

    @staticmethod
    def _legacy(presented: str, keyword: str, config: TokenSettings) -> APIToken:
        """The imported row of a DRF, knox or api-key credential (:mod:`.legacy`): one
        indexed query, as for an ``agt_`` token (two on a first use that imports)."""
        for candidate in legacy.recognise(presented, keyword, config):
            token = token_store().lookup(candidate.digest)
            if token is None:
                token = legacy.first_use(candidate, presented)
            if token is not None and legacy.matches(token, candidate):
                return token
        raise AuthenticationFailed(INVALID_TOKEN, _("Invalid token."))

    def start_session(self, request: HttpRequest, identity: Identity) -> None:
        """Log in, and remember the token so its restrictions follow the session.

        The session keeps the token's limits: :func:`restore_from_session` re-reads the
        token on every request (scopes, policy, allowlist, expiry, revocation), and
        :mod:`authgate.derive` refuses keys and magic links to such a session. A limited-use
        token starts no session (its uses would not bind the session)."""
        from authgate.derive import SessionRequest, derive
        from authgate.schemes.session import SESSION_CREDENTIAL_KEY, remember_credential

        session = getattr(request, "session", None)
        if session is None or identity.credential.dpop_jkt:
            return  # a session cookie is a bearer credential: a DPoP-bound token starts none
        try:
            derive(identity, SessionRequest())
        except AuthgateError:
            return  # a limited-use token: a session would outlive its uses
        user = identity.user
        stored = {"kind": SESSION_KIND, "id": identity.credential.pk}
        if (
            session.get(auth.SESSION_KEY) == user._meta.pk.value_to_string(user)
            and session.get(SESSION_CREDENTIAL_KEY) == stored
        ):
            return  # this token's session already: no new login (and no session write)
        super().start_session(request, identity)
        remember_credential(request, SESSION_KIND, identity.credential.pk)


def restore_from_session(request: HttpRequest, identity: Identity, token_id: Any) -> Identity:
    """For a session started by a token: the token's identity if it is still valid.

    djblets keeps the policy of the token that started a session but never re-checks the
    token; here a revoked or expired token ends the session's rights with it.
    """
    token = APIToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or token.user_id != identity.user.pk:
        raise AuthenticationFailed(
            REVOKED_TOKEN, _("The API token that started this session no longer exists.")
        )
    check_token(token, request, for_session=True)
    return _identity(token)
