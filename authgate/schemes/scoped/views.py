"""``POST /auth/scoped/``: an authenticated user mints a scoped token for themselves.

Request (JSON)::

    {"endpoints": {"GET": ["/api/notes/"]},   required
     "max_age": 600,                          seconds; default SCOPED_DEFAULT_MAX_AGE
     "recipient": "nightly export",           optional
     "scopes": ["notes:read"]}                optional

A minted token never exceeds the credential used to mint it:

* every requested (method, path prefix) must be allowed by the minting credential's
  restrictions — for the view the prefix resolves to *and* for every view whose URL pattern
  could lie under the prefix (djblets-style policies name views), and for the path itself
  (endpoint-style policies); ``GET`` also needs ``HEAD``, which a token for ``GET`` gets;
* its scopes are the requested scopes ∩ the minting credential's scopes; a scope-limited
  credential passes its limit on even when no scopes are requested;
* it expires no later than the minting credential.

Answers 201 with the token, 400 ``invalid_request`` for a malformed request, 401 without
credentials, 403 ``insufficient_scope`` when the request asks for more than the minting
credential has.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from authgate.chain import required_identity
from authgate.conf import settings
from authgate.core.policy import PolicyError
from authgate.decorators import auth_required
from authgate.errors import (
    EXPIRED_TOKEN,
    INSUFFICIENT_SCOPE,
    INVALID_REQUEST,
    AuthenticationFailed,
    AuthgateError,
    PermissionDenied,
)
from authgate.identity import Identity
from authgate.responses import error_response
from authgate.schemes.scoped.service import (
    build_restrictions,
    clean_endpoints,
    clean_scopes,
    issue,
    max_age_seconds,
    token_id,
)

__all__ = ["mint", "view_names_under"]

_FIELDS = {"endpoints", "max_age", "recipient", "scopes"}
_REGEX_SPECIAL = set(".^$*+?{}[]\\|()")


def _literal(pattern: object) -> tuple[str, bool]:
    """The literal start of a URL pattern, and whether the pattern is that literal only."""
    if isinstance(pattern, RoutePattern):
        route = str(pattern)
        head, marker, _rest = route.partition("<")
        return head, not marker
    if isinstance(pattern, RegexPattern):
        regex = str(pattern).removeprefix("^")
        whole = regex.removesuffix(r"\Z").removesuffix("$")
        for index, char in enumerate(whole):
            if char in _REGEX_SPECIAL:
                return whole[:index], False
        return whole, True
    return "", False  # LocalePrefixPattern or a custom pattern: anything may follow


def view_names_under(prefix: str) -> set[str]:
    """View names (as ``ResolverMatch.view_name``) whose URLs might lie under ``prefix``.

    An over-approximation: a pattern is included unless its literal start proves it cannot
    match below ``prefix``. Checking more views than necessary only refuses more.
    """
    relative = prefix.lstrip("/")
    found: set[str] = set()

    def walk(patterns: Any, literal: str, exact: bool, namespaces: list[str]) -> None:
        for entry in patterns:
            head, whole = _literal(entry.pattern)
            text = literal + head if exact else literal
            is_exact = exact and whole
            if not (
                text.startswith(relative)
                or (relative.startswith(text) and (not is_exact or isinstance(entry, URLResolver)))
            ):
                continue
            if isinstance(entry, URLResolver):
                inner = [*namespaces, entry.namespace] if entry.namespace else namespaces
                walk(entry.url_patterns, text, is_exact, inner)
            elif isinstance(entry, URLPattern):
                found.add(":".join([*namespaces, entry.name or entry.lookup_str]))

    walk(get_resolver().url_patterns, "", True, [])
    return found


def _resources_for(path: str) -> set[str | None]:
    names: set[str | None] = set(view_names_under(path))
    with contextlib.suppress(Resolver404):
        names.add(resolve(path).view_name)
    return names or {None}


def _check_within(identity: Identity, endpoints: dict[str, list[str]]) -> None:
    if identity.restrictions is None:
        return  # a password or a session: the user's full rights
    for method, paths in endpoints.items():
        methods = (method, "HEAD") if method == "GET" else (method,)
        for path in paths:
            for resource in _resources_for(path):
                for each in methods:
                    if not identity.allows(each, resource=resource, path=path):
                        raise PermissionDenied(
                            INSUFFICIENT_SCOPE,
                            _(
                                "The credential used here does not allow %(method)s on "
                                "%(path)s, so a token minted with it cannot either."
                            )
                            % {"method": each, "path": path},
                        )


def _granted_scopes(identity: Identity, requested: list[str] | None) -> list[str] | None:
    limit = identity.scopes
    if limit is None:
        return requested
    if requested is None:
        registered = settings.SCOPES or {}
        return sorted(name for name in limit if name in registered)
    granted = sorted(set(requested) & limit)
    if requested and not granted:
        raise PermissionDenied(
            INSUFFICIENT_SCOPE,
            _("The credential used here carries none of the requested scopes."),
            scope=" ".join(requested),
        )
    return granted


def _max_age(identity: Identity, value: object) -> int:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError("max_age must be an integer number of seconds")
    seconds = max_age_seconds(value)  # type: ignore[arg-type]
    if identity.expires_at is not None:
        remaining = math.floor((identity.expires_at - datetime.now(tz=UTC)).total_seconds())
        if remaining < 1:
            raise AuthenticationFailed(EXPIRED_TOKEN, _("This credential has expired."))
        seconds = min(seconds, remaining)
    return seconds


def _read_body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValueError(
            f"unknown field(s): {', '.join(unknown)}; expected {', '.join(sorted(_FIELDS))}"
        )
    if "endpoints" not in data:
        raise ValueError('"endpoints" is required, e.g. {"GET": ["/api/notes/"]}')
    return data


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
            data = _read_body(request)
            endpoints = clean_endpoints(data["endpoints"])
            build_restrictions(endpoints, None)
            requested = clean_scopes(data.get("scopes"))
            seconds = _max_age(identity, data.get("max_age"))
        except (TypeError, ValueError, PolicyError) as exc:
            raise AuthgateError(INVALID_REQUEST, str(exc)) from None
        _check_within(identity, endpoints)
        scopes = _granted_scopes(identity, requested)
        now = int(time.time())
        try:
            token = issue(
                request.user,
                endpoints,
                max_age=seconds,
                now=now,
                recipient=data.get("recipient"),
                scopes=scopes,
                request=request,
            )
        except (TypeError, ValueError) as exc:
            raise AuthgateError(INVALID_REQUEST, str(exc)) from None
    except AuthgateError as exc:
        return error_response(request, exc)
    expires_at = datetime.fromtimestamp(now + seconds, tz=UTC)
    return JsonResponse(
        {
            "token": token,
            "token_type": settings.SCOPED_KEYWORD,
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
