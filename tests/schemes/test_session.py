"""Session authentication: the Django session user, with CSRF enforced on unsafe methods."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def session_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_session_user_is_identified(session_client):
    response = session_client.get("/api/whoami/")
    assert response.status_code == 200
    assert response.json()["scheme"] == "session"


def test_unsafe_method_without_csrf_is_403_with_reason(session_client):
    response = session_client.post(
        "/api/notes/", data=json.dumps({"title": "x"}), content_type="application/json"
    )
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "csrf_failed"
    assert body["detail"].startswith("CSRF Failed:")
    assert "WWW-Authenticate" not in response


def test_unsafe_method_with_csrf_token_succeeds(session_client):
    session_client.get("/api/public/")  # any page; then fetch a token the usual way
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    session_client.cookies["csrftoken"] = secret
    response = session_client.post(
        "/api/notes/",
        data=json.dumps({"title": "with csrf"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )
    assert response.status_code == 201


def test_deactivated_user_session_is_anonymous(session_client, user):
    user.is_active = False
    user.save()
    response = session_client.get("/api/whoami/")
    assert response.status_code == 401


def test_no_session_falls_through_to_next_backend(client, db):
    response = client.get("/api/whoami/")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_login_with_credentials_starts_a_session_then_csrf_applies(user):
    import base64

    client = Client(enforce_csrf_checks=True)
    header = "Basic " + base64.b64encode(b"alice:correct horse").decode()
    response = client.get("/api/session/login/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 200
    assert "sessionid" in response.cookies
    # The cookie alone now identifies alice ...
    assert client.get("/api/whoami/").json()["scheme"] == "session"
    # ... and an unsafe request with it but without a CSRF token is refused.
    response = client.post("/api/notes/", data="{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"


def test_a_session_request_reads_the_users_generation_once(session_client):
    # revoke_all ends password sessions (docs/security.md "Log out everywhere"): the price is
    # one query on authgate's state table per session request, and no more.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = session_client.get("/api/whoami/")
    assert response.status_code == 200
    state = [q["sql"] for q in queries if "authgate_userauthstate" in q["sql"]]
    assert len(state) == 1, [q["sql"] for q in queries]
    assert len(queries) == 3, [q["sql"] for q in queries]  # the session, the user, the state


def test_revoke_all_ends_a_password_session(session_client, user):
    from authgate.schemes.tokens.service import revoke_all

    assert session_client.get("/api/whoami/").json()["scheme"] == "session"
    revoke_all(user, "log out everywhere")
    response = session_client.get("/api/whoami/")
    assert response.status_code == 401
    assert response.json()["error"] == "revoked_token"
