"""Test-only pieces for magic links: views and a URLconf, a second token format, a packer.

Use the URLconf with ``@pytest.mark.urls("tests.schemes.links.support")``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path

from authgate.core import links_v1
from authgate.schemes.links.decorators import authenticate
from authgate.users import packer_for_model

# --- views ----------------------------------------------------------------------------


def _me(request: HttpRequest, **extra: Any) -> JsonResponse:
    user = request.user
    auth = getattr(request, "auth", None)
    return JsonResponse(
        {
            "user": user.get_username() if user.is_authenticated else None,
            "scheme": getattr(auth, "scheme", None),
            **extra,
        }
    )


def page(request: HttpRequest) -> JsonResponse:
    """A plain page (for the middleware)."""
    return _me(request, query=request.GET.urlencode())


@authenticate
def bare(request: HttpRequest) -> JsonResponse:
    return _me(request)


@authenticate(scope="doc:{pk}")
def doc(request: HttpRequest, pk: int) -> JsonResponse:
    return _me(request, pk=pk)


@authenticate(scope="{0}:{1}")
def positional(request: HttpRequest, name: str, kind: str) -> JsonResponse:
    return _me(request)


@authenticate(required=False)
def optional(request: HttpRequest) -> JsonResponse:
    return _me(request)


@authenticate(permanent=True)
def permanent(request: HttpRequest) -> JsonResponse:
    return _me(request)


@authenticate(override=False)
def no_override(request: HttpRequest) -> JsonResponse:
    return _me(request)


@authenticate(max_age=30)
def short(request: HttpRequest) -> JsonResponse:
    return _me(request)


urlpatterns = [
    path("t/links/page/", page),
    path("t/links/bare/", bare),
    path("t/links/doc/<int:pk>/", doc),
    re_path(r"^t/links/pos/(\w+)/(\w+)/$", positional),  # positional arguments
    path("t/links/optional/", optional),
    path("t/links/permanent/", permanent),
    path("t/links/no-override/", no_override),
    path("t/links/short/", short),
    path("", include("tests.urls")),
]

# --- a second token format ("v0"), for LINK_TOKENS ------------------------------------
# It is links_v1 under another prefix: enough to check "create with the first, accept all".

PREFIX = "agl0_"


def detect(token: str) -> bool:
    return isinstance(token, str) and token.startswith(PREFIX)


def create(**kwargs: Any) -> str:
    return PREFIX + links_v1.create(**kwargs).removeprefix(links_v1.PREFIX)


def parse(token: str, **kwargs: Any) -> Any:
    if not detect(token):
        return None
    return links_v1.parse(links_v1.PREFIX + token.removeprefix(PREFIX), **kwargs)


verify = links_v1.verify
token_id = links_v1.token_id


# --- a custom packer, by dotted path ------------------------------------------------------


class MarkedPacker:
    """The model's built-in packer behind a marker byte; counts its calls."""

    kind = "marked"
    MARK = b"\xa5"
    calls = 0

    def pack_pk(self, pk: Any) -> bytes:
        type(self).calls += 1
        return self.MARK + packer_for_model().pack_pk(pk)

    def unpack_pk(self, data: bytes) -> tuple[Any, bytes]:
        type(self).calls += 1
        if data[:1] != self.MARK:
            raise ValueError("no mark")
        return packer_for_model().unpack_pk(data[1:])
