"""The page a person gets for a login link that cannot be used (LoginView.login_failed).

Used, expired, revoked, forged or wrong-scope links all land here with a 403 and a page in
the token pages' style that says what happened and links to the request-a-link page. The
same page in Chromium: tests/browser/test_link_pages.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import include, path

from authgate.schemes.links import service as links
from authgate.schemes.links.views import LoginView
from authgate.schemes.tokens import service as tokens
from tests.schemes.links.helpers import Clock, install_clock, link_settings

pytestmark = pytest.mark.django_db

LOGIN = "/auth/links/login/"


class LandingOnly:
    """A site that mounts the landing view alone, without the request-a-link page."""

    urlpatterns = [path("landing/", LoginView.as_view(), name="landing")]


class Prefixed:
    """A site with authgate's URLs under another prefix."""

    urlpatterns = [path("account/", include("authgate.urls"))]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def alice(make_user: Any) -> Any:
    return make_user("alice", "pw", email="alice@example.com")


def refused(response: Any) -> str:
    assert response.status_code == 403
    assert response["Content-Type"] == "text/html; charset=utf-8"
    # The URL held a token: no Referer from this page, nothing kept by caches.
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    return response.content.decode()


def test_used_link(client: Client, alice: Any) -> None:
    with link_settings(ONE_TIME=True, MAX_AGE=900):
        token = links.get_token(alice)
        assert client.get(LOGIN, {"sesame": token}).status_code == 302
        page = refused(Client().get(LOGIN, {"sesame": token, "next": "/api/notes/"}))
    assert "<h1>This login link cannot be used</h1>" in page
    assert "Each login link works once" in page
    # The way out keeps where the person was going, and sends no Referer.
    assert 'href="/auth/links/request/?next=%2Fapi%2Fnotes%2F" rel="noreferrer"' in page
    assert '<meta name="referrer" content="no-referrer">' in page
    assert token not in page


def test_expired_link(client: Client, alice: Any, clock: Clock) -> None:
    with link_settings(MAX_AGE=900):
        token = links.get_token(alice)
        clock.advance(901)
        page = refused(client.get(LOGIN, {"sesame": token}))
    assert "<h1>This login link has expired</h1>" in page
    assert "Login links work for 15 minutes after they are sent" in page
    assert 'href="/auth/links/request/"' in page


@pytest.mark.parametrize(
    "query",
    [{}, {"sesame": "agl1_forged"}, {"sesame": "not a token at all"}],
    ids=["no-link", "forged", "garbage"],
)
def test_forged_or_missing_link(client: Client, query: dict) -> None:
    page = refused(client.get(LOGIN, query))
    assert "<h1>This login link cannot be used</h1>" in page
    # Not one-time by default in the tests: the page does not talk about a used link.
    assert "Each login link works once" not in page


def test_revoked_link(client: Client, alice: Any) -> None:
    token = links.get_token(alice)
    tokens.revoke_all(alice, "Log out everywhere")
    page = refused(client.get(LOGIN, {"sesame": token}))
    assert "<h1>This login link cannot be used</h1>" in page


def test_unsafe_next_is_not_passed_on(client: Client) -> None:
    page = refused(client.get(LOGIN, {"sesame": "agl1_forged", "next": "https://evil.example/"}))
    assert "evil.example" not in page
    assert 'href="/auth/links/request/"' in page


@override_settings(ROOT_URLCONF=LandingOnly)
def test_without_the_request_page_it_says_where_to_go(client: Client) -> None:
    page = refused(client.get("/landing/", {"sesame": "agl1_forged"}))
    assert "ask for a new login link where you got this one" in page
    assert "/links/request/" not in page


@override_settings(ROOT_URLCONF=Prefixed)
def test_request_page_under_another_prefix(client: Client) -> None:
    page = refused(client.get("/account/links/login/", {"sesame": "agl1_forged"}))
    assert 'href="/account/links/request/"' in page
