"""The same notes API as Django REST framework views, authenticated by the same chain.

``WhoAmI`` and the notes views use the default ``AuthgateAuthentication`` (the whole chain);
``TokenWhoAmI`` accepts API and scoped tokens only, composes permissions with ``&`` and is
throttled per token (``throttle_scope = "tokens"``).
"""

from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from authgate.contrib.drf import (
    HasScope,
    IsTokenAuthenticated,
    ScopedTokenAuthentication,
    TokenAuthentication,
    TokenPolicyAllows,
    TokenRateThrottle,
)

from .models import Note
from .views import NOTE_SCOPES


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "title", "body", "created"]


class WhoAmI(APIView):
    def get(self, request):
        scopes = request.auth.scopes
        return Response(
            {
                "user": request.user.get_username(),
                "scheme": request.auth.scheme,
                "scopes": sorted(scopes) if scopes is not None else None,
            }
        )


class TokenWhoAmI(WhoAmI):
    """Tokens only (no cookie, no password), ``notes:read``, 60 requests a minute per token."""

    authentication_classes = [TokenAuthentication, ScopedTokenAuthentication]
    permission_classes = [IsTokenAuthenticated & HasScope("notes:read")]
    throttle_classes = [TokenRateThrottle]
    throttle_scope = "tokens"


class NotesMixin:
    serializer_class = NoteSerializer
    permission_classes = [IsAuthenticated, HasScope(NOTE_SCOPES), TokenPolicyAllows]

    def get_queryset(self):
        return Note.objects.filter(owner=self.request.user)


class NoteList(NotesMixin, generics.ListCreateAPIView):
    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


class NoteDetail(NotesMixin, generics.RetrieveUpdateDestroyAPIView):
    pass
