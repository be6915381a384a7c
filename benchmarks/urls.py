"""A minimal DRF view behind each scheme, for full-request throughput."""

from django.urls import path
from knox.auth import TokenAuthentication as KnoxAuthentication
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from authgate.contrib.drf import AuthgateAuthentication


class Hello(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


def view(*authentication, permission=IsAuthenticated):
    return Hello.as_view(
        authentication_classes=list(authentication), permission_classes=[permission]
    )


urlpatterns = [
    path("open/", view(permission=AllowAny)),
    path("drf-token/", view(TokenAuthentication)),
    path("knox/", view(KnoxAuthentication)),
    path("authgate/", view(AuthgateAuthentication)),
    # djangorestframework-api-key is a permission, not an authentication class.
    path("api-key/", view(permission=HasAPIKey)),
]
