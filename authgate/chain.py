"""Running the ordered chain of backends for a request, and its one :class:`Outcome`.

This is the one place that decides who is calling. Every adapter (middleware, decorator,
DRF class, Ninja auth) calls :func:`resolve`, which runs the chain at most once per request
and keeps what it found on the request as an :class:`Outcome` — the identity or the error,
the backend that decided, and what each backend it ran said. Adapters limited to some
schemes (the per-scheme DRF and Ninja classes) call :func:`resolve_subset`, which walks
their backends through the same outcome and runs only those the chain has not run yet.

The ``a``-prefixed twins are for async views and ASGI: backends are sync (ORM) code, so they
run in Django's thread-sensitive executor, off the event loop — and not at all when the
outcome is already known.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from authgate.backend import Backend
from authgate.conf import chain_settings, on_reload
from authgate.errors import (
    INSUFFICIENT_SCOPE,
    AuthgateError,
    PermissionDenied,
    ServiceUnavailable,
)
from authgate.identity import Identity

__all__ = [
    "Outcome",
    "aauthenticate",
    "adopt",
    "aresolve",
    "aresolve_subset",
    "authenticate",
    "backends_for_view",
    "check_restrictions",
    "identity_of",
    "load_backends",
    "outcome_of",
    "required_identity",
    "resolve",
    "resolve_subset",
    "unauthenticated_user",
]

logger = logging.getLogger("authgate.chain")

#: Where the outcome is kept in ``request.__dict__`` (read through :func:`outcome_of`).
_OUTCOME = "_authgate_outcome"

#: What one backend said: not its credentials (``None``), an identity, or an error.
Result = Identity | AuthgateError | None


@dataclass(slots=True, eq=False)
class Outcome:
    """What the chain found for one request (Starlette keeps the same in ``scope["auth"]``).

    ``identity`` or ``error`` (at most one is set; neither means anonymous), the ``backend``
    that decided, ``results`` — what each backend that ran said, by backend class —,
    ``backends`` — the chain that ran, whose challenges a 401 names — and ``offered``, the
    backends of the per-scheme adapters that asked (their 401s name those).
    """

    backends: tuple[Backend, ...] = ()
    offered: tuple[Backend, ...] = ()
    results: dict[type[Backend], Result] = field(default_factory=dict)
    identity: Identity | None = None
    error: AuthgateError | None = None
    backend: Backend | None = None

    @property
    def decided(self) -> bool:
        """Whether credentials were recognised (an identity or an error)."""
        return self.identity is not None or self.error is not None

    def decided_by_one_of(self, backends: Iterable[Backend]) -> bool:
        """Whether the deciding backend is (an instance of the class of) one of ``backends``."""
        return self.backend is not None and type(self.backend) in {type(b) for b in backends}

    def unwrap(self) -> Identity | None:
        """The identity (``None`` when anonymous); the error is raised again."""
        if self.error is not None:
            raise self.error
        return self.identity

    def offer(self, backends: Iterable[Backend]) -> None:
        """Record that an adapter accepts ``backends`` (in order, once each)."""
        known = {type(b) for b in self.offered}
        self.offered += tuple(b for b in backends if type(b) not in known)


def outcome_of(request: HttpRequest) -> Outcome | None:
    """The chain's outcome for ``request``, or ``None`` if the chain has not run."""
    found: Outcome | None = request.__dict__.get(_OUTCOME)
    return found


def identity_of(request: HttpRequest) -> Identity | None:
    """The identity the chain found for ``request`` (``request.auth``, typed)."""
    outcome = outcome_of(request)
    return outcome.identity if outcome is not None else None


def required_identity(request: HttpRequest) -> Identity:
    """The identity of a request that ``auth_required`` (or a page) already let in."""
    identity = identity_of(request)
    if identity is None:  # a view wired without auth_required: a bug, not a client error
        raise RuntimeError("No authgate identity: is the view wrapped in auth_required?")
    return identity


@functools.lru_cache(maxsize=64)
def _load(paths: tuple[str, ...]) -> tuple[Backend, ...]:
    return tuple(import_string(path)() for path in paths)


def load_backends(paths: Iterable[str] | None = None) -> tuple[Backend, ...]:
    """Instances of the backends at ``paths`` (default: ``AUTHGATE["BACKENDS"]``), cached."""
    return _load(tuple(chain_settings().backends if paths is None else paths))


on_reload(_load.cache_clear)


def backends_for_view(view_func: Callable[..., Any] | None) -> tuple[Backend, ...]:
    """The chain a view asked for (decorator or class attribute), else the configured one."""
    paths = getattr(view_func, "authgate_backends", None)
    if paths is None:
        view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
        paths = getattr(view_class, "authgate_backends", None)
    return load_backends(paths)


def _run_backend(request: HttpRequest, backend: Backend) -> Identity | None:
    """One backend's answer: ``None`` (not its credentials), an identity, or a raise."""
    try:
        credentials = backend.get_credentials(request)
        if credentials is None:
            return None
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
        raise ServiceUnavailable() from exc
    if backend.login_with_credentials:
        backend.start_session(request, identity)
    check_restrictions(request, identity)
    return identity


def _walk(request: HttpRequest, outcome: Outcome, backends: Sequence[Backend]) -> None:
    """Run those of ``backends`` the outcome has no answer from, in order, until one decides."""
    for backend in backends:
        if outcome.decided:
            return
        if type(backend) in outcome.results:
            continue
        try:
            identity = _run_backend(request, backend)
        except AuthgateError as exc:
            outcome.results[type(backend)] = exc
            outcome.error, outcome.backend = exc, backend
            return
        outcome.results[type(backend)] = identity
        if identity is not None:
            outcome.identity, outcome.backend = identity, backend


def authenticate(request: HttpRequest, backends: Sequence[Backend]) -> Identity | None:
    """Run ``backends`` in order, without keeping anything; the first that recognises its
    credentials decides.

    Returns ``None`` when no backend found credentials. Raises :class:`AuthenticationFailed`
    for bad credentials, :class:`PermissionDenied` when the credential's restrictions forbid
    this request.
    """
    outcome = Outcome(backends=tuple(backends))
    _walk(request, outcome, outcome.backends)
    return outcome.unwrap()


def check_restrictions(request: HttpRequest, identity: Identity) -> None:
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
        raise PermissionDenied(
            INSUFFICIENT_SCOPE,
            _("This credential does not allow %(method)s on this resource.")
            % {"method": request.method},
        )


def unauthenticated_user() -> Any:
    """The ``request.user`` for anonymous requests (``AUTHGATE["UNAUTHENTICATED_USER"]``)."""
    factory = chain_settings().unauthenticated_user
    if factory is None:
        return None
    if isinstance(factory, str):
        factory = import_string(factory)
    return factory()


def _settle(request: HttpRequest, outcome: Outcome) -> None:
    """Set ``request.user`` and ``request.auth`` from the outcome (once it is final)."""
    if outcome.error is not None:
        return
    identity = outcome.identity
    request.user = identity.user if identity is not None else unauthenticated_user()
    request.__dict__["auth"] = identity


def adopt(request: HttpRequest, identity: Identity) -> None:
    """Make ``identity`` the request's outcome: a credential checked outside the chain
    (the magic-link view decorator) becomes ``request.user``/``request.auth`` the same way."""
    outcome = outcome_of(request) or _start(request, ())
    outcome.identity, outcome.error, outcome.backend = identity, None, None
    _settle(request, outcome)


def _start(request: HttpRequest, backends: Sequence[Backend]) -> Outcome:
    outcome = Outcome(backends=tuple(backends))
    request.__dict__[_OUTCOME] = outcome
    return outcome


def resolve(request: HttpRequest, backends: Sequence[Backend] | None = None) -> Identity | None:
    """Authenticate ``request`` once; later calls return (or re-raise) the kept outcome.

    On success ``request.user`` and ``request.auth`` are set; when anonymous,
    ``request.user`` becomes the unauthenticated user and ``request.auth`` is ``None``.
    """
    outcome = outcome_of(request)
    if outcome is None:
        outcome = _start(request, load_backends() if backends is None else backends)
        _walk(request, outcome, outcome.backends)
        _settle(request, outcome)
    return outcome.unwrap()


def resolve_subset(request: HttpRequest, backends: Sequence[Backend]) -> Identity | None:
    """The outcome for an adapter that accepts only ``backends`` (one scheme, or a few).

    The chain still runs once per request: an answer a backend already gave is reused.
    While nothing has decided, those of ``backends`` not yet run run now, in order. The
    result counts only when one of ``backends`` decided it — its identity is returned, its
    error raised — and is ``None`` when another scheme decided or none did.
    """
    outcome = outcome_of(request) or _start(request, ())
    outcome.offer(backends)
    if not outcome.decided:
        untried = tuple(b for b in backends if type(b) not in outcome.results)
        outcome.backends += untried
        _walk(request, outcome, untried)
        _settle(request, outcome)
    return outcome.unwrap() if outcome.decided_by_one_of(backends) else None


# --- async twins ------------------------------------------------------------------------


async def aauthenticate(request: HttpRequest, backends: Sequence[Backend]) -> Identity | None:
    """:func:`authenticate` for async code: the backends run off the event loop."""
    return await sync_to_async(authenticate, thread_sensitive=True)(request, backends)


async def aresolve(
    request: HttpRequest, backends: Sequence[Backend] | None = None
) -> Identity | None:
    """:func:`resolve` for async views and ASGI middleware (no thread hop when known)."""
    if outcome_of(request) is not None:
        return resolve(request, backends)
    return await sync_to_async(resolve, thread_sensitive=True)(request, backends)


async def aresolve_subset(request: HttpRequest, backends: Sequence[Backend]) -> Identity | None:
    """:func:`resolve_subset` for async code (no thread hop when nothing is left to run)."""
    outcome = outcome_of(request)
    if outcome is not None and (
        outcome.decided or all(type(b) in outcome.results for b in backends)
    ):
        return resolve_subset(request, backends)
    return await sync_to_async(resolve_subset, thread_sensitive=True)(request, backends)
