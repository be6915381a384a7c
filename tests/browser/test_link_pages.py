"""Login links that cannot be used, opened in a real browser: a page that says what to do.

A used, an expired and a forged link each get the 403 page (not Django's bare "403
Forbidden"); its button leads to the request-a-link page, keeping ``next``, and the click
sends no ``Referer`` (the refused URL holds the token).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from authgate.schemes.links import service as links
from tests.schemes.links.helpers import install_clock, link_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGIN = "/auth/links/login/"


def link_url(token: str, next_url: str = "/api/whoami/") -> str:
    return LOGIN + "?" + urlencode({"sesame": token, "next": next_url})


def request_new_link(page: Any) -> None:
    """Click the page's way out; the request page opens, with no Referer and ``next`` kept."""
    with page.expect_request("**/auth/links/request/**") as request_info:
        page.get_by_role("link", name="Request a new link").click()
    assert request_info.value.headers.get("referer") is None
    page.wait_for_url("**/auth/links/request/?next=%2Fapi%2Fwhoami%2F")
    expect(page.get_by_role("heading", name="Log in with a link")).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_be_visible()


def test_used_link(browser_page: Any, make_user: Any, screenshot_dir: Path) -> None:
    page = browser_page
    alice = make_user("alice", "alice-password", email="alice@example.com")
    with link_settings(ONE_TIME=True, MAX_AGE=900):
        url = link_url(links.get_token(alice))
        first = page.goto(url)
        assert first is not None and first.status == 200  # logged in, redirected to next
        assert page.url.endswith("/api/whoami/")
        page.context.clear_cookies()
        again = page.goto(url)
    assert again is not None and again.status == 403
    expect(page).to_have_title("This login link cannot be used")
    expect(page.get_by_role("heading", name="This login link cannot be used")).to_be_visible()
    expect(page.get_by_text("Each login link works once")).to_be_visible()
    page.screenshot(path=screenshot_dir / "link-refused.png")
    request_new_link(page)
    # And the way out works to the end: the form posts (CSRF passes) and says a link is sent.
    page.get_by_label("E-mail address").fill("alice@example.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("we have sent it a login link")).to_be_visible()


def test_expired_link(browser_page: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    page = browser_page
    clock = install_clock(monkeypatch)  # the live server runs in this process
    alice = make_user("alice", "alice-password", email="alice@example.com")
    with link_settings(MAX_AGE=900):
        url = link_url(links.get_token(alice))
        clock.advance(15 * 60 + 1)
        response = page.goto(url)
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="This login link has expired")).to_be_visible()
    expect(page.get_by_text("Login links work for 15 minutes")).to_be_visible()
    request_new_link(page)


def test_forged_link(browser_page: Any) -> None:
    page = browser_page
    response = page.goto(link_url("agl1_AQFrExQIRSaI6-EnKA9PVCGf4_forged"))
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="This login link cannot be used")).to_be_visible()
    # The page is the token pages' style: their stylesheet is loaded.
    expect(page.locator('link[rel="stylesheet"][href$="authgate/pages.css"]')).to_have_count(1)
    request_new_link(page)
