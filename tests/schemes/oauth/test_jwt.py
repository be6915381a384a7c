"""JWT access tokens (RFC 9068) minted by joserfc, through the full request stack."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from authgate.schemes.oauth.jwks import store
from tests.schemes.oauth.conftest import AUDIENCE, ISSUER, b64, challenge

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("configure")]


def refused(response: Any, code: str = "invalid_token", status: int = 401) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    header = challenge(response)
    assert header.startswith('Bearer realm="api", error="invalid_token", error_description="')
    # The token backend shares the scheme: one Bearer challenge, the one with the error.
    assert header.count("Bearer") == 1, header


# --- accepted ---------------------------------------------------------------------------


@pytest.mark.parametrize("kid", ["rsa", "ec", "ed"])
def test_valid_token_authenticates_with_its_scopes(idp, alice, bearer, kid):
    response = bearer(idp.mint({"scope": "notes:read  notes:write User.Read https://x/y"}, kid=kid))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "user": "alice",
        "scheme": "oauth",
        "scopes": ["notes:read", "notes:write"],  # names no view can require are dropped
    }


def test_ps256_and_application_typ_and_scp_list(idp, alice, bearer):
    token = idp.mint(
        {"scp": ["notes:read"]}, alg="PS256", typ="application/AT+JWT", drop=("scope",)
    )
    response = bearer(token)
    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["notes:read"]


def test_no_kid_tries_the_keys_bound_to_the_algorithm(idp, alice, bearer):
    assert bearer(idp.mint(kid=None, key="ec")).status_code == 200


def test_scope_is_enforced_403_insufficient_scope(idp, alice, bearer):
    token = idp.mint({"scope": "notes:read"})
    assert bearer(token, "/api/notes/").status_code == 200
    response = bearer(token, "/api/notes/", "post", data={"title": "x"})
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in challenge(response)
    assert 'scope="notes:write"' in challenge(response)


def test_no_scope_claim_means_no_scope(idp, alice, bearer):
    response = bearer(idp.mint(drop=("scope",)), "/api/notes/")
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_drf_view_and_identity(idp, alice, bearer):
    response = bearer(idp.mint({"scope": "notes:read"}), "/api/drf/whoami/")
    assert response.status_code == 200, response.content
    assert response.json()["scheme"] == "oauth"


@pytest.mark.parametrize(
    "path", ["/api/async/whoami/", "/api/ninja/whoami/", "/api/ninja/async/whoami/"]
)
def test_async_and_ninja_views(idp, alice, bearer, path):
    response = bearer(idp.mint(), path)
    assert response.status_code == 200, response.content
    assert response.json()["scheme"] == "oauth"


def test_leeway_accepts_a_token_just_expired(idp, alice, bearer):
    assert bearer(idp.mint({"exp": int(time.time()) - 10})).status_code == 200


def test_one_user_query_per_request(idp, alice, bearer, django_assert_num_queries):
    token = idp.mint()
    assert bearer(token).status_code == 200  # warms the key cache and the compiled query
    with django_assert_num_queries(1):
        assert bearer(token).status_code == 200


def test_user_field_pk(idp, alice, bearer, configure):
    configure(OAUTH_USER_FIELD="pk")
    assert bearer(idp.mint({"sub": str(alice.pk)})).status_code == 200
    refused(bearer(idp.mint({"sub": "alice"})))


# --- refused claims ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "drop", "code"),
    [
        ({"iss": "https://evil.example.com/"}, (), "invalid_token"),
        ({"aud": "https://other-api.example.com"}, (), "invalid_token"),
        ({"aud": [AUDIENCE + "/x", "y"]}, (), "invalid_token"),
        # Offsets from the time the test runs (a collection-time timestamp ages on a slow run).
        ({"exp": -120}, (), "expired_token"),
        ({"nbf": +120}, (), "invalid_token"),
        ({"iat": +120}, (), "invalid_token"),
        ({}, ("sub",), "invalid_token"),
        ({}, ("exp",), "invalid_token"),
        ({}, ("iss",), "invalid_token"),
        ({}, ("aud",), "invalid_token"),
        ({"sub": ""}, (), "invalid_token"),
        ({"sub": 42}, (), "invalid_token"),
        ({"sub": "nobody"}, (), "invalid_token"),
        ({"exp": "soon"}, (), "invalid_token"),
    ],
)
def test_broken_claims_are_refused(idp, alice, bearer, claims, drop, code):
    now = int(time.time())
    claims = {
        name: now + value if name in ("exp", "nbf", "iat") and isinstance(value, int) else value
        for name, value in claims.items()
    }
    refused(bearer(idp.mint(claims, drop=drop)), code)


def test_expired_detail_in_the_challenge(idp, alice, bearer):
    response = bearer(idp.mint({"exp": int(time.time()) - 120}))
    assert 'error_description="The access token has expired."' in challenge(response)


@pytest.mark.parametrize("typ", [None, "JWT", "id+jwt", "at+jwt2"])
def test_wrong_typ_is_refused(idp, alice, bearer, typ):
    refused(bearer(idp.mint(typ=typ)))


def test_typ_check_can_be_disabled(idp, alice, bearer, configure):
    configure(OAUTH_TYP=None)
    assert bearer(idp.mint(typ="JWT")).status_code == 200


def test_inactive_user_refused_every_time(idp, alice, bearer):
    token = idp.mint()
    assert bearer(token).status_code == 200
    alice.is_active = False
    alice.save()
    refused(bearer(token))
    refused(bearer(token))


def test_unknown_sub_is_refused_without_creating(idp, alice, bearer):
    refused(bearer(idp.mint({"sub": "bob"})))
    assert (
        not get_user_model()
        ._default_manager.filter(**{get_user_model().USERNAME_FIELD: "bob"})
        .exists()
    )


def test_just_in_time_creation(idp, alice, bearer, configure):
    configure(OAUTH_CREATE_USERS=True)
    response = bearer(idp.mint({"sub": "carol"}))
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "carol"
    carol = get_user_model()._default_manager.get(**{get_user_model().USERNAME_FIELD: "carol"})
    assert not carol.has_usable_password()
    assert bearer(idp.mint({"sub": "carol"})).status_code == 200  # not created twice
    carol.is_active = False
    carol.save()
    refused(bearer(idp.mint({"sub": "carol"})))  # never reactivated


# --- keys and algorithms ----------------------------------------------------------------


def test_signed_by_another_key_with_the_same_kid(idp, alice, bearer):
    refused(bearer(idp.mint(kid="rsa", key="other")))


def test_unknown_kid_triggers_one_refresh(idp, alice, bearer, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(store, "_clock", lambda: now[0])
    assert bearer(idp.mint()).status_code == 200
    assert idp.hits["/jwks"] == 1
    now[0] += 31  # past OAUTH_JWKS_REFRESH_INTERVAL, within OAUTH_JWKS_CACHE_TTL
    idp.published.append("rsa2")  # the IdP rotates in a new key
    assert bearer(idp.mint(kid="rsa2")).status_code == 200
    assert idp.hits["/jwks"] == 2
    # Made-up kids: at most one refetch per OAUTH_JWKS_REFRESH_INTERVAL.
    for n in range(5):
        refused(bearer(idp.mint(kid=f"garbage{n}", key="rsa")))
    assert idp.hits["/jwks"] == 2


def test_garbage_kid_refetches_once_then_rate_limited(idp, alice, bearer, configure):
    configure(OAUTH_JWKS_REFRESH_INTERVAL=0)
    assert bearer(idp.mint()).status_code == 200
    refused(bearer(idp.mint(kid="nope", key="rsa")))
    assert idp.hits["/jwks"] == 2  # one fetch, one refresh for the unknown kid
    configure(OAUTH_JWKS_REFRESH_INTERVAL=60)
    assert bearer(idp.mint()).status_code == 200
    for _ in range(3):
        refused(bearer(idp.mint(kid="nope", key="rsa")))
    assert idp.hits["/jwks"] == 3


@pytest.mark.parametrize(
    ("kid", "alg"), [("rsa", "ES256"), ("rsa", "EdDSA"), ("ec", "RS256"), ("ec", "ES384")]
)
def test_algorithm_not_bound_to_the_key(idp, alice, bearer, kid, alg):
    """A header naming an algorithm of another key type than its kid's key: refused before
    any verification (the key is bound to its own algorithms)."""
    _, body, sig = idp.mint(kid=kid).split(".")
    head = b64(json.dumps({"alg": alg, "kid": kid, "typ": "at+jwt"}).encode())
    refused(bearer(f"{head}.{body}.{sig}"))


def test_jwk_alg_narrows_the_key(idp, alice, bearer, configure):
    jwks = idp.jwks()
    for jwk in jwks["keys"]:
        if jwk["kid"] == "rsa":
            jwk["alg"] = "PS256"
    configure(OAUTH_JWKS_URL=None, OAUTH_JWKS=jwks)
    refused(bearer(idp.mint(kid="rsa")))  # RS256: not the key's announced algorithm
    assert bearer(idp.mint(kid="rsa", alg="PS256")).status_code == 200


def _payload(token: str) -> str:
    import base64

    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()


def test_alg_none_is_refused(idp, alice, bearer):
    body = _payload(idp.mint())
    for alg in ("none", "None", "NONE"):
        head = b64(json.dumps({"alg": alg, "kid": "rsa", "typ": "at+jwt"}).encode())
        refused(bearer(f"{head}.{b64(body.encode())}."))
        refused(bearer(f"{head}.{b64(body.encode())}.e30"))


def test_hs256_with_the_public_key_as_secret_is_refused(idp, alice, bearer, signing_keys):
    """The algorithm-confusion attack: HMAC keyed with the RSA public key (PEM or JWK)."""
    import hashlib
    import hmac

    body = b64(_payload(idp.mint()).encode())
    pem = signing_keys["rsa"].as_pem(private=False)
    der_like = json.dumps(signing_keys["rsa"].as_dict(private=False)).encode()
    for secret in (pem, pem.strip(), der_like):
        for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
            head = b64(json.dumps({"alg": alg, "kid": "rsa", "typ": "at+jwt"}).encode())
            signing_input = f"{head}.{body}".encode()
            sig = b64(hmac.new(secret, signing_input, digest).digest())
            refused(bearer(f"{head}.{body}.{sig}"))


def test_even_if_hs256_were_allowed_no_key_is_bound_to_it(idp, alice, bearer, configure):
    """Belt and braces: a misconfigured allowlist still finds no HMAC key in the JWKS."""
    import hashlib
    import hmac

    configure(OAUTH_ALGORITHMS=["RS256", "HS256"])
    body = b64(_payload(idp.mint()).encode())
    pem = idp.keys["rsa"].as_pem(private=False)
    head = b64(json.dumps({"alg": "HS256", "kid": "rsa", "typ": "at+jwt"}).encode())
    sig = b64(hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest())
    refused(bearer(f"{head}.{body}.{sig}"))


def test_tampered_payload_is_refused(idp, alice, bearer):
    head, _, sig = idp.mint({"scope": "notes:read"}).split(".")
    forged = json.loads(_payload(idp.mint()))
    forged["scope"] = "notes:read notes:write"
    refused(bearer(f"{head}.{b64(json.dumps(forged).encode())}.{sig}"))


def test_crit_header_is_refused(idp, alice, bearer, signing_keys):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    header = {"alg": "RS256", "kid": "rsa", "typ": "at+jwt", "crit": ["exp"], "exp": 1}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(_payload(idp.mint()).encode())}"
    signature = signing_keys["rsa"].private_key.sign(
        signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    refused(bearer(f"{signing_input}.{b64(signature)}"))


# --- malformed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "eyJ!!!.eyJ.sig",  # not token68: invalid_request
        "a.b.c",
        "eyJhbGciOiJSUzI1NiJ9.bm90LWpzb24.c2ln",
        b64(b'{"alg":"RS256","kid":"rsa","typ":"at+jwt"}') + ".@@@.x",
        b64(b"[1,2]") + ".e30.e30",
        b64(b'{"alg":"RS256"') + ".e30.e30",
        b64(b'{"alg":"RS256","kid":"rsa","typ":"at+jwt"}') + "." + b64(b"[" * 2000) + ".e30",
        b64(b'{"alg":["RS256"],"typ":"at+jwt"}') + ".e30.e30",
        b64(b'{"alg":"RS256","kid":7,"typ":"at+jwt"}') + ".e30.e30",
        "..",
    ],
)
def test_malformed_jwt_is_401_not_500(idp, alice, bearer, token):
    response = bearer(token)
    assert response.status_code == 401, response.content
    assert response.json()["error"] in {"invalid_token", "invalid_request"}
    assert challenge(response).startswith("Bearer")


def test_two_parts_falls_to_the_token_backend_401(idp, alice, bearer):
    response = bearer("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_huge_token_is_401(idp, alice, bearer):
    token = idp.mint({"pad": "x" * 5000})
    response = bearer(token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_request"


def test_api_tokens_still_work_behind_the_oauth_backend(idp, alice, bearer):
    from authgate.schemes.tokens import service as tokens

    _, plaintext = tokens.issue(alice, name="ci", scopes=["notes:read"])
    response = bearer(plaintext)
    assert response.status_code == 200
    assert response.json()["scheme"] == "token"
    assert idp.hits["/jwks"] == 0


def test_one_bearer_challenge_when_anonymous(idp, client):
    response = client.get("/api/whoami/")
    assert response.status_code == 401
    assert challenge(response).count("Bearer") == 1


# --- the IdP down ----------------------------------------------------------------------


def test_jwks_unreachable_is_503(idp, alice, bearer, configure):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(OAUTH_JWKS_URL=f"http://127.0.0.1:{port}/jwks")
    response = bearer(idp.mint())
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"


@pytest.mark.parametrize("status", [500, 404])
def test_jwks_error_status_is_503(idp, alice, bearer, status):
    idp.status = status
    assert bearer(idp.mint()).status_code == 503


def test_jwks_timeout_is_503(idp, alice, bearer, configure):
    configure(OAUTH_HTTP_TIMEOUT=0.3)
    idp.delay = 1.0
    assert bearer(idp.mint()).status_code == 503


def test_stale_keys_survive_an_idp_outage(idp, alice, bearer, configure):
    configure(OAUTH_JWKS_CACHE_TTL=0, OAUTH_JWKS_REFRESH_INTERVAL=0)
    assert bearer(idp.mint()).status_code == 200
    idp.status = 500
    assert bearer(idp.mint()).status_code == 200  # the refetch failed; previous keys used
    assert idp.hits["/jwks"] == 2


def test_inline_keys_need_no_http(idp, alice, bearer, configure):
    configure(OAUTH_JWKS_URL=None, OAUTH_JWKS=idp.jwks())
    assert bearer(idp.mint(kid="ed")).status_code == 200
    assert idp.hits["/jwks"] == 0


def test_unconfigured_issuer_fails_closed(idp, alice, bearer, configure):
    configure(OAUTH_ISSUER=None)
    assert bearer(idp.mint()).status_code == 503


def test_settings_change_resets_the_key_store(idp, alice, bearer, configure):
    assert bearer(idp.mint()).status_code == 200
    configure(OAUTH_ISSUER=ISSUER)
    assert store.fetches == 0
