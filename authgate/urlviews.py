"""The views the URLconf mounts, for system checks that look at them at startup.

:func:`mounted_views` walks Django's URL resolver (``get_resolver()``, every ``include``)
and yields each view once with the route it is first mounted at. :func:`view_class` finds
the class behind ``View.as_view()`` (and DRF's ``APIView.as_view()``), and
:func:`accepted_methods` the HTTP methods such a class answers. Function views do not say
which methods they accept (``require_http_methods`` keeps its list in a closure): for them
the answer is ``None``, unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

__all__ = ["MountedView", "accepted_methods", "mounted_views", "view_class"]


@dataclass(frozen=True, slots=True)
class MountedView:
    """A view callback and the route (``"api/notes/<int:pk>/"``) it is mounted at."""

    route: str
    callback: Callable[..., Any]

    @property
    def name(self) -> str:
        """The view's dotted name, for messages."""
        target = view_class(self.callback) or self.callback
        module = getattr(target, "__module__", "?")
        return f"{module}.{getattr(target, '__qualname__', type(target).__qualname__)}"


def _walk(patterns: Iterable[Any], prefix: str) -> Iterator[MountedView]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield MountedView(prefix + str(pattern.pattern), pattern.callback)


def mounted_views(urlconf: str | None = None) -> Iterator[MountedView]:
    """Every view of ``urlconf`` (default ``ROOT_URLCONF``), each once, in URLconf order."""
    seen: set[int] = set()
    for view in _walk(get_resolver(urlconf).url_patterns, "/"):
        if id(view.callback) not in seen:
            seen.add(id(view.callback))
            yield view


def view_class(callback: Callable[..., Any]) -> type | None:
    """The class a ``View.as_view()`` callback runs, or ``None`` for a function view."""
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return cls if isinstance(cls, type) else None


def accepted_methods(callback: Callable[..., Any]) -> frozenset[str] | None:
    """The HTTP methods a class-based view answers (a DRF viewset: its mapped actions),
    upper-case; ``None`` when they cannot be known (a function view)."""
    actions = getattr(callback, "actions", None)
    if isinstance(actions, dict):  # DRF's ViewSetMixin.as_view({"get": "list", ...})
        methods = {method.upper() for method in actions} | {"OPTIONS"}
    else:
        cls = view_class(callback)
        if cls is None:
            return None
        names = getattr(cls, "http_method_names", ())
        methods = {name.upper() for name in names if callable(getattr(cls, name, None))}
    if "GET" in methods:
        methods.add("HEAD")  # View.setup() answers HEAD with get()
    return frozenset(methods)
