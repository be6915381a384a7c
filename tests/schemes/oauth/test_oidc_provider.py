"""OAuthBackend against a real authorization server: panva's oidc-provider 8.8.1.

Tokens come from its token endpoint over HTTP (the client_credentials grant of a
confidential client), authgate fetches its JWKS and calls its introspection endpoint, and
DPoP proofs are made with joserfc. Covers JWT and opaque tokens, revocation, key
rotation, client subjects, audience-less tokens and DPoP-bound tokens (RFC 9449).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from authgate.schemes.oauth import jwks
from tests.schemes.oauth import oidc_provider as op
from tests.schemes.oauth.conftest import challenge

pytestmark = pytest.mark.django_db

URL = "http://testserver/api/whoami/"
PATH = "/api/whoami/"


@pytest.fixture
def call(client: Any, leak_check: Any) -> Callable[..., Any]:
    """``call(token, keyword="Bearer", proof=None, method="get", path=PATH)``."""

    def send(
        token: str,
        *,
        keyword: str = "Bearer",
        proof: str | None = None,
        method: str = "get",
        path: str = PATH,
        **extra: Any,
    ) -> Any:
        leak_check.add_secret(token, "OAuth access token")
        headers = {"HTTP_AUTHORIZATION": f"{keyword} {token}", **extra}
        if proof is not None:
            headers["HTTP_DPOP"] = proof
        return getattr(client, method)(path, **headers)

    return send


def _claims(token: str) -> dict[str, Any]:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})


def assert_dpop_challenge(response: Any, error: str | None = None) -> None:
    """RFC 9449 §7.1: a DPoP challenge with algs, beside the Bearer one (§7.2)."""
    value = challenge(response)
    assert 'Bearer realm="api"' in value
    algs = 'algs="ES256 ES384 ES512 EdDSA PS256 PS384 PS512 RS256 RS384 RS512"'
    if error is None:
        assert f"DPoP {algs}" in value
    else:
        assert f'DPoP error="{error}", error_description="' in value
        assert algs in value.split("DPoP ", 1)[1]


# --- plain bearer tokens --------------------------------------------------------------


def test_jwt_access_token_maps_the_client_to_its_service_user(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    token = use_provider().access_token(scope="notes:read")
    assert _claims(token)["aud"] == op.AUDIENCE
    response = call(token)
    assert response.status_code == 200, response.content
    assert response.json() == {"user": "svc-notes", "scheme": "oauth", "scopes": ["notes:read"]}


def test_jwt_for_another_audience_is_refused(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    token = use_provider().access_token(resource=op.OTHER_RESOURCE)
    response = call(token)
    assert response.status_code == 401
    assert response.json()["detail"] == "The token is not meant for this API."
    assert_dpop_challenge(response)


def test_opaque_client_credentials_token_maps_to_the_service_user(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    """Introspection answers client_id and no sub (RFC 7662): the configured service user."""
    token = use_provider().access_token(resource=op.OPAQUE_RESOURCE, scope="notes:write")
    assert token.count(".") == 0
    response = call(token)
    assert response.status_code == 200, response.content
    assert response.json() == {"user": "svc-notes", "scheme": "oauth", "scopes": ["notes:write"]}


def test_opaque_client_token_without_a_mapping_is_refused_clearly(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    token = use_provider(OAUTH_CLIENT_USERS={}).access_token(resource=op.OPAQUE_RESOURCE)
    response = call(token)
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "detail": "This token was issued to a client, not a user, and no user is mapped to it.",
    }


def test_audience_less_opaque_token_is_refused_by_default(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    """oidc-provider issues a token without aud when no resource is asked for."""
    token = use_provider().access_token(resource=None)
    response = call(token)
    assert response.status_code == 401
    assert response.json()["detail"] == "The token names no audience (aud)."


def test_audience_less_opaque_token_with_the_requirement_off(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    token = use_provider(OAUTH_REQUIRE_AUDIENCE=False).access_token(resource=None)
    response = call(token)
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "svc-notes"


def test_revoked_opaque_token_is_refused_once_the_cache_expires(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    server = use_provider(OAUTH_INTROSPECTION_CACHE_TTL=0)
    token = server.access_token(resource=op.OPAQUE_RESOURCE)
    assert call(token).status_code == 200
    server.revoke(token)
    response = call(token)
    assert response.status_code == 401
    assert response.json()["detail"] == "The access token is not active."


def test_key_rotation_costs_one_jwks_fetch(
    settings: Any, fresh_oidc_provider: Any, service_user: Any, call: Any
) -> None:
    from tests.schemes.oauth.conftest import provider_settings

    settings.AUTHGATE = provider_settings(fresh_oidc_provider, OAUTH_JWKS_REFRESH_INTERVAL=0)
    before = fresh_oidc_provider.access_token()
    assert call(before).status_code == 200
    fetches = jwks.store.fetches
    fresh_oidc_provider.rotate()
    after = fresh_oidc_provider.access_token()
    import jwt

    assert jwt.get_unverified_header(before)["kid"] == "ec-1"
    assert jwt.get_unverified_header(after)["kid"] == "ec-2"
    assert call(after).status_code == 200  # unknown kid: one refetch
    assert call(before).status_code == 200  # the old key is still published
    assert call(after).status_code == 200
    assert jwks.store.fetches == fetches + 1


# --- DPoP-bound tokens (RFC 9449) ------------------------------------------------------


@pytest.fixture
def bound(use_provider: Any, service_user: Any) -> tuple[Any, str]:
    """(the client's key, a JWT access token bound to it)."""
    key = op.new_key()
    response = use_provider().token(dpop_key=key, scope="notes:read")
    assert response["token_type"] == "DPoP"
    return key, response["access_token"]


def test_bound_jwt_carries_the_key_thumbprint(bound: Any) -> None:
    from authgate.dpop import jwk_thumbprint

    key, token = bound
    assert _claims(token)["cnf"] == {"jkt": jwk_thumbprint(key.as_dict(private=False))}


def test_bound_jwt_works_with_a_proof_from_its_key(bound: Any, call: Any) -> None:
    key, token = bound
    response = call(token, keyword="DPoP", proof=op.dpop_proof(key, "GET", URL, access_token=token))
    assert response.status_code == 200, response.content
    assert response.json() == {"user": "svc-notes", "scheme": "oauth", "scopes": ["notes:read"]}


def test_bound_jwt_without_a_proof_is_refused(bound: Any, call: Any) -> None:
    _key, token = bound
    response = call(token, keyword="DPoP")
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_dpop_proof",
        "detail": "The request has no DPoP proof.",
    }
    assert_dpop_challenge(response, "invalid_dpop_proof")


def test_bound_jwt_with_a_proof_from_another_key_is_refused(bound: Any, call: Any) -> None:
    _key, token = bound
    proof = op.dpop_proof(op.new_key(), "GET", URL, access_token=token)
    response = call(token, keyword="DPoP", proof=proof)
    assert response.status_code == 401
    assert response.json()["detail"] == "The DPoP proof is signed by another key."
    assert_dpop_challenge(response, "invalid_token")


def test_replayed_proof_is_refused(bound: Any, call: Any) -> None:
    key, token = bound
    proof = op.dpop_proof(key, "GET", URL, access_token=token)
    assert call(token, keyword="DPoP", proof=proof).status_code == 200
    response = call(token, keyword="DPoP", proof=proof)
    assert response.status_code == 401
    assert response.json()["detail"] == "This DPoP proof has already been used."
    assert_dpop_challenge(response, "invalid_dpop_proof")


@pytest.mark.parametrize(
    ("method", "url", "detail"),
    [
        ("POST", URL, "The DPoP proof was made for another HTTP method."),
        ("GET", "http://testserver/api/notes/", "The DPoP proof was made for another URL."),
        ("GET", "https://testserver/api/whoami/", "The DPoP proof was made for another URL."),
        ("GET", "http://evil.example/api/whoami/", "The DPoP proof was made for another URL."),
    ],
)
def test_proof_for_another_request_is_refused(
    bound: Any, call: Any, method: str, url: str, detail: str
) -> None:
    key, token = bound
    proof = op.dpop_proof(key, method, url, access_token=token)
    response = call(token, keyword="DPoP", proof=proof)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_dpop_proof", "detail": detail}
    assert_dpop_challenge(response, "invalid_dpop_proof")


def test_proof_older_than_the_window_is_refused(bound: Any, call: Any) -> None:
    key, token = bound
    proof = op.dpop_proof(key, "GET", URL, access_token=token, iat=time.time() - 70)
    response = call(token, keyword="DPoP", proof=proof)
    assert response.status_code == 401
    assert response.json()["detail"] == "The DPoP proof is too old."
    assert_dpop_challenge(response, "invalid_dpop_proof")


def test_proof_for_another_token_is_refused(bound: Any, call: Any) -> None:
    key, token = bound
    proof = op.dpop_proof(key, "GET", URL, access_token=token + "x")
    response = call(token, keyword="DPoP", proof=proof)
    assert response.status_code == 401
    assert response.json()["detail"] == ("The DPoP proof was made for another access token (ath).")


def test_bound_jwt_as_bearer_is_refused(bound: Any, call: Any) -> None:
    """RFC 9449 §7.2: no downgrade to a bearer token, even with a valid proof."""
    key, token = bound
    response = call(token, proof=op.dpop_proof(key, "GET", URL, access_token=token))
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "This access token is DPoP-bound: send it with the DPoP scheme and a proof."
    )
    value = challenge(response)
    assert 'Bearer realm="api", error="invalid_token"' in value
    assert_dpop_challenge(response)


def test_unbound_token_with_the_dpop_scheme_is_refused(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    key = op.new_key()
    token = use_provider().access_token()
    response = call(token, keyword="DPoP", proof=op.dpop_proof(key, "GET", URL, access_token=token))
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "This access token is not DPoP-bound: send it with the Bearer scheme."
    )
    assert_dpop_challenge(response, "invalid_token")


def test_require_dpop_refuses_bearer_tokens(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    token = use_provider(OAUTH_REQUIRE_DPOP=True).access_token()
    response = call(token)
    assert response.status_code == 401
    assert response.json()["detail"] == "This API accepts only DPoP-bound access tokens."


def test_opaque_bound_token_works_through_introspection(
    use_provider: Any, service_user: Any, call: Any
) -> None:
    key = op.new_key()
    token = use_provider().token(dpop_key=key, resource=op.OPAQUE_RESOURCE)["access_token"]
    assert token.count(".") == 0
    response = call(token, keyword="DPoP", proof=op.dpop_proof(key, "GET", URL, access_token=token))
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "svc-notes"
    # ... and only with a proof from its key, never as Bearer.
    other = op.dpop_proof(op.new_key(), "GET", URL, access_token=token)
    refused = call(token, keyword="DPoP", proof=other)
    assert refused.status_code == 401
    assert_dpop_challenge(refused, "invalid_token")
    downgraded = call(token)
    assert downgraded.status_code == 401
    assert_dpop_challenge(downgraded)


def test_server_nonces(use_provider: Any, service_user: Any, call: Any) -> None:
    """DPOP_NONCES: a proof without a nonce gets use_dpop_nonce and a DPoP-Nonce to use."""
    key = op.new_key()
    token = use_provider(DPOP_NONCES=True).token(dpop_key=key)["access_token"]
    first = call(token, keyword="DPoP", proof=op.dpop_proof(key, "GET", URL, access_token=token))
    assert first.status_code == 401
    assert first.json()["error"] == "use_dpop_nonce"
    assert_dpop_challenge(first, "use_dpop_nonce")
    nonce = first.headers["DPoP-Nonce"]
    proof = op.dpop_proof(key, "GET", URL, access_token=token, nonce=nonce)
    response = call(token, keyword="DPoP", proof=proof)
    assert response.status_code == 200, response.content
    forged = op.dpop_proof(
        key,
        "GET",
        URL,
        access_token=token,
        nonce=nonce[:-2] + ("AA" if not nonce.endswith("AA") else "BB"),
    )
    assert call(token, keyword="DPoP", proof=forged).json()["error"] == "use_dpop_nonce"


def test_every_anonymous_401_names_both_schemes(use_provider: Any, client: Any) -> None:
    use_provider()
    response = client.get(PATH)
    assert response.status_code == 401
    assert_dpop_challenge(response)
    assert "DPoP-Nonce" not in response.headers
