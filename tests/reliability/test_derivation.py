"""Issue #19, reproductions 1-6: a credential never makes a credential that can do more.

Each test is an attack of the issue replayed through the real request stack (the demo's
URLconf: ``/auth/scoped/``, ``/auth/api/tokens/``, the pages, the notes API), and each one
succeeded on the main branch before :mod:`authgate.derive` and :mod:`authgate.lineage`.
The property test generating random parents and mint requests is in
``test_derivation_property.py``.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.management import call_command

from authgate.models import APIToken, HTTPSignatureKey, TokenEvent
from authgate.schemes.httpsig import service as signature_keys
from authgate.schemes.tokens import service as tokens
from tests.reliability.conftest import authgate_settings, client
from tests.schemes.httpsig.conftest import BACKEND as HTTPSIG
from tests.schemes.httpsig.conftest import signed_headers

pytestmark = pytest.mark.django_db

#: Everything, except DELETE on a note (djblets: resource "*", then the view and object).
NO_DELETE = {"resources": {"*": {"allow": ["*"]}, "note-detail": {"*": {"block": ["DELETE"]}}}}


@pytest.fixture(autouse=True)
def manage_scope(settings: Any) -> None:
    """``tokens:manage`` registered, as an app that lets tokens manage tokens does."""
    settings.AUTHGATE = {
        **settings.AUTHGATE,
        "SCOPES": {**settings.AUTHGATE["SCOPES"], "tokens:manage": "Manage your API tokens"},
    }


def bearer(token: str, **extra: Any) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", **extra}


def scoped_auth(token: str, **extra: Any) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"TmpToken {token}", **extra}


def basic(user: Any, password: str) -> dict[str, str]:
    pair = f"{user.get_username()}:{password}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(pair).decode()}


def post_json(c: Any, path: str, body: Any, **headers: Any) -> Any:
    return c.post(path, json.dumps(body), content_type="application/json", **headers)


def mint_scoped(c: Any, endpoints: Any, **headers: Any) -> Any:
    return post_json(c, "/auth/scoped/", {"endpoints": endpoints}, **headers)


def new_note(user: Any) -> int:
    from notes.models import Note

    return int(Note.objects.create(owner=user, title="keep me").pk)


# --- 1. policy escape through a non-canonical prefix -------------------------------------


@pytest.mark.parametrize(
    "prefix", ["/api//notes/", "/api/./notes/", "/api/%6eotes/", "/api/x/../notes/"]
)
def test_1_a_non_canonical_prefix_does_not_escape_the_policy(alice: Any, prefix: str) -> None:
    _row, parent = tokens.issue(alice, policy=NO_DELETE)
    c = client()
    note = new_note(alice)
    assert c.delete(f"/api/notes/{note}/", **bearer(parent)).status_code == 403
    # The canonical spelling is refused by the policy, every other spelling as typed.
    assert mint_scoped(c, {"DELETE": ["/api/notes/"]}, **bearer(parent)).status_code == 403
    response = mint_scoped(c, {"DELETE": [prefix]}, **bearer(parent))
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"
    assert "not canonical" in response.json()["detail"]
    # The parent may still mint what it has, spelled canonically.
    assert mint_scoped(c, {"GET": ["/api/notes/"]}, **bearer(parent)).status_code == 201


def test_1_an_object_level_block_is_carried_too(alice: Any) -> None:
    note = new_note(alice)
    policy = {
        "resources": {"*": {"allow": ["*"]}, "note-detail": {str(note): {"block": ["DELETE"]}}}
    }
    _row, parent = tokens.issue(alice, policy=policy)
    c = client()
    assert c.delete(f"/api/notes/{note}/", **bearer(parent)).status_code == 403
    response = mint_scoped(c, {"DELETE": ["/api/notes/"]}, **bearer(parent))
    assert response.status_code == 403, response.content
    assert mint_scoped(c, {"GET": ["/api/notes/"]}, **bearer(parent)).status_code == 201


# --- 2. use limits laundered ----------------------------------------------------------------


def test_2_a_limited_use_token_mints_nothing(alice: Any) -> None:
    _row, once = tokens.issue(alice, max_uses=1)
    c = client()
    response = mint_scoped(c, {"GET": ["/"]}, **bearer(once))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert "limited-use" in response.json()["detail"]
    _row, twice = tokens.issue(alice, max_uses=2)
    assert post_json(c, "/auth/api/tokens/", {}, **bearer(twice)).status_code == 403
    assert not TokenEvent.objects.filter(credential_kind="scoped").exists()


def test_2_a_limited_use_token_starts_no_session(alice: Any) -> None:
    _row, once = tokens.issue(alice, max_uses=1)
    c = client()
    with authgate_settings(TOKEN_START_SESSION=True):
        assert c.get("/api/whoami/", **bearer(once)).status_code == 200
        assert "sessionid" not in c.cookies  # its one use does not become a session
        assert c.get("/api/whoami/").status_code == 401


# --- 3. IP allowlist dropped ---------------------------------------------------------------


def test_3_the_allowlist_travels_with_the_scoped_token(alice: Any) -> None:
    _row, locked = tokens.issue(alice, allowed_ips=["127.0.0.1/32"])
    c = client()
    assert c.get("/api/whoami/", **bearer(locked, REMOTE_ADDR="127.0.0.2")).status_code == 403
    response = mint_scoped(c, {"GET": ["/"], "POST": ["/auth/scoped/"]}, **bearer(locked))
    assert response.status_code == 201
    scoped = response.json()["token"]
    assert c.get("/api/whoami/", **scoped_auth(scoped)).status_code == 200
    refused = c.get("/api/whoami/", **scoped_auth(scoped, REMOTE_ADDR="127.0.0.2"))
    assert refused.status_code == 403
    # A scoped token minted with that scoped token keeps the allowlist too.
    grandchild = mint_scoped(c, {"GET": ["/api/"]}, **scoped_auth(scoped)).json()["token"]
    assert (
        c.get("/api/whoami/", **scoped_auth(grandchild, REMOTE_ADDR="10.1.1.1")).status_code == 403
    )


# --- 4. children outlive parents -----------------------------------------------------------


def test_4_revoking_a_token_ends_everything_it_minted(alice: Any) -> None:
    parent_row, parent = tokens.issue(alice, scopes=["tokens:manage", "notes:read"])
    c = client()
    created = post_json(c, "/auth/api/tokens/", {"scopes": ["tokens:manage"]}, **bearer(parent))
    assert created.status_code == 201
    child = created.json()["token"]
    grandchild = post_json(c, "/auth/api/tokens/", {}, **bearer(child)).json()["token"]
    scoped = mint_scoped(c, {"GET": ["/api/"]}, **bearer(parent)).json()["token"]
    scoped_of_child = mint_scoped(c, {"GET": ["/api/"]}, **bearer(child)).json()["token"]
    for token in (child, grandchild):
        assert c.get("/api/whoami/", **bearer(token)).status_code == 200
    for token in (scoped, scoped_of_child):
        assert c.get("/api/whoami/", **scoped_auth(token)).status_code == 200

    # Lineage: the child's row and its audit event name the parent credential.
    child_row = APIToken.objects.get(pk=created.json()["item"]["id"])
    assert child_row.parent_id == parent_row.pk
    issued = TokenEvent.objects.get(credential_kind="api_token", detail__token_id=child_row.pk)
    assert issued.detail["parent"] == f"api_token:{parent_row.pk}"
    scoped_event = TokenEvent.objects.filter(credential_kind="scoped").first()
    assert scoped_event is not None and scoped_event.detail["parent"].startswith("api_token:")

    revoked = c.delete(f"/auth/api/tokens/{parent_row.pk}/", **basic(alice, "alice-correct-horse"))
    assert revoked.status_code == 200
    for token in (parent, child, grandchild):
        response = c.get("/api/whoami/", **bearer(token))
        assert (response.status_code, response.json()["error"]) == (401, "revoked_token")
    for token in (scoped, scoped_of_child):
        response = c.get("/api/whoami/", **scoped_auth(token))
        assert (response.status_code, response.json()["error"]) == (401, "revoked_token")
    cascade = TokenEvent.objects.filter(kind="revoked", detail__has_key="cascade_from")
    assert cascade.count() == 2


def test_4_a_key_registered_by_a_token_session_ends_with_the_token(alice: Any) -> None:
    row, full = tokens.issue(alice, expires_in=timedelta(hours=1))
    private = ed25519.Ed25519PrivateKey.generate()
    c = client()
    with authgate_settings(TOKEN_START_SESSION=True, BACKENDS=[HTTPSIG, *_backends()]):
        assert c.get("/api/whoami/", **bearer(full)).status_code == 200
        key = _register_key(c, private)
        assert key is not None and key.parent_token_id == row.pk
        assert key.expires is not None and key.expires <= row.expires  # capped at the parent's
        assert _signed_whoami(c, private, key.keyid).status_code == 200
        tokens.revoke(row, "leaked")
        assert _signed_whoami(client(), private, key.keyid).status_code == 401


# --- 5. "log out everywhere" leaves HTTP-signature keys ------------------------------------


@pytest.mark.parametrize("how", ["revoke-all", "password change", "deactivate + reactivate"])
def test_5_log_out_everywhere_ends_signature_keys(alice: Any, how: str) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    key = signature_keys.register_public_key(
        alice, algorithm="ed25519", public_key=_pem(private), keyid="alice-laptop"
    )
    c = client()
    session = client()
    session.force_login(alice)
    with authgate_settings(BACKENDS=[HTTPSIG, *_backends()]):
        assert _signed_whoami(c, private, key.keyid).status_code == 200
        assert session.get("/api/whoami/").status_code == 200
        if how == "revoke-all":
            call_command("authgate", "revoke-all", alice.get_username())
        elif how == "password change":
            alice.set_password("a new horse")
            alice.save()
        else:
            alice.is_active = False
            alice.save()
            alice.is_active = True
            alice.save()
        response = _signed_whoami(c, private, key.keyid)
        assert response.status_code == 401, how
        assert HTTPSignatureKey.objects.get(pk=key.pk).revoked_at is not None
        assert session.get("/api/whoami/").status_code == 401, how  # the session too


# --- 6. a session started by a token keeps the token's limits ------------------------------


def test_6_a_scoped_token_session_registers_no_key(alice: Any) -> None:
    _row, manage_only = tokens.issue(alice, scopes=["tokens:manage"])
    private = ed25519.Ed25519PrivateKey.generate()
    c = client()
    with authgate_settings(TOKEN_START_SESSION=True, BACKENDS=[HTTPSIG, *_backends()]):
        assert c.get("/auth/tokens/", **bearer(manage_only)).status_code in (200, 302)
        assert c.get("/api/whoami/", **bearer(manage_only)).status_code == 200
        assert "sessionid" in c.cookies
        assert _register_key(c, private) is None
        assert not HTTPSignatureKey.objects.filter(user=alice).exists()


def test_6_an_ip_locked_token_session_gets_no_magic_link(alice: Any) -> None:
    _row, locked = tokens.issue(alice, allowed_ips=["127.0.0.1/32"], expires_in=timedelta(hours=1))
    c = client()
    with authgate_settings(TOKEN_START_SESSION=True):
        assert c.get("/api/whoami/", **bearer(locked)).status_code == 200
        page = c.get("/auth/tokens/temporary/")
        assert page.status_code == 200 and b"sesame=" not in page.content
        assert b"A magic login link" not in page.content  # not offered
        response = c.post("/auth/tokens/temporary/", {"kind": "link", "link-next": "/"})
        assert b"sesame=" not in response.content  # and not made on a POST either
        assert not TokenEvent.objects.filter(credential_kind="link").exists()
    # The user's own session (a password login) still gets one.
    own = client()
    own.force_login(alice)
    response = own.post("/auth/tokens/temporary/", {"kind": "link", "link-next": "/"})
    assert b"sesame=" in response.content


# --- helpers ------------------------------------------------------------------------------


def _backends() -> list[str]:
    from django.conf import settings

    return list(settings.AUTHGATE["BACKENDS"])


def _pem(private: ed25519.Ed25519PrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _register_key(c: Any, private: ed25519.Ed25519PrivateKey) -> HTTPSignatureKey | None:
    """Register a key through the ``/auth/keys/`` page; the row, or ``None`` if refused."""
    before = set(HTTPSignatureKey.objects.values_list("pk", flat=True))
    c.post("/auth/keys/", {"name": "laptop", "algorithm": "ed25519", "public_key": _pem(private)})
    made = HTTPSignatureKey.objects.exclude(pk__in=before).first()
    return made


def _signed_whoami(c: Any, private: ed25519.Ed25519PrivateKey, keyid: str) -> Any:
    headers = signed_headers("GET", "/api/whoami/", key=private, keyid=keyid)
    return c.get("/api/whoami/", headers=headers)


def test_a_dpop_bound_token_mints_no_bearer_scoped_token(alice: Any) -> None:
    from tests.schemes.oauth.oidc_provider import dpop_proof, new_key

    key = new_key()
    _row, bound = tokens.issue(alice, dpop_jkt=key.thumbprint())
    url = "http://testserver/auth/scoped/"
    response = post_json(
        client(),
        "/auth/scoped/",
        {"endpoints": {"GET": ["/"]}},
        HTTP_AUTHORIZATION=f"DPoP {bound}",
        HTTP_DPOP=dpop_proof(key, "POST", url, access_token=bound),
    )
    assert response.status_code == 403, response.content
    assert "DPoP" in response.json()["detail"]
