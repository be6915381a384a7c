"""A new scheme is one folder plus one line in BACKENDS (docs/backends.md).

tests/toy_scheme/ holds a backend, its settings section and its system check, and nothing
else of authgate knows it: put in the chain, it authenticates plain Django and DRF views,
its challenge joins the others in a 401, its OpenAPI scheme appears in the drf-spectacular
and Ninja schemas, and its settings are known keys, checked with the toy's own ids.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import yaml
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.test import override_settings

from tests.toy_scheme.backend import ToyKeyBackend

pytestmark = pytest.mark.django_db

TOY = "tests.toy_scheme.backend.ToyKeyBackend"
KEY = secrets.token_urlsafe(32)


def with_toy(**overrides: Any) -> override_settings:
    """The suite's chain with the toy added: the one line a project adds."""
    base = dict(django_settings.AUTHGATE)
    return override_settings(AUTHGATE={**base, "BACKENDS": [*base["BACKENDS"], TOY], **overrides})


@pytest.mark.parametrize("url", ["/api/whoami/", "/api/drf/whoami/"])
def test_it_authenticates_django_and_drf_views(client, user, url):
    with with_toy(TOY_KEYS={KEY: user.get_username()}):
        response = client.get(url, HTTP_AUTHORIZATION=f"Toy {KEY}")
        assert response.status_code == 200, response.content
        assert response.json()["scheme"] == "toy"
        assert response.json()["user"] == user.get_username()
        refused = client.get(url, HTTP_AUTHORIZATION="Toy not-a-key")
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"
    assert 'Toy realm="toys", error="invalid_token"' in refused["WWW-Authenticate"]


def test_without_the_line_in_backends_it_is_not_consulted(client, user):
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, "TOY_KEYS": {KEY: "alice"}}):
        response = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Toy {KEY}")
    assert response.status_code == 401
    assert "Toy" not in response["WWW-Authenticate"]


@pytest.mark.parametrize("url", ["/api/whoami/", "/api/drf/whoami/"])
def test_its_challenge_joins_the_others(client, url):
    with with_toy(TOY_REALM="playground"):
        response = client.get(url)
    assert response.status_code == 401
    challenges = response["WWW-Authenticate"]
    assert 'Toy realm="playground"' in challenges
    for other in ("Bearer", "TmpToken", "Basic"):
        assert other in challenges


def test_its_scheme_is_in_the_spectacular_schema(client):
    with with_toy():
        schema = yaml.safe_load(client.get("/api/schema/").content)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["toyKey"] == ToyKeyBackend().openapi_security_schemes()["toyKey"]
    assert {"bearerAuth", "basicAuth", "sessionCookie"} <= set(schemes)
    whoami = schema["paths"]["/api/drf/whoami/"]["get"]["security"]
    assert {"toyKey": []} in whoami


def test_its_scheme_is_in_the_ninja_schema(client):
    with with_toy():
        schema = client.get("/api/ninja/openapi.json").json()
    assert schema["components"]["securitySchemes"]["toyKey"]["in"] == "header"
    assert {"toyKey": []} in schema["paths"]["/api/ninja/whoami/"]["get"]["security"]


def ids(**overrides: Any) -> set[str]:
    with with_toy(**overrides):
        return {message.id for message in run_checks()}


def test_its_settings_are_known_and_checked_with_its_ids():
    good = ids(TOY_KEYS={KEY: "alice"}, TOY_REALM="toys")
    assert not {i for i in good if i.startswith("toy.")}
    assert "authgate.W001" not in good  # TOY_* are keys of a section in the chain
    assert "toy.E001" in ids(TOY_KEYS=["not", "a", "dict"])
    assert "toy.E002" in ids(TOY_REALM="Not A Realm")
    assert "toy.W001" in ids(TOY_KEYS={"short": "alice"})  # the toy's own rule


def test_its_keys_are_typos_when_it_is_not_in_the_chain():
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, "TOY_REALM": "toys"}):
        assert "authgate.W001" in {message.id for message in run_checks()}
