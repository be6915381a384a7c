"""``POST /auth/scoped/``: an authenticated user mints a scoped token for themselves.

Request (JSON)::

    {"endpoints": {"GET": ["/api/notes/"]},   required
     "max_age": 600,                          seconds; default SCOPED_DEFAULT_MAX_AGE
     "recipient": "nightly export",           optional
     "scopes": ["notes:read"]}                optional

A minted token never exceeds the credential used to mint it (:func:`authgate.derive.derive`):

* endpoint prefixes must be canonical (``/api//notes/`` is refused: write ``/api/notes/``),
  the form request paths are matched in;
* every requested (method, path prefix) must be allowed by the minting credential's
  restrictions — for the view the prefix resolves to *and* for every view whose URL pattern
  could lie under the prefix (djblets-style policies name views), and for the path itself
  (endpoint-style policies); ``GET`` also needs ``HEAD``, which a token for ``GET`` gets;
* its scopes are the requested scopes ∩ the minting credential's scopes; a scope-limited
  credential passes its limit on even when no scopes are requested;
* it expires no later than the minting credential, keeps its IP allowlist and names it
  as its parent (revoking the parent ends the token: :mod:`authgate.lineage`);
* a limited-use or one-time credential cannot mint at all.

The request's size is capped before anything is resolved (:mod:`authgate.schemes.scoped.limits`:
at most 50 paths of at most 512 characters, 50 scopes; the body at most 16 KB).

Answers 201 with the token, 400 ``invalid_request`` for a malformed request, 401 without
credentials, 403 ``insufficient_scope`` when the request asks for more than the minting
credential has.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from authgate.bodies import read_object
from authgate.chain import required_identity
from authgate.core.policy import PolicyError
from authgate.decorators import auth_required
from authgate.derive import ScopedRequest, derive
from authgate.errors import (
    INVALID_REQUEST,
    AuthgateError,
)
from authgate.responses import error_response
from authgate.schemes.scoped.limits import check_sizes
from authgate.schemes.scoped.service import (
    build_restrictions,
    clean_endpoints,
    clean_scopes,
    issue,
    token_id,
)
from authgate.schemes.scoped.settings import scoped_settings

__all__ = ["mint"]

_FIELDS = {"endpoints", "max_age", "recipient", "scopes"}


@csrf_exempt  # the session backend enforces CSRF itself; token clients carry none
@auth_required
def mint(request: HttpRequest) -> JsonResponse:
    """Mint a scoped token for the calling user, within the calling credential's rights."""
    if request.method != "POST":
        return JsonResponse(
            {"error": "method_not_allowed", "detail": "Use POST."},
            status=405,
            headers={"Allow": "POST"},
        )
    identity = required_identity(request)
    try:
        try:
            data = read_object(request, fields=_FIELDS)
            check_sizes(data.get("endpoints"), data.get("scopes"))  # before any resolving
            if "endpoints" not in data:
                raise ValueError('"endpoints" is required, e.g. {"GET": ["/api/notes/"]}')
            endpoints = clean_endpoints(data["endpoints"])
            build_restrictions(endpoints, None)
            requested = clean_scopes(data.get("scopes"))
        except (TypeError, ValueError, PolicyError) as exc:
            raise AuthgateError(INVALID_REQUEST, str(exc)) from None
        try:
            grant = derive(identity, ScopedRequest(endpoints, requested, data.get("max_age")))
        except (TypeError, ValueError) as exc:  # max_age
            raise AuthgateError(INVALID_REQUEST, str(exc)) from None
        now = int(time.time())
        try:
            token = issue(
                request.user,
                grant.endpoints,
                max_age=grant.seconds,
                now=now,
                recipient=data.get("recipient"),
                scopes=grant.scopes,
                request=request,
                parent=grant.parent,
                allowed_ips=grant.allowed_ips,
            )
        except (TypeError, ValueError) as exc:
            raise AuthgateError(INVALID_REQUEST, str(exc)) from None
    except AuthgateError as exc:
        return error_response(request, exc)
    seconds, endpoints, scopes = grant.seconds, grant.endpoints, grant.scopes
    expires_at = datetime.fromtimestamp(now + seconds, tz=UTC)
    return JsonResponse(
        {
            "token": token,
            "token_type": scoped_settings().keyword,
            "id": token_id(token),
            "expires_in": seconds,
            "expires_at": expires_at.isoformat(),
            "endpoints": endpoints,
            "scopes": scopes,
            "recipient": data.get("recipient"),
        },
        status=201,
        headers={"Cache-Control": "no-store"},
    )
