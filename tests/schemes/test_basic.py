"""Basic authentication (RFC 7617): success, malformed headers, enumeration, rate limits."""

import base64

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def basic(user: str, password: str, encoding: str = "utf-8") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode(encoding)).decode()


def test_good_credentials_authenticate(client, user):
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=basic("alice", "correct horse"))
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "scheme": "basic", "scopes": None}


def test_scheme_name_is_case_insensitive(client, user):
    header = basic("alice", "correct horse").replace("Basic", "bAsIc")
    assert client.get("/api/whoami/", HTTP_AUTHORIZATION=header).status_code == 200


def test_password_may_contain_colons(client, make_user):
    make_user("carol", "pa:ss:word")
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=basic("carol", "pa:ss:word"))
    assert response.status_code == 200


def test_latin1_fallback(client, make_user):
    make_user("dörte", "pässword")
    header = basic("dörte", "pässword", encoding="latin-1")
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 200
    assert response.json()["user"] == "dörte"


def test_utf8_credentials(client, make_user):
    make_user("željko", "пароль")
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=basic("željko", "пароль"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic ",
        "Basic not-base64!",
        "Basic YWxpY2U6Y29ycmVjdCBob3JzZQ== extra",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"alice:pass\x00word").decode(),
        "Basic " + base64.b64encode(b"ali\nce:password").decode(),
        "Basic " + "A" * 5000,
    ],
)
def test_malformed_header_is_invalid_request_not_anonymous(client, user, header):
    response = client.get("/api/public/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["detail"]
    assert 'Basic realm="api"' in response["WWW-Authenticate"]


def test_wrong_password_unknown_user_and_inactive_user_look_the_same(client, make_user):
    make_user("alice", "correct horse")
    make_user("ingrid", "correct horse", is_active=False)
    answers = set()
    for name, password in [
        ("alice", "wrong"),
        ("nobody", "correct horse"),
        ("ingrid", "correct horse"),
    ]:
        response = client.get("/api/whoami/", HTTP_AUTHORIZATION=basic(name, password))
        assert response.status_code == 401
        answers.add((response.json()["error"], response.json()["detail"]))
    assert answers == {("invalid_credentials", "Invalid username/password.")}


def test_overlong_password_is_refused_without_hashing(client, user, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/api/whoami/", HTTP_AUTHORIZATION=basic("alice", "x" * 2000))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("path", "middleware"),
    [("/api/whoami/", True), ("/api/drf/whoami/", True), ("/api/drf/whoami/", False)],
    ids=["view", "drf", "drf-without-middleware"],
)
def test_sixth_failure_in_a_minute_is_rate_limited_before_hashing(
    client, user, django_assert_num_queries, settings, path, middleware
):
    if not middleware:  # DRF's authentication class runs the chain and answers itself
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.startswith("authgate.")]
    for _ in range(5):
        response = client.get(path, HTTP_AUTHORIZATION=basic("alice", "wrong"))
        assert response.status_code == 401
    with django_assert_num_queries(0):
        response = client.get(path, HTTP_AUTHORIZATION=basic("alice", "correct horse"))
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 66  # a minute and one 6-second bucket


def test_rate_limit_is_per_username_across_ips(client, user):
    for i in range(5):
        client.get(
            "/api/whoami/", HTTP_AUTHORIZATION=basic("alice", "wrong"), REMOTE_ADDR=f"10.0.0.{i}"
        )
    response = client.get(
        "/api/whoami/", HTTP_AUTHORIZATION=basic("alice", "wrong"), REMOTE_ADDR="10.0.1.1"
    )
    assert response.status_code == 429


def test_rate_limit_is_per_ip_across_usernames(client, user):
    for i in range(5):
        client.get("/api/whoami/", HTTP_AUTHORIZATION=basic(f"user{i}", "wrong"))
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=basic("alice", "correct horse"))
    assert response.status_code == 429


@override_settings(AUTHGATE={"LOGIN_LIMIT_RATE": "2/m"})
def test_rate_is_a_setting(client, user):
    for _ in range(2):
        client.get("/api/whoami/", HTTP_AUTHORIZATION=basic("alice", "wrong"))
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=basic("alice", "wrong"))
    assert response.status_code == 429


@override_settings(AUTHGATE={"LOGIN_LIMIT_RATE": None})
def test_rate_limit_can_be_disabled(client, user):
    for _ in range(8):
        client.get("/api/whoami/", HTTP_AUTHORIZATION=basic("alice", "wrong"))
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=basic("alice", "correct horse"))
    assert response.status_code == 200


@override_settings(AUTHGATE={"REALM": "notes"})
def test_challenge_names_realm_and_charset(client, db):
    response = client.get("/api/whoami/")
    assert 'Basic realm="notes", charset="UTF-8"' in response["WWW-Authenticate"]
