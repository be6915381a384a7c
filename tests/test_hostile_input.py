"""Hostile bodies are a 400 with the error shape, never a 500 (issue #19, reproduction 9),
through the whole request stack (the demo's URLconf, tests/urls.py).

Each JSON endpoint of ``authgate.urls`` reads its body through ``authgate.bodies``: the size
and the nesting are checked before the JSON parser runs, and every duration is at most
``MAX_DURATION`` (36,500 days). JWTs and DPoP proofs with times out of range are in
tests/schemes/oauth/test_hostile.py and tests/schemes/tokens/test_dpop.py; the error report
in tests/test_reporting.py.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from authgate.bodies import MAX_BODY, MAX_DEPTH
from authgate.schemes.tokens.service import issue

pytestmark = pytest.mark.django_db

BASIC = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"alice:correct horse").decode()}
DEEP = "[" * 8_000 + "]" * 8_000  # 16,000 bytes: under the size cap
NESTED_TOO_DEEP = f"The body is nested too deeply (at most {MAX_DEPTH} levels)."


def deep_object(depth: int) -> str:
    """``{"a": {"a": … 1 …}}``, ``depth`` levels, as a policy would nest."""
    return '{"a": ' * depth + "1" + "}" * depth


def post(path: str, body: str, **headers: Any) -> Any:
    # A 500 would raise here (the test client re-raises the view's exception).
    return Client().post(path, body, content_type="application/json", **headers)


def refused(response: Any, detail: str | None = None) -> dict[str, str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == "invalid_request", body
    if detail is not None:
        assert body["detail"] == detail
    return body


# --- /auth/token/: unauthenticated ----------------------------------------------------------


@pytest.mark.parametrize("expires_in", ["9999999999999d", "99999999d", "36501d", "1" * 5000 + "d"])
def test_token_lifetimes_past_the_bound(user, expires_in):
    body = {"username": "alice", "password": "correct horse", "expires_in": expires_in}
    detail = refused(post("/auth/token/", json.dumps(body)))["detail"]
    assert "is not a duration" in detail


def test_token_deep_body(user):
    refused(post("/auth/token/", DEEP), NESTED_TOO_DEEP)
    refused(post("/auth/token/", '{"username": ' + DEEP + "}"), NESTED_TOO_DEEP)


def test_token_scopes_that_are_not_names(user):
    body = {"username": "alice", "password": "correct horse", "scopes": [["notes:read"], 1]}
    refused(post("/auth/token/", json.dumps(body)))


def test_token_body_too_large(user):
    body = json.dumps({"username": "alice", "password": "x" * MAX_BODY})
    refused(post("/auth/token/", body), f"The body is too large (at most {MAX_BODY} bytes).")


# --- /auth/scoped/ --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        '{"endpoints": ' + DEEP + "}",
        '{"endpoints": {"GET": ' + "[" * 500 + "]" * 500 + "}}",
        '{"endpoints": {"GET": ["/api/notes/"]}, "max_age": ' + deep_object(900) + "}",
    ],
)
def test_scoped_deep_bodies(user, body):
    refused(post("/auth/scoped/", body, **BASIC), NESTED_TOO_DEEP)


@pytest.mark.parametrize("max_age", ['"9999999999999d"', "1e400", "NaN", "1" + "0" * 400])
def test_scoped_max_age_out_of_range(user, max_age):
    body = '{"endpoints": {"GET": ["/api/notes/"]}, "max_age": ' + max_age + "}"
    refused(post("/auth/scoped/", body, **BASIC))


# --- /auth/api/tokens/ and rotate -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        '{"policy": ' + deep_object(500) + "}",
        '{"policy": {"resources": {"*": ' + deep_object(900) + "}}}",
        '{"scopes": ' + "[" * 500 + "]" * 500 + "}",
        '{"allowed_ips": ' + "[" * 500 + "]" * 500 + "}",
    ],
)
def test_token_api_deep_bodies(user, body):
    refused(post("/auth/api/tokens/", body, **BASIC), NESTED_TOO_DEEP)


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in": "9999999999999d"},
        {"expires_in": "99999999d"},
        {"scopes": [[]]},
        {"scopes": [{"a": 1}]},
        {"allowed_ips": [[]]},
        {"policy": {"resources": {"*": {"allow": [[]]}}}},
    ],
)
def test_token_api_values_out_of_range(user, body):
    refused(post("/auth/api/tokens/", json.dumps(body), **BASIC))


@pytest.mark.parametrize("overlap", ['"99999999d"', '"9999999999999d"', "1e400", '"36501d"'])
def test_rotate_overlap_past_the_bound(user, overlap):
    # "99999999d" fits a timedelta and overflowed `now + overlap`: a 500 before.
    token, _plaintext = issue(user, name="old")
    response = post(f"/auth/api/tokens/{token.pk}/rotate/", '{"overlap": ' + overlap + "}", **BASIC)
    refused(response)
    token.refresh_from_db()
    assert token.revoked_at is None  # nothing was rotated


def test_rotate_deep_body(user):
    token, _plaintext = issue(user, name="old")
    refused(post(f"/auth/api/tokens/{token.pk}/rotate/", DEEP, **BASIC), NESTED_TOO_DEEP)


def test_revoke_deep_body(user):
    token, _plaintext = issue(user, name="old")
    response = Client().delete(
        f"/auth/api/tokens/{token.pk}/", DEEP, content_type="application/json", **BASIC
    )
    refused(response, NESTED_TOO_DEEP)
