"""Hostile bearer credentials through the full stack: only 401, never a 500 or an identity."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.schemes.oauth.conftest import AUDIENCE, ISSUER, b64

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


# --- validly signed, with times no datetime can hold (issue #19, reproduction 9) -----------


def _signed(idp: Any, claims_text: str) -> str:
    """A JWT whose payload is exactly ``claims_text`` (NaN and 1e400 are no JSON joserfc
    would write), signed by the IdP's RSA key."""
    from joserfc import jws

    header = {"alg": "RS256", "kid": "rsa", "typ": "at+jwt"}
    return jws.serialize_compact(
        header, claims_text.encode(), idp.keys["rsa"], algorithms=["RS256"]
    )


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize(
    "value",
    [
        "1e20",
        "100000000000000000000",
        "1" + "0" * 400,
        "1e400",
        "NaN",
        "Infinity",
        "-Infinity",
        "-1e20",
        "253402300800",
    ],
)
def test_signed_times_out_of_range_are_a_401(client, alice, inline, idp, claim, value):
    import time

    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 300}
    claims[claim] = "@@"
    token = _signed(idp, json.dumps(claims).replace('"@@"', value))
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["error"] in {"invalid_token", "expired_token"}, body
    assert body["detail"]
    assert 'error="' in response["WWW-Authenticate"]


def test_an_exp_far_but_within_range_still_works(client, alice, inline, idp):
    token = idp.mint({"exp": 253402300799})  # 9999-12-31T23:59:59Z
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
