"""Async views: ``auth_required`` on ``async def``; the chain runs off the event loop."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from authgate.decorators import auth_required


@require_http_methods(["GET", "HEAD"])
@auth_required
async def whoami(request: HttpRequest) -> JsonResponse:
    identity = request.auth
    scopes = identity.scopes
    return JsonResponse(
        {
            "user": request.user.get_username(),
            "scheme": identity.scheme,
            "scopes": sorted(scopes) if scopes is not None else None,
            "async": True,
        }
    )


@require_http_methods(["GET", "HEAD"])
@auth_required(scopes="notes:read")
async def note_list(request: HttpRequest) -> JsonResponse:
    from .models import Note

    notes = [note.as_dict() async for note in Note.objects.filter(owner=request.user)]
    return JsonResponse({"notes": notes})
