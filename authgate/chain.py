"""Running the ordered chain of backends for a request.

This is the one place that decides who is calling. Every adapter (middleware, decorator,
DRF class, Ninja auth) calls :func:`resolve`, which runs the chain at most once per request
and caches the outcome — an :class:`Identity`, ``None`` (anonymous) or the error.
Adapters limited to some schemes (per-scheme DRF and Ninja classes) call
:func:`resolve_with`. The ``a``-prefixed twins are for async views and ASGI: backends are
sync (ORM) code, so they run in Django's thread-sensitive executor, off the event loop —
and not at all when the outcome is already cached.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from authgate.backend import Backend
from authgate.conf import on_reload, settings
from authgate.errors import (
    INSUFFICIENT_SCOPE,
    AuthgateError,
    PermissionDenied,
    ServiceUnavailable,
)
from authgate.identity import Identity

__all__ = [
    "aauthenticate",
    "aresolve",
    "aresolve_with",
    "authenticate",
    "backends_for_view",
    "check_restrictions",
    "load_backends",
    "request_backends",
    "resolve",
    "resolve_with",
    "unauthenticated_user",
]

logger = logging.getLogger("authgate.chain")

_UNSET = object()


@functools.lru_cache(maxsize=64)
def _load(paths: tuple[str, ...]) -> tuple[Backend, ...]:
    return tuple(import_string(path)() for path in paths)


def load_backends(paths: Iterable[str] | None = None) -> tuple[Backend, ...]:
    """Instances of the backends at ``paths`` (default: ``AUTHGATE["BACKENDS"]``), cached."""
    return _load(tuple(settings.BACKENDS if paths is None else paths))


on_reload(_load.cache_clear)


def backends_for_view(view_func: Callable[..., Any] | None) -> tuple[Backend, ...]:
    """The chain a view asked for (decorator or class attribute), else the configured one."""
    paths = getattr(view_func, "authgate_backends", None)
    if paths is None:
        view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
        paths = getattr(view_class, "authgate_backends", None)
    return load_backends(paths)


def authenticate(request: HttpRequest, backends: Sequence[Backend]) -> Identity | None:
    """Run ``backends`` in order; the first that recognises its credentials decides.

    Returns ``None`` when no backend found credentials. Raises :class:`AuthenticationFailed`
    (with ``backend`` set) for bad credentials, :class:`PermissionDenied` when the
    credential's restrictions forbid this request.
    """
    for backend in backends:
        try:
            credentials = backend.get_credentials(request)
            if credentials is None:
                continue
            if logger.isEnabledFor(logging.DEBUG):  # masking costs more than the check
                logger.debug(
                    "Authenticating with %r: %s",
                    backend,
                    backend.clean_credentials_for_display(credentials),
                )
            identity = backend.validate_credentials(request, credentials) or backend.authenticate(
                request, credentials
            )
        except AuthgateError as exc:
            exc.backend = backend
            logger.info("Authentication failed with %r: %s", backend, exc.code)
            raise
        except DatabaseError as exc:
            # Fail closed: the store that decides is unreachable, so nobody is let through,
            # and the client gets a 503 it can retry rather than a 500.
            logger.warning(
                "Authentication unavailable with %r: database error (%s)",
                backend,
                type(exc).__name__,
            )
            error = ServiceUnavailable()
            error.backend = backend
            raise error from exc
        request._authgate_backend = backend  # type: ignore[attr-defined]
        if backend.login_with_credentials:
            backend.start_session(request, identity)
        check_restrictions(request, identity, backend)
        return identity
    return None


def check_restrictions(
    request: HttpRequest, identity: Identity, backend: Backend | None = None
) -> None:
    """Refuse (403 ``insufficient_scope``) a request the credential's restrictions forbid."""
    if identity.restrictions is None:
        return
    match = getattr(request, "resolver_match", None)
    resource = match.view_name if match is not None else None
    object_id = None
    if match is not None and match.kwargs:
        object_id = str(match.kwargs.get("pk", next(iter(match.kwargs.values()))))
    if not identity.allows(
        request.method or "GET", resource=resource, path=request.path, object_id=object_id
    ):
        error = PermissionDenied(
            INSUFFICIENT_SCOPE,
            _("This credential does not allow %(method)s on this resource.")
            % {"method": request.method},
        )
        error.backend = backend
        raise error


def unauthenticated_user() -> Any:
    """The ``request.user`` for anonymous requests (``AUTHGATE["UNAUTHENTICATED_USER"]``)."""
    factory = settings.UNAUTHENTICATED_USER
    if factory is None:
        return None
    if isinstance(factory, str):
        factory = import_string(factory)
    return factory()


def resolve(request: HttpRequest, backends: Sequence[Backend] | None = None) -> Identity | None:
    """Authenticate ``request`` once; later calls return (or re-raise) the cached outcome.

    On success ``request.user`` and ``request.auth`` are set; when anonymous,
    ``request.user`` becomes the unauthenticated user and ``request.auth`` is ``None``.
    """
    cached = getattr(request, "_authgate_outcome", _UNSET)
    if cached is not _UNSET:
        if isinstance(cached, AuthgateError):
            raise cached
        return cached  # type: ignore[no-any-return,return-value]
    if backends is None:
        backends = load_backends()
    request._authgate_backends = tuple(backends)  # type: ignore[attr-defined]
    try:
        identity = authenticate(request, backends)
    except AuthgateError as exc:
        request._authgate_outcome = exc  # type: ignore[attr-defined]
        raise
    request._authgate_outcome = identity  # type: ignore[attr-defined]
    request.user = identity.user if identity is not None else unauthenticated_user()
    request.auth = identity  # type: ignore[attr-defined]
    return identity


def request_backends(request: HttpRequest) -> tuple[Backend, ...]:
    """The chain that was (or will be) used for ``request``, for building challenges."""
    return getattr(request, "_authgate_backends", None) or load_backends()


def _decided_by(request: HttpRequest, outcome: Any) -> Backend | None:
    """The backend that produced a cached outcome (``None`` for an anonymous outcome)."""
    if isinstance(outcome, AuthgateError):
        return outcome.backend  # type: ignore[no-any-return]
    if outcome is not None:
        return getattr(request, "_authgate_backend", None)
    return None


def _untried(request: HttpRequest, backends: Sequence[Backend]) -> list[Backend]:
    tried = {type(backend) for backend in getattr(request, "_authgate_backends", ())}
    return [backend for backend in backends if type(backend) not in tried]


def resolve_with(request: HttpRequest, backends: Sequence[Backend]) -> Identity | None:
    """The outcome for an adapter that accepts only ``backends`` (one scheme, or a few).

    The chain still runs once per request. If it already ran (the middleware, another
    adapter), its outcome counts only when one of ``backends`` decided it — an identity is
    returned, an error re-raised — and is ``None`` when another scheme decided. If it ended
    anonymous, those of ``backends`` it did not try run now and their outcome is cached.
    """
    backends = tuple(backends)
    cached = getattr(request, "_authgate_outcome", _UNSET)
    if cached is _UNSET:
        return resolve(request, backends)
    decided = _decided_by(request, cached)
    if decided is not None or cached is not None:
        if decided is None or not isinstance(decided, tuple(type(b) for b in backends)):
            return None
        return resolve(request)  # the cached identity, or its error re-raised
    untried = _untried(request, backends)
    if not untried:
        return None
    previous = tuple(getattr(request, "_authgate_backends", ()))
    del request._authgate_outcome  # type: ignore[attr-defined]
    try:
        return resolve(request, untried)
    finally:
        request._authgate_backends = (*previous, *untried)  # type: ignore[attr-defined]


# --- async twins ------------------------------------------------------------------------


async def aauthenticate(request: HttpRequest, backends: Sequence[Backend]) -> Identity | None:
    """:func:`authenticate` for async code: the backends run off the event loop."""
    return await sync_to_async(authenticate, thread_sensitive=True)(request, backends)


async def aresolve(
    request: HttpRequest, backends: Sequence[Backend] | None = None
) -> Identity | None:
    """:func:`resolve` for async views and ASGI middleware (no thread hop when cached)."""
    if getattr(request, "_authgate_outcome", _UNSET) is not _UNSET:
        return resolve(request, backends)
    return await sync_to_async(resolve, thread_sensitive=True)(request, backends)


async def aresolve_with(request: HttpRequest, backends: Sequence[Backend]) -> Identity | None:
    """:func:`resolve_with` for async code (no thread hop when nothing is left to run)."""
    cached = getattr(request, "_authgate_outcome", _UNSET)
    if cached is not _UNSET and (cached is not None or not _untried(request, backends)):
        return resolve_with(request, backends)
    return await sync_to_async(resolve_with, thread_sensitive=True)(request, backends)
