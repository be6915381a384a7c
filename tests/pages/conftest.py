"""Fixtures for the token pages and the token JSON API: ``tokens:manage`` registered, users."""

from __future__ import annotations

import base64
from typing import Any

import pytest

SCOPES = {
    "notes:read": "Read your notes",
    "notes:write": "Create, change and delete your notes",
    "tokens:manage": "Manage your API tokens",
}


@pytest.fixture(autouse=True)
def _manage_scope(settings: Any) -> None:
    """Register ``tokens:manage`` (the demo does) for these tests only."""
    settings.AUTHGATE = {**settings.AUTHGATE, "SCOPES": SCOPES}


@pytest.fixture
def bob(make_user: Any) -> Any:
    return make_user("bob", "bob pw")


@pytest.fixture
def staff(make_user: Any) -> Any:
    return make_user("root", "root pw", is_staff=True)


@pytest.fixture
def alice_client(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def basic(username: str, password: str) -> dict[str, str]:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {value}"}


def bearer(plaintext: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
