"""The token JSON API: list, create (the secret once), show, revoke, rotate.

::

    GET    /auth/api/tokens/                → 200 {"tokens": [token, ...]}   (newest first)
    POST   /auth/api/tokens/                → 201 {"token": "agt_…", "item": token}
           {"name": "ci", "scopes": ["notes:read"], "expires_in": "30d",
            "allowed_ips": ["10.0.0.0/8"], "policy": {...}}      every field optional
           with a DPoP proof (RFC 9449 §5): the token is bound to its key
    GET    /auth/api/tokens/<id>/           → 200 token
    DELETE /auth/api/tokens/<id>/           → 200 token (revoked); body {"reason": "…"} optional
    POST   /auth/api/tokens/<id>/revoke/    → the same as DELETE
    POST   /auth/api/tokens/<id>/rotate/    → 201 {"token": "agt_…", "item": new, "replaces": old}
           {"overlap": "1h"}                                         optional, default "0s"

where ``token`` is ``{"id", "name", "prefix", "scopes", "policy", "allowed_ips", "created",
"last_used", "last_used_ip", "expires", "revoked_at", "revoked_reason", "status",
"dpop_jkt"}`` (``dpop_jkt``: the thumbprint of the key a DPoP-bound token is bound to, else
``null``).

Guarded by the chain (:func:`~authgate.decorators.auth_required`): a caller manages its own
user's tokens. A restricted credential needs the scope ``tokens:manage`` and never creates or
rotates a token with more rights than itself (:mod:`authgate.rights`); a DPoP-bound caller's
new tokens are bound to its key (:func:`~authgate.schemes.tokens.binding.issue_binding`).
Session callers
need a CSRF token on unsafe methods (the session backend enforces it). Answers carrying a
secret are ``Cache-Control: no-store``; errors use authgate's one shape (``not_found`` for an
id that is not the caller's).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from authgate import rights
from authgate.bodies import read_object
from authgate.chain import required_identity
from authgate.decorators import auth_required
from authgate.derive import TokenRequest, derive
from authgate.errors import (
    INVALID_REQUEST,
    AuthgateError,
    NotAuthenticated,
    ServiceUnavailable,
)
from authgate.responses import error_response
from authgate.schemes.tokens import binding
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.service import TokenCacheUnreachable, issue, revoke, rotate
from authgate.schemes.tokens.validation import (
    DEFAULT,
    TokenError,
    clean_allowed_ips,
    clean_policy,
    clean_scopes,
    parse_lifetime,
)

__all__ = ["serialize", "token_collection", "token_detail", "token_revoke", "token_rotate"]

_CREATE_FIELDS = {"name", "scopes", "expires_in", "allowed_ips", "policy"}
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class NotFound(AuthgateError):
    status_code = 404
    default_code = "not_found"


class MethodNotAllowed(AuthgateError):
    status_code = 405
    default_code = "method_not_allowed"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def serialize(token: APIToken, now: Any = None) -> dict[str, Any]:
    """A token's public fields (never its secret or digest)."""
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.display_prefix,
        "scopes": token.scopes,
        "policy": token.policy or {},
        "allowed_ips": token.allowed_ips or [],
        "created": _iso(token.created),
        "last_used": _iso(token.last_used),
        "last_used_ip": token.last_used_ip,
        "expires": _iso(token.expires),
        "revoked_at": _iso(token.revoked_at),
        "revoked_reason": token.revoked_reason,
        "status": token.status(now),
        "dpop_jkt": token.dpop_jkt or None,
    }


def _duration(value: Any, name: str, default: Any) -> Any:
    if value is None:
        return default
    if not isinstance(value, str):
        raise TokenError(_("%(name)s must be a duration like 30d, 12h or 90m.") % {"name": name})
    return parse_lifetime(value)


def _handle(view: Any) -> Any:
    """Turn authgate and validation errors into the one JSON error shape."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            return view(request, *args, **kwargs)  # type: ignore[no-any-return]
        except TokenError as exc:
            error = AuthgateError(INVALID_REQUEST, str(exc))
        except TokenCacheUnreachable as exc:
            # The change is made; a retry (DELETE again) re-sends the cache invalidation.
            error = ServiceUnavailable(detail=str(exc))
        except AuthgateError as exc:
            error = exc
        response = error_response(request, error)
        if isinstance(error, binding.ProofError):
            for name, value in binding.error_headers(request, error).items():
                response[name] = value
        return response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return csrf_exempt(auth_required(scopes=rights.MANAGE_SCOPE)(wrapper))


def _own_tokens(request: HttpRequest) -> QuerySet[APIToken]:
    """The tokens of the authenticated caller."""
    user = request.user
    if not user.is_authenticated:  # auth_required lets only an authenticated caller through
        raise NotAuthenticated()
    return APIToken.objects.filter(user=user)


def _own(request: HttpRequest, pk: int) -> APIToken:
    token = _own_tokens(request).filter(pk=pk).select_related("user").first()
    if token is None:
        raise NotFound(detail=_("No token with this id belongs to you."))
    return token


def _allow(request: HttpRequest, *methods: str) -> None:
    if request.method not in methods:
        raise MethodNotAllowed(detail=_("Use %(methods)s.") % {"methods": ", ".join(methods)})


# --- views --------------------------------------------------------------------------------


@_handle
def token_collection(request: HttpRequest) -> JsonResponse:
    """``GET``: the caller's tokens; ``POST``: create one."""
    _allow(request, "GET", "HEAD", "POST")
    if request.method != "POST":
        now = timezone.now()
        tokens = _own_tokens(request)
        return JsonResponse({"tokens": [serialize(t, now) for t in tokens]})
    data = read_object(request, fields=_CREATE_FIELDS)
    name = data.get("name", "")
    scopes = data.get("scopes")
    ips = data.get("allowed_ips") or []
    if (
        not isinstance(name, str)
        or not (scopes is None or isinstance(scopes, list))
        or not isinstance(ips, list)
        or not isinstance(data.get("policy") or {}, dict)
    ):
        raise AuthgateError(
            INVALID_REQUEST,
            _("name is a string, scopes and allowed_ips are lists, policy is an object."),
        )
    identity = required_identity(request)
    grant = derive(
        identity,
        TokenRequest(
            scopes=clean_scopes(scopes),
            policy=clean_policy(data.get("policy")),
            allowed_ips=clean_allowed_ips([str(ip) for ip in ips]),
            expires_in=_duration(data.get("expires_in"), "expires_in", DEFAULT),
        ),
    )
    dpop_jkt = binding.issue_binding(request, identity)
    with transaction.atomic():
        token, plaintext = issue(
            request.user,
            name=name or _("Created via the API"),
            scopes=grant.scopes,
            policy=grant.policy,
            allowed_ips=grant.allowed_ips,
            expires_in=grant.expires_in,
            created_by=request.user,
            request=request,
            dpop_jkt=dpop_jkt,
            parent=grant.parent,
            parent_key=grant.parent_key,
        )
        rights.clamp_expiry(grant.limits, token)
    return JsonResponse(
        {"token": plaintext, "item": serialize(token)}, status=201, headers=_NO_STORE
    )


@_handle
def token_detail(request: HttpRequest, pk: int) -> JsonResponse:
    """``GET``: one token; ``DELETE``: revoke it."""
    _allow(request, "GET", "HEAD", "DELETE")
    if request.method == "DELETE":
        return _revoke(request, pk)
    return JsonResponse(serialize(_own(request, pk)))


def _revoke(request: HttpRequest, pk: int) -> JsonResponse:
    data = read_object(request, fields={"reason"})
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 200:
        raise AuthgateError(INVALID_REQUEST, _("reason is a string of at most 200 characters."))
    token = _own(request, pk)
    revoke(token, reason, request=request, by=request.user)
    return JsonResponse(serialize(token))


@_handle
def token_revoke(request: HttpRequest, pk: int) -> JsonResponse:
    """``POST``: revoke a token (the same as ``DELETE`` on the token)."""
    _allow(request, "POST")
    return _revoke(request, pk)


@_handle
def token_rotate(request: HttpRequest, pk: int) -> JsonResponse:
    """``POST``: replace a token with a new one carrying the same rights."""
    _allow(request, "POST")
    data = read_object(request, fields={"overlap"})
    overlap = _duration(data.get("overlap"), "overlap", timedelta(0))
    if overlap is None:
        raise TokenError(_("overlap must be a duration like 1h."))
    token = _own(request, pk)
    limits = rights.limits_for(required_identity(request))
    rights.check_covers(limits, token)
    with transaction.atomic():
        new, plaintext = rotate(
            token,
            overlap=overlap,
            expires_in=rights.rotation_lifetime(limits, token, timezone.now()),
            created_by=request.user,
            request=request,
        )
        rights.clamp_expiry(limits, new)
    return JsonResponse(
        {"token": plaintext, "item": serialize(new), "replaces": serialize(token)},
        status=201,
        headers=_NO_STORE,
    )
