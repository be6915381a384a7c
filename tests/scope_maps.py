"""A URLconf for the scope-map tests: the suite's URLs plus notes views with scope maps
written exactly as the docs show them (issue #19, reproduction 7).

``/t/maps/notes/<pk>/``: a plain view decorated as in the README, ``{"GET": "notes:read",
"POST": "notes:write"}``, that also answers PATCH and DELETE (nothing restricts its
methods). ``/t/maps/drf/notes/``: a DRF ``ModelViewSet`` with ``HasScope`` of the same map
(docs/adapters.md). ``/t/maps/star/notes/<pk>/``: the plain view with a ``"*"`` entry.
``/t/maps/ninja/``: a Ninja operation whose map leaves its method out. Kept out of
tests/urls.py: the system checks warn about these views, as they should.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from ninja import Router
from notes.api_drf import NoteSerializer
from notes.models import Note
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import SimpleRouter

from authgate.contrib.drf import HasScope
from authgate.contrib.ninja import AuthgateAuth, AuthgateNinjaAPI
from authgate.decorators import auth_required

DOCS_MAP = {"GET": "notes:read", "POST": "notes:write"}
STAR_MAP = {"GET": "notes:read", "*": "notes:write"}


def _note(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(Note, owner=request.user, pk=pk)
    if request.method == "DELETE":
        note.delete()
        return HttpResponse(status=204)
    if request.method in {"PATCH", "PUT", "POST"}:
        note.title = json.loads(request.body or b"{}").get("title", note.title)
        note.save()
    return JsonResponse(note.as_dict())


@csrf_exempt
@auth_required(scopes=DOCS_MAP)
def note(request: HttpRequest, pk: int) -> HttpResponse:
    return _note(request, pk)


@csrf_exempt
@auth_required(scopes=STAR_MAP)
def star_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _note(request, pk)


class NoteViewSet(viewsets.ModelViewSet):
    serializer_class = NoteSerializer
    permission_classes = [IsAuthenticated, HasScope(DOCS_MAP)]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Note.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        serializer.save(owner=self.request.user)


router = SimpleRouter()
router.register("notes", NoteViewSet, basename="maps-note")

ninja_router = Router()


@ninja_router.delete("/notes/{pk}/", auth=AuthgateAuth(scopes={"GET": "notes:read"}))
def ninja_delete(request: HttpRequest, pk: int) -> dict[str, int]:
    deleted, _ = Note.objects.filter(owner=request.auth.user, pk=pk).delete()
    return {"deleted": deleted}


ninja_api = AuthgateNinjaAPI(title="scope maps", urls_namespace="scope-maps-ninja")
ninja_api.add_router("/", ninja_router)

urlpatterns = [
    path("t/maps/notes/<int:pk>/", note, name="maps-note-plain"),
    path("t/maps/star/notes/<int:pk>/", star_note, name="maps-note-star"),
    path("t/maps/drf/", include(router.urls)),
    path("t/maps/ninja/", ninja_api.urls),
    path("", include("tests.urls")),
]
