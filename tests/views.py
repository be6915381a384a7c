"""Views that exist only to exercise the chain from tests."""

from django.http import HttpRequest, JsonResponse
from django.views import View

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
