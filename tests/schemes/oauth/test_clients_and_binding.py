"""Client subjects, key-bound tokens and scope names, with tokens minted by joserfc."""

from __future__ import annotations

from typing import Any

import pytest

from tests.schemes.oauth.conftest import challenge

pytestmark = pytest.mark.django_db


@pytest.fixture
def svc(make_user: Any) -> Any:
    return make_user("svc-billing", None)


def test_jwt_whose_sub_is_the_mapped_client_is_its_service_user(
    configure: Any, idp: Any, bearer: Any, svc: Any
) -> None:
    """RFC 9068 §2.2: a client_credentials JWT's sub is the client id."""
    configure(OAUTH_CLIENT_USERS={"billing": "svc-billing"})
    response = bearer(idp.mint({"sub": "billing", "client_id": "billing"}))
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "svc-billing"


def test_a_user_subject_is_not_mapped(
    configure: Any, idp: Any, bearer: Any, svc: Any, alice: Any
) -> None:
    """Only a token whose subject *is* the client maps: alice's token via that client is hers."""
    configure(OAUTH_CLIENT_USERS={"billing": "svc-billing"})
    response = bearer(idp.mint({"sub": "alice", "client_id": "billing"}))
    assert response.json()["user"] == "alice"


def test_unmapped_client_sub_falls_back_to_a_user_of_that_name(
    configure: Any, idp: Any, bearer: Any, make_user: Any
) -> None:
    make_user("billing", None)
    configure()
    response = bearer(idp.mint({"sub": "billing", "client_id": "billing"}))
    assert response.json()["user"] == "billing"


def test_mapping_to_an_inactive_user_is_refused(
    configure: Any, idp: Any, bearer: Any, svc: Any
) -> None:
    svc.is_active = False
    svc.save()
    configure(OAUTH_CLIENT_USERS={"billing": "svc-billing"})
    response = bearer(idp.mint({"sub": "billing", "client_id": "billing"}))
    assert response.status_code == 401
    assert response.json()["detail"] == "Unknown or inactive user."


def test_openid_and_oidc_scopes_are_kept_uppercase_and_urls_dropped(
    configure: Any, idp: Any, bearer: Any, alice: Any
) -> None:
    """The doc of oauth.claims holds: OIDC scope names are kept, inexpressible ones not."""
    configure()
    token = idp.mint({"scope": "openid profile notes:read User.Read https://x.example/y"})
    response = bearer(token)
    assert response.json()["scopes"] == ["notes:read", "openid", "profile"]


@pytest.mark.parametrize(
    "cnf",
    [
        {"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"},  # mTLS (RFC 8705)
        {"jkt": "abc", "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"},
        {"jkt": 5},
        "jkt",
    ],
)
def test_a_binding_authgate_cannot_check_is_refused(
    configure: Any, idp: Any, bearer: Any, alice: Any, cnf: Any
) -> None:
    configure()
    response = bearer(idp.mint({"cnf": cnf}))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert 'Bearer realm="api", error="invalid_token"' in challenge(response)


def test_dpop_scheme_without_any_way_to_check_the_token_is_refused(
    configure: Any, client: Any
) -> None:
    """An opaque DPoP token with no introspection is nobody else's: a 401, not anonymous."""
    configure()
    response = client.get(
        "/api/whoami/", HTTP_AUTHORIZATION="DPoP opaque-token-123", HTTP_DPOP="x.y.z"
    )
    assert response.status_code == 401
    assert 'DPoP error="invalid_token"' in challenge(response)
