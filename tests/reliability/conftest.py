"""Shared pieces of the reliability suite: settings helpers, the request stack, the figures.

Every test here goes through the full request stack (Django's test client, the middleware,
the chain, the demo's plain and DRF views). The figures (hostile cases run, races tried) are
printed at the end of the run and written to ``test-artifacts/reliability.json``, one entry
per test pass, for docs/reliability.md and the README.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import close_old_connections
from django.test import Client, override_settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FIGURES: Counter[str] = Counter()

#: The demo API answers the same question through a plain Django view and a DRF view.
WHOAMI = ("/api/whoami/", "/api/drf/whoami/")


def authgate_settings(**overrides: Any) -> Any:
    """``override_settings`` for a few ``AUTHGATE`` keys on top of the test settings."""
    return override_settings(AUTHGATE={**django_settings.AUTHGATE, **overrides})


def count(name: str, n: int = 1) -> None:
    """Add ``n`` to a figure reported at the end of the run."""
    FIGURES[name] += n


def outcome(response: Any) -> tuple[int, Any]:
    """``(status, identity)``: identity is ``(user, scheme, scopes)`` for a 200, else the
    error code of authgate's JSON error body (``None`` if the body is not that shape)."""
    status = response.status_code
    try:
        body = json.loads(response.content)
    except ValueError:
        return status, None
    if status == 200:
        scopes = body.get("scopes")
        return status, (body.get("user"), body.get("scheme"), tuple(scopes or ()) or scopes)
    return status, body.get("error") if isinstance(body, dict) else None


def client() -> Client:
    """A client that answers 500s as responses (they are findings, not test crashes)."""
    return Client(raise_request_exception=False)


def run_in_threads(count_: int, work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in ``count_`` threads released together by a barrier; the results."""
    barrier = threading.Barrier(count_)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(count_)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def pass_name() -> str:
    database = os.environ.get("AUTHGATE_TEST_DB", "sqlite")
    return f"{database}+{os.environ.get('AUTHGATE_TEST_USER', 'auth')}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, value in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {value}")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "reliability.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[pass_name()] = {
        "figures": dict(FIGURES),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    terminalreporter.write_line(f"written to {path.relative_to(ARTIFACTS.parent)}")


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user("alice", "alice-correct-horse", email="alice@example.com")


@pytest.fixture
def bob(make_user: Callable[..., Any]) -> Any:
    return make_user("bob", "bob-battery-staple", email="bob@example.com")
