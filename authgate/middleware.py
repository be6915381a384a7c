"""Django middleware: authenticate every request with the view's chain.

Place it after ``SessionMiddleware``, ``CsrfViewMiddleware`` and ``AuthenticationMiddleware``.
It runs in ``process_view`` — after URL resolution, so policies can name the resolved view —
and answers bad credentials itself with the JSON error shape, before the view runs.

It is sync and async capable: under ASGI with async middleware below it, it runs as a
coroutine and authenticates through :func:`~authgate.chain.aresolve`, so the (sync, ORM)
backends run in Django's thread-sensitive executor and never block the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

from authgate.chain import aresolve, backends_for_view, identity_of, resolve
from authgate.errors import AuthgateError
from authgate.responses import error_response

__all__ = ["AuthgateMiddleware"]


class AuthgateMiddleware:
    """Sets ``request.user`` and ``request.auth`` (an :class:`~authgate.identity.Identity`)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
            # Django picks the hook's mode by inspecting it: the async one awaits the chain.
            self.process_view = self._aprocess_view  # type: ignore[method-assign,assignment]

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        request.__dict__["auth"] = None
        response = self.get_response(request)
        self._add_headers(request, response)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        request.__dict__["auth"] = None
        response = await self.get_response(request)
        self._add_headers(request, response)
        return response  # type: ignore[no-any-return]

    @staticmethod
    def _add_headers(request: HttpRequest, response: HttpResponse) -> None:
        identity = identity_of(request)
        if identity is not None:
            for name, value in identity.response_headers.items():
                response.headers.setdefault(name, value)

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

    async def _aprocess_view(
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
            await aresolve(request, backends)
        except AuthgateError as exc:
            return error_response(request, exc, backends)
        return None
