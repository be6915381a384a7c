"""``Authorization: Toy <key>``: a static key from ``AUTHGATE["TOY_KEYS"]`` names a user."""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from authgate.backend import AuthorizationHeaderBackend, Credentials
from authgate.core import headers
from authgate.errors import AuthenticationFailed
from authgate.identity import Identity
from tests.toy_scheme.settings import ToySettings, toy_settings

__all__ = ["ToyKeyBackend"]


class ToyKeyBackend(AuthorizationHeaderBackend):
    scheme = "Toy"
    keywords = ("Toy",)
    settings_section = ToySettings

    def challenge(
        self, request: HttpRequest, error: AuthenticationFailed | None = None
    ) -> str | None:
        params = {"realm": toy_settings().realm}
        if error is not None:
            params["error"] = error.code
        return headers.format_challenge("Toy", params)

    def openapi_security_schemes(self) -> dict[str, dict[str, Any]]:
        return {
            "toyKey": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "A toy key: `Authorization: Toy <key>`.",
            }
        }

    def authenticate(self, request: HttpRequest, credentials: Credentials) -> Identity:
        presented = credentials["token"].encode()
        username = None
        for key, name in toy_settings().keys.items():  # every key compared, in constant time
            if hmac.compare_digest(key.encode(), presented):
                username = name
        user = None
        if username is not None:
            manager = get_user_model()._default_manager
            user = manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None or not user.is_active:
            raise AuthenticationFailed("invalid_token", "Unknown toy key.")
        return Identity(user=user, scheme="toy")
