"""OpenAPI security schemes for the backends of a chain, shared by the DRF and Ninja adapters.

Each backend describes its own `security scheme objects`_
(:meth:`~authgate.backend.Backend.openapi_security_schemes`), named so the names stay the
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
``OAuthBackend``              ``oauthBearer``: http ``bearer``, ``bearerFormat: JWT``
``HTTPSignatureBackend``      ``httpSignature``: apiKey in the ``Signature`` header, RFC 9421
============================  ==================================================================

A custom backend overrides ``openapi_security_schemes()`` to return ``{name: scheme}``; an
``AuthorizationHeaderBackend`` that does not gets an apiKey header scheme per keyword.
Security requirements list these as alternatives, each with the operation's required scopes
(OpenAPI 3.1 allows role names for non-OAuth schemes).

.. _security scheme objects: https://spec.openapis.org/oas/v3.1.0#security-scheme-object
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from authgate.backend import Backend

__all__ = ["security_requirements", "security_schemes", "schemes_for_backend"]

Scheme = dict[str, Any]


def schemes_for_backend(backend: Backend) -> dict[str, Scheme]:
    """The OpenAPI security schemes one backend accepts, by name."""
    return dict(backend.openapi_security_schemes())


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
