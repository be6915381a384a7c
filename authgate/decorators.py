"""View decorators and a mixin: choose the chain for a view, require an identity and scopes.

``auth_required`` and ``AuthRequiredMixin`` work on ``async def`` views too: the chain then
runs through :func:`~authgate.chain.aresolve`, off the event loop.

Scope maps fail closed: ``{"GET": "notes:read", "POST": "notes:write"}`` refuses every other
method (403 ``insufficient_scope``, whoever asks) unless the map has a ``"*"`` entry, the
scopes of every method it does not name. HEAD and OPTIONS follow GET when the map does not
name them. :func:`scopes_for` is the one place that reads a spec; DRF's ``HasScope`` and the
Ninja auths use it too, and the system checks in :mod:`authgate.scope_checks` read the spec
that :func:`auth_required` records on the view (``authgate_scopes``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from authgate.chain import aresolve, backends_for_view, resolve
from authgate.errors import (
    INSUFFICIENT_SCOPE,
    AuthgateError,
    NotAuthenticated,
    PermissionDenied,
)
from authgate.identity import Identity
from authgate.responses import error_response

__all__ = [
    "ANY_METHOD",
    "AuthRequiredMixin",
    "auth_required",
    "authenticate_with",
    "authgate_exempt",
    "check_scopes",
    "require_scopes",
    "scopes_for",
]

View = TypeVar("View", bound=Callable[..., Any])
ScopeSpec = str | Iterable[str] | Mapping[str, str | Iterable[str]] | None

#: The scope-map key for every method the map does not name.
ANY_METHOD = "*"
#: Methods that take GET's scopes when a map does not name them: they read, and HEAD is
#: GET without the body. (A CORS preflight is an OPTIONS request without credentials: it
#: gets 401 from an ``auth_required`` view whatever the map says; answer preflights before
#: the view, e.g. with django-cors-headers' middleware.)
FOLLOW_GET = frozenset({"HEAD", "OPTIONS"})


def authenticate_with(*backend_paths: str) -> Callable[[View], View]:
    """Use this chain of backends (dotted paths) for the decorated view instead of the default."""

    def decorator(view: View) -> View:
        view.__dict__["authgate_backends"] = tuple(backend_paths)
        return view

    return decorator


def authgate_exempt(view: View) -> View:
    """Skip authgate's middleware for this view (it keeps Django's own ``request.user``)."""
    view.__dict__["authgate_exempt"] = True
    return view


def scopes_for(spec: ScopeSpec, method: str) -> tuple[str, ...] | None:
    """The scopes ``spec`` requires for ``method`` (see :func:`auth_required`); ``None``
    when ``spec`` is a map that does not allow ``method`` at all (fail closed)."""
    if spec is None:
        return ()
    if isinstance(spec, str):
        return (spec,)
    if isinstance(spec, Mapping):
        chosen = spec.get(method)
        if chosen is None and method in FOLLOW_GET:
            chosen = spec.get("GET")
        if chosen is None:
            chosen = spec.get(ANY_METHOD)
        if chosen is None:
            return None
        return (chosen,) if isinstance(chosen, str) else tuple(chosen)
    return tuple(spec)


def check_scopes(identity: Identity, spec: ScopeSpec, method: str) -> None:
    """Raise 403 ``insufficient_scope`` unless ``identity`` may make a ``method`` request
    under ``spec``: a method the map does not name is refused to every identity."""
    scopes = scopes_for(spec, method)
    if scopes is None:
        raise PermissionDenied(
            INSUFFICIENT_SCOPE,
            _("This endpoint's scope map does not allow %(method)s requests.") % {"method": method},
        )
    require_scopes(identity, scopes)


def require_scopes(identity: Identity, scopes: Iterable[str]) -> None:
    """Raise 403 ``insufficient_scope`` unless ``identity`` carries every scope."""
    missing = [scope for scope in scopes if not identity.has_scope(scope)]
    if missing:
        raise PermissionDenied(
            INSUFFICIENT_SCOPE,
            _("This credential lacks the required scope: %(scopes)s.")
            % {"scopes": " ".join(missing)},
            scope=" ".join(missing),
        )


def check_access(
    request: HttpRequest, view: Callable[..., Any], scopes: ScopeSpec
) -> HttpResponse | None:
    """Authenticate and check scopes; an error response, or ``None`` to go on to the view."""
    try:
        identity = resolve(request, backends_for_view(view))
    except AuthgateError as exc:
        return error_response(request, exc)
    return _check_identity(request, identity, scopes)


async def acheck_access(
    request: HttpRequest, view: Callable[..., Any], scopes: ScopeSpec
) -> HttpResponse | None:
    """:func:`check_access` for async views: the chain runs off the event loop."""
    try:
        identity = await aresolve(request, backends_for_view(view))
    except AuthgateError as exc:
        return error_response(request, exc)
    return _check_identity(request, identity, scopes)


def _check_identity(
    request: HttpRequest, identity: Identity | None, scopes: ScopeSpec
) -> HttpResponse | None:
    try:
        if identity is None:
            raise NotAuthenticated()
        check_scopes(identity, scopes, request.method or "GET")
    except AuthgateError as exc:
        return error_response(request, exc)
    return None


def auth_required(view: View | None = None, *, scopes: ScopeSpec = None) -> Any:
    """Require an identity (401 with every challenge otherwise) and, optionally, scopes.

    ``scopes`` is one scope, several (all required), or a mapping from HTTP method to
    scopes (``{"GET": "notes:read", "POST": "notes:write"}``; HEAD and OPTIONS follow GET).
    A map refuses the methods it does not name (403 ``insufficient_scope``) unless it has a
    ``"*"`` entry: ``{"GET": "notes:read", "*": "notes:write"}``.

    The spec is recorded on the view as ``authgate_scopes`` (outer decorators made with
    ``functools.wraps`` keep it), where the system checks find it.
    """

    def decorator(view_func: View) -> View:
        if iscoroutinefunction(view_func):

            @functools.wraps(view_func)
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                refused = await acheck_access(request, async_wrapper, scopes)
                if refused is not None:
                    return refused
                return await view_func(request, *args, **kwargs)

            async_wrapper.__dict__["authgate_scopes"] = scopes
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(view_func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            refused = check_access(request, wrapper, scopes)
            if refused is not None:
                return refused
            return view_func(request, *args, **kwargs)

        wrapper.__dict__["authgate_scopes"] = scopes
        return wrapper  # type: ignore[return-value]

    return decorator(view) if view is not None else decorator


class AuthRequiredMixin:
    """Class-based view mixin: ``required_scopes`` (same forms as ``auth_required``, the
    same fail-closed maps)."""

    required_scopes: ScopeSpec = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "view_is_async", False):
            return self._adispatch(request, *args, **kwargs)
        # The instance exposes the class's ``authgate_backends`` override to the chain.
        refused = check_access(request, self, self.required_scopes)  # type: ignore[arg-type]
        if refused is not None:
            return refused
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    async def _adispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        refused = await acheck_access(request, self, self.required_scopes)  # type: ignore[arg-type]
        if refused is not None:
            return refused
        return await super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
