"""The token pages in a real browser: log in, create, copy, use, see it used, revoke, refused."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from authgate.models import APIToken
from authgate.schemes.tokens import usage as token_usage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOKEN_RE = re.compile(r"agt_[0-9A-Za-z]{42}")
SCOPES = {
    "notes:read": "Read your notes",
    "notes:write": "Create, change and delete your notes",
    "tokens:manage": "Manage your API tokens",
}


@pytest.fixture(autouse=True)
def _demo_scopes(settings: Any) -> None:
    settings.AUTHGATE = {
        **settings.AUTHGATE,
        "SCOPES": SCOPES,
        "TOKEN_PAGES_EXAMPLE_URL": "/api/whoami/",  # as the demo
    }


def http_get(url: str, authorization: str) -> tuple[int, dict]:
    """GET ``url`` (the live server, http://localhost) with an Authorization header."""
    request = urllib.request.Request(url, headers={"Authorization": authorization})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def call_whoami(base: str, token: str) -> tuple[int, dict]:
    return http_get(f"{base}/api/whoami/", f"Bearer {token}")


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/auth/tokens/")
    assert "/accounts/login/" in page.url  # login required
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/auth/tokens/")


def test_create_copy_use_revoke(
    browser_page: Any, live_server: Any, make_user: Any, screenshot_dir: Path
) -> None:
    page = browser_page
    make_user("alice", "alice-password", email="alice@example.com")
    page.goto("/accounts/login/?next=/auth/tokens/")
    page.screenshot(path=screenshot_dir / "login.png")
    log_in(page, "alice", "alice-password")

    # The empty list says what to do next.
    expect(page.get_by_role("heading", name="You have no API tokens yet")).to_be_visible()
    page.screenshot(path=screenshot_dir / "tokens-empty.png")

    # Create: a name, one scope, the default expiry.
    page.get_by_role("link", name="Create your first token").click()
    page.get_by_label("Name").fill("laptop backup script")
    page.get_by_label("notes:read — Read your notes").check()
    assert page.get_by_label("Expires after").input_value() == "90d"
    page.screenshot(path=screenshot_dir / "token-create.png", full_page=True)
    page.get_by_role("button", name="Create token").click()

    # The reveal page: the token once, a warning, a working copy button.
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    token = page.get_by_label("Token", exact=True).input_value()
    assert TOKEN_RE.fullmatch(token)
    assert token in page.content()
    assert "/auth/tokens/new/" in page.url and token not in page.url
    copy = page.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()  # shown by copy.js: navigator.clipboard is available here
    copy.click()
    page.get_by_role("status").filter(has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == token
    page.screenshot(path=screenshot_dir / "token-reveal.png")

    # Use it.
    status, body = call_whoami(live_server.url, token)
    assert status == 200 and body == {"user": "alice", "scheme": "token", "scopes": ["notes:read"]}

    # The list shows it, used just now from this machine (once the use is written: the
    # server writes its buffered uses every TOKEN_USAGE_FLUSH_INTERVAL).
    token_usage.flush()
    page.get_by_role("link", name="Done: back to your tokens").click()
    row = page.locator("tbody tr").filter(has_text="laptop backup script")
    assert row.locator(".ag-last-used").inner_text().startswith("0")  # "0 minutes ago"
    assert "from 127.0.0.1" in row.inner_text()
    assert "Active" in row.inner_text() and token not in page.content()
    page.screenshot(path=screenshot_dir / "tokens-list.png")

    # Revoke, with a confirmation page.
    row.get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke “laptop backup script”?")).to_be_visible()
    page.get_by_label("Reason (optional)").fill("laptop sold")
    page.screenshot(path=screenshot_dir / "token-revoke.png")
    page.get_by_role("button", name="Revoke token").click()
    page.wait_for_url("**/auth/tokens/")
    expect(page.get_by_text("It no longer works")).to_be_visible()
    assert "Revoked" in page.locator("tbody tr").first.inner_text()

    status, body = call_whoami(live_server.url, token)
    assert status == 401 and body["error"] == "revoked_token"
    assert APIToken.objects.get().revoked_reason == "laptop sold"


def test_temporary_access(
    browser_page: Any, live_server: Any, make_user: Any, screenshot_dir: Path
) -> None:
    page = browser_page
    make_user("alice", "alice-password", email="alice@example.com")
    log_in(page, "alice", "alice-password")
    page.get_by_role("link", name="Temporary access").click()
    expect(page.get_by_role("heading", name="A scoped temporary token")).to_be_visible()
    expect(page.get_by_role("heading", name="A magic login link")).to_be_visible()
    page.get_by_label("Path prefixes").fill("/api/notes/")
    page.get_by_label("Who is it for? (optional)").fill("nightly export")
    page.screenshot(path=screenshot_dir / "token-temporary.png", full_page=True)
    page.get_by_role("button", name="Create temporary token").click()
    token = page.get_by_label("Token", exact=True).input_value()
    assert token.startswith("ags1_")
    status, _body = http_get(f"{live_server.url}/api/notes/", f"TmpToken {token}")
    assert status == 200


def test_works_without_javascript(
    chromium: Any, live_server: Any, make_user: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    make_user("alice", "alice-password")
    context = chromium.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        log_in(page, "alice", "alice-password")
        page.goto("/auth/tokens/new/")
        page.get_by_label("Name").fill("no js")
        page.get_by_label("Everything I can do (full access)").check()
        page.get_by_role("button", name="Create token").click()
        assert TOKEN_RE.fullmatch(page.get_by_label("Token", exact=True).input_value())
        expect(page.get_by_role("button", name="Copy")).to_be_hidden()  # nothing broken shown
    finally:
        context.close()


def test_log_in_with_a_magic_link(browser_page: Any, make_user: Any, mailoutbox: Any) -> None:
    page = browser_page
    make_user("alice", "alice-password", email="alice@example.com")
    page.goto("/auth/tokens/")
    page.get_by_role("link", name="Get a login link by e-mail").click()
    page.get_by_label("E-mail address").fill("alice@example.com")
    # A real browser sends an Origin header with the form: the CSRF check must accept it.
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("we have sent it a login link")).to_be_visible()
    [message] = mailoutbox
    link = re.search(r"http://\S+/auth/links/login/\?\S+", message.body)[0]
    page.goto(link)
    page.wait_for_url("**/auth/tokens/")
    expect(page.get_by_role("heading", name="You have no API tokens yet")).to_be_visible()
    assert "Signed in as alice" in page.locator(".ag-who").inner_text()
