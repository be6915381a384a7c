"""The OAuth system checks, key binding, redaction and the OpenAPI / adapter declarations."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core.redaction import redact_text
from authgate.dpop_checks import check_dpop_settings
from authgate.schemes.oauth.checks import check_oauth_settings
from authgate.schemes.oauth.jwks import key_algorithms, load_keys
from tests.schemes.oauth.conftest import OAUTH_BACKEND, oauth_settings


def ids(settings: Any, **overrides: Any) -> set[str]:
    settings.AUTHGATE = oauth_settings("https://idp.example.com", **overrides)
    return {message.id for message in [*check_oauth_settings(), *check_dpop_settings()]}


def test_clean_configuration_passes(settings):
    assert ids(settings) == set()


def test_not_enabled_no_checks(settings):
    settings.AUTHGATE = {"OAUTH_ALGORITHMS": ["none"]}
    assert check_oauth_settings() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"OAUTH_ISSUER": None}, "authgate.E080"),
        ({"OAUTH_AUDIENCE": ""}, "authgate.E081"),
        ({"OAUTH_AUDIENCE": []}, "authgate.E081"),
        ({"OAUTH_JWKS_URL": None}, "authgate.E082"),
        ({"OAUTH_ALGORITHMS": ["RS256", "none"]}, "authgate.E083"),
        ({"OAUTH_ALGORITHMS": ["HS256"]}, "authgate.E083"),
        ({"OAUTH_ALGORITHMS": []}, "authgate.E083"),
        ({"OAUTH_INTROSPECTION_URL": "https://idp.example.com/introspect"}, "authgate.E085"),
        ({"OAUTH_JWKS": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "authgate.E086"),
        ({"OAUTH_JWKS_URL": "ftp://idp.example.com/jwks"}, "authgate.E087"),
        ({"OAUTH_JWKS_URL": "http://idp.example.com/jwks"}, "authgate.W081"),
        ({"OAUTH_LEEWAY": -1}, "authgate.E088"),
        ({"OAUTH_HTTP_TIMEOUT": 0}, "authgate.E088"),
        ({"OAUTH_TYP": "at+jwt"}, "authgate.E088"),
        ({"OAUTH_LEEWAY": 3600}, "authgate.W082"),
        ({"OAUTH_USER_FIELD": "first_name"}, "authgate.E089"),
        ({"OAUTH_USER_FIELD": "pk", "OAUTH_CREATE_USERS": True}, "authgate.E089"),
    ],
)
def test_each_problem_has_its_id(settings, overrides, expected):
    assert expected in ids(settings, **overrides)


def test_wrong_order_warns(settings):
    config = oauth_settings("https://idp.example.com")
    config["BACKENDS"] = [*config["BACKENDS"][1:], OAUTH_BACKEND]
    settings.AUTHGATE = config
    assert {m.id for m in check_oauth_settings()} == {"authgate.W080"}


def test_missing_pyjwt(settings, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "jwt" else real(name, *a)
    )
    assert ids(settings) == {"authgate.E084"}


@pytest.mark.parametrize(
    ("jwk", "algorithms"),
    [
        ({"kty": "RSA"}, {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}),
        ({"kty": "RSA", "alg": "PS256"}, {"PS256"}),
        ({"kty": "RSA", "alg": "HS256"}, set()),
        ({"kty": "EC", "crv": "P-256"}, {"ES256"}),
        ({"kty": "EC", "crv": "P-256", "alg": "ES384"}, set()),
        ({"kty": "EC", "crv": "P-521"}, {"ES512"}),
        ({"kty": "OKP", "crv": "Ed25519"}, {"EdDSA"}),
        ({"kty": "OKP", "crv": "X25519"}, set()),
        ({"kty": "oct"}, set()),
    ],
)
def test_key_binding(jwk, algorithms):
    assert key_algorithms(jwk) == algorithms


def test_private_encryption_and_symmetric_keys_are_not_loaded(signing_keys):
    rsa = signing_keys["rsa"]
    public = rsa.as_dict(private=False)
    allowed = ["RS256"]
    assert len(load_keys({"keys": [public]}, allowed)) == 1
    assert load_keys({"keys": [rsa.as_dict(private=True)]}, allowed) == ()
    assert load_keys({"keys": [{**public, "use": "enc"}]}, allowed) == ()
    assert load_keys({"keys": [{**public, "key_ops": ["encrypt"]}]}, allowed) == ()
    assert load_keys({"keys": [{"kty": "oct", "k": "c2VjcmV0", "alg": "HS256"}]}, allowed) == ()
    assert load_keys({"keys": [{"kty": "RSA", "n": "!!", "e": "AQAB"}]}, allowed) == ()
    assert load_keys("nonsense", allowed) == ()


def test_jwts_are_masked_in_free_text(signing_keys):
    from joserfc import jwt

    token = jwt.encode({"alg": "RS256"}, {"sub": "alice"}, signing_keys["rsa"])
    assert token not in redact_text(f"failed for {token}!")
    assert token not in redact_text(f"token={token}")


def test_openapi_scheme(settings):
    from authgate.contrib.openapi import security_schemes
    from authgate.schemes.oauth.backend import OAuthBackend

    settings.AUTHGATE = oauth_settings("https://idp.example.com")
    schemes = security_schemes([OAuthBackend()])
    assert schemes["oauthBearer"]["type"] == "http"
    assert schemes["oauthBearer"]["scheme"] == "bearer"
    assert schemes["oauthBearer"]["bearerFormat"] == "JWT"


def test_adapter_classes():
    from authgate.contrib.drf import OAuthAuthentication
    from authgate.contrib.ninja import AsyncOAuthAuth, OAuthAuth
    from authgate.schemes.oauth.backend import OAuthBackend

    assert OAuthAuthentication.backends == [OAUTH_BACKEND]
    assert isinstance(OAuthAuth().get_backends()[0], OAuthBackend)
    assert AsyncOAuthAuth().is_async


@pytest.mark.django_db
def test_drf_and_ninja_schemas_declare_oauth(client, settings):
    import yaml
    from openapi_spec_validator import validate

    settings.AUTHGATE = oauth_settings("https://idp.example.com")
    drf = yaml.safe_load(client.get("/api/schema/").content)
    validate(drf)
    assert drf["components"]["securitySchemes"]["oauthBearer"]["bearerFormat"] == "JWT"
    ninja = client.get("/api/ninja/openapi.json").json()
    validate(ninja)
    assert "oauthBearer" in ninja["components"]["securitySchemes"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"OAUTH_CLIENT_USERS": ["notes-cli"]}, "authgate.E090"),
        ({"OAUTH_CLIENT_USERS": {"notes-cli": ""}}, "authgate.E090"),
        ({"DPOP_ALGORITHMS": ["HS256"]}, "authgate.E091"),
        ({"DPOP_ALGORITHMS": ["ES256", "none"]}, "authgate.E091"),
        ({"DPOP_ALGORITHMS": []}, "authgate.E091"),
        ({"DPOP_PROOF_MAX_AGE": 0}, "authgate.E092"),
        ({"DPOP_CLOCK_SKEW": -1}, "authgate.E092"),
        ({"DPOP_NONCE_LIFETIME": "5m"}, "authgate.E092"),
        ({"DPOP_NONCES": "yes"}, "authgate.E093"),
        ({"OAUTH_REQUIRE_AUDIENCE": None}, "authgate.E093"),
        ({"OAUTH_REQUIRE_DPOP": 1}, "authgate.E093"),
        ({"OAUTH_REQUIRE_AUDIENCE": False}, "authgate.W090"),
        ({"DPOP_PROOF_MAX_AGE": 600}, "authgate.W091"),
    ],
)
def test_dpop_and_client_settings_are_checked(settings, overrides, expected):
    assert ids(settings, **overrides) == {expected}


def test_dpop_and_client_settings_accept_good_values(settings):
    assert (
        ids(
            settings,
            OAUTH_CLIENT_USERS={"notes-cli": "svc-notes"},
            DPOP_ALGORITHMS=["EdDSA"],
            DPOP_CLOCK_SKEW=0,
            DPOP_NONCES=True,
            OAUTH_REQUIRE_DPOP=True,
        )
        == set()
    )
