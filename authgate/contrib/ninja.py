"""Django Ninja adapter: the chain (or one scheme) as Ninja auth, sync and async, with scopes.

::

    from authgate.contrib.ninja import AuthgateNinjaAPI, AuthgateAuth, AsyncTokenAuth

    api = AuthgateNinjaAPI(auth=AuthgateAuth())        # every operation: the whole chain

    @api.get("/notes/", auth=AuthgateAuth(scopes="notes:read"))
    def notes(request): ...                             # request.auth is an Identity

    @api.get("/export/", auth=AsyncTokenAuth(scopes={"GET": "notes:read"}))
    async def export(request): ...                      # the chain runs off the event loop

``AuthgateAuth`` runs the configured chain; ``SessionAuth``, ``BasicAuth``, ``TokenAuth``,
``ScopedTokenAuth`` and ``LinkAuth`` accept only their scheme (several may be listed:
``auth=[TokenAuth(), BasicAuth()]``, the chain still runs once). Each has an ``Async`` twin
for ``async def`` operations. ``scopes`` takes the forms of
:func:`~authgate.decorators.auth_required` (a map refuses the methods it does not name,
unless it has a ``"*"`` entry): a missing scope is 403 ``insufficient_scope``.

:class:`AuthgateNinjaAPI` (or :func:`install` on your own ``NinjaAPI``) answers with
authgate's JSON error shape and ``WWW-Authenticate`` challenges, and writes every scheme of
each auth, with the operation's scopes, into the OpenAPI schema (names as in
:mod:`authgate.contrib.openapi`). On a plain ``NinjaAPI`` each auth shows as one scheme.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse

from authgate.extras import MissingExtra

try:
    from ninja import NinjaAPI
    from ninja.errors import AuthenticationError
    from ninja.openapi.schema import OpenAPISchema
    from ninja.security.base import AuthBase
except ImportError as exc:
    raise MissingExtra(__name__, "ninja", "Django Ninja", exc) from exc

from authgate.backend import Backend
from authgate.chain import (
    Outcome,
    aresolve,
    aresolve_subset,
    load_backends,
    outcome_of,
    resolve,
    resolve_subset,
)
from authgate.contrib.openapi import security_schemes
from authgate.decorators import ScopeSpec, check_scopes, scopes_for
from authgate.errors import AuthgateError, NotAuthenticated
from authgate.identity import Identity
from authgate.responses import error_response

__all__ = [
    "AuthgateAuth",
    "SessionAuth",
    "BasicAuth",
    "TokenAuth",
    "ScopedTokenAuth",
    "LinkAuth",
    "OAuthAuth",
    "AsyncAuthgateAuth",
    "AsyncSessionAuth",
    "AsyncBasicAuth",
    "AsyncTokenAuth",
    "AsyncScopedTokenAuth",
    "AsyncLinkAuth",
    "AsyncOAuthAuth",
    "HTTPSignatureAuth",
    "AsyncHTTPSignatureAuth",
    "AuthgateNinjaAPI",
    "install",
]


class AuthgateAuth(AuthBase):
    """Ninja auth for the whole authgate chain (``AUTHGATE["BACKENDS"]``)."""

    #: Required by Ninja's ``AuthBase``; the real schemes come from the backends.
    openapi_type: str = "http"
    #: Dotted paths of backends; ``None``: the configured chain.
    backends: ClassVar[list[str] | None] = None

    def __init__(self, scopes: ScopeSpec = None, *, backends: Iterable[str] | None = None):
        self.scopes = scopes
        self._paths = list(backends) if backends is not None else self.backends
        super().__init__()
        self.is_async = False

    # Ninja's plain schema generator reads one scheme per auth: the first of ours.
    @property  # type: ignore[override]
    def openapi_security_schema(self) -> dict[str, Any]:
        schemes = self.security_schemes()
        return next(iter(schemes.values()), {"type": "http", "scheme": "bearer"})

    @openapi_security_schema.setter
    def openapi_security_schema(self, value: Any) -> None:
        pass  # AuthBase.__init__ assigns one; ours is computed from the backends

    def get_backends(self) -> tuple[Backend, ...]:
        """The backends this auth accepts."""
        return load_backends(self._paths)

    def security_schemes(self) -> dict[str, dict[str, Any]]:
        """The OpenAPI security schemes of :meth:`get_backends`, by name."""
        return security_schemes(self.get_backends())

    def required_scopes(self, methods: Iterable[str]) -> list[str]:
        """The scopes required for any of ``methods`` (for the schema)."""
        found: list[str] = []
        for method in methods:
            scopes = scopes_for(self.scopes, method.upper()) or ()
            found.extend(s for s in scopes if s not in found)
        return found

    def _check(self, request: HttpRequest, identity: Identity | None) -> Identity | None:
        if identity is not None:
            check_scopes(identity, self.scopes, request.method or "GET")
        return identity

    def _offer(self, request: HttpRequest) -> None:
        # This auth's schemes: the operation's 401 names each of them (Outcome.offered).
        outcome = outcome_of(request)
        if outcome is not None:
            outcome.offer(self.get_backends())

    def resolve(self, request: HttpRequest) -> Identity | None:
        """Run (or reuse) the chain for ``request``; the identity if this auth accepts it."""
        if self._paths is not None:
            return resolve_subset(request, self.get_backends())
        try:
            return resolve(request, self.get_backends())
        finally:
            self._offer(request)

    async def aresolve(self, request: HttpRequest) -> Identity | None:
        """:meth:`resolve` for async operations: the backends run off the event loop."""
        if self._paths is not None:
            return await aresolve_subset(request, self.get_backends())
        try:
            return await aresolve(request, self.get_backends())
        finally:
            self._offer(request)

    def __call__(self, request: HttpRequest) -> Identity | None:
        return self._check(request, self.resolve(request))


class _AsyncMixin:
    """Makes an auth class async: Ninja awaits it in ``async def`` operations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_async = True

    async def __call__(self, request: HttpRequest) -> Identity | None:  # type: ignore[override]
        auth: AuthgateAuth = self  # type: ignore[assignment]
        return auth._check(request, await auth.aresolve(request))


class SessionAuth(AuthgateAuth):
    """Django's session cookie, CSRF enforced on unsafe methods."""

    backends = ["authgate.schemes.session.SessionBackend"]


class BasicAuth(AuthgateAuth):
    """``Authorization: Basic …`` (RFC 7617), rate limited."""

    backends = ["authgate.schemes.basic.BasicBackend"]


class TokenAuth(AuthgateAuth):
    """API tokens: ``Authorization: Bearer|Token <agt_…>`` (``DPoP`` with a proof if bound)."""

    backends = ["authgate.schemes.tokens.backend.TokenBackend"]


class ScopedTokenAuth(AuthgateAuth):
    """Signed scoped tokens: ``Authorization: TmpToken <ags1_…>`` or ``?TOKEN=``."""

    backends = ["authgate.schemes.scoped.backend.ScopedTokenBackend"]


class LinkAuth(AuthgateAuth):
    """Magic links: ``?sesame=<token>`` for one request."""

    backends = ["authgate.schemes.links.backend.LinkBackend"]


class OAuthAuth(AuthgateAuth):
    """OAuth 2.0 access tokens from an IdP: ``Authorization: Bearer <jwt>`` (RFC 6750)."""

    backends = ["authgate.schemes.oauth.backend.OAuthBackend"]


class HTTPSignatureAuth(AuthgateAuth):
    """RFC 9421 HTTP Message Signatures with a registered key (``HTTPSignatureBackend``)."""

    backends = ["authgate.schemes.httpsig.backend.HTTPSignatureBackend"]


class AsyncAuthgateAuth(_AsyncMixin, AuthgateAuth):  # type: ignore[misc]
    """:class:`AuthgateAuth` for ``async def`` operations."""


class AsyncSessionAuth(_AsyncMixin, SessionAuth):  # type: ignore[misc]
    """:class:`SessionAuth` for ``async def`` operations."""


class AsyncBasicAuth(_AsyncMixin, BasicAuth):  # type: ignore[misc]
    """:class:`BasicAuth` for ``async def`` operations."""


class AsyncTokenAuth(_AsyncMixin, TokenAuth):  # type: ignore[misc]
    """:class:`TokenAuth` for ``async def`` operations."""


class AsyncScopedTokenAuth(_AsyncMixin, ScopedTokenAuth):  # type: ignore[misc]
    """:class:`ScopedTokenAuth` for ``async def`` operations."""


class AsyncLinkAuth(_AsyncMixin, LinkAuth):  # type: ignore[misc]
    """:class:`LinkAuth` for ``async def`` operations."""


class AsyncOAuthAuth(_AsyncMixin, OAuthAuth):  # type: ignore[misc]
    """:class:`OAuthAuth` for ``async def`` operations."""


class AsyncHTTPSignatureAuth(_AsyncMixin, HTTPSignatureAuth):  # type: ignore[misc]
    """:class:`HTTPSignatureAuth` for ``async def`` operations."""


# --- errors and schema ------------------------------------------------------------------


def _authgate_error(request: HttpRequest, exc: AuthgateError) -> HttpResponse:
    return error_response(request, exc, _offered(outcome_of(request)))


def _not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, NotAuthenticated(), _offered(outcome_of(request)))


def _offered(outcome: Outcome | None) -> tuple[Backend, ...] | None:
    """The schemes the operation's auths accept (``None``: the chain that ran)."""
    return (outcome.offered or None) if outcome is not None else None


def install(api: NinjaAPI) -> NinjaAPI:
    """Answer authgate errors and Ninja's 401 with authgate's JSON shape and challenges."""
    api.add_exception_handler(AuthgateError, _authgate_error)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, _not_authenticated)  # type: ignore[arg-type]
    return api


class _Schema(OpenAPISchema):
    """Ninja's schema, with every scheme of an authgate auth and the operation's scopes."""

    def operation_security(self, operation: Any) -> list[dict[str, Any]] | None:
        if not operation.auth_callbacks:
            return None
        result: list[dict[str, Any]] = []
        for auth in operation.auth_callbacks:
            if isinstance(auth, AuthgateAuth):
                scopes = auth.required_scopes(operation.methods)
                for name, scheme in auth.security_schemes().items():
                    self.securitySchemes.setdefault(name, scheme)
                    if {name: scopes} not in result:
                        result.append({name: scopes})
            elif hasattr(auth, "openapi_security_schema"):
                name = type(auth).__name__
                self.securitySchemes[name] = auth.openapi_security_schema
                result.append({name: []})
        return result


class AuthgateNinjaAPI(NinjaAPI):
    """``NinjaAPI`` with authgate's error responses and security schemes in the schema."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        install(self)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _Schema(self, path_prefix)
