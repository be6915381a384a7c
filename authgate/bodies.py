"""Reading a request body as one JSON object, the same way at every endpoint that takes one.

The token, scoped-token and token-API endpoints all take a few short fields; a body that is
not such an object is a 400 ``invalid_request`` with a message a person can act on — never
a 500, whatever the bytes. The limits are checked before any work that grows with them:

* the size (:data:`MAX_BODY` bytes) from ``Content-Length`` before the body is read, and
  again after (a chunked or ASGI body may not say);
* the nesting (:data:`MAX_DEPTH` levels of arrays and objects) on the bytes, before the
  JSON parser runs (:mod:`authgate.core.json_limits`): ``json.loads`` recurses, and 8,000
  levels in 16 KB would be a ``RecursionError``; a few hundred that parse would make the
  code that walks the value recurse instead;
* ``NaN``, ``Infinity`` and numbers too large for a float are not JSON (RFC 8259 §6).

Endpoints that take more than a few fields (a list of paths, say) cap their own counts
and lengths before using them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from authgate.core.json_limits import JSONRefused, JSONTooDeep, loads
from authgate.errors import INVALID_REQUEST, AuthgateError

__all__ = ["MAX_BODY", "MAX_DEPTH", "read_object"]

#: Bigger bodies are refused unread (bytes): these endpoints take a few short fields.
MAX_BODY = 16 * 1024
#: Deeper bodies are refused unparsed (levels of arrays and objects, the body's own object
#: counting as one). The deepest thing sent is a djblets policy: body → policy →
#: resources → resource → object id → allow list, six.
MAX_DEPTH = 10


def _too_large() -> AuthgateError:
    return AuthgateError(
        INVALID_REQUEST, _("The body is too large (at most %(limit)s bytes).") % {"limit": MAX_BODY}
    )


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # Django's own reading refuses it as well; never a 500 here
        raise AuthgateError(INVALID_REQUEST, _("Content-Length is not a number.")) from None


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
    if _content_length(request) > MAX_BODY:
        raise _too_large()
    if form and request.content_type != "application/json":
        try:
            posted = request.POST
        except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
            raise AuthgateError(INVALID_REQUEST, _("Send a JSON object or a form.")) from None
        data: Any = {
            key: (posted.getlist(key) if key in list_fields else posted.get(key)) for key in posted
        }
    elif not request.body:
        data = {}
    elif len(request.body) > MAX_BODY:
        raise _too_large()
    else:
        try:
            data = loads(request.body, max_depth=MAX_DEPTH)
        except JSONTooDeep:
            raise AuthgateError(
                INVALID_REQUEST,
                _("The body is nested too deeply (at most %(limit)s levels).")
                % {"limit": MAX_DEPTH},
            ) from None
        except JSONRefused:
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
