"""The Django Ninja adapter: chain and per-scheme auth, sync and async, scopes, errors, schema."""

import base64
import json

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.test import AsyncClient, Client
from django.urls import include, path
from openapi_spec_validator import validate

from authgate.contrib.ninja import (
    AsyncAuthgateAuth,
    AsyncTokenAuth,
    AuthgateAuth,
    AuthgateNinjaAPI,
    BasicAuth,
    LinkAuth,
    ScopedTokenAuth,
    SessionAuth,
    TokenAuth,
)
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens.service import issue

BASIC = "Basic " + base64.b64encode(b"alice:correct horse").decode()


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def read_token(user):
    return issue(user, name="read", scopes=["notes:read"])[1]


# --- the demo router, through the whole stack (middleware included) ---------------------


def test_whoami_with_each_scheme(client, user, read_token):
    assert client.get("/api/ninja/whoami/", HTTP_AUTHORIZATION=BASIC).json() == {
        "user": "alice",
        "scheme": "basic",
        "scopes": None,
    }
    assert client.get("/api/ninja/whoami/", **bearer(read_token)).json()["scheme"] == "token"
    token = scoped.issue(user, {"GET": ["/api/ninja/"]})
    assert client.get(f"/api/ninja/whoami/?TOKEN={token}").json()["scheme"] == "scoped"
    client.force_login(user)
    assert client.get("/api/ninja/whoami/").json()["scheme"] == "session"


def test_401_uses_authgates_shape_and_challenges(client, db):
    response = client.get("/api/ninja/whoami/")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    assert 'Basic realm="api", charset="UTF-8"' in response["WWW-Authenticate"]
    assert 'Bearer realm="api"' in response["WWW-Authenticate"]


def test_notes_scopes(client, user, read_token):
    assert client.get("/api/ninja/notes/", **bearer(read_token)).json() == []
    refused = client.post(
        "/api/ninja/notes/", {"title": "x"}, content_type="application/json", **bearer(read_token)
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"
    assert 'scope="notes:write"' in refused["WWW-Authenticate"]
    created = client.post(
        "/api/ninja/notes/",
        {"title": "x"},
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC,
    )
    assert created.status_code == 201
    assert created.json()["title"] == "x"


def test_notes_refuse_a_link_and_a_bad_token(client, user):
    from authgate.schemes.links import service as links

    token = links.get_token(user)
    response = client.get(f"/api/ninja/notes/?sesame={token}")
    assert response.status_code == 401  # links are not among the notes' schemes
    bad = client.get("/api/ninja/notes/", **bearer("agt_nope"))
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_token"


def test_session_post_needs_csrf(user):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post(
        "/api/ninja/notes/", {"title": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"


def test_async_operations(user, read_token):
    aclient = AsyncClient()
    get = async_to_sync(aclient.get)
    ok = get("/api/ninja/async/whoami/", headers={"Authorization": BASIC})
    assert ok.status_code == 200 and ok.json()["scheme"] == "basic"
    notes = get("/api/ninja/async/notes/", headers={"Authorization": f"Bearer {read_token}"})
    assert notes.status_code == 200 and notes.json() == []
    # Basic is not a token scheme.
    assert get("/api/ninja/async/notes/", headers={"Authorization": BASIC}).status_code == 401
    assert get("/api/ninja/async/whoami/").status_code == 401


# --- the classes, on an API of their own -----------------------------------------------

test_api = AuthgateNinjaAPI(urls_namespace="authgate-tests-ninja")


@test_api.get("/token", auth=TokenAuth())
def token_only(request):
    return {"scheme": request.auth.scheme}


@test_api.get("/token-or-basic", auth=[TokenAuth(), BasicAuth()])
def token_or_basic(request):
    return {"scheme": request.auth.scheme}


@test_api.get("/write", auth=AuthgateAuth(scopes={"GET": "notes:write"}))
def write(request):
    return {"scheme": request.auth.scheme}


urlpatterns = [path("tn/", test_api.urls), path("", include("tests.urls"))]
WITHOUT_MIDDLEWARE = [m for m in django_settings.MIDDLEWARE if not m.startswith("authgate.")]


@pytest.fixture(params=["middleware", "no-middleware"])
def tn(request, settings):
    """A client for ``test_api``, with and without authgate's middleware."""
    if request.param == "no-middleware":
        settings.MIDDLEWARE = WITHOUT_MIDDLEWARE
    return Client()


pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.contrib.test_ninja")]


def test_per_scheme_auth_accepts_only_its_scheme(tn, user, read_token):
    assert tn.get("/tn/token", **bearer(read_token)).json() == {"scheme": "token"}
    refused = tn.get("/tn/token", HTTP_AUTHORIZATION=BASIC)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'


def test_several_per_scheme_auths_share_one_chain_run(tn, user, read_token):
    assert tn.get("/tn/token-or-basic", HTTP_AUTHORIZATION=BASIC).json() == {"scheme": "basic"}
    assert tn.get("/tn/token-or-basic", **bearer(read_token)).json() == {"scheme": "token"}
    refused = tn.get("/tn/token-or-basic")
    assert refused["WWW-Authenticate"] == 'Bearer realm="api", Basic realm="api", charset="UTF-8"'


def test_scope_mapping(tn, user, read_token):
    refused = tn.get("/tn/write", **bearer(read_token))
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"
    assert tn.get("/tn/write", HTTP_AUTHORIZATION=BASIC).status_code == 200


def test_async_classes_are_async():
    for auth in (AsyncAuthgateAuth(), AsyncTokenAuth("notes:read")):
        assert auth.is_async
    assert not TokenAuth().is_async


def test_per_scheme_backends():
    assert [type(b).__name__ for b in SessionAuth().get_backends()] == ["SessionBackend"]
    assert [type(b).__name__ for b in ScopedTokenAuth().get_backends()] == ["ScopedTokenBackend"]
    assert [type(b).__name__ for b in LinkAuth().get_backends()] == ["LinkBackend"]
    assert [
        b.scheme
        for b in AuthgateAuth(backends=["authgate.schemes.basic.BasicBackend"]).get_backends()
    ] == ["Basic"]


# --- the schema -------------------------------------------------------------------------


def test_demo_schema_validates_and_lists_every_scheme_and_scope(client, db):
    schema = client.get("/api/ninja/openapi.json").json()
    validate(schema)
    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == {
        "sessionCookie",
        "bearerAuth",
        "tokenAuth",
        "scopedTokenAuth",
        "scopedTokenQuery",
        "linkQuery",
        "basicAuth",
    }
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert (
        schemes["scopedTokenQuery"]["in"] == "query"
        and schemes["scopedTokenQuery"]["name"] == "TOKEN"
    )
    notes = schema["paths"]["/api/ninja/notes/"]
    assert {"bearerAuth": ["notes:read"]} in notes["get"]["security"]
    assert {"basicAuth": ["notes:write"]} in notes["post"]["security"]
    assert {"linkQuery": ["notes:read"]} not in notes["get"]["security"]
    assert schema["paths"]["/api/ninja/async/notes/"]["get"]["security"] == [
        {"bearerAuth": ["notes:read"]},
        {"tokenAuth": ["notes:read"]},
    ]


def test_plain_ninja_api_gets_one_scheme_per_auth(db):
    from ninja import NinjaAPI

    api = NinjaAPI(urls_namespace="plain")

    @api.get("/who", auth=[TokenAuth(), BasicAuth()])
    def who(request):
        return {}

    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/")))
    validate(schema)
    assert schema["components"]["securitySchemes"]["BasicAuth"] == {
        **schema["components"]["securitySchemes"]["BasicAuth"],
        "type": "http",
        "scheme": "basic",
    }
