"""The DRF adapter: same chain, every challenge on 401, authgate's error shape, HasScope."""

import base64

import pytest
from rest_framework.test import APIClient

from authgate.chain import load_backends

pytestmark = pytest.mark.django_db

BASIC = "Basic " + base64.b64encode(b"alice:correct horse").decode()


@pytest.fixture
def api():
    return APIClient()


def test_whoami_through_drf(api, user):
    response = api.get("/api/drf/whoami/", HTTP_AUTHORIZATION=BASIC)
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "scheme": "basic", "scopes": None}


def test_drf_401_lists_every_challenge_and_uses_the_error_shape(api, db):
    response = api.get("/api/drf/whoami/")
    assert response.status_code == 401
    # One challenge per backend of the configured chain that has one, in chain order.
    expected = [c for b in load_backends() if (c := b.challenge(response.wsgi_request))]
    assert 'Basic realm="api", charset="UTF-8"' in expected
    assert response["WWW-Authenticate"] == ", ".join(expected)
    assert response.json()["error"] == "not_authenticated"


def test_drf_malformed_header_is_invalid_request(api, db):
    response = api.get("/api/drf/whoami/", HTTP_AUTHORIZATION="Basic %%%")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_request"


def test_drf_force_authenticate_works_with_api_client(api, user):
    api.force_authenticate(user)
    response = api.get("/api/drf/notes/")
    assert response.status_code == 200


def test_drf_notes_are_per_user(api, make_user):
    alice = make_user("alice", "correct horse")
    make_user("bob", "bob-pw")
    from notes.models import Note

    Note.objects.create(owner=alice, title="alice's")
    bob = "Basic " + base64.b64encode(b"bob:bob-pw").decode()
    assert api.get("/api/drf/notes/", HTTP_AUTHORIZATION=bob).json() == []
    response = api.get("/api/drf/notes/", HTTP_AUTHORIZATION=BASIC)
    assert [note["title"] for note in response.json()] == ["alice's"]


def test_drf_session_post_needs_csrf(user):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)
    response = api.post("/api/drf/notes/", {"title": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"
