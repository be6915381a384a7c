"""A page a magic link opens for one note only (``authgate.schemes.links.decorators``)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from authgate.schemes.links.decorators import authenticate

from .models import Note


@require_http_methods(["GET", "HEAD"])
@authenticate(scope="note:{pk}")
def shared_note(request: HttpRequest, pk: int) -> JsonResponse:
    """``manage.py authgate link alice --scope note:1 --url /links/notes/1/`` opens note 1
    of alice, and nothing else: the same link for /links/notes/2/ is refused (403)."""
    note = Note.objects.filter(owner=request.user, pk=pk).first()
    if note is None:
        return JsonResponse({"error": "not_found", "detail": "No such note."}, status=404)
    return JsonResponse({"user": request.user.get_username(), "note": note.as_dict()})
