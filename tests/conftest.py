"""Fixtures every test module can use, and the gates for tests that need real services.

The fixtures work with all three user models of the test matrix (see ``tests/settings.py``):
never assume an integer primary key or a ``username`` field; go through ``make_user``.

Markers:

``postgres``
    Runs only when the default database is PostgreSQL (the PostgreSQL+Redis pass of
    ``make test``); skipped elsewhere with a one-line reason.
``redis``
    Runs only when the default cache is Django's ``RedisCache`` (the same pass).
``fast_paths_only``
    A test of the fast paths themselves (``authgate._speed``): not run again on the plain
    paths (see below).

The token, speed, user, link- and scoped-backend tests (:data:`BOTH_PATHS`) run twice in
every pass, ``[fast]`` and ``[plain]``: once on authgate's fast paths and once with
``AUTHGATE["FAST_PATHS"] = False``, on the plain ORM paths, so both are held to the same
answers and the same query counts.

The whole session runs under :class:`tests.reliability.leakcheck.LeakCheck`: every plaintext
token and password the suite creates is remembered, every log record, error report and
e-mail is kept, and the session fails at the end if a secret appears in any of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from authgate.schemes.tokens import usage as token_usage
from tests.reliability.leakcheck import LeakCheck

# CI draws the same examples on every run so a red build can be reproduced; locally each
# run explores new ones. `HYPOTHESIS_PROFILE=ci make test` reproduces CI.
hypothesis_settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)

SKIP_POSTGRES = "needs PostgreSQL: runs in the PostgreSQL pass (make test)"
SKIP_REDIS = "needs Redis: runs in the PostgreSQL+Redis pass"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Decided from the configured backends (no connection is opened here): in the
    # PostgreSQL+Redis pass these tests run, and fail loudly if the service is gone.
    has_postgres = connections["default"].vendor == "postgresql"
    has_redis = isinstance(caches["default"], RedisCache)
    skip_postgres = pytest.mark.skip(reason=SKIP_POSTGRES)
    skip_redis = pytest.mark.skip(reason=SKIP_REDIS)
    for item in items:
        if not has_postgres and item.get_closest_marker("postgres"):
            item.add_marker(skip_postgres)
        if not has_redis and item.get_closest_marker("redis"):
            item.add_marker(skip_redis)


#: Test files and folders run on the fast paths and again on the plain ORM paths.
BOTH_PATHS = (
    "tests/schemes/tokens/",
    "tests/speed/",
    "tests/schemes/links/test_backend.py",
    "tests/schemes/scoped/test_backend.py",
    "tests/test_users.py",
)
#: ... except these: the servers they start are other processes, with their own settings.
ONE_PATH = ("tests/schemes/tokens/test_usage_servers.py",)
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    path = os.path.relpath(str(metafunc.definition.path), _ROOT).replace(os.sep, "/")
    if (
        path.startswith(BOTH_PATHS)
        and not path.startswith(ONE_PATH)
        and not metafunc.definition.get_closest_marker("fast_paths_only")
    ):
        metafunc.parametrize("fast_paths", [True, False], ids=["fast", "plain"], indirect=True)


@pytest.fixture(autouse=True)
def fast_paths(request: pytest.FixtureRequest) -> Iterator[bool]:
    """``AUTHGATE["FAST_PATHS"]`` for this test: on, unless parametrized ``[plain]``.

    Off as if the project's dict said so, under whatever ``AUTHGATE`` a test sets itself
    (many replace the whole dict), unless it names ``FAST_PATHS``.
    """
    fast = getattr(request, "param", True)
    if fast:
        yield True
        return
    from django.core.signals import setting_changed

    from authgate import conf

    written = conf.user_settings

    def plain() -> dict[str, Any]:
        return {"FAST_PATHS": False, **written()}

    def reload() -> None:  # what override_settings(AUTHGATE=...) sends
        setting_changed.send(sender=None, setting="AUTHGATE", value=None, enter=True)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conf, "user_settings", plain)
        reload()
        try:
            yield False
        finally:
            patch.undo()
            reload()


@pytest.fixture(scope="session", autouse=True)
def leak_check() -> Iterator[LeakCheck]:
    """No issued secret in any log record, error report or e-mail of the whole session."""
    check = LeakCheck()
    check.hook_issuers()
    check.hook_mail()
    with check.installed():
        yield check
    leaks = check.find_leaks()
    assert not leaks, f"{len(leaks)} secret(s) leaked, e.g. " + "; ".join(
        f"{leak.secret_kind} in {leak.where}: {leak.excerpt!r}" for leak in leaks[:5]
    )


@pytest.fixture(autouse=True)
def _empty_usage_buffer() -> Iterator[None]:
    """Start and end every test with no buffered token uses (authgate.schemes.tokens.usage): a use
    recorded in one test is never written into another test's rows."""
    token_usage.usage_buffer().discard()
    yield
    token_usage.usage_buffer().discard()


@pytest.fixture(autouse=True)
def _clear_default_cache() -> None:
    """Start every test with an empty default cache (rate limits, token cache, ...)."""
    caches["default"].clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """Factory: ``make_user(username="alice", password="pw", **extra)`` → a saved user.

    ``username`` fills the model's ``USERNAME_FIELD``, whatever it is called.
    """
    user_model = get_user_model()

    def make(username: str = "alice", password: str | None = "pw", **extra: Any) -> Any:
        extra[user_model.USERNAME_FIELD] = username
        return user_model.objects.create_user(password=password, **extra)

    return make


@pytest.fixture
def user(make_user: Callable[..., Any]) -> Any:
    """alice, whose password is "correct horse"."""
    return make_user("alice", "correct horse")
