"""A project on DRF authtoken, knox and djangorestframework-api-key, before and after.

The views are what such a project has: DRF's ``obtain_auth_token``, knox's login and logout,
a view behind ``HasAPIKey``, and an API view whose authentication classes come from
``REST_FRAMEWORK`` (read per request, so ``override_settings`` switches them, as editing
settings.py and restarting would).
"""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from knox import views as knox_views
from rest_framework.authentication import BaseAuthentication, BasicAuthentication
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey


class WhoAmI(APIView):
    """The project's API: whoever ``DEFAULT_AUTHENTICATION_CLASSES`` says is calling."""

    permission_classes = [IsAuthenticated]

    def get_authenticators(self) -> list[BaseAuthentication]:
        return [cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    def get(self, request: Request) -> Response:
        scheme = getattr(request.auth, "scheme", type(request.auth).__name__)
        return Response({"user": request.user.get_username(), "scheme": scheme})


class PartnerFeed(APIView):
    """A view for API-key clients, as djangorestframework-api-key has it."""

    authentication_classes: list[Any] = []
    permission_classes = [HasAPIKey]

    def get(self, request: Request) -> Response:
        return Response({"feed": "ok"})


class KnoxLogin(knox_views.LoginView):
    authentication_classes = [BasicAuthentication]


urlpatterns = [
    path("legacy/whoami/", WhoAmI.as_view()),
    path("legacy/partner/", PartnerFeed.as_view()),
    path("legacy/token-auth/", obtain_auth_token),
    path("legacy/knox/login/", KnoxLogin.as_view()),
    path("legacy/knox/logout/", knox_views.LogoutView.as_view()),
    path("", include("tests.urls")),
]
