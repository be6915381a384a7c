"""``POST /auth/scoped/``: minting a scoped token never exceeds the minting credential.

(Not under ``tests/views/``: a ``tests.views`` package would shadow ``tests/views.py``,
which ``tests/urls.py`` imports.)
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from notes.models import Note

from authgate.backend import AuthorizationHeaderBackend
from authgate.core.policy import Policy
from authgate.identity import Identity
from authgate.models import TokenEvent
from authgate.rights import view_names_under
from authgate.schemes.scoped import service as scoped

pytestmark = pytest.mark.django_db

URL = "/auth/scoped/"
BASIC = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"alice:correct horse").decode()}

# Stand-ins for restricted credentials (an API token with scopes or a policy).
POLICIES = {
    "read": Policy.from_scopes(["notes:read"]),
    "noscopes": Policy.from_scopes([]),
    "paths": Policy.from_endpoints({"POST": ["/auth/scoped/"], "GET": ["/api/notes/"]}),
    "views": Policy.from_djblets(
        {
            "resources": {
                "*": {"block": ["*"]},
                "authgate:scoped-mint": {"*": {"allow": ["POST"]}},
                "note-list": {"*": {"allow": ["GET", "HEAD"]}},
            }
        }
    ),
    "views+detail": Policy.from_djblets(
        {
            "resources": {
                "*": {"block": ["*"]},
                "authgate:scoped-mint": {"*": {"allow": ["POST"]}},
                "note-list": {"*": {"allow": ["GET", "HEAD"]}},
                "note-detail": {"*": {"allow": ["GET", "HEAD"]}},
            }
        }
    ),
    "readonly": Policy.from_djblets(
        {"resources": {"*": {"allow": ["GET", "HEAD", "OPTIONS"], "block": ["*"]}}}
    ),
}


class LimitedBackend(AuthorizationHeaderBackend):
    """``Authorization: Limited <policy name>[~<seconds left>]`` → alice, restricted."""

    scheme = "Limited"
    keywords = ("Limited",)

    def authenticate(self, request, credentials):
        name, _, seconds = credentials["token"].partition("~")
        user = get_user_model()._default_manager.get_by_natural_key("alice")
        expires = datetime.now(tz=UTC) + timedelta(seconds=int(seconds)) if seconds else None
        return Identity(
            user=user, scheme="limited", restrictions=POLICIES[name], expires_at=expires
        )


LIMITED_CHAIN = override_settings(
    AUTHGATE={
        **django_settings.AUTHGATE,
        "BACKENDS": [
            "authgate.schemes.session.SessionBackend",
            "tests.schemes.scoped.test_views.LimitedBackend",
            "authgate.schemes.scoped.backend.ScopedTokenBackend",
            "authgate.schemes.basic.BasicBackend",
        ],
    }
)


def limited(name: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Limited {name}"}


def tmp(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"TmpToken {token}"}


def mint(client, body, credentials=BASIC):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **credentials)


# -- minting with the user's full rights ---------------------------------------------------


def test_mint_a_token_and_use_it(client, user):
    note = Note.objects.create(owner=user, title="mine")
    response = mint(
        client, {"endpoints": {"GET": ["/api/notes/"]}, "max_age": 120, "recipient": "ci"}
    )
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token"].startswith("ags1_")
    assert body["token_type"] == "TmpToken"
    assert body["expires_in"] == 120
    assert body["endpoints"] == {"GET": ["/api/notes/"]}
    assert body["scopes"] is None and body["recipient"] == "ci"
    claims = scoped.parse(body["token"])
    assert datetime.fromisoformat(body["expires_at"]).timestamp() == claims.expires_at
    token = body["token"]
    assert client.get("/api/notes/", **tmp(token)).json()["notes"][0]["title"] == "mine"
    assert client.delete(f"/api/notes/{note.pk}/", **tmp(token)).status_code == 403
    (event,) = TokenEvent.objects.filter(kind="issued")
    assert event.credential_id == body["id"] == scoped.token_id(token)
    assert event.ip == "127.0.0.1"


def test_default_max_age(client, user):
    assert mint(client, {"endpoints": {"GET": ["/api/notes/"]}}).json()["expires_in"] == 360


def test_full_rights_may_grant_any_registered_scope(client, user):
    body = mint(
        client,
        {"endpoints": {"GET": ["/api/notes/"], "POST": ["/api/notes/"]}, "scopes": ["notes:read"]},
    ).json()
    assert body["scopes"] == ["notes:read"]
    token = body["token"]
    assert client.get("/api/notes/", **tmp(token)).status_code == 200
    response = client.post(
        "/api/notes/", '{"title": "x"}', content_type="application/json", **tmp(token)
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_needs_credentials(client, user):
    response = client.post(URL, "{}", content_type="application/json")
    assert response.status_code == 401
    assert 'TmpToken realm="api"' in response["WWW-Authenticate"]


def test_only_post(client, user):
    response = client.get(URL, **BASIC)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_session_minting_needs_csrf(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post(
        URL, '{"endpoints": {"GET": ["/api/notes/"]}}', content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "JSON object"),
        ("[1]", "JSON object"),
        ({}, '"endpoints" is required'),
        ({"endpoints": {"GET": ["/api/notes/"]}, "extra": 1}, "Unknown field(s): extra"),
        ({"endpoints": ["/api/notes/"]}, "mapping of HTTP method"),
        ({"endpoints": {"FETCH": ["/api/notes/"]}}, "unknown method"),
        ({"endpoints": {"GET": "/api/notes/"}}, "list of paths"),
        ({"endpoints": {"GET": ["api/notes/"]}}, "absolute"),
        ({"endpoints": {"GET": ["/.."]}}, "not a usable path prefix"),
        ({"endpoints": {"GET": ["/api/notes/"]}, "max_age": 7200}, "SCOPED_MAX_AGE"),
        ({"endpoints": {"GET": ["/api/notes/"]}, "max_age": "10m"}, "integer number of seconds"),
        ({"endpoints": {"GET": ["/api/notes/"]}, "max_age": 0}, "positive"),
        ({"endpoints": {"GET": ["/api/notes/"]}, "scopes": ["admin"]}, "unknown scope"),
        ({"endpoints": {"GET": ["/api/notes/"]}, "scopes": "notes:read"}, "list of scope names"),
        ({"endpoints": {"GET": ["/api/notes/"]}, "recipient": 5}, "recipient"),
    ],
)
def test_bad_requests_are_400_with_a_reason(client, user, body, message):
    response = mint(client, body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert message in response.json()["detail"]
    assert not TokenEvent.objects.exists()


# -- never more than the minting credential ------------------------------------------------


@LIMITED_CHAIN
def test_a_notes_read_credential_mints_read_only_tokens(client, user):
    endpoints = {"GET": ["/api/notes/"], "POST": ["/api/notes/"]}
    body = mint(client, {"endpoints": endpoints}, limited("read")).json()
    assert body["scopes"] == ["notes:read"]  # inherited although none were requested
    token = body["token"]
    assert client.get("/api/notes/", **tmp(token)).status_code == 200
    response = client.post(
        "/api/notes/", '{"title": "x"}', content_type="application/json", **tmp(token)
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert not Note.objects.exists()


@LIMITED_CHAIN
def test_requested_scopes_are_intersected(client, user):
    body = {"endpoints": {"GET": ["/api/notes/"]}, "scopes": ["notes:read", "notes:write"]}
    assert mint(client, body, limited("read")).json()["scopes"] == ["notes:read"]
    response = mint(client, {**body, "scopes": ["notes:write"]}, limited("read"))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


@LIMITED_CHAIN
def test_a_credential_without_scopes_mints_tokens_without_scopes(client, user):
    token = mint(client, {"endpoints": {"GET": ["/api/notes/"]}}, limited("noscopes")).json()[
        "token"
    ]
    assert scoped.parse(token).scopes == ()
    assert client.get("/api/notes/", **tmp(token)).status_code == 403


@LIMITED_CHAIN
@pytest.mark.parametrize(
    ("endpoints", "status"),
    [
        ({"GET": ["/api/notes/"]}, 201),
        ({"GET": ["/api/notes/1/"]}, 201),
        ({"HEAD": ["/api/notes/"]}, 201),
        ({"GET": ["/api/"]}, 403),
        ({"GET": ["/"]}, 403),
        ({"GET": ["/api/whoami/"]}, 403),
        ({"GET": ["/api/notesX/"]}, 403),
        ({"GET": ["/api/notes/../whoami/"]}, 400),  # not canonical: refused as typed
        ({"DELETE": ["/api/notes/"]}, 403),
        ({"GET": ["/api/notes/"], "POST": ["/api/notes/"]}, 403),
    ],
)
def test_path_limited_credentials_mint_within_their_paths(client, user, endpoints, status):
    response = mint(client, {"endpoints": endpoints}, limited("paths"))
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["error"] == "insufficient_scope"


@LIMITED_CHAIN
def test_view_policies_are_checked_for_every_view_under_the_prefix(client, user):
    # The prefix /api/notes/ also covers note-detail, which this credential may not read.
    response = mint(client, {"endpoints": {"GET": ["/api/notes/"]}}, limited("views"))
    assert response.status_code == 403
    assert "GET on /api/notes/" in response.json()["detail"]
    assert (
        mint(client, {"endpoints": {"GET": ["/api/notes/"]}}, limited("views+detail")).status_code
        == 201
    )
    assert (
        mint(client, {"endpoints": {"POST": ["/api/notes/"]}}, limited("views+detail")).status_code
        == 403
    )


@LIMITED_CHAIN
def test_a_read_only_policy_cannot_mint_at_all(client, user):
    # Minting is a POST, which a read-only policy blocks before the view runs.
    response = mint(client, {"endpoints": {"GET": ["/api/notes/"]}}, limited("readonly"))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


@LIMITED_CHAIN
def test_a_minted_token_expires_no_later_than_its_parent(client, user):
    body = mint(
        client, {"endpoints": {"GET": ["/api/notes/"]}, "max_age": 3600}, limited("paths~30")
    ).json()
    assert 28 <= body["expires_in"] <= 30
    claims = scoped.parse(body["token"])
    assert claims.expires_at <= time.time() + 30


def test_a_scoped_token_may_mint_only_within_itself(client, user):
    parent = scoped.issue(user, {"POST": ["/auth/scoped/"], "GET": ["/api/notes/"]}, max_age=120)
    child = mint(client, {"endpoints": {"GET": ["/api/notes/1/"]}, "max_age": 3600}, tmp(parent))
    assert child.status_code == 201
    assert child.json()["expires_in"] <= 120
    assert mint(client, {"endpoints": {"GET": ["/api/whoami/"]}}, tmp(parent)).status_code == 403
    # A scoped token without the mint endpoint cannot mint at all.
    other = scoped.issue(user, {"GET": ["/api/notes/"]})
    response = mint(client, {"endpoints": {"GET": ["/api/notes/"]}}, tmp(other))
    assert response.status_code == 403


def test_view_names_under_a_prefix():
    assert view_names_under("/api/notes/") == {"note-list", "note-detail"}
    assert {"whoami", "note-list", "drf-whoami"} <= view_names_under("/api/")
    assert view_names_under("/auth/scoped/") == {"authgate:scoped-mint"}
    assert view_names_under("/api/notes/1/") == {"note-detail"}
    assert view_names_under("/nothing/here/") == set()


# -- with a real API token -------------------------------------------------------------------


def test_a_scoped_token_minted_from_a_notes_read_api_token_cannot_write(client, user):
    tokens = pytest.importorskip("authgate.schemes.tokens.service")
    _row, api_token = tokens.issue(user, name="reader", scopes=["notes:read"])
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {api_token}"}
    endpoints = {"GET": ["/api/notes/"], "POST": ["/api/notes/"]}
    response = mint(client, {"endpoints": endpoints}, bearer)
    assert response.status_code == 201, response.content
    assert response.json()["scopes"] == ["notes:read"]
    token = response.json()["token"]
    assert client.get("/api/notes/", **tmp(token)).status_code == 200
    response = client.post(
        "/api/notes/", '{"title": "x"}', content_type="application/json", **tmp(token)
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert not Note.objects.exists()
    wants_write = {"endpoints": endpoints, "scopes": ["notes:write"]}
    assert mint(client, wants_write, bearer).status_code == 403


def test_a_read_only_policy_api_token_cannot_mint(client, user):
    tokens = pytest.importorskip("authgate.schemes.tokens.service")
    policy = {"resources": {"*": {"allow": ["GET", "HEAD", "OPTIONS"], "block": ["*"]}}}
    _row, api_token = tokens.issue(user, name="ro", policy=policy)
    response = mint(
        client,
        {"endpoints": {"GET": ["/api/notes/"]}},
        {"HTTP_AUTHORIZATION": f"Bearer {api_token}"},
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
