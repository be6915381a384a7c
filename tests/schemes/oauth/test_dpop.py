"""The DPoP proof verifier (authgate.dpop) on its own, with hostile proofs.

Proofs are made with joserfc (not PyJWT, which authgate verifies with) and checked against
requests from Django's RequestFactory; the jti replay cache is the test pass's default cache
(local memory, or Redis in the PostgreSQL+Redis pass).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import RequestFactory
from joserfc import jws
from joserfc.jwk import ECKey, OctKey, RSAKey

from authgate import dpop
from authgate.errors import ServiceUnavailable
from tests.schemes.oauth.oidc_provider import dpop_proof, new_key

TOKEN = "an-access-token"
URL = "http://testserver/api/whoami/"


def request(proof: str | None, *, method: str = "GET", path: str = "/api/whoami/", **extra: Any):
    factory = RequestFactory()
    headers = {"HTTP_DPOP": proof} if proof is not None else {}
    return factory.generic(method, path, **headers, **extra)


def verify(proof: str | None, **kwargs: Any) -> dpop.VerifiedProof:
    options: dict[str, Any] = {"access_token": TOKEN, "expected_jkt": None}
    req = request(proof, **kwargs.pop("request", {}))
    options.update(kwargs)
    return dpop.verify_proof(req, **options)


def refused(proof: str | None, detail: str, code: str = "invalid_dpop_proof", **kwargs: Any):
    with pytest.raises(dpop.ProofRefused) as info:
        verify(proof, **kwargs)
    assert (info.value.code, str(info.value.detail)) == (code, detail)


def test_rfc7638_thumbprint_example() -> None:
    """RFC 7638 §3.1's RSA key and its thumbprint."""
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",  # noqa: E501
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert dpop.jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_a_valid_proof(db: None) -> None:
    key = new_key()
    proof = dpop_proof(key, "GET", URL, access_token=TOKEN)
    verified = verify(proof, expected_jkt=key.thumbprint())
    assert verified.jkt == key.thumbprint()  # joserfc's RFC 7638 thumbprint agrees
    assert (verified.htm, verified.htu, verified.nonce) == ("GET", URL, None)


@pytest.mark.parametrize(
    "htu",
    [
        "HTTP://TESTSERVER:80/api/whoami/",
        "http://testserver/api/./x/../whoami/",
        "http://testserver/api/whoami/?query=ignored#and-the-fragment",
        "http://testserver/api/%77hoami/",
    ],
)
def test_htu_is_compared_after_normalisation(db: None, htu: str) -> None:
    key = new_key()
    assert verify(dpop_proof(key, "GET", htu, access_token=TOKEN)).htu == htu


def test_htu_against_the_raw_target(db: None) -> None:
    """Under gunicorn (RAW_URI) the proof names the path as sent: /caf%c3%a9/."""
    key = new_key()
    proof = dpop_proof(key, "GET", "http://testserver/caf%c3%a9/", access_token=TOKEN)
    raw = {"path": "/café/", "RAW_URI": "/caf%c3%a9/"}
    assert verify(proof, request=raw).htu == "http://testserver/caf%c3%a9/"
    proof = dpop_proof(key, "GET", "http://testserver/a%2Fb/", access_token=TOKEN)
    refused(proof, "The DPoP proof was made for another URL.", request={"path": "/a/b/"})
    assert verify(proof, request={"path": "/a/b/", "RAW_URI": "/a%2Fb/"})


def test_missing_and_repeated_headers() -> None:
    refused(None, "The request has no DPoP proof.")
    proof = dpop_proof(new_key(), "GET", URL, access_token=TOKEN)
    refused(f"{proof},{proof}", "Send exactly one DPoP header.")
    refused("not-a-jwt", "The DPoP proof is not a JWT.")
    refused("a.b.c", "The DPoP proof is not a JWT.")


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ({"typ": "JWT"}, "The DPoP proof's typ is not dpop+jwt."),
        ({"typ": "at+jwt"}, "The DPoP proof's typ is not dpop+jwt."),
        ({"crit": ["exp"]}, "The DPoP proof uses an unsupported extension."),
        ({"jwk": "not-an-object"}, "The DPoP proof has no jwk header."),
    ],
)
def test_bad_headers(header: dict[str, Any], detail: str) -> None:
    """Headers joserfc refuses to write: signed with PyJWT, which writes anything."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    claims = {**_claims(), "ath": dpop.access_token_hash(TOKEN)}
    headers = {"typ": "dpop+jwt", "jwk": public, **header}
    refused(jwt.encode(claims, private, algorithm="ES256", headers=headers), detail)


def test_private_key_in_the_header_is_refused() -> None:
    key = new_key()
    header = {"jwk": key.as_dict(private=True)}
    refused(
        dpop_proof(key, "GET", URL, access_token=TOKEN, header=header),
        "The DPoP proof's jwk holds a private key.",
    )


def _raw(header: dict[str, Any], claims: dict[str, Any], key: Any, alg: str) -> str:
    return jws.serialize_compact(
        {**header, "alg": alg}, json.dumps(claims).encode(), key, algorithms=[alg]
    )


def _claims() -> dict[str, Any]:
    return {"jti": "j1", "htm": "GET", "htu": URL, "iat": int(time.time()), "ath": "x"}


def test_none_and_hmac_algorithms_are_refused() -> None:
    key = new_key()
    public = key.as_dict(private=False)
    unsigned = dpop_proof(key, "GET", URL, access_token=TOKEN).rsplit(".", 1)[0]
    import base64

    header = base64.urlsafe_b64encode(
        json.dumps({"typ": "dpop+jwt", "alg": "none", "jwk": public}).encode()
    ).rstrip(b"=")
    refused(
        header.decode() + "." + unsigned.split(".")[1] + ".",
        "The DPoP proof's signature algorithm is not accepted.",
    )
    # HS256 keyed with the public key's JSON: the algorithm-confusion attack.
    hmac_key = OctKey.import_key(json.dumps(public).encode())
    forged = _raw({"typ": "dpop+jwt", "jwk": public}, _claims(), hmac_key, "HS256")
    refused(forged, "The DPoP proof's signature algorithm is not accepted.")


def test_alg_must_match_the_key_type() -> None:
    rsa = RSAKey.generate_key(2048)
    forged = _raw(
        {"typ": "dpop+jwt", "jwk": rsa.as_dict(private=False)}, _claims(), new_key(), "ES256"
    )
    refused(forged, "The DPoP proof's alg does not match its key.")


def test_alg_outside_dpop_algorithms_is_refused(settings: Any) -> None:
    settings.AUTHGATE = {**settings.AUTHGATE, "DPOP_ALGORITHMS": ["EdDSA"]}
    refused(
        dpop_proof(new_key(), "GET", URL, access_token=TOKEN),
        "The DPoP proof's signature algorithm is not accepted.",
    )


def test_signature_by_another_key_is_refused() -> None:
    mine, theirs = new_key(), new_key()
    forged = _raw(
        {"typ": "dpop+jwt", "jwk": mine.as_dict(private=False)}, _claims(), theirs, "ES256"
    )
    refused(forged, "The DPoP proof's signature is invalid.")


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"jti": ""}, "The DPoP proof has no usable jti claim."),
        ({"jti": 5}, "The DPoP proof has no usable jti claim."),
        ({"jti": "j" * 257}, "The DPoP proof has no usable jti claim."),
        ({"htm": "get"}, "The DPoP proof was made for another HTTP method."),
        ({"htu": "/api/whoami/"}, "The DPoP proof was made for another URL."),
        ({"htu": "http://testserver:8000/api/whoami/"}, "The DPoP proof was made for another URL."),
        ({"htu": "http://testserver/api/whoami"}, "The DPoP proof was made for another URL."),
        ({"iat": "now"}, "The DPoP proof has no usable iat claim."),
        ({"iat": True}, "The DPoP proof has no usable iat claim."),
        # Computed when the test runs, not when it is collected (a slow run would age it).
        ({"iat": lambda: time.time() + 60}, "The DPoP proof was made in the future."),
        ({"ath": None}, "The DPoP proof was made for another access token (ath)."),
    ],
)
def test_bad_claims(claims: dict[str, Any], detail: str) -> None:
    claims = {name: value() if callable(value) else value for name, value in claims.items()}
    proof = dpop_proof(new_key(), "GET", URL, access_token=TOKEN, claims=claims)
    refused(proof, detail)


def test_the_iat_window(db: None, settings: Any) -> None:
    key = new_key()
    settings.AUTHGATE = {**settings.AUTHGATE, "DPOP_PROOF_MAX_AGE": 10, "DPOP_CLOCK_SKEW": 0}
    now = time.time()
    assert verify(dpop_proof(key, "GET", URL, access_token=TOKEN, iat=now - 9), now=now)
    old = dpop_proof(key, "GET", URL, access_token=TOKEN, iat=now - 11)
    refused(old, "The DPoP proof is too old.", now=now)


def test_expected_key_is_compared(db: None) -> None:
    key = new_key()
    proof = dpop_proof(key, "GET", URL, access_token=TOKEN)
    refused(proof, "The DPoP proof is signed by another key.", "invalid_token", expected_jkt="x")


def test_a_proof_is_accepted_once_per_key(db: None) -> None:
    """The replay cache is the Django cache: Redis in the PostgreSQL+Redis pass."""
    key = new_key()
    proof = dpop_proof(key, "GET", URL, access_token=TOKEN, jti="same")
    assert verify(proof)
    refused(proof, "This DPoP proof has already been used.")
    # The same jti from another key is another proof.
    assert verify(dpop_proof(new_key(), "GET", URL, access_token=TOKEN, jti="same"))


def test_replay_cache_down_is_503(settings: Any) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.5},
        },
    }
    settings.AUTHGATE = {**settings.AUTHGATE, "CACHE": "down"}
    with pytest.raises(ServiceUnavailable):
        verify(dpop_proof(new_key(), "GET", URL, access_token=TOKEN))


# --- nonces -------------------------------------------------------------------------------


def test_nonces_are_stateless_and_windowed(settings: Any) -> None:
    settings.AUTHGATE = {**settings.AUTHGATE, "DPOP_NONCE_LIFETIME": 60}
    now = 1_800_000_000.0
    nonce = dpop.current_nonce(now)
    assert nonce == dpop.current_nonce(now + 1)  # every worker computes the same one
    assert dpop.nonce_is_valid(nonce, now)
    assert dpop.nonce_is_valid(nonce, now + 60)  # the previous window still counts
    assert not dpop.nonce_is_valid(nonce, now + 120)
    assert not dpop.nonce_is_valid(nonce[:-1] + ("A" if nonce[-1] != "A" else "B"), now)
    assert not dpop.nonce_is_valid("x" + nonce, now)
    assert not dpop.nonce_is_valid(None, now)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "another-key-" * 4, [settings.SECRET_KEY]
    assert dpop.nonce_is_valid(nonce, now)  # the old key is a fallback: still valid
    settings.SECRET_KEY_FALLBACKS = []
    assert not dpop.nonce_is_valid(nonce, now)


def test_proof_without_the_nonce_gets_use_dpop_nonce(db: None, settings: Any) -> None:
    settings.AUTHGATE = {**settings.AUTHGATE, "DPOP_NONCES": True}
    key = new_key()
    detail = "Send a DPoP proof with the nonce this server gave."
    refused(dpop_proof(key, "GET", URL, access_token=TOKEN), detail, "use_dpop_nonce")
    proof = dpop_proof(key, "GET", URL, access_token=TOKEN, nonce=dpop.current_nonce())
    assert verify(proof).nonce == dpop.current_nonce()


def test_ec_key_without_curve_match(db: None) -> None:
    p384 = ECKey.generate_key("P-384")
    forged = _raw({"typ": "dpop+jwt", "jwk": p384.as_dict(private=False)}, _claims(), p384, "ES384")
    assert forged.count(".") == 2
    lying = _raw(
        {"typ": "dpop+jwt", "jwk": p384.as_dict(private=False)}, _claims(), new_key(), "ES256"
    )
    refused(lying, "The DPoP proof's alg does not match its key.")


@pytest.mark.redis
def test_the_replay_cache_is_redis_shared_by_every_worker(db: None) -> None:
    """Another worker (its own Redis connection) sees the jti this one recorded."""
    import hashlib

    from django.core.cache import caches

    key = new_key()
    verified = verify(dpop_proof(key, "GET", URL, access_token=TOKEN, jti="shared-jti"))
    other_worker = caches.create_connection("default")
    digest = hashlib.sha256(f"{verified.jkt}\x00shared-jti".encode()).hexdigest()
    assert other_worker.get(f"authgate:dpop-jti:{digest}") == 1
    assert other_worker.add(f"authgate:dpop-jti:{digest}", 1, 60) is False
