"""drf-spectacular extension: schemas declare the chain's security schemes and scopes.

With ``drf_spectacular`` in ``INSTALLED_APPS`` authgate registers this extension when Django
starts (``AuthgateConfig.ready``); nothing to configure. For every view authenticated by
:class:`~authgate.contrib.drf.AuthgateAuthentication` or a per-scheme subclass:

- ``components.securitySchemes`` gets one entry per scheme the class's backends accept
  (see :mod:`authgate.contrib.openapi` for the names: ``bearerAuth``, ``tokenAuth``,
  ``basicAuth``, ``scopedTokenAuth``, ``scopedTokenQuery``, ``sessionCookie``,
  ``linkQuery``, ``oauthBearer``, …);
- each operation's ``security`` lists them as alternatives, each with the scopes the
  view's :class:`~authgate.contrib.drf.HasScope` permissions require for that method.

Scopes in non-OAuth requirements are "role names" in OpenAPI 3.1: set
``SPECTACULAR_SETTINGS = {"OAS_VERSION": "3.1.0"}`` (the demo does).
"""

from __future__ import annotations

from typing import Any

from authgate.extras import MissingExtra

try:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
except ImportError as exc:
    raise MissingExtra(__name__, "spectacular", "drf-spectacular", exc) from exc

from authgate.backend import Backend
from authgate.chain import backends_for_view, load_backends
from authgate.contrib.openapi import security_schemes

__all__ = ["AuthgateAuthenticationScheme", "required_scopes"]


def _collect(permission: Any, method: str, found: list[str]) -> None:
    # Lazy: this module is imported by the app's ready(), drf.py by DRF's settings.
    from authgate.contrib.drf import HasScope

    if isinstance(permission, HasScope):
        found.extend(s for s in permission.required(method) if s not in found)
        return
    # DRF's AND: both operands apply. OR and NOT cannot be said as one scope list.
    if type(permission).__name__ == "AND":
        _collect(permission.op1, method, found)
        _collect(permission.op2, method, found)


def required_scopes(view: Any, method: str) -> list[str]:
    """The scopes ``view``'s ``HasScope`` permissions require for ``method``."""
    found: list[str] = []
    try:
        permissions = view.get_permissions()
    except Exception:  # a view whose permissions need a real request: no scopes to say
        return found
    for permission in permissions:
        _collect(permission, method.upper(), found)
    return found


class AuthgateAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[misc]
    """Security schemes for ``AuthgateAuthentication`` and its per-scheme subclasses."""

    target_class = "authgate.contrib.drf.AuthgateAuthentication"
    match_subclasses = True
    name: list[str] = []

    def _backends(self, auto_schema: Any) -> tuple[Backend, ...]:
        paths = getattr(self.target, "backends", None)
        if paths is not None:
            return load_backends(paths)
        return backends_for_view(auto_schema.view)

    def _schemes(self, auto_schema: Any) -> dict[str, dict[str, Any]]:
        schemes = security_schemes(self._backends(auto_schema))
        self.name = list(schemes)
        return schemes

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        scopes = required_scopes(auto_schema.view, auto_schema.method)
        return [{name: list(scopes)} for name in self._schemes(auto_schema)]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return list(self._schemes(auto_schema).values())
