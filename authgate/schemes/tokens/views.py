"""``POST /auth/token/``: trade a username and password for an API token (DRF's
``obtain_auth_token``, hardened).

The body is JSON or a form: ``username``, ``password``, and optionally ``name``, ``scopes``
(a list or a space-separated string of registered scopes) and ``expires_in`` (``"30d"``).
The answer is ``{"token", "token_type", "expires", "scopes"}`` with ``Cache-Control:
no-store`` (RFC 6749 §5.1). With a ``DPoP`` proof (RFC 9449 §5: ``htm`` ``POST``, ``htu``
this endpoint, no ``ath``) the token is bound to the proof's key and ``token_type`` is
``DPoP``, else ``Bearer``; a refused proof is a 400 ``invalid_dpop_proof`` (or
``use_dpop_nonce``, with a ``DPoP-Nonce``), checked before the password. An unknown user,
a wrong password and an inactive user get the same 400 and, through
:func:`~authgate.schemes.basic.password_login`, similar timing and the same rate limit as
HTTP Basic.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from authgate.bodies import read_object
from authgate.decorators import authgate_exempt
from authgate.errors import (
    INVALID_REQUEST,
    AuthenticationFailed,
    AuthgateError,
    ServiceUnavailable,
)
from authgate.responses import error_response
from authgate.schemes.basic import password_login
from authgate.schemes.tokens import binding
from authgate.schemes.tokens.service import issue
from authgate.schemes.tokens.validation import DEFAULT, TokenError, parse_lifetime

__all__ = ["obtain_token"]


def _bad_request(code: str, detail: str, **headers: str) -> JsonResponse:
    return JsonResponse(
        {"error": code, "detail": detail},
        status=400,
        headers={"Cache-Control": "no-store", **headers},
    )


@csrf_exempt  # no cookie is read or set: there is no session to forge requests with
@authgate_exempt  # the body is the credential; an Authorization header plays no part
@require_POST
def obtain_token(request: HttpRequest) -> JsonResponse:
    try:
        data = read_object(request, form=True, list_fields=("scopes",))
    except AuthgateError as exc:
        return _bad_request(exc.code, str(exc.detail))
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        return _bad_request(INVALID_REQUEST, _("Send a username and a password."))
    scopes = data.get("scopes")
    if isinstance(scopes, list) and len(scopes) == 1 and isinstance(scopes[0], str):
        scopes = scopes[0].split()  # a form's "scopes=a b" as well as "scopes=a&scopes=b"
    if scopes is not None and not isinstance(scopes, str | list):
        return _bad_request(INVALID_REQUEST, _("scopes must be a list of scope names."))
    try:
        expires_in = DEFAULT
        if data.get("expires_in"):
            expires_in = parse_lifetime(str(data["expires_in"]))
        dpop_jkt = binding.issue_binding(request)
        user = password_login(request, username, password)
        token, plaintext = issue(
            user,
            name=str(data.get("name") or _("Obtained via the API")),
            scopes=scopes,
            expires_in=expires_in,
            request=request,
            dpop_jkt=dpop_jkt,
        )
    except binding.ProofError as exc:
        return _bad_request(exc.code, str(exc.detail), **binding.error_headers(request, exc))
    except AuthenticationFailed as exc:
        # One message for unknown user, wrong password and inactive user (no enumeration).
        return _bad_request(exc.code, str(exc.detail))
    except TokenError as exc:
        return _bad_request(INVALID_REQUEST, str(exc))
    except AuthgateError as exc:  # rate limited (429), cache down (503)
        return error_response(request, exc, ())
    except DatabaseError:  # fail closed with a 503 the client can retry, not a 500
        return error_response(request, ServiceUnavailable(), ())
    return JsonResponse(
        {
            "token": plaintext,
            "token_type": "DPoP" if token.dpop_jkt else "Bearer",
            "expires": token.expires.isoformat() if token.expires else None,
            "scopes": token.scopes,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
