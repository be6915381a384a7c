"""POST /auth/token/: username and password in, an API token out (DRF's obtain_auth_token)."""

import json
import re

import pytest
from django.test import override_settings

from authgate.conf import user_settings
from authgate.core import opaque
from authgate.models import APIToken

pytestmark = pytest.mark.django_db

URL = "/auth/token/"
AUTHGATE = user_settings()


def post_json(client, data, **extra):
    return client.post(URL, data=json.dumps(data), content_type="application/json", **extra)


def test_json_body(client, user):
    response = post_json(
        client, {"username": "alice", "password": "correct horse", "scopes": ["notes:read"]}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token", "token_type", "expires", "scopes"}
    assert body["token_type"] == "Bearer"  # DPoP when bound (tests/schemes/tokens/test_dpop.py)
    assert re.fullmatch(opaque.scanner_regex("agt"), body["token"])
    assert body["scopes"] == ["notes:read"]
    row = APIToken.objects.get()
    assert row.expires.isoformat() == body["expires"]
    whoami = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert whoami.json()["scopes"] == ["notes:read"]


def test_form_body(client, user):
    response = client.post(
        URL,
        {"username": "alice", "password": "correct horse", "scopes": "notes:read notes:write"},
    )
    assert response.status_code == 200
    assert response.json()["scopes"] == ["notes:read", "notes:write"]


def test_full_rights_by_default(client, user):
    body = client.post(URL, {"username": "alice", "password": "correct horse"}).json()
    assert body["scopes"] is None


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": "correct horse"},
        {"username": "carol", "password": "correct horse"},  # inactive
    ],
)
def test_one_answer_for_every_bad_credential(client, user, make_user, credentials):
    make_user("carol", "correct horse", is_active=False)
    response = client.post(URL, credentials)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_credentials",
        "detail": "Invalid username/password.",
    }
    assert not APIToken.objects.exists()


def test_rate_limited_like_basic(client, user):
    for _ in range(5):
        assert client.post(URL, {"username": "alice", "password": "wrong"}).status_code == 400
    response = client.post(URL, {"username": "alice", "password": "correct horse"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert not APIToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        ("not json", "application/json", "Send a JSON object"),
        ("[1, 2]", "application/json", "Send a JSON object"),
        ('{"username": "alice"}', "application/json", "Send a username and a password"),
        ('{"username": 1, "password": 2}', "application/json", "Send a username and a password"),
        (
            '{"username": "alice", "password": "correct horse", "scopes": ["nope"]}',
            "application/json",
            "Unknown scope 'nope'",
        ),
        (
            '{"username": "alice", "password": "correct horse", "scopes": 7}',
            "application/json",
            "scopes must be a list",
        ),
        (
            '{"username": "alice", "password": "correct horse", "expires_in": "9y"}',
            "application/json",
            "is not a duration",
        ),
    ],
)
def test_bad_requests(client, user, body, content_type, fragment):
    response = client.post(URL, data=body, content_type=content_type)
    assert response.status_code == 400
    assert fragment in response.json()["detail"]


def test_only_post(client, db):
    assert client.get(URL).status_code == 405


def test_a_stray_authorization_header_plays_no_part(client, user):
    response = client.post(
        URL,
        {"username": "alice", "password": "correct horse"},
        HTTP_AUTHORIZATION="Bearer garbage",
    )
    assert response.status_code == 200


def test_per_user_limit(client, user):
    with override_settings(AUTHGATE={**AUTHGATE, "MAX_TOKENS_PER_USER": 1}):
        assert (
            client.post(URL, {"username": "alice", "password": "correct horse"}).status_code == 200
        )
        response = client.post(URL, {"username": "alice", "password": "correct horse"})
    assert response.status_code == 400
    assert "MAX_TOKENS_PER_USER" in response.json()["detail"]
