"""The notes API as plain Django views, guarded by authgate's middleware and decorator."""

import json

from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from authgate.decorators import auth_required, authenticate_with

from .models import Note

NOTE_SCOPES = {
    "GET": "notes:read",
    "POST": "notes:write",
    "PUT": "notes:write",
    "PATCH": "notes:write",
    "DELETE": "notes:write",
}


def home(request: HttpRequest):
    """The demo's front page: how to authenticate, with curl lines to copy."""
    return render(request, "notes/home.html", {"base": request.build_absolute_uri("/").rstrip("/")})


@require_http_methods(["GET", "HEAD"])
def public(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"message": "Anyone can read this.", "authenticated": request.user.is_authenticated}
    )


@require_http_methods(["GET"])
@authenticate_with("notes.backends.SessionStartingBasicBackend")
@auth_required
def session_login(request: HttpRequest) -> JsonResponse:
    """Basic credentials in, a session cookie out (djblets' ``login_with_credentials``)."""
    return JsonResponse({"user": request.user.get_username(), "session": "started"})


@require_http_methods(["GET", "HEAD"])
@auth_required
def whoami(request: HttpRequest) -> JsonResponse:
    identity = request.auth
    scopes = identity.scopes
    return JsonResponse(
        {
            "user": request.user.get_username(),
            "scheme": identity.scheme,
            "scopes": sorted(scopes) if scopes is not None else None,
        }
    )


def _json_body(request: HttpRequest) -> dict | JsonResponse:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(
            {"error": "invalid_json", "detail": "The body is not valid JSON."}, status=400
        )
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("title", ""), str)
        or not isinstance(data.get("body", ""), str)
    ):
        return JsonResponse(
            {"error": "invalid_note", "detail": "Send an object with string title and body."},
            status=400,
        )
    return data


@csrf_exempt  # the session backend enforces CSRF itself; token clients have none
@require_http_methods(["GET", "HEAD", "POST"])
@auth_required(scopes=NOTE_SCOPES)
def note_list(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        data = _json_body(request)
        if isinstance(data, JsonResponse):
            return data
        if not data.get("title"):
            return JsonResponse(
                {"error": "invalid_note", "detail": "A note needs a title."}, status=400
            )
        note = Note.objects.create(
            owner=request.user, title=data["title"], body=data.get("body", "")
        )
        return JsonResponse(note.as_dict(), status=201)
    notes = [note.as_dict() for note in Note.objects.filter(owner=request.user)]
    return JsonResponse({"notes": notes})


@csrf_exempt
@require_http_methods(["GET", "HEAD", "PUT", "PATCH", "DELETE"])
@auth_required(scopes=NOTE_SCOPES)
def note_detail(request: HttpRequest, pk: int) -> JsonResponse:
    note = Note.objects.filter(owner=request.user, pk=pk).first()
    if note is None:
        return JsonResponse({"error": "not_found", "detail": "No such note."}, status=404)
    if request.method == "DELETE":
        note.delete()
        return JsonResponse({}, status=204)
    if request.method in ("PUT", "PATCH"):
        data = _json_body(request)
        if isinstance(data, JsonResponse):
            return data
        note.title = data.get("title", note.title) or note.title
        note.body = data.get("body", note.body)
        note.save()
    return JsonResponse(note.as_dict())
