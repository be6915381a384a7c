"""The API-token backend, black box through the demo API: schemes, errors, one query."""

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from authgate.conf import user_settings
from authgate.core import opaque
from authgate.models import APIToken, TokenEvent
from authgate.schemes.tokens import usage as token_usage
from authgate.schemes.tokens.service import issue, revoke
from authgate.signals import token_expired_use

pytestmark = pytest.mark.django_db

AUTHGATE = user_settings()


def bearer(token, keyword="Bearer"):
    return {"HTTP_AUTHORIZATION": f"{keyword} {token}"}


def flip(token):
    """The same token with one character of its random part changed."""
    i = len(token) - 10
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]


@pytest.fixture
def alice_token(user):
    row, plaintext = issue(user, name="test", scopes=["notes:read"])
    return row, plaintext


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "token", "bEaReR"])
def test_keywords_authenticate(client, alice_token, keyword):
    response = client.get("/api/whoami/", **bearer(alice_token[1], keyword))
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "scheme": "token", "scopes": ["notes:read"]}


def test_one_indexed_query_per_request(client, alice_token, django_assert_num_queries):
    client.get("/api/whoami/", **bearer(alice_token[1]))
    with django_assert_num_queries(1) as captured:
        assert client.get("/api/whoami/", **bearer(alice_token[1])).status_code == 200
    sql = captured.captured_queries[0]["sql"]
    assert "JOIN" in sql and "digest" in sql


def test_first_use_is_written_by_the_flush_not_the_request(
    client, alice_token, django_assert_num_queries
):
    row, plaintext = alice_token
    with django_assert_num_queries(1):  # the lookup; last_used goes to the usage buffer
        client.get("/api/whoami/", **bearer(plaintext), REMOTE_ADDR="203.0.113.5")
    row.refresh_from_db()
    assert row.last_used is None
    assert token_usage.flush() == 1
    row.refresh_from_db()
    assert row.last_used is not None and row.last_used_ip == "203.0.113.5"


@override_settings(AUTHGATE={**AUTHGATE, "TOKEN_USAGE_FLUSH_INTERVAL": None})
def test_written_through_first_use_records_last_used_once(
    client, alice_token, django_assert_num_queries
):
    row, plaintext = alice_token
    with django_assert_num_queries(2):  # the lookup and the conditional last_used UPDATE
        client.get("/api/whoami/", **bearer(plaintext), REMOTE_ADDR="203.0.113.5")
    row.refresh_from_db()
    assert row.last_used is not None and row.last_used_ip == "203.0.113.5"
    first = row.last_used
    client.get("/api/whoami/", **bearer(plaintext))
    row.refresh_from_db()
    assert row.last_used == first  # within TOKEN_LAST_USED_INTERVAL: no write
    assert len(token_usage.usage_buffer()) == 0


def test_use_from_a_new_ip_is_audited_once(client, alice_token):
    row, plaintext = alice_token
    client.get("/api/whoami/", **bearer(plaintext), REMOTE_ADDR="203.0.113.5")
    token_usage.flush()
    for _ in range(2):
        client.get("/api/whoami/", **bearer(plaintext), REMOTE_ADDR="198.51.100.9")
        token_usage.flush()
    event = TokenEvent.objects.get(kind=TokenEvent.Kind.USED_NEW_IP)
    assert event.ip == "198.51.100.9" and event.credential_id == row.display_prefix
    assert event.detail == {"token_id": row.pk, "previous_ip": "203.0.113.5"}
    assert event.user_id == row.user_id


@override_settings(AUTHGATE={**AUTHGATE, "TOKEN_USAGE_FLUSH_INTERVAL": None})
def test_written_through_use_from_a_new_ip_is_audited(client, alice_token):
    row, plaintext = alice_token
    client.get("/api/whoami/", **bearer(plaintext), REMOTE_ADDR="203.0.113.5")
    APIToken.objects.filter(pk=row.pk).update(last_used=timezone.now() - timedelta(hours=1))
    client.get("/api/whoami/", **bearer(plaintext), REMOTE_ADDR="198.51.100.9")
    event = TokenEvent.objects.get(kind=TokenEvent.Kind.USED_NEW_IP)
    assert event.ip == "198.51.100.9"
    assert event.detail["previous_ip"] == "203.0.113.5"


def test_flipped_character_is_invalid_token_without_a_query(
    client, alice_token, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/api/whoami/", **bearer(flip(alice_token[1])))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert 'Bearer realm="api", error="invalid_token"' in response["WWW-Authenticate"]
    assert "error_description=" in response["WWW-Authenticate"]


@pytest.mark.parametrize(
    "value", ["garbage", "agt_" + "x" * 10, "zzz_" + "A" * 42, "agt_" + "é" * 42, "A" * 3000]
)
def test_malformed_tokens_are_invalid_without_a_query(client, db, value, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/api/whoami/", **bearer(value))
    assert response.status_code == 401
    assert response.json()["error"] in {"invalid_token", "invalid_request"}


def test_unknown_well_formed_token_is_invalid(client, db):
    response = client.get("/api/whoami/", **bearer(opaque.generate("agt")))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "detail": "Invalid token."}


def test_no_credentials_challenge_has_no_error_params(client, db):
    response = client.get("/api/whoami/")
    assert response.status_code == 401
    challenges = response["WWW-Authenticate"]
    assert 'Bearer realm="api"' in challenges
    assert "error=" not in challenges


def test_empty_bearer_header_is_invalid_request(client, db):
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION="Bearer")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_request"


def test_insufficient_scope_is_403_with_scope_in_challenge(client, alice_token):
    response = client.post(
        "/api/notes/",
        data=json.dumps({"title": "x"}),
        content_type="application/json",
        **bearer(alice_token[1]),
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="insufficient_scope"' in challenge and 'scope="notes:write"' in challenge


def test_scope_grants_the_endpoint(client, alice_token):
    response = client.get("/api/notes/", **bearer(alice_token[1]))
    assert response.status_code == 200


def test_djblets_policy_is_enforced(client, user):
    read_only = {"resources": {"*": {"allow": ["GET", "HEAD"], "block": ["*"]}}}
    _row, plaintext = issue(user, policy=read_only)
    assert client.get("/api/notes/", **bearer(plaintext)).status_code == 200
    response = client.post(
        "/api/notes/", data="{}", content_type="application/json", **bearer(plaintext)
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_policy_edits_apply_on_the_next_request(client, user):
    """Compiled restrictions are cached per token, but never outlive the row's values."""
    read_only = {"resources": {"*": {"allow": ["GET", "HEAD"], "block": ["*"]}}}
    row, plaintext = issue(user, policy=read_only)
    post = {"data": '{"title": "x"}', "content_type": "application/json", **bearer(plaintext)}
    assert client.post("/api/notes/", **post).status_code == 403
    APIToken.objects.filter(pk=row.pk).update(policy={})
    assert client.post("/api/notes/", **post).status_code == 201
    APIToken.objects.filter(pk=row.pk).update(policy=read_only)
    assert client.post("/api/notes/", **post).status_code == 403
    read_only["resources"]["*"]["allow"].append("POST")  # the cache keeps its own copy
    APIToken.objects.filter(pk=row.pk).update(policy=read_only)
    assert client.post("/api/notes/", **post).status_code == 201


def test_policy_by_url_name_and_object_id(client, user):
    policy = {"resources": {"note-detail": {"*": {"block": ["*"]}, "7": {"allow": ["GET"]}}}}
    _row, plaintext = issue(user, policy=policy)
    assert client.get("/api/notes/", **bearer(plaintext)).status_code == 200
    assert client.get("/api/notes/8/", **bearer(plaintext)).status_code == 403
    assert client.get("/api/notes/7/", **bearer(plaintext)).status_code == 404  # allowed; no note


def test_expired_token(client, alice_token):
    row, plaintext = alice_token
    expired_at = timezone.now() - timedelta(minutes=1)
    APIToken.objects.filter(pk=row.pk).update(expires=expired_at)
    seen = []
    token_expired_use.connect(
        lambda **kw: seen.append(kw["token"].pk), weak=False, dispatch_uid="t"
    )
    try:
        response = client.get("/api/whoami/", **bearer(plaintext))
        client.get("/api/whoami/", **bearer(plaintext))
    finally:
        token_expired_use.disconnect(dispatch_uid="t")
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "expired_token"
    assert body["detail"].startswith("This API token expired on ")
    assert expired_at.strftime("%Y-%m-%d %H:%M") in body["detail"]
    assert seen == [row.pk, row.pk]
    # Audited once per interval, however often it is replayed.
    assert TokenEvent.objects.filter(kind=TokenEvent.Kind.EXPIRED_USE).count() == 1


def test_revoked_token(client, alice_token):
    row, plaintext = alice_token
    revoke(row, "Leaked in a log")
    response = client.get("/api/whoami/", **bearer(plaintext))
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "revoked_token"
    assert body["detail"].startswith("This API token became invalid on ")
    assert body["detail"].endswith(": Leaked in a log")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]  # RFC 6750 §3.1


def test_inactive_user_is_refused_on_every_use(client, alice_token):
    row, plaintext = alice_token
    assert client.get("/api/whoami/", **bearer(plaintext)).status_code == 200
    # Bypass the deactivation receiver: the backend must re-check is_active itself.
    type(row.user).objects.filter(pk=row.user.pk).update(is_active=False)
    response = client.get("/api/whoami/", **bearer(plaintext))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_ip_allowlist(client, user):
    _row, plaintext = issue(user, allowed_ips=["10.0.0.0/8", "2001:db8::1"])
    assert (
        client.get("/api/whoami/", **bearer(plaintext), REMOTE_ADDR="10.1.2.3").status_code == 200
    )
    assert (
        client.get("/api/whoami/", **bearer(plaintext), REMOTE_ADDR="2001:db8::1").status_code
        == 200
    )
    response = client.get("/api/whoami/", **bearer(plaintext), REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"


def test_one_time_token_works_once(client, user):
    row, plaintext = issue(user, max_uses=1)
    assert client.get("/api/whoami/", **bearer(plaintext)).status_code == 200
    response = client.get("/api/whoami/", **bearer(plaintext))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    row.refresh_from_db()
    assert row.use_count == 1


def test_query_parameter_is_off_by_default(client, alice_token):
    response = client.get("/api/whoami/", {"access_token": alice_token[1]})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_query_parameter_when_enabled(client, alice_token):
    with override_settings(AUTHGATE={**AUTHGATE, "TOKEN_QUERY_PARAM": "access_token"}):
        response = client.get("/api/whoami/", {"access_token": alice_token[1]})
        assert response.status_code == 200
        bad = client.get("/api/whoami/", {"access_token": flip(alice_token[1])})
        assert bad.status_code == 401


def test_keywords_are_configurable(client, alice_token):
    with override_settings(AUTHGATE={**AUTHGATE, "TOKEN_KEYWORDS": ["ApiKey"]}):
        assert client.get("/api/whoami/", **bearer(alice_token[1], "apikey")).status_code == 200
        response = client.get("/api/whoami/", **bearer(alice_token[1], "Bearer"))
        assert response.status_code == 401
        assert 'ApiKey realm="api"' in client.get("/api/whoami/")["WWW-Authenticate"]


def test_drf_api_still_authenticates(client, alice_token):
    response = client.get("/api/drf/whoami/", **bearer(alice_token[1], "Token"))
    assert response.status_code == 200
    assert response.json()["scopes"] == ["notes:read"]
    refused = client.post("/api/drf/notes/", {"title": "x"}, **bearer(alice_token[1]))
    assert refused.status_code == 403
    assert 'scope="notes:write"' in refused["WWW-Authenticate"]


def test_lookup_cache_serves_hits_and_forgets_revoked(
    client, alice_token, django_assert_num_queries
):
    row, plaintext = alice_token
    with override_settings(AUTHGATE={**AUTHGATE, "TOKEN_CACHE_TIMEOUT": 60}):
        client.get("/api/whoami/", **bearer(plaintext))
        client.get("/api/whoami/", **bearer(plaintext))
        with django_assert_num_queries(0):
            assert client.get("/api/whoami/", **bearer(plaintext)).status_code == 200
        revoke(row, "gone")
        assert client.get("/api/whoami/", **bearer(plaintext)).json()["error"] == "revoked_token"


def test_deprecated_drf_keys(client, user):
    from rest_framework.authtoken.models import Token

    from authgate.schemes.tokens.commands import import_drf_tokens

    key = Token.objects.create(user=user).key
    assert import_drf_tokens().imported == 1
    assert client.get("/api/whoami/", **bearer(key, "Token")).status_code == 401  # off
    with override_settings(AUTHGATE={**AUTHGATE, "TOKEN_ACCEPT_DRF_KEYS": True}):
        response = client.get("/api/whoami/", **bearer(key, "Token"))
        assert response.status_code == 200
        assert "deprecated" in response["X-API-Token-Deprecated"]
        other = "0123456789abcdef" * 2 + "01234567"
        assert client.get("/api/whoami/", **bearer(other, "Token")).status_code == 401


# --- a session started by a token keeps its restrictions and its validity ----------------


@pytest.fixture
def session_settings():
    with override_settings(AUTHGATE={**AUTHGATE, "TOKEN_START_SESSION": True}):
        yield


def test_token_session_keeps_restrictions_and_rechecks_validity(client, user, session_settings):
    row, plaintext = issue(user, scopes=["notes:write"])
    response = client.get("/api/whoami/", **bearer(plaintext))
    assert response.status_code == 200
    assert "sessionid" in response.cookies
    # Cookie only: still the token's scopes, not the user's full rights.
    response = client.get("/api/whoami/")
    assert response.json() == {"user": "alice", "scheme": "token", "scopes": ["notes:write"]}
    assert client.get("/api/notes/").json()["error"] == "insufficient_scope"
    # Revoking the token ends the session's rights too (djblets does not re-check).
    revoke(row, "done")
    response = client.get("/api/whoami/")
    assert response.status_code == 401
    assert response.json()["error"] == "revoked_token"
    assert client.get("/api/whoami/").json()["error"] == "not_authenticated"  # logged out


def test_a_login_replaces_the_token_that_started_the_session(client, user, session_settings):
    """After a password login in a token-started session, the session is the user's own:
    not limited to the token's scopes, and not ended by revoking the token."""
    row, plaintext = issue(user, scopes=["notes:write"])
    assert client.get("/api/whoami/", **bearer(plaintext)).status_code == 200
    assert client.get("/api/whoami/").json()["scopes"] == ["notes:write"]
    assert client.login(username="alice", password="correct horse")
    assert client.get("/api/whoami/").json() == {
        "user": "alice",
        "scheme": "session",
        "scopes": None,
    }
    revoke(row, "done")
    assert client.get("/api/whoami/").json()["scheme"] == "session"


def test_token_session_is_not_restarted_on_every_request(client, user, session_settings):
    _row, plaintext = issue(user)
    first = client.get("/api/whoami/", **bearer(plaintext)).cookies["sessionid"].value
    second = client.get("/api/whoami/", **bearer(plaintext))
    assert "sessionid" not in second.cookies or second.cookies["sessionid"].value == first


def test_session_with_an_unknown_credential_kind_fails_closed(client, user):
    from authgate.schemes.session import SESSION_CREDENTIAL_KEY

    client.force_login(user)
    session = client.session
    session[SESSION_CREDENTIAL_KEY] = {"kind": "mystery", "id": 1}
    session.save()
    assert client.get("/api/whoami/").status_code == 401
