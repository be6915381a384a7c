"""Binding API tokens to a DPoP key at issue: the two endpoints, the command, the pages, the
admin, the JSON API, and the checks.

A request that asks for a token carries an RFC 9449 §5 proof: ``htm`` and ``htu`` of the
issuing endpoint, no ``ath`` (there is no token yet). Proofs are made with joserfc.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from authgate.conf import user_settings
from authgate.dpop_checks import check_dpop_settings
from authgate.models import APIToken
from authgate.schemes.tokens.checks import check_token_settings
from authgate.schemes.tokens.service import issue
from tests.schemes.oauth.oidc_provider import dpop_proof, new_key

pytestmark = pytest.mark.django_db

AUTHGATE = user_settings()
OBTAIN = "http://testserver/auth/token/"
API = "http://testserver/auth/api/tokens/"
WHOAMI = "http://testserver/api/whoami/"
ALICE = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"alice:correct horse").decode()}


def obtain(client: Client, proof: str | None = None, password: str = "correct horse") -> Any:
    extra = {"HTTP_DPOP": proof} if proof is not None else {}
    body = json.dumps({"username": "alice", "password": password})
    return client.post("/auth/token/", body, content_type="application/json", **extra)


def create(client: Client, proof: str | None = None, **auth: str) -> Any:
    extra = {"HTTP_DPOP": proof} if proof is not None else {}
    body = json.dumps({"name": "bound"})
    return client.post("/auth/api/tokens/", body, content_type="application/json", **auth, **extra)


def works_only_with(key: Any, token: str) -> None:
    """``token`` is bound to ``key``: accepted with its proof, refused as Bearer or with
    another key's proof."""
    client = Client()
    proof = dpop_proof(key, "GET", WHOAMI, access_token=token)
    ok = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    assert ok.status_code == 200, ok.content
    assert client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    other = dpop_proof(new_key(), "GET", WHOAMI, access_token=token)
    refused = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=other)
    assert refused.status_code == 401


# --- POST /auth/token/ ---------------------------------------------------------------------


def test_obtain_with_a_proof_binds_the_token(client, user):
    key = new_key()
    response = obtain(client, dpop_proof(key, "POST", OBTAIN))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert APIToken.objects.get().dpop_jkt == key.thumbprint()
    works_only_with(key, body["token"])


@pytest.mark.parametrize(
    ("make", "detail"),
    [
        (
            lambda k: dpop_proof(k, "GET", OBTAIN),
            "The DPoP proof was made for another HTTP method.",
        ),
        (lambda k: dpop_proof(k, "POST", API), "The DPoP proof was made for another URL."),
        (lambda k: "not-a-jwt", "The DPoP proof is not a JWT."),
    ],
)
def test_obtain_with_a_bad_proof_is_400_before_the_password(client, user, make, detail):
    response = obtain(client, make(new_key()), password="wrong")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_dpop_proof", "detail": detail}
    assert not APIToken.objects.exists()


def test_obtain_with_a_replayed_proof_is_400(client, user):
    proof = dpop_proof(new_key(), "POST", OBTAIN)
    assert obtain(client, proof).status_code == 200
    replayed = obtain(client, proof)
    assert replayed.status_code == 400
    assert replayed.json()["detail"] == "This DPoP proof has already been used."
    assert APIToken.objects.count() == 1


def test_obtain_with_nonces_on_hands_out_a_nonce(client, user):
    key = new_key()
    with override_settings(AUTHGATE={**AUTHGATE, "DPOP_NONCES": True}):
        first = obtain(client, dpop_proof(key, "POST", OBTAIN))
        assert first.status_code == 400 and first.json()["error"] == "use_dpop_nonce"
        proof = dpop_proof(key, "POST", OBTAIN, nonce=first["DPoP-Nonce"])
        assert obtain(client, proof).json()["token_type"] == "DPoP"


def test_obtain_without_a_proof_is_a_bearer_token(client, user):
    body = obtain(client).json()
    assert body["token_type"] == "Bearer" and APIToken.objects.get().dpop_jkt == ""


# --- POST /auth/api/tokens/ ------------------------------------------------------------------


def test_api_create_with_a_proof_binds_the_token(client, user):
    key = new_key()
    response = create(client, dpop_proof(key, "POST", API), **ALICE)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["item"]["dpop_jkt"] == key.thumbprint()
    works_only_with(key, body["token"])
    listed = client.get("/auth/api/tokens/", **ALICE).json()["tokens"]
    assert [t["dpop_jkt"] for t in listed] == [key.thumbprint()]


def test_api_create_with_a_bad_proof_is_400(client, user):
    response = create(client, dpop_proof(new_key(), "POST", OBTAIN), **ALICE)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"
    assert not APIToken.objects.exists()


def test_a_bound_caller_creates_tokens_bound_to_its_own_key(client, user):
    """The caller's proof (verified by the chain, its jti spent) is the binding: the new
    token is bound to the caller's key, never a bearer token minted by a bound one."""
    key = new_key()
    _row, caller = issue(user, name="caller", dpop_jkt=key.thumbprint())
    proof = dpop_proof(key, "POST", API, access_token=caller)
    response = create(client, proof, HTTP_AUTHORIZATION=f"DPoP {caller}")
    assert response.status_code == 201, response.content
    assert response.json()["item"]["dpop_jkt"] == key.thumbprint()
    works_only_with(key, response.json()["token"])
    unbound = create(client, None, HTTP_AUTHORIZATION=f"Bearer {caller}")
    assert unbound.status_code == 401  # the downgrade: no token minted
    assert APIToken.objects.count() == 2


def test_api_rotation_keeps_the_binding(client, user):
    key = new_key()
    row, _token = issue(user, dpop_jkt=key.thumbprint())
    url = f"/auth/api/tokens/{row.pk}/rotate/"
    response = client.post(url, "{}", content_type="application/json", **ALICE)
    assert response.status_code == 201
    assert response.json()["item"]["dpop_jkt"] == key.thumbprint()
    assert response.json()["replaces"]["dpop_jkt"] == key.thumbprint()


def test_api_unbound_tokens_say_null(client, user):
    issue(user)
    assert client.get("/auth/api/tokens/", **ALICE).json()["tokens"][0]["dpop_jkt"] is None


# --- manage.py authgate issue --dpop-jkt ---------------------------------------------------------


def test_command_binds_the_token(user):
    key = new_key()
    out = io.StringIO()
    call_command("authgate", "issue", "alice", "--dpop-jkt", key.thumbprint(), stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert f"  dpop:    bound to the key {key.thumbprint()} (send it as DPoP)" in lines
    works_only_with(key, lines[-1])


def test_command_refuses_a_bad_thumbprint(user):
    with pytest.raises(CommandError, match="43 base64url characters"):
        call_command("authgate", "issue", "alice", "--dpop-jkt", "not-a-thumbprint")
    assert not APIToken.objects.exists()


# --- the pages and the admin -------------------------------------------------------------------


def test_the_token_page_shows_which_tokens_are_bound(client, user):
    key = new_key()
    issue(user, name="bound", dpop_jkt=key.thumbprint())
    issue(user, name="plain")
    client.force_login(user)
    page = client.get("/auth/tokens/").content.decode()
    assert page.count("DPoP-bound to the key") == 1
    assert f"<code>{key.thumbprint()[:8]}…</code>" in page


def test_the_admin_shows_the_binding(client, user, make_user):
    key = new_key()
    row, _token = issue(user, name="bound", dpop_jkt=key.thumbprint())
    client.force_login(make_user("root", "pw", is_staff=True, is_superuser=True))
    changelist = client.get("/admin/authgate/apitoken/").content.decode()
    assert "DPoP key" in changelist and f"{key.thumbprint()[:8]}…" in changelist
    change = client.get(f"/admin/authgate/apitoken/{row.pk}/change/").content.decode()
    assert key.thumbprint() in change


# --- checks ----------------------------------------------------------------------------------


def test_token_keywords_may_not_name_dpop(settings):
    settings.AUTHGATE = {**AUTHGATE, "TOKEN_KEYWORDS": ["Bearer", "dpop"]}
    assert "authgate.E021" in {m.id for m in check_token_settings()}


def test_dpop_settings_are_checked_with_token_backend_alone(settings):
    """The chain of these tests has TokenBackend and no OAuthBackend."""
    settings.AUTHGATE = {**AUTHGATE, "DPOP_ALGORITHMS": ["HS256"]}
    assert {m.id for m in check_dpop_settings()} == {"authgate.E091"}
    settings.AUTHGATE = {**AUTHGATE, "DPOP_PROOF_MAX_AGE": 600}
    assert {m.id for m in check_dpop_settings()} == {"authgate.W091"}
    backends = ["authgate.schemes.basic.BasicBackend"]
    settings.AUTHGATE = {"BACKENDS": backends, "DPOP_ALGORITHMS": ["HS256"]}
    assert check_dpop_settings() == []
