"""View decorators and a mixin: choose the chain for a view, require an identity and scopes.

``auth_required`` and ``AuthRequiredMixin`` work on ``async def`` views too: the chain then
runs through :func:`~authgate.chain.aresolve`, off the event loop.
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
    "AuthRequiredMixin",
    "auth_required",
    "authenticate_with",
    "authgate_exempt",
    "require_scopes",
    "scopes_for",
]

View = TypeVar("View", bound=Callable[..., Any])
ScopeSpec = str | Iterable[str] | Mapping[str, str | Iterable[str]] | None


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


def scopes_for(spec: ScopeSpec, method: str) -> tuple[str, ...]:
    """The scopes ``spec`` requires for ``method`` (see :func:`auth_required`)."""
    if spec is None:
        return ()
    if isinstance(spec, str):
        return (spec,)
    if isinstance(spec, Mapping):
        chosen = spec.get(method)
        if chosen is None and method == "HEAD":
            chosen = spec.get("GET")
        if chosen is None:
            chosen = spec.get("*", ())
        return (chosen,) if isinstance(chosen, str) else tuple(chosen)
    return tuple(spec)


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
        require_scopes(identity, scopes_for(scopes, request.method or "GET"))
    except AuthgateError as exc:
        return error_response(request, exc)
    return None


def auth_required(view: View | None = None, *, scopes: ScopeSpec = None) -> Any:
    """Require an identity (401 with every challenge otherwise) and, optionally, scopes.

    ``scopes`` is one scope, several (all required), or a mapping from HTTP method to
    scopes (``{"GET": "notes:read", "POST": "notes:write"}``; HEAD follows GET).
    """

    def decorator(view_func: View) -> View:
        if iscoroutinefunction(view_func):

            @functools.wraps(view_func)
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                refused = await acheck_access(request, async_wrapper, scopes)
                if refused is not None:
                    return refused
                return await view_func(request, *args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(view_func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            refused = check_access(request, wrapper, scopes)
            if refused is not None:
                return refused
            return view_func(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator(view) if view is not None else decorator


class AuthRequiredMixin:
    """Class-based view mixin: ``required_scopes`` (same forms as ``auth_required``)."""

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
