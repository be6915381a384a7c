"""Hostile bearer credentials through the full stack: only 401, never a 500 or an identity."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.schemes.oauth.conftest import b64

pytestmark = pytest.mark.django_db

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=12),
    st.sampled_from(["none", "HS256", "RS256", "ES256", "EdDSA", "at+jwt", "rsa", "ec"]),
    st.lists(st.text(max_size=6), max_size=3),
)
_headers = st.dictionaries(
    st.sampled_from(["alg", "kid", "typ", "crit", "jku", "x5u", "jwk", "b64"]), _values
)
_claims = st.dictionaries(
    st.sampled_from(["iss", "aud", "sub", "exp", "nbf", "iat", "scope", "scp"]), _values
)


@pytest.fixture
def inline(configure: Any, idp: Any) -> None:
    configure(OAUTH_JWKS_URL=None, OAUTH_JWKS=idp.jwks())  # no HTTP: fast examples


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=_headers, claims=_claims, signature=st.binary(max_size=96))
def test_forged_jwts_are_refused(client, alice, inline, header, claims, signature):
    token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."
    token += b64(signature)
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401, response.content
    assert response.json()["error"] in {"invalid_token", "expired_token", "invalid_request"}


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(st.text(alphabet="abcXYZ019-_=.", max_size=40), min_size=1, max_size=6))
def test_random_dotted_strings_are_refused(client, alice, inline, parts):
    token = ".".join(parts) or "."
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401, response.content
