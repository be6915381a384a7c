"""The OpenAPI schema declares the signature scheme (drf-spectacular, via contrib.openapi)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_schema_declares_http_signature(client: Any) -> None:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    scheme = schema["components"]["securitySchemes"]["httpSignature"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header"
    assert scheme["name"] == "Signature"
    assert "RFC 9421" in scheme["description"]
    security = schema["paths"]["/api/drf/whoami/"]["get"]["security"]
    assert {"httpSignature": []} in security
