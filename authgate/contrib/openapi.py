"""OpenAPI security schemes for the backends of a chain, shared by the DRF and Ninja adapters.

Each backend maps to one or more `security scheme objects`_, named so the names stay the
same whichever adapter generates the schema:

============================  ==================================================================
backend                       schemes
============================  ==================================================================
``SessionBackend``            ``sessionCookie``: apiKey in the cookie ``SESSION_COOKIE_NAME``
``BasicBackend``              ``basicAuth``: http ``basic``
``TokenBackend``              ``bearerAuth``: http ``bearer`` (keyword ``Bearer``); ``<kw>Auth``:
                              apiKey in ``Authorization`` for each other keyword (``tokenAuth``);
                              ``tokenQuery`` when ``TOKEN_QUERY_PARAM`` is set
``ScopedTokenBackend``        ``scopedTokenAuth``: apiKey in ``Authorization`` (``TmpToken <t>``);
                              ``scopedTokenQuery``: apiKey in the query (``TOKEN``)
``LinkBackend``               ``linkQuery``: apiKey in the query (``sesame``)
``OAuthBackend``              ``oauthBearer``: http ``bearer``, ``bearerFormat: JWT`` (its own
                              ``openapi_security_schemes()``)
``HTTPSignatureBackend``      ``httpSignature``: apiKey in the ``Signature`` header, RFC 9421
                              (its own ``openapi_security_schemes()``)
============================  ==================================================================

A custom backend declares its own with a method ``openapi_security_schemes()`` returning
``{name: scheme}``; an ``AuthorizationHeaderBackend`` without one gets an apiKey header
scheme per keyword. Security requirements list these as alternatives, each with the
operation's required scopes (OpenAPI 3.1 allows role names for non-OAuth schemes).

.. _security scheme objects: https://spec.openapis.org/oas/v3.1.0#security-scheme-object
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings as django_settings

from authgate.backend import AuthorizationHeaderBackend, Backend
from authgate.conf import settings

__all__ = ["security_requirements", "security_schemes", "schemes_for_backend"]

Scheme = dict[str, Any]


def _header(keyword: str, description: str) -> Scheme:
    return {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": f'{description} Send `Authorization: {keyword} <token>` ("{keyword}" '
        "is case-insensitive).",
    }


def _query(name: str, description: str) -> Scheme:
    return {"type": "apiKey", "in": "query", "name": name, "description": description}


def _camel(keyword: str) -> str:
    return keyword[:1].lower() + keyword[1:]


def schemes_for_backend(backend: Backend) -> dict[str, Scheme]:
    """The OpenAPI security schemes one backend accepts, by name."""
    own = getattr(backend, "openapi_security_schemes", None)
    if callable(own):
        return dict(own())
    # Imported here: each backend module imports its own dependencies (models, links).
    from authgate.schemes.basic import BasicBackend
    from authgate.schemes.links.backend import LinkBackend
    from authgate.schemes.scoped.backend import ScopedTokenBackend
    from authgate.schemes.session import SessionBackend
    from authgate.schemes.tokens.backend import TokenBackend

    if isinstance(backend, SessionBackend):
        return {
            "sessionCookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": django_settings.SESSION_COOKIE_NAME,
                "description": "A Django session (log in first). Unsafe methods need the "
                "CSRF token in the `X-CSRFToken` header.",
            }
        }
    if isinstance(backend, BasicBackend):
        return {
            "basicAuth": {
                "type": "http",
                "scheme": "basic",
                "description": "Username and password (RFC 7617), rate limited.",
            }
        }
    if isinstance(backend, ScopedTokenBackend):
        found = {
            "scopedTokenAuth": _header(
                backend.get_keyword(),
                "A signed, short-lived scoped token (`ags1_…`) limited to some methods and paths.",
            )
        }
        param = backend.get_query_param()
        if param:
            found["scopedTokenQuery"] = _query(
                param, "A scoped token in the URL, where no header can be set."
            )
        return found
    if isinstance(backend, TokenBackend):
        found = {}
        for keyword in backend.get_keywords():
            if keyword.lower() == "bearer":
                found["bearerAuth"] = {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`agt_…`), RFC 6750.",
                }
            else:
                found[f"{_camel(keyword)}Auth"] = _header(keyword, "An API token (`agt_…`).")
        if settings.TOKEN_QUERY_PARAM:
            found["tokenQuery"] = _query(settings.TOKEN_QUERY_PARAM, "An API token in the URL.")
        return found
    if isinstance(backend, LinkBackend):
        from authgate.schemes.links import service as links

        return {
            "linkQuery": _query(
                links.config().token_name, "A magic-link token: authenticates one request."
            )
        }
    if isinstance(backend, AuthorizationHeaderBackend):
        return {
            f"{_camel(keyword)}Auth": _header(keyword, f"The {backend.scheme} scheme.")
            for keyword in backend.get_keywords()
        }
    return {}


def security_schemes(backends: Iterable[Backend]) -> dict[str, Scheme]:
    """Every scheme of ``backends``, in chain order (for ``components.securitySchemes``)."""
    found: dict[str, Scheme] = {}
    for backend in backends:
        for name, scheme in schemes_for_backend(backend).items():
            found.setdefault(name, scheme)
    return found


def security_requirements(
    backends: Iterable[Backend], scopes: Sequence[str] = ()
) -> list[dict[str, list[str]]]:
    """One alternative per scheme (any of them will do), each listing ``scopes``."""
    return [{name: list(scopes)} for name in security_schemes(backends)]
