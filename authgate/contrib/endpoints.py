"""An OpenAPI 3.1 document of authgate's own endpoints (``authgate.urls``), from the code.

:func:`document` describes what ``path("auth/", include("authgate.urls"))`` serves to
programs: the token endpoint, scoped-token minting, the token JSON API and the magic-link
endpoints — their request bodies (with the limits :mod:`authgate.bodies` and
:mod:`authgate.schemes.scoped.limits` enforce), their answers, and the one error shape every
refusal has. The security schemes come from the chain (:mod:`authgate.contrib.openapi`).
The self-service HTML pages are left out: they are for people, behind a session and CSRF.

The test suite fuzzes every operation of this document with schemathesis, in process, and
asserts no 5xx and the error shape on every JSON refusal (tests/test_openapi_fuzz.py). Serve
it, or merge it into an API's own schema, as you like::

    from authgate.contrib.endpoints import document
    path("auth/openapi.json", lambda request: JsonResponse(document()))
"""

from __future__ import annotations

from typing import Any

from authgate.bodies import MAX_BODY
from authgate.chain import load_backends
from authgate.contrib.openapi import security_requirements, security_schemes
from authgate.leaks import github
from authgate.rights import MANAGE_SCOPE
from authgate.schemes.links.settings import link_settings
from authgate.schemes.scoped.limits import MAX_PATH_LENGTH, MAX_PATHS, MAX_SCOPES
from authgate.schemes.scoped.settings import scoped_settings

__all__ = ["ERROR_SCHEMA", "document"]

Schema = dict[str, Any]

#: Every refusal: ``{"error": "<code>", "detail": "<message>"}`` (authgate/responses.py).
ERROR_SCHEMA: Schema = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "A stable code (docs/reference.md)."},
        "detail": {"type": "string", "description": "A message for a person."},
    },
    "additionalProperties": False,
}

_ERROR = {"$ref": "#/components/schemas/Error"}
_STRINGS: Schema = {"type": "array", "items": {"type": "string"}}
_DURATION: Schema = {
    "type": "string",
    "description": "A number and a unit (s, m, h, d, w), e.g. 30d; at most 36500 days.",
    "examples": ["30d", "12h"],
}


def _errors(*statuses: int) -> dict[str, Any]:
    descriptions = {
        400: "Malformed request (invalid_request)",
        401: "No or bad credentials",
        403: "Not allowed (insufficient_scope)",
        404: "No such token (not_found)",
        405: "Method not allowed",
        429: "Too many attempts (rate_limited)",
        503: "A service authgate needs is down (service_unavailable)",
    }
    return {
        str(status): {
            "description": descriptions[status],
            "content": {"application/json": {"schema": _ERROR}},
        }
        for status in statuses
    }


def _json_body(schema: Schema, *, form: bool = False, required: bool = True) -> Schema:
    content = {"application/json": {"schema": schema}}
    if form:
        content["application/x-www-form-urlencoded"] = {"schema": schema}
    return {
        "required": required,
        "description": f"At most {MAX_BODY} bytes, nested at most 10 levels.",
        "content": content,
    }


def _form_body(properties: Schema, *, required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": schema}},
    }


def _object(properties: Schema, required: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_TOKEN_ITEM: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "prefix": {"type": "string"},
        "scopes": {"type": ["array", "null"], "items": {"type": "string"}},
        "status": {"type": "string"},
        "expires": {"type": ["string", "null"]},
    },
}

_PK = {
    "name": "pk",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}


def _token_api(manage: list[dict[str, list[str]]]) -> dict[str, Any]:
    item_response = {"content": {"application/json": {"schema": _TOKEN_ITEM}}}
    created = {
        "description": "The new token (shown once) and its public fields",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["token", "item"],
                    "properties": {"token": {"type": "string"}, "item": _TOKEN_ITEM},
                }
            }
        },
    }
    reason = _json_body(_object({"reason": {"type": "string", "maxLength": 200}}), required=False)
    return {
        "api/tokens/": {
            "get": {
                "operationId": "listTokens",
                "summary": "Your API tokens",
                "security": manage,
                "responses": {"200": {"description": "The tokens"}, **_errors(401, 403)},
            },
            "post": {
                "operationId": "createToken",
                "summary": "Create an API token, never more than the calling credential",
                "security": manage,
                "requestBody": _json_body(
                    _object(
                        {
                            "name": {"type": "string", "maxLength": 100},
                            "scopes": _STRINGS,
                            "policy": {"type": "object", "description": "A djblets policy"},
                            "expires_in": _DURATION,
                            "allowed_ips": _STRINGS,
                        }
                    ),
                    required=False,
                ),
                "responses": {"201": created, **_errors(400, 401, 403, 503)},
            },
        },
        "api/tokens/{pk}/": {
            "parameters": [_PK],
            "get": {
                "operationId": "getToken",
                "security": manage,
                "responses": {
                    "200": {"description": "The token", **item_response},
                    **_errors(401, 403, 404),
                },
            },
            "delete": {
                "operationId": "deleteToken",
                "summary": "Revoke a token",
                "security": manage,
                "requestBody": reason,
                "responses": {
                    "200": {"description": "The revoked token", **item_response},
                    **_errors(400, 401, 403, 404, 503),
                },
            },
        },
        "api/tokens/{pk}/revoke/": {
            "parameters": [_PK],
            "post": {
                "operationId": "revokeToken",
                "security": manage,
                "requestBody": reason,
                "responses": {
                    "200": {"description": "The revoked token", **item_response},
                    **_errors(400, 401, 403, 404, 503),
                },
            },
        },
        "api/tokens/{pk}/rotate/": {
            "parameters": [_PK],
            "post": {
                "operationId": "rotateToken",
                "summary": "Replace a token; the old one works for `overlap` more",
                "security": manage,
                "requestBody": _json_body(_object({"overlap": _DURATION}), required=False),
                "responses": {"201": created, **_errors(400, 401, 403, 404, 503)},
            },
        },
    }


def _paths() -> dict[str, Any]:
    backends = load_backends()
    chain = security_requirements(backends)
    manage = security_requirements(backends, [MANAGE_SCOPE])
    html = {"text/html": {"schema": {"type": "string"}}}
    paths: dict[str, Any] = {
        "token/": {
            "post": {
                "operationId": "obtainToken",
                "summary": "A username and a password in, an API token out",
                "security": [],
                "requestBody": _json_body(
                    {
                        "type": "object",
                        "required": ["username", "password"],
                        "properties": {
                            "username": {"type": "string"},
                            "password": {"type": "string", "format": "password"},
                            "expires_in": _DURATION,
                            "scopes": {"oneOf": [_STRINGS, {"type": "string"}]},
                            "name": {"type": "string"},
                        },
                    },
                    form=True,
                ),
                "responses": {
                    "200": {"description": "The token (shown once)"},
                    **_errors(400, 429, 503),
                },
            }
        },
        "scoped/": {
            "post": {
                "operationId": "mintScopedToken",
                "summary": "A signed, short-lived token limited to methods and path prefixes",
                "security": chain,
                "requestBody": _json_body(
                    _object(
                        {
                            "endpoints": {
                                "type": "object",
                                "description": "HTTP method → path prefixes",
                                "maxProperties": 9,
                                "additionalProperties": {
                                    "type": "array",
                                    "maxItems": MAX_PATHS,
                                    "items": {
                                        "type": "string",
                                        "pattern": "^/",
                                        "maxLength": MAX_PATH_LENGTH,
                                    },
                                },
                            },
                            "max_age": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": int(scoped_settings().max_age.total_seconds()),
                            },
                            "recipient": {"type": ["string", "null"]},
                            "scopes": {**_STRINGS, "maxItems": MAX_SCOPES},
                        },
                        ("endpoints",),
                    )
                ),
                "responses": {
                    "201": {"description": "The scoped token"},
                    **_errors(400, 401, 403, 405),
                },
            }
        },
        "links/request/": {
            "post": {
                "operationId": "requestLink",
                "summary": "E-mail a login link (the same page for every address)",
                "security": [],
                "requestBody": _form_body(
                    {"email": {"type": "string", "format": "email"}, "next": {"type": "string"}}
                ),
                "responses": {
                    "200": {"description": "Sent, if the address has an account", "content": html},
                    "400": {"description": "Not an e-mail address", "content": html},
                    "403": {"description": "CSRF refused", "content": html},
                    "429": {"description": "Too many requests", "content": html},
                    "503": {"description": "Rate-limit cache or database down"},
                },
            }
        },
        "links/login/": {
            "get": {
                "operationId": "loginWithLink",
                "summary": "Log in with a magic link",
                "security": [],
                "parameters": [
                    {
                        "name": link_settings().token_name,
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "204": {"description": "Logged in"},
                    "302": {"description": "Logged in; to the next page"},
                    "401": {"description": "Refused (a page for people)", "content": html},
                    "403": {"description": "Refused (a page for people)", "content": html},
                },
            }
        },
    }
    paths.update(_token_api(manage))
    paths.update(_leaks())
    return paths


def _leaks() -> dict[str, Any]:
    """RFC 7009 revocation by value, and GitHub's secret-scanning reports (docs/howto/leaks.md)."""
    signature_headers = [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in (github.KEY_ID_HEADER, github.SIGNATURE_HEADER)
    ]
    return {
        "revoke/": {
            "post": {
                "operationId": "revokeByValue",
                "summary": "Revoke a credential by its value (RFC 7009): 200 whether it existed",
                "security": [],
                "requestBody": _form_body(
                    {"token": {"type": "string"}, "token_type_hint": {"type": "string"}},
                    required=("token",),
                ),
                "responses": {"200": {"description": "Revoked, or unknown"}, **_errors(400, 429)},
            }
        },
        "secret-scanning/": {
            "post": {
                "operationId": "reportLeakedTokens",
                "summary": "GitHub's secret-scanning partner report (opt-in), signed by GitHub",
                "security": [],
                "parameters": signature_headers,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "array"}}},
                },
                "responses": {
                    "200": {"description": "GitHub's feedback: one label per reported token"},
                    "404": {"description": "LEAKS_SECRET_SCANNING is off"},
                    **_errors(400, 403, 429, 503),
                },
            }
        },
    }


def document(prefix: str = "/auth/", *, title: str = "authgate") -> dict[str, Any]:
    """The OpenAPI 3.1 document of authgate's endpoints mounted at ``prefix``."""
    base = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1", "description": __doc__.split("\n\n")[0]},
        "paths": {base + path: item for path, item in _paths().items()},
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": security_schemes(load_backends()),
        },
    }
