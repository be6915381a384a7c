"""The demo's plain-Django notes API, black box: CRUD, per-user isolation, bad input."""

import base64
import json

import pytest

pytestmark = pytest.mark.django_db


def auth(name, password):
    return {
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()
    }


@pytest.fixture
def alice(make_user):
    make_user("alice", "a-pw")
    return auth("alice", "a-pw")


@pytest.fixture
def bob(make_user):
    make_user("bob", "b-pw")
    return auth("bob", "b-pw")


def post(client, url, data, headers, method="post"):
    return getattr(client, method)(
        url, data=json.dumps(data), content_type="application/json", **headers
    )


def test_public_needs_no_credentials(client, db):
    response = client.get("/api/public/")
    assert response.status_code == 200
    assert response.json()["authenticated"] is False


def test_crud_cycle(client, alice):
    created = post(client, "/api/notes/", {"title": "first", "body": "b"}, alice)
    assert created.status_code == 201
    note_id = created.json()["id"]
    assert client.get("/api/notes/", **alice).json()["notes"][0]["title"] == "first"
    updated = post(client, f"/api/notes/{note_id}/", {"title": "renamed"}, alice, method="patch")
    assert updated.json()["title"] == "renamed"
    assert client.delete(f"/api/notes/{note_id}/", **alice).status_code == 204
    assert client.get("/api/notes/", **alice).json() == {"notes": []}


def test_users_see_only_their_own_notes(client, alice, bob):
    note_id = post(client, "/api/notes/", {"title": "private"}, alice).json()["id"]
    assert client.get("/api/notes/", **bob).json() == {"notes": []}
    assert client.get(f"/api/notes/{note_id}/", **bob).status_code == 404
    assert client.delete(f"/api/notes/{note_id}/", **bob).status_code == 404


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"title": 5}', '{"title": ""}'])
def test_bad_bodies_are_400(client, alice, body):
    response = client.post("/api/notes/", data=body, content_type="application/json", **alice)
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_json", "invalid_note"}


def test_home_page_explains_how_to_authenticate(client, db):
    response = client.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "curl -i -u alice:alice-password" in text
    assert "Django REST framework view" in text
