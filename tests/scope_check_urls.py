"""A URLconf of views whose scope requirements the system checks must read
(tests/test_scope_checks.py): one view per shape, named after what it shows."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import View
from django.views.decorators.http import require_http_methods
from ninja import Router
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from authgate.contrib.drf import HasScope
from authgate.contrib.ninja import AuthgateNinjaAPI, TokenAuth
from authgate.decorators import AuthRequiredMixin, auth_required


def ok(request: HttpRequest, *args: object) -> HttpResponse:
    return HttpResponse("ok")


# --- function views: the methods they accept are unknown --------------------------------

read_only_map = auth_required(scopes={"GET": "notes:read"})(ok)
wrapped_read_only_map = require_http_methods(["GET", "POST"])(
    auth_required(scopes={"GET": "notes:read"})(ok)
)
names_an_unsafe_method = auth_required(scopes={"GET": "notes:read", "POST": "notes:write"})(ok)
star = auth_required(scopes={"GET": "notes:read", "*": "notes:write"})(ok)
one_scope = auth_required(scopes="notes:read")(ok)
typo = auth_required(scopes={"GET": "notes:raed", "*": ["notes:write", "notes:wirte"]})(ok)


# --- class-based views: the methods they accept are their handlers ---------------------


class MixinLeavesDelete(AuthRequiredMixin, View):
    required_scopes = {"GET": "notes:read", "POST": "notes:write"}

    def get(self, request: HttpRequest) -> HttpResponse:
        return ok(request)

    post = delete = get


class MixinReadOnly(AuthRequiredMixin, View):
    required_scopes = {"GET": "notes:read"}

    def get(self, request: HttpRequest) -> HttpResponse:
        return ok(request)


# --- DRF ----------------------------------------------------------------------------------


class DRFBase(APIView):
    def get(self, request: object) -> Response:
        return Response({})

    post = put = get


class DRFAnd(DRFBase):
    permission_classes = [IsAuthenticated & HasScope({"GET": "notes:read", "PUT": "notes:w"})]


class DRFOr(DRFBase):
    permission_classes = [IsAdminUser | HasScope({"GET": "notes:read"})]


class DRFNot(DRFBase):
    permission_classes = [IsAuthenticated, ~HasScope({"GET": "notes:read"})]


class DRFCovered(DRFBase):
    permission_classes = [HasScope({"GET": "notes:read", "POST": "notes:write", "PUT": "x"})]


# --- Ninja --------------------------------------------------------------------------------

router = Router()


@router.post("/notes/", auth=TokenAuth({"GET": "notes:read"}))
def ninja_create(request: HttpRequest) -> dict[str, str]:
    return {}


@router.get("/notes/", auth=TokenAuth({"GET": "notes:read"}))
def ninja_list(request: HttpRequest) -> dict[str, str]:
    return {}


api = AuthgateNinjaAPI(title="scope checks", urls_namespace="scope-checks-ninja")
api.add_router("/", router)

urlpatterns = [
    path("f/read-only-map/", read_only_map),
    path("f/wrapped-read-only-map/", wrapped_read_only_map),
    path("f/names-an-unsafe-method/", names_an_unsafe_method),
    path("f/star/", star),
    path("f/one-scope/", one_scope),
    path("f/typo/", typo),
    path("c/leaves-delete/", MixinLeavesDelete.as_view()),
    path("c/read-only/", MixinReadOnly.as_view()),
    path(
        "c/kwargs/",
        MixinLeavesDelete.as_view(required_scopes={"GET": "notes:read", "*": "notes:write"}),
    ),
    path("d/and/", DRFAnd.as_view()),
    path("d/or/", DRFOr.as_view()),
    path("d/not/", DRFNot.as_view()),
    path("d/covered/", DRFCovered.as_view()),
    path("d/kwargs/", DRFCovered.as_view(permission_classes=[HasScope({"GET": "notes:read"})])),
    path("n/", api.urls),
    path("auth/", include("authgate.urls")),
]
