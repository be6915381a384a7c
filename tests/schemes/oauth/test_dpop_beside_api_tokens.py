"""DPoP-bound OAuth access tokens and DPoP-bound API tokens in one chain.

Both arrive as ``Authorization: DPoP <token>``: the token's shape routes it (``agt_…`` to
TokenBackend, anything else to OAuthBackend, which comes first), and a 401 names each
scheme once, the error on the one the client used.
"""

from __future__ import annotations

from typing import Any

import pytest

from authgate.schemes.tokens.service import issue
from tests.schemes.oauth.conftest import challenge
from tests.schemes.oauth.oidc_provider import dpop_proof, new_key

pytestmark = pytest.mark.django_db

URL = "http://testserver/api/whoami/"


def dpop_get(client: Any, token: str, proof: str | None) -> Any:
    extra = {"HTTP_DPOP": proof} if proof is not None else {}
    return client.get("/api/whoami/", HTTP_AUTHORIZATION=f"DPoP {token}", **extra)


def test_both_kinds_work_with_one_key(configure: Any, idp: Any, client: Any, alice: Any) -> None:
    configure()
    key = new_key()
    access_token = idp.mint({"cnf": {"jkt": key.thumbprint()}})
    _row, api_token = issue(alice, dpop_jkt=key.thumbprint())
    for token, scheme in ((access_token, "oauth"), (api_token, "token")):
        response = dpop_get(client, token, dpop_proof(key, "GET", URL, access_token=token))
        assert response.status_code == 200, response.content
        assert response.json()["scheme"] == scheme


def test_a_refused_api_token_names_each_scheme_once(
    configure: Any, idp: Any, client: Any, alice: Any
) -> None:
    configure()
    key = new_key()
    _row, api_token = issue(alice, dpop_jkt=key.thumbprint())
    response = dpop_get(client, api_token, None)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_dpop_proof"
    found = challenge(response)
    assert found.count('algs="') == 1 and found.count("Bearer realm") == 1  # one of each
    assert 'DPoP error="invalid_dpop_proof", error_description="The request has no DPoP' in found
    assert 'Bearer realm="api", DPoP' in found  # Bearer without an error, then DPoP's
    # An OAuth refusal of the same chain is still told by OAuthBackend.
    refused = dpop_get(client, idp.mint({"cnf": {"jkt": key.thumbprint()}}), None)
    assert refused.json()["error"] == "invalid_dpop_proof"
    assert challenge(refused).count('algs="') == 1
