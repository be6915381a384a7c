"""Django REST framework adapter: the same chain, as DRF authentication and permissions.

``AuthgateAuthentication`` runs the configured chain (or ``backends`` on a subclass, or the
view's ``authgate_backends``), and its ``authenticate_header`` lists every challenge, so a
DRF 401 names all schemes — not only the first class's, as DRF does by default. Use
:func:`exception_handler` for authgate's JSON error shape on every DRF error.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import exceptions as drf_exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from authgate.chain import backends_for_view, load_backends, request_backends, resolve
from authgate.decorators import require_scopes, scopes_for
from authgate.exceptions import AuthgateError
from authgate.identity import Identity
from authgate.responses import challenges

__all__ = ["AuthgateAuthentication", "HasScope", "exception_handler"]


class _AuthgateAPIException(drf_exceptions.APIException):
    """Carries an authgate error through DRF, keeping its status, code and detail."""

    def __init__(self, error: AuthgateError) -> None:
        self.status_code = error.status_code
        self.authgate_error = error
        super().__init__(detail=str(error.detail), code=error.code)


class AuthgateAuthentication(BaseAuthentication):
    """DRF authentication class for the whole authgate chain."""

    #: Dotted paths of backends; ``None`` means the view's override or ``AUTHGATE["BACKENDS"]``.
    backends: ClassVar[list[str] | None] = None

    def _backends(self, request: Any) -> Any:
        if self.backends is not None:
            return load_backends(self.backends)
        view = request.parser_context.get("view") if request.parser_context else None
        return backends_for_view(view) if view is not None else load_backends()

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        django_request = request._request
        try:
            identity = resolve(django_request, self._backends(request))
        except AuthgateError as exc:
            raise _AuthgateAPIException(exc) from None
        if identity is None:
            return None
        return identity.user, identity

    def authenticate_header(self, request: Any) -> str | None:
        django_request = request._request
        error = getattr(django_request, "_authgate_outcome", None)
        found = challenges(
            django_request,
            request_backends(django_request),
            error if isinstance(error, AuthgateError) else None,
        )
        return ", ".join(found) or None


class HasScope(BasePermission):
    """Permission: the credential carries the scope(s) (``HasScope("notes:read")``).

    Combine with DRF's ``&``, ``|`` and ``~``. A mapping of method → scopes works too.
    Credentials that did not come from authgate are not scope-limited.
    """

    def __init__(self, scopes: Any) -> None:
        self.scopes = scopes

    def __call__(self) -> HasScope:
        # DRF instantiates permission classes; an instance stands for itself.
        return self

    def has_permission(self, request: Any, view: Any) -> bool:
        identity = getattr(request, "auth", None)
        if not isinstance(identity, Identity):
            # Credentials from outside authgate (DRF's force_authenticate, another
            # authentication class) are not scope-limited: they carry the user's rights.
            return bool(request.user and request.user.is_authenticated)
        try:
            require_scopes(identity, scopes_for(self.scopes, request.method))
        except AuthgateError as exc:
            exc.backend = getattr(request._request, "_authgate_backend", None)
            raise _AuthgateAPIException(exc) from None
        return True


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's handler, answering with ``{"error": code, "detail": message}``."""
    # Imported here: rest_framework.views imports the authentication classes named in
    # settings, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, _AuthgateAPIException):
        error = exc.authgate_error
        response.data = error.as_dict()
        if error.status_code == 403 and error.code == "insufficient_scope" and error.backend:
            # RFC 6750 §3.1: name the scheme and the missing scope.
            challenge = error.backend.challenge(context["request"]._request, error)
            if challenge:
                response["WWW-Authenticate"] = challenge
        return response
    if isinstance(exc, drf_exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "invalid"
        response.data = {"error": code, "detail": exc.detail}
    return response
