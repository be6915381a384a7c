"""RFC 7009 revocation by value at POST /auth/revoke/: each credential kind, and the same
answer for anything else."""

from __future__ import annotations

import pytest
from django.core import mail

from authgate import links, scoped
from authgate.audit import TokenEvent
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.models import APIToken

pytestmark = pytest.mark.django_db

REVOKE = "/auth/revoke/"


def revoke(client, **form):
    return client.post(REVOKE, form)


def test_an_api_token_is_revoked_by_value(client, make_user):
    user = make_user("holder", email="h@example.com")
    row, plaintext = tokens.issue(user)
    assert client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200
    response = revoke(client, token=plaintext, token_type_hint="access_token")
    assert response.status_code == 200
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"
    row.refresh_from_db()
    assert row.revoked_reason == "revoked by value (RFC 7009)"
    assert client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401
    assert TokenEvent.objects.filter(kind="revoked", credential_id=row.display_prefix).count() == 1
    assert mail.outbox == []  # a client logging out is no leak
    # Again: the same answer, nothing recorded twice.
    assert revoke(client, token=plaintext).status_code == 200
    assert TokenEvent.objects.filter(kind="revoked", credential_id=row.display_prefix).count() == 1


def test_a_scoped_token_is_revoked_by_value(client, make_user):
    user = make_user("holder")
    value = scoped.issue(user, {"GET": ["/api/"]})
    header = {"HTTP_AUTHORIZATION": f"TmpToken {value}"}
    assert client.get("/api/whoami/", **header).status_code == 200
    assert revoke(client, token=value).status_code == 200
    assert client.get("/api/whoami/", **header).status_code == 401
    assert TokenEvent.objects.filter(kind="revoked", credential_kind="scoped").count() == 1


def test_a_link_is_revoked_by_value(client, make_user):
    user = make_user("holder")
    value = links.get_token(user)
    assert revoke(client, token=value, token_type_hint="refresh_token").status_code == 200
    assert client.get("/api/whoami/", {"sesame": value}).status_code == 401
    assert TokenEvent.objects.filter(kind="revoked", credential_kind="link").count() == 1


def test_a_link_of_another_scope_is_revoked_too(client, make_user):
    user = make_user("holder")
    value = links.get_token(user, scope="report:42")
    assert links.get_user(value, scope="report:42") == user
    assert revoke(client, token=value).status_code == 200
    assert links.get_user(value, scope="report:42") is None


@pytest.mark.parametrize(
    "value",
    [
        "nonsense",
        "agt_" + "A" * 42,  # the shape, a bad checksum
        "ags1_eyJ4IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA",  # the shape, a bad signature
        "agl1_AAAAAAAAAAAAAAAAAAAAAAAA",
        "x" * 5000,
    ],
)
def test_unknown_and_invalid_values_get_the_same_answer(client, make_user, value):
    user = make_user("holder")
    row, _plaintext = tokens.issue(user)
    response = revoke(client, token=value)
    assert response.status_code == 200
    assert response.content == b""
    row.refresh_from_db()
    assert row.revoked_at is None


def test_an_unknown_token_with_a_good_checksum_gets_the_same_answer(client, make_user):
    user = make_user("holder")
    row, plaintext = tokens.issue(user)
    APIToken.objects.filter(pk=row.pk).delete()
    live = revoke(client, token=tokens.issue(user)[1])
    gone = revoke(client, token=plaintext)
    assert (gone.status_code, gone.content, dict(gone.headers)) == (
        live.status_code,
        live.content,
        dict(live.headers),
    )


def test_a_missing_token_is_invalid_request(client):
    for form in ({}, {"token": ""}, {"token_type_hint": "access_token"}):
        response = client.post(REVOKE, form)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"


def test_only_post(client):
    assert client.get(REVOKE, {"token": "x"}).status_code == 405


def test_revocation_is_rate_limited_per_client(client, settings):
    settings.AUTHGATE = {**settings.AUTHGATE, "LEAKS_REVOKE_RATE": "2/m"}
    statuses = [revoke(client, token="nonsense").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_token_of_a_deactivated_user_keeps_its_reason(client, make_user):
    """Deactivating a user already revoked their tokens: the same 200, nothing rewritten."""
    user = make_user("holder")
    row, plaintext = tokens.issue(user)
    user.is_active = False
    user.save()
    row.refresh_from_db()
    reason = row.revoked_reason
    assert reason
    assert revoke(client, token=plaintext).status_code == 200
    row.refresh_from_db()
    assert row.revoked_reason == reason
