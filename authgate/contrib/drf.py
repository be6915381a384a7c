"""Django REST framework adapter: the same chain, as DRF authentication, permissions, throttles.

Authentication
    ``AuthgateAuthentication`` runs the configured chain (or ``backends`` on a subclass, or
    the view's ``authgate_backends``), and its ``authenticate_header`` lists every challenge,
    so a DRF 401 names all schemes — not only the first class's, as DRF does by default.
    The per-scheme classes (``SessionAuthentication``, ``BasicAuthentication``,
    ``TokenAuthentication``, ``ScopedTokenAuthentication``, ``LinkAuthentication``) accept
    an identity only when their scheme decided it; listed together on a view they share one
    run of the chain (:func:`authgate.chain.resolve_subset`).
Permissions
    ``HasScope("notes:read")`` (or a method → scopes mapping), ``TokenPolicyAllows`` (the
    credential's policy, object ids included) and ``IsTokenAuthenticated``; all compose
    with DRF's ``&``, ``|`` and ``~``.
Throttling
    ``TokenRateThrottle``: DRF's ``ScopedRateThrottle`` counted per credential (one API
    token, one scoped token, one link) rather than per user.

Use :func:`exception_handler` for authgate's JSON error shape on every DRF error.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from authgate.extras import MissingExtra

try:
    from rest_framework import exceptions as drf_exceptions
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.permissions import BasePermission, OperationHolderMixin
    from rest_framework.throttling import ScopedRateThrottle
except ImportError as exc:
    raise MissingExtra(__name__, "drf", "Django REST framework", exc) from exc

from authgate.backend import Backend
from authgate.chain import (
    backends_for_view,
    load_backends,
    outcome_of,
    resolve,
    resolve_subset,
)
from authgate.decorators import ScopeSpec, check_scopes, scopes_for
from authgate.errors import INSUFFICIENT_SCOPE, AuthgateError, PermissionDenied
from authgate.identity import Identity
from authgate.responses import challenges

__all__ = [
    "AuthgateAuthentication",
    "SessionAuthentication",
    "BasicAuthentication",
    "TokenAuthentication",
    "ScopedTokenAuthentication",
    "LinkAuthentication",
    "OAuthAuthentication",
    "HTTPSignatureAuthentication",
    "HasScope",
    "TokenPolicyAllows",
    "IsTokenAuthenticated",
    "TokenRateThrottle",
    "credential_key",
    "exception_handler",
]


#: Where ``HasScope`` leaves its refusal for :func:`exception_handler` (``request.__dict__``).
_SCOPE_ERROR = "_authgate_scope_error"


class _AuthgateAPIException(drf_exceptions.APIException):
    """Carries an authgate error through DRF, keeping its status, code and detail."""

    def __init__(self, error: AuthgateError) -> None:
        self.status_code = error.status_code
        self.authgate_error = error
        #: DRF's exception handler sends ``wait`` as ``Retry-After``.
        self.wait = error.retry_after
        super().__init__(detail=str(error.detail), code=error.code)


# --- authentication ---------------------------------------------------------------------


class AuthgateAuthentication(BaseAuthentication):
    """DRF authentication class for the whole authgate chain."""

    #: Dotted paths of backends; ``None`` means the view's override or ``AUTHGATE["BACKENDS"]``.
    backends: ClassVar[list[str] | None] = None

    def _backends(self, request: Any) -> tuple[Backend, ...]:
        if self.backends is not None:
            return load_backends(self.backends)
        view = request.parser_context.get("view") if request.parser_context else None
        return backends_for_view(view) if view is not None else load_backends()

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        django_request = request._request
        try:
            if self.backends is None:
                identity = resolve(django_request, self._backends(request))
            else:
                identity = resolve_subset(django_request, self._backends(request))
        except AuthgateError as exc:
            raise _AuthgateAPIException(exc) from None
        if identity is None:
            return None
        return identity.user, identity

    def authenticate_header(self, request: Any) -> str | None:
        django_request = request._request
        outcome = outcome_of(django_request)
        found = challenges(
            django_request,
            self._challenged(request, outcome),
            outcome.error if outcome is not None else None,
        )
        return ", ".join(found) or None

    def _challenged(self, request: Any, outcome: Any) -> tuple[Backend, ...]:
        """Whose challenges a 401 names: the chain that ran, or — for the per-scheme
        classes — every scheme the view's authgate classes accept, in the view's order."""
        if self.backends is None:
            return outcome.backends if outcome is not None else self._backends(request)
        paths: list[str] = []
        for authenticator in getattr(request, "authenticators", None) or (self,):
            if isinstance(authenticator, AuthgateAuthentication) and authenticator.backends:
                paths.extend(p for p in authenticator.backends if p not in paths)
        return load_backends(paths)


class SessionAuthentication(AuthgateAuthentication):
    """Django's session cookie, CSRF enforced on unsafe methods (``SessionBackend``)."""

    backends = ["authgate.schemes.session.SessionBackend"]


class BasicAuthentication(AuthgateAuthentication):
    """``Authorization: Basic …`` (RFC 7617), rate limited (``BasicBackend``)."""

    backends = ["authgate.schemes.basic.BasicBackend"]


class TokenAuthentication(AuthgateAuthentication):
    """Opaque API tokens: ``Authorization: Bearer|Token <agt_…>``, or ``DPoP <agt_…>`` with a
    proof for a DPoP-bound one (``TokenBackend``)."""

    backends = ["authgate.schemes.tokens.backend.TokenBackend"]


class ScopedTokenAuthentication(AuthgateAuthentication):
    """Signed scoped tokens: ``Authorization: TmpToken <ags1_…>`` or ``?TOKEN=``."""

    backends = ["authgate.schemes.scoped.backend.ScopedTokenBackend"]


class LinkAuthentication(AuthgateAuthentication):
    """Magic links: ``?sesame=<token>`` for one request (``LinkBackend``)."""

    backends = ["authgate.schemes.links.backend.LinkBackend"]


class OAuthAuthentication(AuthgateAuthentication):
    """OAuth 2.0 access tokens from an IdP: ``Authorization: Bearer <jwt>`` (``OAuthBackend``)."""

    backends = ["authgate.schemes.oauth.backend.OAuthBackend"]


class HTTPSignatureAuthentication(AuthgateAuthentication):
    """RFC 9421 HTTP Message Signatures with a registered key (``HTTPSignatureBackend``)."""

    backends = ["authgate.schemes.httpsig.backend.HTTPSignatureBackend"]


# --- permissions ------------------------------------------------------------------------


def _anonymous_or_foreign(request: Any) -> bool | None:
    """``None`` for an authgate identity; else whether the user is authenticated.

    Credentials from outside authgate (DRF's ``force_authenticate``, another authentication
    class) are not limited by authgate: they carry the user's rights.
    """
    if isinstance(getattr(request, "auth", None), Identity):
        return None
    return bool(request.user and request.user.is_authenticated)


class HasScope(OperationHolderMixin, BasePermission):
    """Permission: the credential carries the scope(s) (``HasScope("notes:read")``).

    ``scopes`` is one scope, several (all required), or a mapping of HTTP method → scopes
    (HEAD and OPTIONS follow GET); a map refuses every method it does not name unless it
    has a ``"*"`` entry (fail closed). Combine with DRF's ``&``, ``|`` and ``~``.
    Credentials that did not come from authgate are not scope-limited; session and Basic
    credentials carry every scope, but not a method the map leaves out.

    Refused alone, it answers 403 ``insufficient_scope`` with an RFC 6750 challenge naming
    the missing scope (with :func:`exception_handler`).
    """

    code = INSUFFICIENT_SCOPE
    message: Any = _("This credential lacks the required scope.")

    def __init__(self, scopes: ScopeSpec) -> None:
        self.scopes = scopes

    def __call__(self) -> HasScope:
        # DRF instantiates permission classes per request; a fresh copy keeps the refusal
        # message of one request out of another's.
        return type(self)(self.scopes)

    def __repr__(self) -> str:
        return f"HasScope({self.scopes!r})"

    def required(self, method: str) -> tuple[str, ...]:
        """The scopes this permission requires for ``method`` (OpenAPI uses this); ``()``
        for a method the map refuses outright."""
        return scopes_for(self.scopes, method) or ()

    def has_permission(self, request: Any, view: Any) -> bool:
        outside = _anonymous_or_foreign(request)
        if outside is not None:
            return outside
        try:
            check_scopes(request.auth, self.scopes, request.method)
        except AuthgateError as exc:
            self.message = str(exc.detail)
            # For exception_handler: the refusal with its scope, for the RFC 6750 challenge.
            request._request.__dict__[_SCOPE_ERROR] = exc
            return False
        request._request.__dict__[_SCOPE_ERROR] = None
        return True


class TokenPolicyAllows(BasePermission):
    """Permission: the credential's policy allows this method on the resolved view.

    The chain already refuses requests the policy forbids for the view (URL name) and the
    object id in the URL; this permission also asks about the *object* a detail view
    fetched (``has_object_permission`` with ``obj.pk``), so a djblets policy such as
    ``{"note-detail": {"7": {"allow": ["PUT"]}}}`` holds whatever the URL looks like.
    """

    code = INSUFFICIENT_SCOPE
    message = _("This credential's policy does not allow this request.")

    def has_permission(self, request: Any, view: Any) -> bool:
        outside = _anonymous_or_foreign(request)
        if outside is not None:
            return outside
        match = request._request.resolver_match
        object_id = None
        if match is not None and match.kwargs:
            object_id = str(match.kwargs.get("pk", next(iter(match.kwargs.values()))))
        return request.auth.allows(  # type: ignore[no-any-return]
            request.method,
            resource=match.view_name if match is not None else None,
            path=request._request.path,
            object_id=object_id,
        )

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        outside = _anonymous_or_foreign(request)
        if outside is not None:
            return outside
        match = request._request.resolver_match
        return request.auth.allows(  # type: ignore[no-any-return]
            request.method,
            resource=match.view_name if match is not None else None,
            object_id=str(getattr(obj, "pk", "")) or None,
        )


class IsTokenAuthenticated(BasePermission):
    """Permission: authenticated by a token (API token or scoped token), not a password,
    a session or a link. Keeps browsers' cookies off machine-to-machine endpoints."""

    #: The identity schemes that count as token authentication.
    schemes: ClassVar[tuple[str, ...]] = ("token", "scoped")
    message = _("This endpoint needs an API token.")

    def has_permission(self, request: Any, view: Any) -> bool:
        identity = getattr(request, "auth", None)
        return isinstance(identity, Identity) and identity.scheme in self.schemes


# --- throttling -------------------------------------------------------------------------


def credential_key(identity: Identity) -> str:
    """A stable, non-secret key for the credential behind ``identity``.

    ``token:<pk>`` for an API token, ``scoped:<hash>`` for a scoped token (its claims),
    ``link:<id>`` for a magic link, else ``user:<pk>`` (session, Basic).
    """
    credential = identity.credential
    if identity.scheme == "token" and getattr(credential, "pk", None) is not None:
        return f"token:{credential.pk}"
    if identity.scheme == "scoped" and credential is not None:
        claims = (
            f"{credential.user_pk}|{credential.issued_at}|{credential.expires_at}|"
            f"{sorted(credential.endpoints.items())}|{credential.revocation_tag.hex()}"
        )
        return "scoped:" + hashlib.sha256(claims.encode()).hexdigest()[:16]
    if identity.scheme == "link" and getattr(credential, "id", None):
        return f"link:{credential.id}"
    return f"user:{identity.user.pk}"


class TokenRateThrottle(ScopedRateThrottle):
    """DRF's ``ScopedRateThrottle`` (``throttle_scope`` on the view, rates in
    ``DEFAULT_THROTTLE_RATES``), counted per credential: each API token has its own budget,
    so one noisy integration does not exhaust its owner's other tokens. Requests without an
    authgate identity are counted per user, or per client IP when anonymous.
    """

    def get_cache_key(self, request: Any, view: Any) -> str:
        identity = getattr(request, "auth", None)
        if isinstance(identity, Identity):
            ident = credential_key(identity)
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


# --- errors -----------------------------------------------------------------------------


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's handler, answering with ``{"error": code, "detail": message}``."""
    # Imported here: rest_framework.views imports the authentication classes named in
    # settings, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    error: AuthgateError | None = None
    if isinstance(exc, _AuthgateAPIException):
        error = exc.authgate_error
    elif isinstance(exc, drf_exceptions.PermissionDenied) and exc.get_codes() == INSUFFICIENT_SCOPE:
        request = getattr(context.get("request"), "_request", None)
        error = getattr(request, _SCOPE_ERROR, None)
        if error is None or str(error.detail) != str(exc.detail):
            error = PermissionDenied(INSUFFICIENT_SCOPE, exc.detail)
    if error is not None:
        response.data = error.as_dict()
        outcome = outcome_of(context["request"]._request)
        decided = outcome.backend if outcome is not None else None
        if error.status_code == 403 and error.code == INSUFFICIENT_SCOPE and decided:
            # RFC 6750 §3.1: name the scheme that authenticated, and the missing scope.
            challenge = decided.challenge(context["request"]._request, error)
            if challenge:
                response["WWW-Authenticate"] = challenge
        return response
    if isinstance(exc, drf_exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "invalid"
        response.data = {"error": code, "detail": exc.detail}
    return response
