"""schemathesis against authgate's own endpoints: never a 5xx, and every JSON refusal in the
error shape (issue #19: "tried on every endpoint, not only the ones above").

The OpenAPI document is made from the code (authgate.contrib.endpoints), served by the test
URLconf (the demo's URLs plus test views) and loaded with schemathesis' WSGI support: every
request goes through Django's whole stack in this process, on the pass's database and
cache. schemathesis generates valid bodies and invalid ones (wrong types, missing and extra
fields, out-of-range values, hostile strings) for each operation, authenticated as alice
with Basic (a full-rights credential reaches the deepest code) and, for the endpoints that
take none, as is. The examples are bounded and derandomised so the test stays fast and a
failure reproduces.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from authgate.contrib.endpoints import ERROR_SCHEMA

pytestmark = pytest.mark.django_db

BASIC = "Basic " + base64.b64encode(b"alice:correct horse").decode()
EXAMPLES = 30


#: Loaded once, at collection, over WSGI from the test URLconf (no database is touched).
schema = schemathesis.openapi.from_wsgi("/t/openapi.json", WSGIHandler())


@pytest.fixture(autouse=True)
def _keep_the_connection(user: Any) -> Iterator[None]:
    """alice exists; Django's WSGI handler does not close the connection after each request
    (as Django's test client does not): the test's transaction must survive the request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def check_error_shape(response: Any) -> None:
    """No 5xx; a JSON 4xx is exactly ``{"error": <str>, "detail": <str>}``."""
    status = response.status_code
    assert status < 500, f"{status}: {response.text[:500]}"
    if status >= 400 and response.headers.get("Content-Type", [""])[0].startswith(
        "application/json"
    ):
        body = response.json()
        assert isinstance(body, dict) and set(body) == set(ERROR_SCHEMA["required"]), body
        assert all(isinstance(body[key], str) and body[key] for key in body), body


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_endpoint_answers_without_a_5xx(case: Any) -> None:
    case.headers = {**(case.headers or {}), "Authorization": BASIC}
    check_error_shape(case.call())


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES // 2,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_endpoint_answers_anonymous_callers_without_a_5xx(case: Any) -> None:
    check_error_shape(case.call())


def test_the_document_is_valid_openapi_and_covers_authgate_urls() -> None:
    from django.urls import URLPattern, get_resolver
    from openapi_spec_validator import validate

    from authgate.contrib.endpoints import document

    found = document()
    validate(found)
    # Every JSON endpoint and link endpoint of authgate.urls, none forgotten (pages aside).
    resolver = get_resolver("authgate.urls")
    routes = {
        "/auth/" + str(p.pattern).replace("<int:pk>", "{pk}")
        for p in resolver.url_patterns
        if isinstance(p, URLPattern)  # the pages' include() aside
    }
    assert routes == set(found["paths"])
    assert found["components"]["schemas"]["Error"] == ERROR_SCHEMA
