"""Playwright for Python driving Debian's Chromium (``/usr/bin/chromium``), never a download.

``make test`` installs Chromium with apt (the ``chromium`` target) and Playwright from the
``dev`` dependency group. Without either, the browser tests are skipped with a one-line
reason — unless ``CI=true``, where that is a failure (the same policy as the PostgreSQL and
Redis gates).

Screenshots go to ``AUTHGATE_SCREENSHOTS_DIR`` when set (``make screenshots`` refreshes the
committed ones in ``docs/screenshots/``), else to a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1000, "height": 700}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def chromium(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless Chromium for one test, started after the live server and its database.

    Playwright's sync API runs an event loop in this thread while it is open, which Django's
    async-safety check would take for an async context: the test's own (synchronous) ORM
    calls are allowed for its duration only, and the loop is gone before the database is
    flushed.
    """
    if not os.path.exists(CHROMIUM):
        _unavailable(f"needs {CHROMIUM}: apt-get install chromium (make test does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("needs the playwright package (the dev group): make venv")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # ORM calls made while Playwright's loop ran used a connection of their own
            # (Django keys connections by async context): close it, or PostgreSQL refuses
            # to drop the test database at the end.
            connections.close_all()


@pytest.fixture
def browser_page(chromium: Any, live_server: Any, settings: Any) -> Iterator[Any]:
    """A fresh page (own cookies) with clipboard access on the live server's origin, which
    e-mailed login links point at (``LINK_BASE_URL``)."""
    settings.AUTHGATE = {**settings.AUTHGATE, "LINK_BASE_URL": live_server.url}
    context = chromium.new_context(viewport=VIEWPORT, base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    configured = os.environ.get("AUTHGATE_SCREENSHOTS_DIR")
    path = Path(configured) if configured else tmp_path / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
