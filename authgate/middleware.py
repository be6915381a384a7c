"""Django middleware: authenticate every request with the view's chain.

Place it after ``SessionMiddleware``, ``CsrfViewMiddleware`` and ``AuthenticationMiddleware``.
It runs in ``process_view`` — after URL resolution, so policies can name the resolved view —
and answers bad credentials itself with the JSON error shape, before the view runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from authgate.chain import backends_for_view, resolve
from authgate.exceptions import AuthgateError
from authgate.responses import error_response

__all__ = ["AuthgateMiddleware"]


class AuthgateMiddleware:
    """Sets ``request.user`` and ``request.auth`` (an :class:`~authgate.identity.Identity`)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.auth = None  # type: ignore[attr-defined]
        response = self.get_response(request)
        identity = getattr(request, "_authgate_outcome", None)
        for name, value in getattr(identity, "response_headers", {}).items():
            response.headers.setdefault(name, value)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if getattr(view_func, "authgate_exempt", False):
            return None
        backends = backends_for_view(view_func)
        try:
            resolve(request, backends)
        except AuthgateError as exc:
            return error_response(request, exc, backends)
        return None
