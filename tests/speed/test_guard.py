"""The guard: on a Django whose internals differ from the ones the fast paths were written
against, authgate says why once and serves every lookup on the plain ORM paths."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import query as django_query
from django.test import override_settings

from authgate._speed import guard
from authgate._speed import query as speed_query
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens.service import issue
from authgate.schemes.tokens.store import token_store
from authgate.users import _user_lookup, _user_model

# These tests choose the path themselves.
pytestmark = [pytest.mark.django_db, pytest.mark.fast_paths_only]


def reload_settings() -> None:
    """What ``override_settings(AUTHGATE=...)`` sends: every store is built again."""
    setting_changed.send(sender=None, setting="AUTHGATE", value=None, enter=True)


@pytest.fixture
def reguard() -> Any:
    """Run the guard again (it checks once per process), and again after the test."""
    guard.check_again()
    reload_settings()  # the stores ask the guard again
    yield
    guard.check_again()
    reload_settings()


def _guard_logs(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "authgate._speed.guard"]


def test_the_django_the_suite_runs_on_passes_the_guard(reguard):
    assert guard.mismatch() is None
    assert guard.fast_paths()
    assert token_store().rows.fast


def test_a_changed_internal_falls_back_to_the_plain_paths_serving_the_same(
    reguard, monkeypatch, caplog, client, user, django_assert_num_queries
):
    """Django 6.0 gave ``get_related_populators`` a fourth parameter: here, the same."""

    real = django_query.get_related_populators

    def get_related_populators(
        klass_info: Any, select: Any, db: Any, fetch_mode: Any = None
    ) -> Any:  # what the ORM itself calls, working as before
        return real(klass_info, select, db)

    monkeypatch.setattr(django_query, "get_related_populators", get_related_populators)
    caplog.set_level(logging.INFO, logger="authgate._speed.guard")
    _row, plaintext = issue(user, name="t", scopes=["notes:read"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    response = client.get("/api/whoami/", **headers)
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "scheme": "token", "scopes": ["notes:read"]}
    assert not token_store().rows.fast
    assert not _user_lookup(_user_model(), "pk").fast
    with django_assert_num_queries(1):  # still one query per request
        assert client.get("/api/whoami/", **headers).status_code == 200
    scoped_token = scoped.issue(user, {"GET": ["/api/"]})
    assert client.get(f"/api/whoami/?TOKEN={scoped_token}").status_code == 200
    assert speed_query._scan is False  # request.GET was asked, not the raw query string
    reload_settings()  # a settings change rebuilds the stores: no second log line
    assert client.get("/api/whoami/", **headers).status_code == 200
    logs = _guard_logs(caplog)
    assert len(logs) == 1, logs
    assert "plain ORM paths" in logs[0] and "get_related_populators" in logs[0]
    assert "fetch_mode" in logs[0]  # the signature found, for whoever reads the log
    assert [r.levelno for r in caplog.records if r.name == "authgate._speed.guard"] == [
        logging.INFO
    ]


def test_another_django_version_takes_the_plain_paths(reguard, monkeypatch, caplog):
    monkeypatch.setattr(django, "VERSION", (6, 0, 0, "final", 0))
    caplog.set_level(logging.INFO, logger="authgate._speed.guard")
    assert not guard.fast_paths()
    assert not token_store().rows.fast
    assert "Django 6.0" in guard.mismatch()
    assert len(_guard_logs(caplog)) == 1


def test_threads_asking_at_once_get_one_check_and_one_log_line(reguard, monkeypatch, caplog):
    monkeypatch.setattr(django, "VERSION", (6, 0, 0, "final", 0))
    caplog.set_level(logging.INFO, logger="authgate._speed.guard")
    checks, real = [], guard._first_mismatch

    def slow_check() -> str | None:
        checks.append(threading.current_thread().name)
        time.sleep(0.05)  # the other threads arrive meanwhile
        return real()

    monkeypatch.setattr(guard, "_first_mismatch", slow_check)
    answers: list[str | None] = []
    threads = [threading.Thread(target=lambda: answers.append(guard.mismatch())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) == 1
    assert len(answers) == 8 and len(set(answers)) == 1 and "Django 6.0" in answers[0]
    assert len(_guard_logs(caplog)) == 1


def test_a_connection_without_thread_ident_takes_the_plain_paths(reguard, monkeypatch):
    real_init = BaseDatabaseWrapper.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # sets no attribute itself
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(BaseDatabaseWrapper, "__init__", __init__)
    reason = guard.mismatch()
    assert reason is not None and "_thread_ident" in reason
    assert not token_store().rows.fast


def test_a_reshaped_redis_client_keeps_no_rows_in_the_process(reguard, monkeypatch):
    from django.core.cache.backends.redis import RedisCacheClient

    from authgate._speed import local_rows

    def get_client(self: Any, key: Any = None, *, write: bool = False, pool: Any = None) -> Any:
        raise AssertionError("not called")

    kept = {"TOKEN_CACHE_TIMEOUT": 60, "TOKEN_LOCAL_CACHE_SIZE": 10}
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, **kept}):
        assert local_rows.local_rows() is not None  # this Django: rows may be kept
        monkeypatch.setattr(RedisCacheClient, "get_client", get_client)
        guard.check_again()
        reload_settings()
        assert "RedisCacheClient.get_client" in guard.mismatch()
        assert local_rows.local_rows() is None
        assert not token_store().rows.fast


def test_a_guard_that_cannot_check_falls_back_too(reguard, monkeypatch):
    def broken() -> str | None:
        raise AttributeError("'NoneType' object has no attribute 'co_names'")

    monkeypatch.setattr(guard, "_CHECKS", (broken,))
    reason = guard.mismatch()
    assert reason is not None and "AttributeError" in reason
    assert not guard.fast_paths()


def test_the_switch_takes_the_plain_paths_without_a_log_line(reguard, caplog):
    caplog.set_level(logging.INFO, logger="authgate._speed.guard")
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, "FAST_PATHS": False}):
        assert not guard.fast_paths()
        assert not token_store().rows.fast
    assert guard.fast_paths()
    assert token_store().rows.fast
    assert _guard_logs(caplog) == []


WITHOUT_SQLITE = """
import sys
import django
from django.conf import settings
settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "unused"}},
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "authgate"],
)
django.setup()
from authgate._speed import guard
print(guard.mismatch(), "django.db.backends.sqlite3.base" in sys.modules)
"""


def test_a_project_without_sqlite_passes_the_guard_without_loading_it():
    """Django's SQLite backend is checked only where it is loaded: importing it would
    register converters with ``sqlite3`` for the whole process (and importing its
    ``operations`` module first is a circular import, which once sent every PostgreSQL
    project down the plain paths)."""
    result = subprocess.run(  # noqa: S603  (this interpreter, the script above)
        [sys.executable, "-c", WITHOUT_SQLITE],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "False"]
