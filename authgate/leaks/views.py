"""The two endpoints that take a credential by value: GitHub's reports and RFC 7009.

``POST /auth/secret-scanning/`` (opt-in: ``LEAKS_SECRET_SCANNING``, else 404): GitHub's
secret scanning partner protocol (:mod:`authgate.leaks.github`). In order, stopping at the
first failure: the rate limit per client IP (``LEAKS_REPORT_RATE``, counted in the cache),
the size, the signature over the raw body — a report that is unsigned, malformed or signed
by a key GitHub does not publish is refused (403 ``invalid_signature``) without a database
query. Then, per distinct reported value: :func:`authgate.leaks.values.inspect`; a live
credential is revoked with the reason ``found in public: <url>`` (recorded in the audit
trail) and its owner notified once. The answer is GitHub's feedback array, in report order:
``token_hash`` (SHA-256), ``token_type``, ``label`` — the only thing it says about which
values exist, and only to GitHub.

``POST /auth/revoke/`` (RFC 7009): a form with ``token`` and an optional
``token_type_hint``. Whoever holds a credential may end it (§2; GitLab's "revoke a token"
API does the same for leaked tokens). The answer is ``200`` with an empty body whether the
value was live, dead, unknown or garbage (§2.2): the response says nothing about which
tokens exist. Only a missing ``token`` is a 400 ``invalid_request`` (§2.2.1). The hint is
ignored: each value names its own kind by its prefix (§2.1 allows that). Rate limited per
client IP (``LEAKS_REVOKE_RATE``). No e-mail: a client logging out uses this too.

Timing: a value failing its checksum or signature costs no query; one that passes costs the
same indexed lookup whether it is stored or not. Only revoking a live credential costs
more, and only a caller who already holds that credential can cause it: nobody learns of
tokens they do not hold.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from authgate.clientip import client_ip
from authgate.decorators import authgate_exempt
from authgate.errors import INVALID_REQUEST, AuthgateError, ServiceUnavailable
from authgate.leaks import github, reasons, values
from authgate.leaks.notify import notify_owner
from authgate.leaks.settings import leak_settings
from authgate.ratelimit import FailureLimiter
from authgate.responses import error_response
from authgate.schemes.tokens.service import TokenCacheUnreachable

__all__ = ["INVALID_SIGNATURE", "revoke", "secret_scanning"]

logger = logging.getLogger(__name__)

#: The error code of a report whose signature is missing, malformed or not GitHub's.
INVALID_SIGNATURE = "invalid_signature"

#: The most ``POST /auth/revoke/`` reads (a form with one token).
_MAX_REVOKE_BODY = 16 * 1024


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {"error": code, "detail": detail}, status=status, headers={"Cache-Control": "no-store"}
    )


def _limit(request: HttpRequest, namespace: str, rate: str | None) -> None:
    """Count this call against the client's IP; raises ``RateLimited`` / ``ServiceUnavailable``."""
    FailureLimiter(namespace, rate).attempt(client_ip(request) or "unknown")


@csrf_exempt  # no cookie is read: the signature is the credential
@authgate_exempt  # GitHub sends no Authorization header; the chain has nothing to say
@require_POST
def secret_scanning(request: HttpRequest) -> HttpResponse:
    config = leak_settings()
    if not config.secret_scanning:
        raise Http404
    try:
        _limit(request, "leaks-report", config.report_rate)
    except AuthgateError as exc:
        return error_response(request, exc, ())
    if int(request.META.get("CONTENT_LENGTH") or 0) > github.MAX_REPORT_BYTES:
        return _error(400, INVALID_REQUEST, _("The report is too large."))
    body = request.body
    try:
        signed = github.verify(
            body,
            request.headers.get(github.KEY_ID_HEADER),
            request.headers.get(github.SIGNATURE_HEADER),
        )
    except github.KeysUnavailable as exc:
        logger.warning("Could not fetch GitHub's public keys: %s", exc)
        return error_response(request, ServiceUnavailable(), ())  # GitHub retries
    if not signed:
        return _error(
            403, INVALID_SIGNATURE, _("The report is not signed by a key GitHub publishes.")
        )
    matches = github.parse_report(body)
    if matches is None:
        return _error(400, INVALID_REQUEST, _("Send a JSON array of secret-scanning matches."))
    try:
        answer = _handle(request, matches)
    except (DatabaseError, TokenCacheUnreachable):
        # Nothing half-done is lost: GitHub retries, and a retry revokes what is left.
        logger.exception("A secret-scanning report could not be processed")
        return error_response(request, ServiceUnavailable(), ())
    return JsonResponse(answer, safe=False, headers={"Cache-Control": "no-store"})


def _handle(request: HttpRequest, matches: list[github.Match]) -> list[dict[str, str]]:
    """Revoke each live credential once, notify its owner once; GitHub's feedback."""
    seen: dict[str, values.Finding | None] = {}
    answer = []
    for match in matches:
        token_hash = values.value_hash(match.token)
        if token_hash not in seen:  # a value reported twice in a batch is handled once
            finding = values.inspect(match.token)
            seen[token_hash] = finding
            if finding is not None and finding.live:
                _revoke(request, finding, match)
        finding = seen[token_hash]
        answer.append(
            github.feedback(
                match, token_hash=token_hash, genuine=finding is not None and finding.genuine
            )
        )
    return answer


def _revoke(request: HttpRequest, finding: values.Finding, match: github.Match) -> None:
    where = match.url or match.source or "GitHub"
    with transaction.atomic():
        revoked = values.revoke(finding, reasons.reason(reasons.GITHUB, where), request=request)
    if revoked:
        notify_owner(finding, where=where, source="github")


@csrf_exempt  # RFC 7009: the token in the body is the credential, no cookie is read
@authgate_exempt
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    try:
        _limit(request, "leaks-revoke", leak_settings().revoke_rate)
    except AuthgateError as exc:
        return error_response(request, exc, ())
    if int(request.META.get("CONTENT_LENGTH") or 0) > _MAX_REVOKE_BODY:
        return _error(400, INVALID_REQUEST, _("The body is too large."))
    token = request.POST.get("token")
    if not token:
        return _error(400, INVALID_REQUEST, _("Send the token to revoke as the form field token."))
    try:
        finding = values.inspect(token)
        if finding is not None and finding.live:
            with transaction.atomic():
                values.revoke(finding, reasons.RFC7009, request=request)
    except (DatabaseError, TokenCacheUnreachable):
        # RFC 7009 §2.2.1: 503 and the client may retry.
        logger.exception("A revocation by value could not be completed")
        return error_response(request, ServiceUnavailable(), ())
    return HttpResponse(status=200, headers={"Cache-Control": "no-store"})
