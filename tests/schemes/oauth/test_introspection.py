"""Opaque access tokens through RFC 7662 introspection at the local IdP."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from authgate.schemes.oauth import introspection
from tests.schemes.oauth.conftest import AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, challenge

pytestmark = pytest.mark.django_db

OPAQUE = "opaque-access-token-0123456789"


@pytest.fixture(autouse=True)
def _introspection(configure: Any, idp: Any, leak_check: Any) -> None:
    leak_check.add_secret(CLIENT_SECRET, "OAuth client secret")
    configure(
        OAUTH_INTROSPECTION_URL=f"{idp.url}/introspect",
        OAUTH_CLIENT_ID=CLIENT_ID,
        OAUTH_CLIENT_SECRET=CLIENT_SECRET,
    )


def active(**claims: Any) -> dict[str, Any]:
    answer = {
        "active": True,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "scope": "notes:read",
        "exp": int(time.time()) + 300,
        "token_type": "Bearer",
    }
    answer.update(claims)
    return answer


def test_active_token_authenticates(idp, alice, bearer):
    idp.answers[OPAQUE] = active()
    response = bearer(OPAQUE)
    assert response.status_code == 200, response.content
    assert response.json() == {"user": "alice", "scheme": "oauth", "scopes": ["notes:read"]}
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert idp.introspection_auth == [f"Basic {expected}"]
    assert bearer(OPAQUE, "/api/notes/", "post", data={"title": "x"}).status_code == 403


def test_active_answer_is_cached(idp, alice, bearer, django_assert_num_queries):
    idp.answers[OPAQUE] = active()
    assert bearer(OPAQUE).status_code == 200
    with django_assert_num_queries(1):
        assert bearer(OPAQUE).status_code == 200
    assert idp.hits["/introspect"] == 1


def test_cache_never_outlives_exp(idp, alice, bearer, configure):
    configure(
        OAUTH_INTROSPECTION_URL=f"{idp.url}/introspect",
        OAUTH_CLIENT_ID=CLIENT_ID,
        OAUTH_CLIENT_SECRET=CLIENT_SECRET,
        OAUTH_LEEWAY=0,
    )
    # exp is whole seconds: at least half a second ahead, so the first request is in time.
    now = time.time()
    exp = int(now) + (1 if now % 1 < 0.5 else 2)
    idp.answers[OPAQUE] = active(exp=exp)
    assert bearer(OPAQUE).status_code == 200
    key = introspection._key(OPAQUE)
    deadline = introspection.active_cache._data[key][0]
    assert deadline <= exp
    time.sleep(max(0.0, deadline - time.time()) + 0.05)
    assert introspection.active_cache.get(key) is None
    response = bearer(OPAQUE)
    assert response.status_code == 401
    assert response.json()["error"] == "expired_token"
    assert idp.hits["/introspect"] == 2


def test_cache_ttl_caps_long_lived_tokens(idp, alice, bearer):
    idp.answers[OPAQUE] = active(exp=int(time.time()) + 86400)
    assert bearer(OPAQUE).status_code == 200
    deadline = introspection.active_cache._data[introspection._key(OPAQUE)][0]
    assert deadline <= time.time() + 60


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"active": False}, "invalid_token"),
        ({"active": "true", "sub": "alice"}, "invalid_token"),
        ({}, "invalid_token"),
        (active(iss="https://evil.example.com/"), "invalid_token"),
        (active(aud="https://other.example.com"), "invalid_token"),
        (active(exp=int(time.time()) - 120), "expired_token"),
        (active(nbf=int(time.time()) + 120), "invalid_token"),
        (active(sub="nobody"), "invalid_token"),
        ({k: v for k, v in active().items() if k != "sub"}, "invalid_token"),
    ],
)
def test_refused_answers(idp, alice, bearer, answer, code):
    idp.answers[OPAQUE] = answer
    response = bearer(OPAQUE)
    assert response.status_code == 401, response.content
    assert response.json()["error"] == code
    assert 'error="invalid_token"' in challenge(response)


def test_inactive_answer_cached_briefly(idp, alice, bearer, configure):
    assert bearer(OPAQUE).status_code == 401
    assert bearer(OPAQUE).status_code == 401
    assert idp.hits["/introspect"] == 1
    configure(
        OAUTH_INTROSPECTION_URL=f"{idp.url}/introspect",
        OAUTH_CLIENT_ID=CLIENT_ID,
        OAUTH_CLIENT_SECRET=CLIENT_SECRET,
        OAUTH_INTROSPECTION_INACTIVE_TTL=0,
    )
    assert bearer(OPAQUE).status_code == 401
    assert bearer(OPAQUE).status_code == 401
    assert idp.hits["/introspect"] == 3


@pytest.mark.parametrize("status", [500, 401])
def test_idp_error_is_503(idp, alice, bearer, status):
    idp.status = status
    response = bearer(OPAQUE)
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"


def test_idp_down_is_503(idp, alice, bearer, configure):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(
        OAUTH_INTROSPECTION_URL=f"http://127.0.0.1:{port}/introspect",
        OAUTH_CLIENT_ID=CLIENT_ID,
        OAUTH_CLIENT_SECRET=CLIENT_SECRET,
    )
    assert bearer(OPAQUE).status_code == 503


def test_api_tokens_are_never_introspected(idp, alice, bearer):
    from authgate.schemes.tokens import service as tokens

    _, plaintext = tokens.issue(alice, name="ci", scopes=["notes:read"])
    assert bearer(plaintext).status_code == 200
    garbage = "agt_" + "x" * 42
    assert bearer(garbage).json()["error"] == "invalid_token"
    assert idp.hits["/introspect"] == 0


def test_without_introspection_opaque_tokens_go_to_the_token_backend(idp, bearer, configure):
    configure()
    response = bearer(OPAQUE)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert idp.hits["/introspect"] == 0


def test_ttl_cache_is_bounded() -> None:
    cache = introspection.TTLCache(3)
    for n in range(10):
        cache.set(str(n), n, until=time.time() + 60)
    assert len(cache) == 3
    assert cache.get("9") == 9
    assert cache.get("0") is None
    cache.set("old", 1, until=time.time() - 1)
    assert cache.get("old") is None
