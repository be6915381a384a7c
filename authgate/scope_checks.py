"""System checks on the scopes the mounted views require: ``authgate.W003`` and ``W004``.

The URL resolver is walked (:mod:`authgate.urlviews`) and every scope requirement found on
a view is read:

* function views decorated with :func:`~authgate.decorators.auth_required` (the decorator
  records its spec as ``authgate_scopes``; outer ``functools.wraps`` decorators keep it);
* class-based views with :class:`~authgate.decorators.AuthRequiredMixin`
  (``required_scopes``, or the ``as_view()`` argument);
* DRF views and viewsets: the ``HasScope`` instances of their ``permission_classes``, also
  inside ``&`` and ``|`` (not under ``~``, which inverts them);
* Django Ninja operations: the ``scopes`` of their authgate auths.

``W003``: a scope map leaves out an unsafe method (POST, PUT, PATCH, DELETE) the view
accepts and has no ``"*"`` entry, so every credential is refused that method. When the view
does not say which methods it accepts (a function view: ``require_http_methods`` cannot be
read back), it warns only if the map names none of the unsafe methods.

``W004``: a view requires a scope that is not registered in ``AUTHGATE["SCOPES"]``: no API
or scoped token can carry it (a typo, most often). authgate's own views are left out (their
``tokens:manage`` is optional by design).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register

from authgate.checks import setting_value
from authgate.decorators import ANY_METHOD, AuthRequiredMixin, ScopeSpec, scopes_for
from authgate.urlviews import MountedView, accepted_methods, mounted_views, view_class

__all__ = ["ScopeUse", "check_scope_maps", "scope_uses"]

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

_W003_HINT = (
    'Name each method the view accepts, e.g. {"GET": "notes:read", "POST": "notes:write", '
    '"DELETE": "notes:write"}, or add a "*" entry for every other method. A view that '
    "answers only reads can require one scope (a string) instead of a map."
)
_W004_HINT = (
    "Register it in AUTHGATE['SCOPES'] (name → description): API tokens and scoped tokens "
    "carry only registered scopes, so until then only unrestricted credentials (sessions, "
    "Basic, tokens without scopes) get in. Scopes granted by an OAuth server need no "
    "registration: silence this check with SILENCED_SYSTEM_CHECKS."
)


@dataclass(frozen=True, slots=True)
class ScopeUse:
    """One scope requirement found on a mounted view."""

    view: MountedView
    #: How it was declared, for messages ("auth_required", "HasScope", …).
    where: str
    spec: ScopeSpec
    #: The methods the requirement applies to: what the view (or operation) accepts;
    #: ``None`` when unknown.
    methods: frozenset[str] | None
    #: The view's dotted name (a Ninja operation's function), for messages.
    name: str = ""

    @property
    def label(self) -> str:
        """``/api/notes/<int:pk>/ (notes.views.note_detail)``: the check message's object."""
        return f"/{self.view.route.lstrip('/')} ({self.name or self.view.name})"


def _has_scope_instances(permission: Any) -> Iterator[Any]:
    try:  # DRF is optional: imported only for views that have permission_classes
        from authgate.contrib.drf import HasScope
    except ImportError:
        return
    if isinstance(permission, HasScope):
        yield permission
    elif hasattr(permission, "op1_class") and hasattr(permission, "op2_class"):
        # DRF's `&` / `|` (OperandHolder); `~` (SingleOperandHolder) has no op2_class.
        yield from _has_scope_instances(permission.op1_class)
        yield from _has_scope_instances(permission.op2_class)


def _ninja_operations(callback: Any) -> list[Any]:
    """The operations behind a Ninja URL callback (a closure over its ``PathView``)."""
    try:
        from ninja.operation import PathView
    except ImportError:
        return []
    try:
        path_view = inspect.getclosurevars(callback).nonlocals.get("self")
    except (TypeError, ValueError):
        return []
    return list(path_view.operations) if isinstance(path_view, PathView) else []


def scope_uses(view: MountedView) -> Iterator[ScopeUse]:
    """Every scope requirement ``view`` declares."""
    callback = view.callback
    methods = accepted_methods(callback)
    spec = getattr(callback, "authgate_scopes", None)
    if spec is not None:
        yield ScopeUse(view, "auth_required", spec, methods)
    cls = view_class(callback)
    initkwargs = getattr(callback, "view_initkwargs", None) or {}
    if cls is not None and issubclass(cls, AuthRequiredMixin):
        spec = initkwargs.get("required_scopes", cls.required_scopes)
        if spec is not None:
            yield ScopeUse(view, "required_scopes", spec, methods)
    if cls is not None and hasattr(cls, "permission_classes"):
        drf_kwargs = getattr(callback, "initkwargs", None) or {}
        for entry in drf_kwargs.get("permission_classes", cls.permission_classes) or ():
            for permission in _has_scope_instances(entry):
                yield ScopeUse(view, "HasScope", permission.scopes, methods)
    for operation in _ninja_operations(callback):
        from authgate.contrib.ninja import AuthgateAuth

        for auth in getattr(operation, "auth_callbacks", None) or ():
            if isinstance(auth, AuthgateAuth) and auth.scopes is not None:
                operation_methods = frozenset(m.upper() for m in operation.methods)
                function = getattr(operation, "view_func", None)
                module = getattr(function, "__module__", "?")
                name = f"{module}.{getattr(function, '__qualname__', '?')}"
                yield ScopeUse(view, type(auth).__name__, auth.scopes, operation_methods, name)


def _named_scopes(spec: ScopeSpec) -> set[str]:
    if spec is None:
        return set()
    if isinstance(spec, str):
        return {spec}
    values = spec.values() if isinstance(spec, Mapping) else [spec]
    found: set[str] = set()
    for value in values:
        found |= {value} if isinstance(value, str) else set(value)
    return found


def _uncovered(use: ScopeUse) -> list[str] | None:
    """The unsafe methods ``use``'s map refuses although the view accepts them (``[]``:
    none), or ``None`` when there is nothing to say (not a map, or a ``"*"`` entry)."""
    spec = use.spec
    if not isinstance(spec, Mapping) or ANY_METHOD in spec:
        return None
    if use.methods is None:  # unknown: warn only if the map names no unsafe method at all
        return [] if any(m in spec for m in UNSAFE_METHODS) else list(UNSAFE_METHODS)
    return [m for m in UNSAFE_METHODS if m in use.methods and scopes_for(spec, m) is None]


def _own(view: MountedView) -> bool:
    target = view_class(view.callback) or view.callback
    return str(getattr(target, "__module__", "")).startswith("authgate.")


@register(Tags.security, Tags.urls)
def check_scope_maps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W003 and W004 over every view of ``ROOT_URLCONF``."""
    try:
        views = list(mounted_views())
    except Exception:  # a broken URLconf: Django's own URL checks report it
        return []
    registered = setting_value("SCOPES")
    registered = set(registered) if isinstance(registered, Mapping) else set()
    messages: list[CheckMessage] = []
    for view in views:
        for use in scope_uses(view):
            messages.extend(_check_use(use, registered))
    return messages


def _check_use(use: ScopeUse, registered: set[str]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    uncovered = _uncovered(use)
    shown = dict(use.spec) if isinstance(use.spec, Mapping) else use.spec
    if uncovered and use.methods is None:
        messages.append(
            Warning(
                f"The scope map of its {use.where}, {shown!r}, names none of POST, "
                "PUT, PATCH and DELETE and has no '*' entry: if the view accepts any of "
                "them, every credential is refused it (403 insufficient_scope).",
                hint=_W003_HINT,
                obj=use.label,
                id="authgate.W003",
            )
        )
    elif uncovered:
        messages.append(
            Warning(
                f"The scope map of its {use.where}, {shown!r}, does not name "
                f"{', '.join(uncovered)}, which the view accepts, and has no '*' entry: "
                "every credential is refused them (403 insufficient_scope).",
                hint=_W003_HINT,
                obj=use.label,
                id="authgate.W003",
            )
        )
    unknown = sorted(_named_scopes(use.spec) - registered)
    if unknown and not _own(use.view):
        messages.append(
            Warning(
                f"Its {use.where} requires {', '.join(map(repr, unknown))}, not in "
                "AUTHGATE['SCOPES']: no API or scoped token can carry it.",
                hint=_W004_HINT,
                obj=use.label,
                id="authgate.W004",
            )
        )
    return messages
