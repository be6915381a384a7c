"""The drf-spectacular extension: the demo's schema validates and declares every scheme."""

import pytest
import yaml
from django.test import override_settings
from openapi_spec_validator import validate

from authgate.chain import load_backends
from authgate.conf import user_settings
from authgate.contrib.openapi import schemes_for_backend, security_schemes

pytestmark = pytest.mark.django_db

ALL_SCHEMES = {
    "sessionCookie",
    "bearerAuth",
    "tokenAuth",
    "scopedTokenAuth",
    "scopedTokenQuery",
    "linkQuery",
    "basicAuth",
}


def fetch(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_demo_schema_is_valid_openapi(client):
    schema = fetch(client)
    assert schema["openapi"].startswith("3.1")
    validate(schema)


def test_schema_lists_every_configured_scheme(client):
    schema = fetch(client)
    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == ALL_SCHEMES
    # Every backend of the configured chain contributed its schemes.
    assert set(security_schemes(load_backends())) == set(schemes)
    assert schemes["basicAuth"]["scheme"] == "basic"
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["tokenAuth"] == {**schemes["tokenAuth"], "in": "header", "name": "Authorization"}
    assert schemes["scopedTokenQuery"] == {
        **schemes["scopedTokenQuery"],
        "in": "query",
        "name": "TOKEN",
    }
    assert schemes["sessionCookie"] == {
        **schemes["sessionCookie"],
        "in": "cookie",
        "name": "sessionid",
    }
    assert schemes["linkQuery"]["name"] == "sesame"


def test_operations_carry_their_scopes(client):
    paths = fetch(client)["paths"]
    get_notes = paths["/api/drf/notes/"]["get"]["security"]
    post_notes = paths["/api/drf/notes/"]["post"]["security"]
    assert {name for req in get_notes for name in req} == ALL_SCHEMES
    assert all(scopes == ["notes:read"] for req in get_notes for scopes in req.values())
    assert all(scopes == ["notes:write"] for req in post_notes for scopes in req.values())
    assert all(
        scopes == []
        for req in paths["/api/drf/whoami/"]["get"]["security"]
        for scopes in req.values()
    )


def test_per_scheme_classes_declare_only_their_schemes(client):
    security = fetch(client)["paths"]["/api/drf/token-whoami/"]["get"]["security"]
    # IsTokenAuthenticated & HasScope("notes:read"): the AND's scope is found too.
    assert security == [
        {"bearerAuth": ["notes:read"]},
        {"tokenAuth": ["notes:read"]},
        {"scopedTokenAuth": ["notes:read"]},
        {"scopedTokenQuery": ["notes:read"]},
    ]


def test_schemes_follow_the_settings(client):
    with override_settings(
        AUTHGATE={
            **user_settings(),
            "TOKEN_KEYWORDS": ["ApiKey"],
            "TOKEN_QUERY_PARAM": "api_token",
            "SCOPED_QUERY_PARAM": None,
        }
    ):
        schemes = fetch(client)["components"]["securitySchemes"]
    assert "bearerAuth" not in schemes and "scopedTokenQuery" not in schemes
    assert schemes["apiKeyAuth"]["name"] == "Authorization"
    assert schemes["tokenQuery"] == {**schemes["tokenQuery"], "in": "query", "name": "api_token"}


def test_custom_backends_declare_their_own():
    from authgate.backend import AuthorizationHeaderBackend, Backend

    class Partner(AuthorizationHeaderBackend):
        scheme = "PartnerKey"

    class Own(Backend):
        def openapi_security_schemes(self):
            return {"mine": {"type": "apiKey", "in": "header", "name": "X-Mine"}}

    assert schemes_for_backend(Partner()) == {
        "partnerKeyAuth": {**schemes_for_backend(Partner())["partnerKeyAuth"], "type": "apiKey"}
    }
    assert schemes_for_backend(Own()) == {
        "mine": {"type": "apiKey", "in": "header", "name": "X-Mine"}
    }
    assert schemes_for_backend(Backend()) == {}


def test_swagger_page_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"/api/schema/" in response.content
