"""The notes API as Django Ninja operations, authenticated by the same chain.

``/api/ninja/whoami/`` takes the whole chain; the notes operations take API tokens, scoped
tokens, sessions and Basic (scope ``notes:read`` / ``notes:write``); ``/api/ninja/async/``
operations are ``async def`` and authenticate off the event loop. The schema is at
``/api/ninja/openapi.json`` and the docs page at ``/api/ninja/docs``.
"""

from datetime import datetime

from django.http import HttpResponse
from ninja import Router, Schema

from authgate.contrib.ninja import (
    AsyncAuthgateAuth,
    AsyncTokenAuth,
    AuthgateAuth,
    AuthgateNinjaAPI,
    BasicAuth,
    ScopedTokenAuth,
    SessionAuth,
    TokenAuth,
)

from .models import Note


class WhoAmIOut(Schema):
    user: str
    scheme: str
    scopes: list[str] | None


class NoteIn(Schema):
    title: str
    body: str = ""


class NoteOut(Schema):
    id: int
    title: str
    body: str
    created: datetime


def _whoami(request) -> dict:
    scopes = request.auth.scopes
    return {
        "user": request.user.get_username(),
        "scheme": request.auth.scheme,
        "scopes": sorted(scopes) if scopes is not None else None,
    }


def _schemes(scopes):
    # Any of these schemes; each listed in the schema with the operation's scopes.
    return [TokenAuth(scopes), ScopedTokenAuth(scopes), SessionAuth(scopes), BasicAuth(scopes)]


router = Router(tags=["notes"])


@router.get("/whoami/", response=WhoAmIOut, auth=AuthgateAuth())
def whoami(request):
    return _whoami(request)


@router.get("/notes/", response=list[NoteOut], auth=_schemes("notes:read"))
def list_notes(request):
    return Note.objects.filter(owner=request.auth.user)


@router.post("/notes/", response={201: NoteOut}, auth=_schemes("notes:write"))
def create_note(request, payload: NoteIn, response: HttpResponse):
    response.status_code = 201
    return Note.objects.create(owner=request.auth.user, **payload.dict())


@router.get("/async/whoami/", response=WhoAmIOut, auth=AsyncAuthgateAuth())
async def async_whoami(request):
    return _whoami(request)


@router.get("/async/notes/", response=list[NoteOut], auth=AsyncTokenAuth("notes:read"))
async def async_list_notes(request):
    return [note async for note in Note.objects.filter(owner=request.auth.user)]


api = AuthgateNinjaAPI(title="authgate demo (Ninja)", version="1", urls_namespace="ninja")
api.add_router("/", router)
