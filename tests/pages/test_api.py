"""The token JSON API: tokens:manage, never more rights than the caller, CSRF for sessions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from authgate.models import APIToken
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens.service import issue
from authgate.schemes.tokens.service import revoke as revoke_token
from tests.pages.conftest import basic, bearer

pytestmark = pytest.mark.django_db

URL = "/auth/api/tokens/"
ALICE = basic("alice", "correct horse")


def post(client: Client, url: str, data: Any = None, **extra: Any) -> Any:
    body = json.dumps(data) if data is not None else ""
    return client.post(url, body, content_type="application/json", **extra)


def manager(user: Any, **kwargs: Any) -> tuple[APIToken, dict[str, str]]:
    """A token of ``user`` with tokens:manage (and notes:read unless told otherwise)."""
    kwargs.setdefault("scopes", ["notes:read", "tokens:manage"])
    token, plaintext = issue(user, name="manager", **kwargs)
    return token, bearer(plaintext)


# --- who may call ----------------------------------------------------------------------------


def test_anonymous_is_401(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_a_token_needs_tokens_manage(client: Client, user: Any) -> None:
    _token, plaintext = issue(user, name="reader", scopes=["notes:read"])
    for response in (
        client.get(URL, **bearer(plaintext)),
        post(client, URL, {}, **bearer(plaintext)),
    ):
        assert response.status_code == 403
        assert response.json()["error"] == "insufficient_scope"
        assert 'scope="tokens:manage"' in response["WWW-Authenticate"]
    assert APIToken.objects.count() == 1


def test_a_full_access_token_may_manage(client: Client, user: Any) -> None:
    _token, plaintext = issue(user, name="full")
    assert client.get(URL, **bearer(plaintext)).status_code == 200


def test_session_callers_need_csrf(user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(URL).status_code == 200
    refused = post(client, URL, {"name": "x"})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    client.get("/auth/tokens/new/")  # a form: sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    assert post(client, URL, {"name": "x"}, HTTP_X_CSRFTOKEN=csrf).status_code == 201


# --- list, create, show ------------------------------------------------------------------------


def test_create_returns_the_secret_once(client: Client, user: Any) -> None:
    response = post(
        client, URL, {"name": "ci", "scopes": ["notes:read"], "expires_in": "7d"}, **ALICE
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    item = body["item"]
    assert item["name"] == "ci" and item["scopes"] == ["notes:read"]
    assert item["status"] == "active" and item["prefix"] == body["token"][:10]
    assert Client().get("/api/whoami/", **bearer(body["token"])).status_code == 200
    listed = client.get(URL, **ALICE).json()["tokens"]
    assert [t["id"] for t in listed] == [item["id"]]
    assert body["token"] not in json.dumps(listed)
    detail = client.get(f"{URL}{item['id']}/", **ALICE)
    assert detail.json() == listed[0]
    assert "token" not in detail.json() and "digest" not in detail.json()


def test_list_is_own_tokens_only(client: Client, user: Any, bob: Any) -> None:
    theirs, _ = issue(bob, name="bob's")
    issue(user, name="mine")
    assert [t["name"] for t in client.get(URL, **ALICE).json()["tokens"]] == ["mine"]
    for response in (
        client.get(f"{URL}{theirs.pk}/", **ALICE),
        post(client, f"{URL}{theirs.pk}/revoke/", **ALICE),
        post(client, f"{URL}{theirs.pk}/rotate/", **ALICE),
        client.delete(f"{URL}{theirs.pk}/", **ALICE),
    ):
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_list_query_count(client: Client, user: Any, django_assert_max_num_queries: Any) -> None:
    _manager, headers = manager(user)
    for index in range(10):
        issue(user, name=f"t{index}")
    # token lookup + the list (last_used is written by the usage flush, not the request)
    with django_assert_max_num_queries(2):
        assert len(client.get(URL, **headers).json()["tokens"]) == 11


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("not json", "Send a JSON object"),
        ([], "Send a JSON object"),
        ({"name": "x", "colour": "red"}, "Unknown field(s): colour"),
        ({"scopes": "notes:read"}, "scopes and allowed_ips are lists"),
        ({"scopes": ["admin"]}, "Unknown scope 'admin'"),
        ({"expires_in": "forever"}, "is not a duration"),
        ({"expires_in": "400d"}, "at most 366 days"),
        ({"expires_in": "never"}, "ALLOW_NON_EXPIRING_TOKENS"),
        ({"allowed_ips": ["nope"]}, "is not an IP address"),
        ({"policy": {"resources": 1}}, "Invalid policy"),
    ],
)
def test_bad_requests(client: Client, user: Any, body: Any, detail: str) -> None:
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(URL, data, content_type="application/json", **ALICE)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"
    assert detail in response.json()["detail"]
    assert not APIToken.objects.exists()


def test_wrong_method(client: Client, user: Any) -> None:
    assert client.put(URL, **ALICE).status_code == 405


# --- never more than the caller ----------------------------------------------------------------


def test_scopes_must_be_a_subset(client: Client, user: Any) -> None:
    _token, headers = manager(user)
    refused = post(client, URL, {"scopes": ["notes:write"]}, **headers)
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    assert "notes:write" in refused.json()["detail"]
    ok = post(client, URL, {"scopes": ["notes:read"]}, **headers)
    assert ok.status_code == 201 and ok.json()["item"]["scopes"] == ["notes:read"]
    # No scopes asked: the caller's own limit is passed on, never "full access".
    inherited = post(client, URL, {"name": "same"}, **headers)
    assert inherited.json()["item"]["scopes"] == ["notes:read", "tokens:manage"]


def test_expiry_is_capped_at_the_callers(client: Client, user: Any) -> None:
    caller, headers = manager(user, expires_in=timedelta(days=1))
    body = post(client, URL, {"expires_in": "30d"}, **headers).json()
    assert body["item"]["expires"] == caller.expires.isoformat()
    shorter = post(client, URL, {"expires_in": "1h"}, **headers).json()
    expires = APIToken.objects.get(pk=shorter["item"]["id"]).expires
    assert expires < caller.expires


def test_policy_is_passed_on_unchanged(client: Client, user: Any) -> None:
    read_only = {"resources": {"*": {"allow": ["GET", "HEAD", "OPTIONS"], "block": ["*"]}}}
    _caller, headers = manager(user, scopes=None, policy=read_only)
    # A read-only policy also blocks POST to the API itself: the chain refuses first.
    assert post(client, URL, {}, **headers).status_code == 403
    other = {"resources": {"*": {"block": ["DELETE"]}}}
    _caller, headers = manager(user, scopes=None, policy=other)
    body = post(client, URL, {"name": "child"}, **headers).json()
    assert body["item"]["policy"] == other
    refused = post(client, URL, {"policy": read_only}, **headers)
    assert refused.status_code == 403


def test_ip_allowlist_can_only_narrow(client: Client, user: Any, settings: Any) -> None:
    _caller, headers = manager(user, allowed_ips=["127.0.0.0/8"])
    inherited = post(client, URL, {}, **headers).json()["item"]
    assert inherited["allowed_ips"] == ["127.0.0.0/8"]
    narrower = post(client, URL, {"allowed_ips": ["127.0.0.1"]}, **headers).json()["item"]
    assert narrower["allowed_ips"] == ["127.0.0.1/32"]
    wider = post(client, URL, {"allowed_ips": ["0.0.0.0/0"]}, **headers)
    assert wider.status_code == 403


def test_limited_use_tokens_cannot_create(client: Client, user: Any) -> None:
    _caller, headers = manager(user, max_uses=5)
    assert post(client, URL, {}, **headers).status_code == 403


def test_scoped_tokens_cannot_create(client: Client, user: Any) -> None:
    token = scoped.issue(user, {"GET": [URL], "POST": [URL]}, max_age=600)
    headers = {"HTTP_AUTHORIZATION": f"TmpToken {token}"}
    response = post(client, URL, {}, **headers)
    assert response.status_code == 403
    assert "cannot be carried by an API token" in response.json()["detail"]


# --- revoke, rotate ----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["post", "delete"])
def test_revoke(client: Client, user: Any, how: str) -> None:
    token, plaintext = issue(user, name="old")
    url = f"{URL}{token.pk}/"
    if how == "post":
        response = post(client, url + "revoke/", {"reason": "leaked"}, **ALICE)
    else:
        response = client.delete(
            url, json.dumps({"reason": "leaked"}), content_type="application/json", **ALICE
        )
    assert response.status_code == 200
    assert response.json()["status"] == "revoked" and response.json()["revoked_reason"] == "leaked"
    refused = Client().get("/api/whoami/", **bearer(plaintext))
    assert refused.status_code == 401 and refused.json()["error"] == "revoked_token"


def test_revoke_with_the_token_cache_down_is_503_then_a_retry_succeeds(
    client: Client, user: Any, settings: Any
) -> None:
    pytest.importorskip("redis")
    from tests.reliability.test_fail_closed import CLOSED_REDIS

    settings.AUTHGATE = {**settings.AUTHGATE, "TOKEN_CACHE_TIMEOUT": 60}
    _, auth = manager(user)
    token, _ = issue(user, name="old")
    url = f"{URL}{token.pk}/"
    with override_settings(CACHES=CLOSED_REDIS):
        response = client.delete(url, **auth)
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    assert "Run it again" in response.json()["detail"]
    token.refresh_from_db()
    assert token.revoked_at is not None  # made, and the caller was told to retry
    retry = client.delete(url, **auth)
    assert retry.status_code == 200 and retry.json()["status"] == "revoked"


def test_a_manager_may_revoke_stronger_tokens(client: Client, user: Any) -> None:
    strong, _ = issue(user, name="full access")
    _caller, headers = manager(user)
    assert post(client, f"{URL}{strong.pk}/revoke/", **headers).status_code == 200


def test_rotate(client: Client, user: Any) -> None:
    old, old_plaintext = issue(user, name="ci", scopes=["notes:read"])
    response = post(client, f"{URL}{old.pk}/rotate/", {"overlap": "1h"}, **ALICE)
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["replaces"]["id"] == old.pk and body["replaces"]["status"] == "rotating"
    assert body["item"]["scopes"] == ["notes:read"]
    for each in (old_plaintext, body["token"]):
        assert Client().get("/api/whoami/", **bearer(each)).status_code == 200


def test_rotate_only_what_the_caller_covers(client: Client, user: Any) -> None:
    strong, _ = issue(user, name="full access")
    weak, _ = issue(user, name="reader", scopes=["notes:read"])
    _caller, headers = manager(user, expires_in=timedelta(hours=2))
    refused = post(client, f"{URL}{strong.pk}/rotate/", **headers)
    assert refused.status_code == 403
    strong.refresh_from_db()
    assert strong.revoked_at is None
    ok = post(client, f"{URL}{weak.pk}/rotate/", **headers)
    assert ok.status_code == 201
    new = APIToken.objects.get(pk=ok.json()["item"]["id"])
    assert new.expires <= timezone.now() + timedelta(hours=2)


def test_rotate_a_dead_token_is_400(client: Client, user: Any) -> None:
    token, _ = issue(user, name="gone")
    revoke_token(token)
    response = post(client, f"{URL}{token.pk}/rotate/", **ALICE)
    assert response.status_code == 400
    assert "Only a live token can be rotated" in response.json()["detail"]
