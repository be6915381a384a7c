"""One JSON error shape everywhere: ``{"error": "<code>", "detail": "<message>"}``.

401 responses carry one ``WWW-Authenticate`` challenge per auth-scheme in the chain (RFC
9110 §11.6.1 allows a comma-separated list), the failing backend's challenge carrying the
error (RFC 6750 §3). If no backend has a challenge, an unauthenticated
request gets 403 instead, as a 401 without a challenge is not valid HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest, JsonResponse

from authgate.backend import Backend
from authgate.chain import load_backends, outcome_of
from authgate.errors import AuthgateError

__all__ = ["challenges", "error_response"]


def challenges(
    request: HttpRequest, backends: Sequence[Backend], error: AuthgateError | None = None
) -> list[str]:
    """The ``WWW-Authenticate`` challenges of ``backends``, in chain order, one per scheme.

    Backends may share an auth-scheme (OAuth access tokens and API tokens are both
    ``Bearer``): the client gets one challenge per scheme name, the failing backend's if it
    is one of them, so the error is never hidden behind a bare duplicate.
    """
    outcome = outcome_of(request)
    # The backend whose own error this is (the chain's), so its challenge carries it.
    failing = outcome.backend if outcome is not None and error is outcome.error else None
    by_scheme: dict[str, str] = {}
    for backend in backends:
        own_error = error if failing is not None and type(backend) is type(failing) else None
        for challenge in backend.challenges(request, own_error):
            scheme = challenge.split(" ", 1)[0].lower()  # auth-scheme is case-insensitive
            if scheme not in by_scheme or own_error is not None:
                by_scheme[scheme] = challenge
    return list(by_scheme.values())


def error_response(
    request: HttpRequest, error: AuthgateError, backends: Sequence[Backend] | None = None
) -> JsonResponse:
    """The JSON response for ``error``, with the headers its status code calls for.

    ``backends`` name the 401's challenges; by default the chain that ran for ``request``.
    """
    outcome = outcome_of(request)
    if backends is None:
        backends = outcome.backends if outcome is not None else load_backends()
    status = error.status_code
    headers: dict[str, str] = {"Cache-Control": "no-store"}
    if status == 401:
        found = challenges(request, backends, error)
        if found:
            headers["WWW-Authenticate"] = ", ".join(found)
        else:
            status = 403
        for backend in backends:
            headers.update(backend.get_auth_headers(request))
    elif status == 403 and outcome is not None and outcome.backend is not None:
        # RFC 6750 §3.1: an insufficient_scope refusal names the deciding scheme's challenge.
        challenge = outcome.backend.challenge(request, error)
        if challenge and error.code == "insufficient_scope":
            headers["WWW-Authenticate"] = challenge
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    response = JsonResponse(error.as_dict(), status=status, headers=headers)
    return response
