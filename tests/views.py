"""Views that exist only to exercise the chain from tests."""

from django.http import HttpRequest, JsonResponse
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from authgate.bodies import read_object
from authgate.decorators import AuthRequiredMixin, auth_required, authenticate_with


@authenticate_with("authgate.schemes.basic.BasicBackend")
@auth_required
def basic_only(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.user.get_username(), "scheme": request.auth.scheme})


class MixinView(AuthRequiredMixin, View):
    required_scopes = {"GET": "notes:read"}

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse({"user": request.user.get_username()})


@auth_required
def boom(request: HttpRequest) -> JsonResponse:
    password = "the-password-in-a-local"
    raise RuntimeError(f"boom for {request.user.get_username()} {len(password)}")


@csrf_exempt
def boom_with_data(request: HttpRequest) -> JsonResponse:
    """A 500 with secrets in containers: the parsed body (a dict), a list, a nested dict,
    request.POST itself (tests/test_reporting.py)."""
    data = read_object(request, form=True)
    posted = request.POST
    tokens = [data.get("token"), ("tuple", data.get("token"))]
    nested = {"outer": {"inner": [{"password": data.get("password")}]}, "ok": "visible-value"}
    raise RuntimeError(f"boom with {len(data)} {len(posted)} {len(tokens)} {len(nested)} fields")


def authgate_openapi(request: HttpRequest) -> JsonResponse:
    """authgate's own endpoints as OpenAPI (tests/test_openapi_fuzz.py loads it over WSGI)."""
    from authgate.contrib.endpoints import document

    return JsonResponse(document())
