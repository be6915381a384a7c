"""DPoP-bound API tokens (RFC 9449), black box through the demo API.

Proofs are made with joserfc (authgate verifies them with PyJWT), as in
tests/schemes/oauth/test_dpop.py; the jti replay cache is the pass's cache (local memory, or
Redis in the PostgreSQL+Redis pass). A bound token works only as ``DPoP agt_…`` with a
fresh proof from its key; every refusal names the RFC 9449 challenge.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from django.test import override_settings

from authgate import dpop
from authgate.conf import user_settings
from authgate.models import APIToken, TokenEvent
from authgate.schemes.tokens import binding
from authgate.schemes.tokens.service import issue, revoke, rotate
from tests.schemes.oauth.oidc_provider import dpop_proof, new_key

pytestmark = pytest.mark.django_db

AUTHGATE = user_settings()
URL = "http://testserver/api/whoami/"


@pytest.fixture
def key() -> Any:
    return new_key()


@pytest.fixture
def bound(user: Any, key: Any) -> tuple[APIToken, str]:
    return issue(user, name="bound", scopes=["notes:read"], dpop_jkt=key.thumbprint())


def with_proof(client: Any, token: str, proof: str | None, *, keyword: str = "DPoP", **extra: Any):
    headers = {"HTTP_AUTHORIZATION": f"{keyword} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return client.get("/api/whoami/", **headers, **extra)


def challenge(response: Any) -> str:
    return str(response.get("WWW-Authenticate", ""))


def refused(response: Any, code: str, detail: str | None = None) -> None:
    """A 401 with ``code``, told in the DPoP challenge, the Bearer one listed beside it."""
    assert response.status_code == 401, response.content
    assert response.json()["error"] == code
    if detail is not None:
        assert response.json()["detail"] == detail
    assert f'DPoP error="{code}"' in challenge(response)
    assert 'algs="ES256 ' in challenge(response)
    assert 'Bearer realm="api",' in challenge(response)


# --- the bound token, used --------------------------------------------------------------


def test_works_with_a_proof_from_its_key(client, bound, key, django_assert_num_queries):
    _row, token = bound
    with django_assert_num_queries(1):  # the token's lookup; the proof costs no query
        response = with_proof(client, token, dpop_proof(key, "GET", URL, access_token=token))
    assert response.status_code == 200, response.content
    assert response.json() == {"user": "alice", "scheme": "token", "scopes": ["notes:read"]}


def test_one_signature_verification_per_request(client, bound, key, monkeypatch):
    """The proof's signature is the only extra verification (the brief: at most one)."""
    _row, token = bound
    calls: list[str] = []
    real = jwt.algorithms.ECAlgorithm.verify

    def counted(self: Any, *args: Any) -> bool:
        calls.append("verify")
        return real(self, *args)

    monkeypatch.setattr(jwt.algorithms.ECAlgorithm, "verify", counted)
    for _ in range(3):
        proof = dpop_proof(key, "GET", URL, access_token=token)
        assert with_proof(client, token, proof).status_code == 200
    assert calls == ["verify"] * 3


def test_refused_without_a_proof(client, bound):
    refused(
        with_proof(client, bound[1], None), "invalid_dpop_proof", "The request has no DPoP proof."
    )


def test_refused_with_another_keys_proof(client, bound):
    _row, token = bound
    response = with_proof(client, token, dpop_proof(new_key(), "GET", URL, access_token=token))
    refused(response, "invalid_token", "The DPoP proof is signed by another key.")
    event = TokenEvent.objects.get(kind=TokenEvent.Kind.FAILED)
    assert event.detail["reason"] == binding.OTHER_KEY


def test_a_replayed_proof_is_refused(client, bound, key):
    _row, token = bound
    proof = dpop_proof(key, "GET", URL, access_token=token)
    assert with_proof(client, token, proof).status_code == 200
    refused(
        with_proof(client, token, proof),
        "invalid_dpop_proof",
        "This DPoP proof has already been used.",
    )
    fresh = dpop_proof(key, "GET", URL, access_token=token)
    assert with_proof(client, token, fresh).status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "detail"),
    [
        ("POST", URL, "The DPoP proof was made for another HTTP method."),
        ("GET", "http://testserver/api/notes/", "The DPoP proof was made for another URL."),
        ("GET", "https://testserver/api/whoami/", "The DPoP proof was made for another URL."),
        ("GET", "http://elsewhere.example/api/whoami/", "The DPoP proof was made for another URL."),
    ],
)
def test_refused_for_another_method_or_url(client, bound, key, method, url, detail):
    _row, token = bound
    refused(
        with_proof(client, token, dpop_proof(key, method, url, access_token=token)),
        "invalid_dpop_proof",
        detail,
    )


def test_refused_when_too_old_or_from_the_future(client, bound, key):
    _row, token = bound
    old = dpop_proof(key, "GET", URL, access_token=token, iat=time.time() - 66)
    refused(with_proof(client, token, old), "invalid_dpop_proof", "The DPoP proof is too old.")
    ahead = dpop_proof(key, "GET", URL, access_token=token, iat=time.time() + 60)
    refused(
        with_proof(client, token, ahead),
        "invalid_dpop_proof",
        "The DPoP proof was made in the future.",
    )


def test_refused_when_made_for_another_token(client, user, bound, key):
    _row, token = bound
    _other_row, other = issue(user, dpop_jkt=key.thumbprint())
    proof = dpop_proof(key, "GET", URL, access_token=other)
    refused(
        with_proof(client, token, proof),
        "invalid_dpop_proof",
        "The DPoP proof was made for another access token (ath).",
    )


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_refused_as_a_bearer_token_even_with_a_proof(client, bound, key, keyword):
    """RFC 9449 §7.2: the downgrade. The error is on the scheme the client used; the DPoP
    challenge is listed beside it."""
    _row, token = bound
    for proof in (None, dpop_proof(key, "GET", URL, access_token=token)):
        response = with_proof(client, token, proof, keyword=keyword)
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_token",
            "detail": "This API token is DPoP-bound: send it as 'DPoP' with a DPoP proof.",
        }
        assert challenge(response).startswith('Bearer realm="api", error="invalid_token"')
        assert ', DPoP algs="ES256 ' in challenge(response)
    # Audited once (a stolen token replayed in a loop does not write a row per attempt).
    events = TokenEvent.objects.filter(kind=TokenEvent.Kind.FAILED)
    assert [e.detail["reason"] for e in events] == [binding.DOWNGRADE]


def test_refused_in_the_query_parameter(client, bound):
    with override_settings(AUTHGATE={**AUTHGATE, "TOKEN_QUERY_PARAM": "token"}):
        response = client.get("/api/whoami/", {"token": bound[1]})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_an_unbound_token_sent_as_dpop_is_refused(client, user, key):
    """Decided (docs/tokens.md#dpop): refused, as OAuthBackend refuses an unbound access
    token; the client learns its token is not the bound one it believes it holds."""
    _row, token = issue(user)
    response = with_proof(client, token, dpop_proof(key, "GET", URL, access_token=token))
    refused(
        response,
        "invalid_token",
        "This API token is not DPoP-bound: send it with the Bearer scheme.",
    )
    assert with_proof(client, token, None, keyword="Bearer").status_code == 200


def test_other_dpop_credentials_are_routed_by_shape(client, db, key, django_assert_num_queries):
    """``DPoP agt_<bad checksum>`` is the token backend's (refused, no query); a DPoP token
    of another shape is not (OAuthBackend's, absent here: anonymous, as before)."""
    garbage = "agt_" + "A" * 42
    with django_assert_num_queries(0):
        response = with_proof(client, garbage, dpop_proof(key, "GET", URL, access_token=garbage))
    refused(response, "invalid_token", "Invalid token.")
    response = with_proof(client, "eyJhbGciOi.x.y", dpop_proof(key, "GET", URL))
    assert response.json()["error"] == "not_authenticated"
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION="DPoP agt_a b")
    assert response.status_code == 401 and response.json()["error"] == "invalid_request"
    assert 'DPoP error="invalid_request"' in challenge(response)


def test_a_revoked_bound_token_is_told_in_the_dpop_challenge(client, bound, key):
    row, token = bound
    revoke(row, "lost laptop")
    response = with_proof(client, token, dpop_proof(key, "GET", URL, access_token=token))
    assert response.json()["error"] == "revoked_token"
    assert 'DPoP error="invalid_token"' in challenge(response)


def test_insufficient_scope_names_the_dpop_challenge(client, bound, key):
    _row, token = bound
    url = "http://testserver/api/notes/"
    response = client.post(
        "/api/notes/",
        data='{"title": "x"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"DPoP {token}",
        HTTP_DPOP=dpop_proof(key, "POST", url, access_token=token),
    )
    assert response.status_code == 403
    assert response["WWW-Authenticate"].startswith('DPoP error="insufficient_scope"')
    assert 'scope="notes:write"' in response["WWW-Authenticate"]


def test_drf_views_take_bound_tokens_too(client, bound, key):
    _row, token = bound
    url = "http://testserver/api/drf/whoami/"
    response = client.get(
        "/api/drf/whoami/",
        HTTP_AUTHORIZATION=f"DPoP {token}",
        HTTP_DPOP=dpop_proof(key, "GET", url, access_token=token),
    )
    assert response.status_code == 200 and response.json()["user"] == "alice"
    refused_bearer = client.get("/api/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused_bearer.status_code == 401


def test_a_refused_proof_does_not_use_up_a_limited_token(client, user, key):
    row, token = issue(user, max_uses=1, dpop_jkt=key.thumbprint())
    assert (
        with_proof(client, token, dpop_proof(new_key(), "GET", URL, access_token=token)).status_code
        == 401
    )
    assert with_proof(client, token, None, keyword="Bearer").status_code == 401
    row.refresh_from_db()
    assert row.use_count == 0
    assert (
        with_proof(client, token, dpop_proof(key, "GET", URL, access_token=token)).status_code
        == 200
    )
    again = with_proof(client, token, dpop_proof(key, "GET", URL, access_token=token))
    assert again.json()["detail"] == "This API token has been used the maximum number of times."


def test_a_bound_token_starts_no_session(client, bound, key):
    """TOKEN_START_SESSION: a session cookie is a bearer credential, so a bound token
    starts none (the binding would end at the first cookie-only request)."""
    _row, token = bound
    with override_settings(AUTHGATE={**AUTHGATE, "TOKEN_START_SESSION": True}):
        response = with_proof(client, token, dpop_proof(key, "GET", URL, access_token=token))
        assert response.status_code == 200
        assert "sessionid" not in response.cookies
        assert client.get("/api/whoami/").json()["error"] == "not_authenticated"


def test_server_nonces(client, bound, key):
    """DPOP_NONCES: a proof without this server's nonce gets use_dpop_nonce and a
    DPoP-Nonce to retry with (RFC 9449 §9)."""
    _row, token = bound
    with override_settings(AUTHGATE={**AUTHGATE, "DPOP_NONCES": True}):
        first = with_proof(client, token, dpop_proof(key, "GET", URL, access_token=token))
        refused(first, "use_dpop_nonce")
        nonce = first["DPoP-Nonce"]
        proof = dpop_proof(key, "GET", URL, access_token=token, nonce=nonce)
        assert with_proof(client, token, proof).status_code == 200
        # A plain Bearer 401 of the same chain carries no nonce: it is not a DPoP request.
        assert "DPoP-Nonce" not in client.get("/api/whoami/", HTTP_AUTHORIZATION="Bearer x")


def test_without_pyjwt_a_dpop_request_is_a_503(client, bound, key, monkeypatch, caplog):
    """Proofs need the oauth extra: fail closed, and the log says what to install."""
    monkeypatch.setattr(binding, "_verifier_installed", lambda: False)
    _row, token = bound
    response = with_proof(client, token, dpop_proof(key, "GET", URL, access_token=token))
    assert response.status_code == 503
    assert "pip install 'authgate[oauth]'" in caplog.text


# --- the binding survives the caches ------------------------------------------------------


def test_cached_rows_carry_the_binding(client, bound, key, django_assert_num_queries):
    """TOKEN_CACHE_TIMEOUT: a row from the cache is as bound as the database's."""
    _row, token = bound
    with override_settings(AUTHGATE={**AUTHGATE, "TOKEN_CACHE_TIMEOUT": 60}):
        for _ in range(2):
            proof = dpop_proof(key, "GET", URL, access_token=token)
            assert with_proof(client, token, proof).status_code == 200
        # The first downgrade is audited (a write); the next ones are not.
        assert with_proof(client, token, None, keyword="Bearer").status_code == 401
        with django_assert_num_queries(0):  # cache hits
            assert with_proof(client, token, None, keyword="Bearer").status_code == 401
            proof = dpop_proof(key, "GET", URL, access_token=token)
            assert with_proof(client, token, proof).status_code == 200
            assert with_proof(client, token, None).status_code == 401


@pytest.mark.redis
@pytest.mark.fast_paths_only  # rows are kept in the process on the fast paths only
@pytest.mark.django_db(transaction=True)
def test_rows_kept_in_the_process_carry_the_binding(client, user, key, django_assert_num_queries):
    """TOKEN_LOCAL_CACHE_SIZE: a row kept in this process is as bound as the database's."""
    from django.conf import settings as django_settings

    from authgate._speed import local_rows

    local = {"TOKEN_CACHE_TIMEOUT": 60, "TOKEN_LOCAL_CACHE_SIZE": 100}
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, **local}):
        rows = local_rows.local_rows()
        assert rows is not None and rows.sync() is not None
        row, token = issue(user, dpop_jkt=key.thumbprint())
        assert (
            with_proof(client, token, dpop_proof(key, "GET", URL, access_token=token)).status_code
            == 200
        )
        assert rows.get(row.digest) is not None  # kept
        assert with_proof(client, token, None, keyword="Bearer").status_code == 401  # audited
        with django_assert_num_queries(0):
            assert with_proof(client, token, None, keyword="Bearer").status_code == 401
            proof = dpop_proof(key, "GET", URL, access_token=token)
            assert with_proof(client, token, proof).status_code == 200


# --- binding at issue ------------------------------------------------------------------------


def test_issue_validates_the_thumbprint(user, key):
    from authgate.schemes.tokens.validation import TokenError

    row, _token = issue(user, dpop_jkt=key.thumbprint())
    assert row.dpop_jkt == key.thumbprint() and row.dpop_label == key.thumbprint()[:8] + "…"
    assert issue(user)[0].dpop_jkt == ""
    canonical = key.thumbprint()
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # 43 characters carry 258 bits; only one spelling of the 256 is a thumbprint.
    other_spelling = canonical[:-1] + last[last.index(canonical[-1]) ^ 1]
    for bad in (canonical[:-1], canonical + "A", canonical[:-1] + "=", "x" * 43, other_spelling):
        with pytest.raises(TokenError, match="43 base64url characters"):
            issue(user, dpop_jkt=bad)
    issued = TokenEvent.objects.filter(kind=TokenEvent.Kind.ISSUED).order_by("pk")
    assert [e.detail.get("dpop_jkt") for e in issued] == [key.thumbprint(), None]  # audited


def test_rotating_keeps_the_binding(user, bound, key):
    row, _token = bound
    new, _plaintext = rotate(row)
    assert new.dpop_jkt == key.thumbprint()


def test_the_proof_verifier_without_an_access_token(user, key):
    """RFC 9449 §5: a token request's proof has no ath; the accepted proof is kept on the
    request, so an endpoint after the chain does not verify (and spend) it twice."""
    from django.test import RequestFactory

    request = RequestFactory().post(
        "/auth/token/", HTTP_DPOP=dpop_proof(key, "POST", "http://testserver/auth/token/")
    )
    assert dpop.verified_proof(request) is None
    verified = dpop.verify_proof(request, access_token=None, expected_jkt=None)
    assert verified.jkt == key.thumbprint()
    assert dpop.verified_proof(request) is verified
    with pytest.raises(dpop.ProofRefused, match="already been used"):
        dpop.verify_proof(request, access_token=None, expected_jkt=None)


# --- proofs with times no datetime can hold (issue #19, reproduction 9) -------------------


@pytest.mark.parametrize("iat", [float("nan"), float("inf"), float("-inf"), 1e20, -1e20, 10**400])
def test_a_proof_with_an_unusable_iat_is_a_401(client, bound, key, iat):
    # NaN compares false both ways, so "too old" and "in the future" both let it through:
    # a proof fresh forever, replayable once its jti leaves the replay cache.
    _row, token = bound
    proof = dpop_proof(key, "GET", URL, access_token=token, claims={"iat": iat})
    response = with_proof(client, token, proof)
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_dpop_proof"
