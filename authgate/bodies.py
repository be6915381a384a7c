"""Reading a request body as one JSON object, the same way at every endpoint that takes one.

The token, scoped-token and token-API endpoints all take a few short fields; a body that is
not such an object is a 400 ``invalid_request`` with a message a person can act on — never
a 500, whatever the bytes. The size is checked before the body is read.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from authgate.errors import INVALID_REQUEST, AuthgateError

__all__ = ["MAX_BODY", "read_object"]

#: Bigger bodies are refused unread (bytes): these endpoints take a few short fields.
MAX_BODY = 16 * 1024


def read_object(
    request: HttpRequest,
    *,
    fields: Collection[str] | None = None,
    form: bool = False,
    list_fields: Collection[str] = (),
) -> dict[str, Any]:
    """The body as a ``dict``, or :class:`AuthgateError` ``invalid_request``.

    ``fields``: the names allowed (others are refused by name); ``None`` allows any. With
    ``form``, a form-encoded body is read too (``list_fields`` keep every value). An empty
    body is an empty object.
    """
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        raise AuthgateError(INVALID_REQUEST, _("The body is too large."))
    if form and request.content_type != "application/json":
        posted = request.POST
        data: Any = {
            key: (posted.getlist(key) if key in list_fields else posted.get(key)) for key in posted
        }
    elif not request.body:
        data = {}
    else:
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            data = None
    if not isinstance(data, dict):
        raise AuthgateError(
            INVALID_REQUEST,
            _("Send a JSON object or a form.") if form else _("Send a JSON object."),
        )
    unknown = sorted(set(data) - set(fields)) if fields is not None else []
    if unknown:
        raise AuthgateError(
            INVALID_REQUEST,
            _("Unknown field(s): %(unknown)s; expected %(allowed)s.")
            % {"unknown": ", ".join(unknown), "allowed": ", ".join(sorted(fields or ()))},
        )
    return data
