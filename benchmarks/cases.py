"""What is measured: one callable per scheme, each authenticating a fresh request.

Every case returns ``(prepare, call)``: ``prepare(i)`` builds the i-th input outside the
timed region (a new request, so no per-request cache helps), ``call(x)`` is what is timed.
Each call is checked once up front to authenticate the expected user, so a broken case
fails loudly instead of timing an error path.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import RequestFactory

rf = RequestFactory()


@dataclass
class Case:
    name: str
    group: str  # "authgate", "peer" or "floor"
    prepare: Callable[[int], Any]
    call: Callable[[Any], Any]
    calls: int = 3000
    expect: Callable[[Any], bool] = lambda result: result is not None
    #: Untimed calls before each timing (at least a tenth of the calls): enough to reach
    #: the steady state, e.g. every sampled token once, so no periodic write is timed.
    warm: int = 0


def header_request(header: str, path: str = "/") -> Any:
    return rf.get(path, HTTP_AUTHORIZATION=header)


def pick(items: list[Any]) -> Callable[[int], Any]:
    return lambda i: items[i % len(items)]


# --- the floor ---------------------------------------------------------------------


def floor_case(digests: list[str]) -> Case:
    """The raw indexed join (token row + user row) through a cursor: nothing to beat."""
    from django.contrib.auth import get_user_model

    from authgate.models import APIToken

    token_table = APIToken._meta.db_table
    user_table = get_user_model()._meta.db_table
    sql = (
        f'SELECT t.*, u.* FROM "{token_table}" t INNER JOIN "{user_table}" u '  # noqa: S608
        "ON u.id = t.user_id WHERE t.digest = %s"
    )

    def call(digest: str) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql, [digest])
            return cursor.fetchone()

    return Case("raw indexed join (floor)", "floor", pick(digests), call)


# --- authgate ------------------------------------------------------------------------


def authgate_case(
    name: str,
    backend_path: str,
    requests: Callable[[int], Any],
    calls: int = 3000,
    warm: int = 0,
) -> Case:
    from authgate.chain import authenticate, load_backends

    backends = load_backends([backend_path])
    return Case(
        name,
        "authgate",
        requests,
        lambda request: authenticate(request, backends),
        calls,
        warm=warm,
    )


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# --- the peers -----------------------------------------------------------------------


def drf_token_case(keys: list[str]) -> Case:
    from rest_framework.authentication import TokenAuthentication

    auth = TokenAuthentication()
    return Case(
        "DRF TokenAuthentication",
        "peer",
        lambda i: header_request(f"Token {keys[i % len(keys)]}"),
        auth.authenticate,
    )


def knox_case(tokens: list[str]) -> Case:
    from knox.auth import TokenAuthentication

    auth = TokenAuthentication()
    return Case(
        "knox",
        "peer",
        lambda i: header_request(f"Token {tokens[i % len(tokens)]}"),
        auth.authenticate,
    )


def simplejwt_case(tokens: list[str]) -> Case:
    from rest_framework_simplejwt.authentication import JWTAuthentication

    auth = JWTAuthentication()
    return Case(
        "simplejwt",
        "peer",
        lambda i: header_request(f"Bearer {tokens[i % len(tokens)]}"),
        auth.authenticate,
    )


def api_key_case(keys: list[str]) -> Case:
    from rest_framework_api_key.permissions import HasAPIKey

    permission = HasAPIKey()
    return Case(
        "djangorestframework-api-key HasAPIKey",
        "peer",
        lambda i: header_request(f"Api-Key {keys[i % len(keys)]}"),
        lambda request: permission.has_permission(request, None) or None,
    )


def sesame_case(tokens: list[str]) -> Case:
    from sesame.utils import get_user

    return Case("django-sesame get_user", "peer", pick(tokens), get_user)


def shuffled(items: list[Any]) -> list[Any]:
    items = list(items)
    random.Random(7).shuffle(items)
    return items


# --- OAuth access tokens (JWT) and DPoP proofs ---------------------------------------

OAUTH_ISSUER = "https://idp.bench.example"
OAUTH_AUDIENCE = "https://api.bench.example"


def enable_oauth() -> tuple[Any, Any]:
    """Configure OAuthBackend for this process (an inline ES256 JWKS, no network) and
    return ``(the IdP's signing key, a client's DPoP key)``."""
    import json

    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.conf import settings as django_settings
    from django.test import override_settings

    idp_key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(idp_key.public_key()))
    override_settings(
        AUTHGATE={
            **django_settings.AUTHGATE,
            "OAUTH_ISSUER": OAUTH_ISSUER,
            "OAUTH_AUDIENCE": OAUTH_AUDIENCE,
            "OAUTH_JWKS": {"keys": [{**public, "kid": "bench", "use": "sig"}]},
        }
    ).enable()
    return idp_key, ec.generate_private_key(ec.SECP256R1())


def oauth_token(idp_key: Any, username: str, *, jkt: str | None = None) -> str:
    """An RFC 9068 access token for ``username``, bound to ``jkt`` if given."""
    import time

    import jwt

    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": OAUTH_ISSUER,
        "aud": OAUTH_AUDIENCE,
        "sub": username,
        "client_id": "bench",
        "iat": now,
        "exp": now + 3600,
        "scope": "notes:read",
    }
    if jkt is not None:
        claims["cnf"] = {"jkt": jkt}
    headers = {"kid": "bench", "typ": "at+jwt"}
    return jwt.encode(claims, idp_key, algorithm="ES256", headers=headers)


def client_jwk(client_key: Any, alg: str = "ES256") -> dict[str, Any]:
    """The public JWK of a client's DPoP key (what a proof's header carries)."""
    import json

    import jwt

    algorithm = jwt.algorithms.get_default_algorithms()[alg]
    return json.loads(algorithm.to_jwk(client_key.public_key()))  # type: ignore[no-any-return]


def dpop_requests(client_key: Any, tokens: list[str], alg: str = "ES256") -> Callable[[int], Any]:
    """The i-th request: a bound token and a fresh proof (signed outside the timing)."""
    import hashlib
    import secrets
    import time

    import jwt

    public = client_jwk(client_key, alg)

    def prepare(i: int) -> Any:
        token = tokens[i % len(tokens)]
        ath = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=")
        proof = jwt.encode(
            {
                "jti": secrets.token_urlsafe(12),
                "htm": "GET",
                "htu": "http://testserver/",
                "iat": int(time.time()),
                "ath": ath.decode(),
            },
            client_key,
            algorithm=alg,
            headers={"typ": "dpop+jwt", "jwk": public},
        )
        return rf.get("/", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)

    return prepare


def oauth_cases(usernames: list[str]) -> list[Case]:
    """OAuth JWT access tokens as Bearer, and DPoP-bound ones with a proof, side by side."""
    import json

    import jwt

    from authgate.dpop import jwk_thumbprint

    idp_key, client_key = enable_oauth()
    jkt = jwk_thumbprint(json.loads(jwt.algorithms.ECAlgorithm.to_jwk(client_key.public_key())))
    plain = [oauth_token(idp_key, name) for name in usernames]
    bound = [oauth_token(idp_key, name, jkt=jkt) for name in usernames]
    backend = "authgate.schemes.oauth.backend.OAuthBackend"
    return [
        authgate_case(
            "authgate OAuth JWT (ES256)",
            backend,
            lambda i: header_request(f"Bearer {plain[i % len(plain)]}"),
            calls=1000,
        ),
        authgate_case(
            "authgate OAuth JWT + DPoP proof (ES256)",
            backend,
            dpop_requests(client_key, bound),
            calls=1000,
        ),
    ]


def api_token_dpop_cases(users: list[Any]) -> list[Case]:
    """DPoP-bound ``agt_`` tokens with a fresh proof per request (ES256 and EdDSA keys): the
    plain ``agt_`` row's path plus one signature verification, the thumbprint, the URL
    comparison and the replay cache's ``add`` (Django's local-memory cache here)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    from authgate.dpop import jwk_thumbprint
    from authgate.schemes.tokens import service as tokens

    found = []
    for alg, key in (
        ("ES256", ec.generate_private_key(ec.SECP256R1())),
        ("EdDSA", ed25519.Ed25519PrivateKey.generate()),
    ):
        jkt = jwk_thumbprint(client_jwk(key, alg))
        bound = [tokens.issue(user, name=f"bench {alg}", dpop_jkt=jkt)[1] for user in users]
        found.append(
            authgate_case(
                f"authgate API token + DPoP proof ({alg})",
                "authgate.schemes.tokens.backend.TokenBackend",
                dpop_requests(key, bound, alg),
                calls=1000,
                warm=len(bound),  # every token once: its use noted, as for the plain row
            )
        )
    return found
