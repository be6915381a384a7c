"""``last_used`` off the request path (authgate.schemes.tokens.usage): buffered, written in one
statement per flush, newest use wins, written on a clean exit, bounded.

The suite's settings keep the background thread's timer out of other tests (an hour);
the tests here that need the thread run one of their own.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from authgate.models import APIToken
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens import usage as token_usage
from authgate.schemes.tokens import usage_sql as token_usage_sql
from authgate.schemes.tokens.checks import check_token_settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
rf = RequestFactory()


def settings_with(**values: Any) -> Any:
    return override_settings(AUTHGATE={**django_settings.AUTHGATE, **values})


def whoami(plaintext: str, ip: str = "127.0.0.1") -> int:
    return (
        Client()
        .get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {plaintext}", REMOTE_ADDR=ip)
        .status_code
    )


def request_from(ip: str) -> Any:
    return rf.get("/", REMOTE_ADDR=ip)


@pytest.fixture
def issued(user):
    return tokens.issue(user, name="usage")


def stored(token: APIToken) -> tuple[Any, Any]:
    token.refresh_from_db()
    return token.last_used, token.last_used_ip


# --- the request path ------------------------------------------------------------------


@pytest.mark.parametrize("last_used", [None, timedelta(hours=1)], ids=["first", "stale"])
def test_a_token_request_makes_one_select_and_no_write(issued, last_used):
    """Whether the token was never used or not for an hour: one SELECT, nothing written."""
    token, plaintext = issued
    if last_used is not None:
        APIToken.objects.filter(pk=token.pk).update(last_used=timezone.now() - last_used)
    with CaptureQueriesContext(connection) as queries:
        assert whoami(plaintext, "203.0.113.5") == 200
    assert len(queries.captured_queries) == 1
    assert queries.captured_queries[0]["sql"].lstrip().upper().startswith("SELECT")
    assert len(token_usage.usage_buffer()) == 1


def test_write_through_when_the_flush_interval_is_none(issued):
    token, plaintext = issued
    with settings_with(TOKEN_USAGE_FLUSH_INTERVAL=None), CaptureQueriesContext(connection) as q:
        assert whoami(plaintext, "203.0.113.5") == 200
    assert [query["sql"].split()[0].upper() for query in q.captured_queries] == [
        "SELECT",
        "UPDATE",
    ]
    assert stored(token)[1] == "203.0.113.5"
    assert len(token_usage.usage_buffer()) == 0


# --- the flush ---------------------------------------------------------------------------


def test_a_flush_writes_every_buffered_use_in_one_statement(make_user):
    users = [make_user(f"user{i}") for i in range(3)]
    issued = [tokens.issue(user) for user in users for _ in range(2)]
    for index, (_token, plaintext) in enumerate(issued):
        assert whoami(plaintext, f"198.51.100.{index + 1}") == 200
    with CaptureQueriesContext(connection) as queries:
        assert token_usage.flush() == len(issued)
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    assert sql.startswith("UPDATE") and "FROM (VALUES" in sql
    for index, (token, _plaintext) in enumerate(issued):
        last_used, ip = stored(token)
        assert last_used is not None and ip == f"198.51.100.{index + 1}"
    with CaptureQueriesContext(connection) as queries:
        assert token_usage.flush() == 0  # nothing pending: no statement at all
    assert queries.captured_queries == []


def test_values_are_the_newest_use_with_its_ip(issued):
    token, _plaintext = issued
    buffer = token_usage.UsageBuffer(thread=False)
    now = timezone.now()
    buffer.add(token, "192.0.2.1", now - timedelta(seconds=5))
    buffer.add(token, "192.0.2.2", now)
    buffer.add(token, "192.0.2.3", now - timedelta(seconds=2))  # a slower thread's, older
    assert buffer.flush() == 1
    assert stored(token) == (now, "192.0.2.2")


def test_the_newest_use_wins_across_processes(issued):
    """Two workers' buffers, flushed in either order: the newer use and its IP stay."""
    token, _plaintext = issued
    now = timezone.now()
    older, newer = token_usage.UsageBuffer(thread=False), token_usage.UsageBuffer(thread=False)
    older.add(token, "192.0.2.1", now - timedelta(seconds=3))
    newer.add(token, "192.0.2.2", now)
    newer.flush()
    older.flush()  # later, but with an older use: changes nothing
    assert stored(token) == (now, "192.0.2.2")
    newer.add(token, "192.0.2.4", now + timedelta(seconds=1))
    newer.flush()
    assert stored(token) == (now + timedelta(seconds=1), "192.0.2.4")


def test_a_flush_writes_nothing_else_in_the_row(user):
    """A revocation and a use count written after the use was buffered are kept."""
    token, plaintext = tokens.issue(user, max_uses=5)
    assert whoami(plaintext) == 200
    assert whoami(plaintext) == 200
    tokens.revoke(token, "gone")
    before = APIToken.objects.filter(pk=token.pk).values().get()
    assert token_usage.flush() == 1
    after = APIToken.objects.filter(pk=token.pk).values().get()
    assert after["last_used"] is not None and after["last_used_ip"] == "127.0.0.1"
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"last_used", "last_used_ip"}
    assert after["use_count"] == 2 and after["revoked_reason"] == "gone"


def test_deleted_tokens_are_skipped(issued):
    token, plaintext = issued
    assert whoami(plaintext) == 200
    APIToken.objects.filter(pk=token.pk).delete()
    assert token_usage.flush() == 1  # buffered uses written: none of them matched a row
    assert not APIToken.objects.exists()


def test_the_orm_form_writes_the_same(issued, make_user):
    """Other databases (and SQLite before 3.33) get one UPDATE with CASE expressions."""
    token, _plaintext = issued
    other, _ = tokens.issue(make_user("bob"))
    now = timezone.now()
    APIToken.objects.filter(pk=other.pk).update(last_used=now, last_used_ip="192.0.2.9")
    uses = [(token.pk, now, "192.0.2.1"), (other.pk, now - timedelta(seconds=1), "192.0.2.2")]
    with CaptureQueriesContext(connection) as queries:
        assert token_usage_sql.write_with_orm(uses, using="default") == 1  # other: newer
    assert len(queries.captured_queries) == 1
    assert stored(token) == (now, "192.0.2.1")
    assert stored(other) == (now, "192.0.2.9")


def test_one_statement_carries_a_full_default_buffer():
    assert token_usage_sql.rows_per_statement(connection) >= 10_000


def test_a_failed_write_keeps_the_uses_for_the_next(issued, monkeypatch):
    token, plaintext = issued
    assert whoami(plaintext, "192.0.2.1") == 200

    def unavailable(*args: Any, **kwargs: Any) -> int:
        raise OperationalError("the database is down")

    with monkeypatch.context() as patch:
        patch.setattr(token_usage_sql, "write_uses", unavailable)
        with pytest.raises(OperationalError):
            token_usage.flush()
    assert whoami(plaintext, "192.0.2.2") == 200  # a newer use meanwhile
    assert token_usage.flush() == 1
    assert stored(token)[1] == "192.0.2.2"


# --- the bound -----------------------------------------------------------------------------


def test_a_full_buffer_wakes_the_writer_and_stays_bounded(make_user, caplog):
    issued = [tokens.issue(make_user(f"user{i}"))[0] for i in range(4)]
    now = timezone.now()
    with settings_with(TOKEN_USAGE_BUFFER_SIZE=3):
        buffer = token_usage.UsageBuffer(thread=False)
        for token in issued[:2]:
            buffer.add(token, "192.0.2.1", now)
        assert not buffer._wake.is_set()
        buffer.add(issued[2], "192.0.2.1", now)
        assert buffer._wake.is_set()  # full: the thread writes now
        buffer.add(issued[3], "192.0.2.1", now)  # a further token: not recorded
        buffer.add(issued[0], "192.0.2.5", now + timedelta(seconds=1))  # a pending one: kept
        assert len(buffer) == 3 and buffer.dropped == 1
        with caplog.at_level(logging.WARNING, logger="authgate.token_usage"):
            assert buffer.flush() == 3
    assert "1 uses not recorded" in caplog.text
    assert stored(issued[0]) == (now + timedelta(seconds=1), "192.0.2.5")
    assert stored(issued[3]) == (None, None)


# --- the thread, fork and exit --------------------------------------------------------------


def wait_for(condition: Any, seconds: float = 20) -> bool:
    """Poll until ``condition()`` holds (a generous bound, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trigger", ["interval", "full"])
def test_the_thread_writes_each_interval_and_when_full(make_user, trigger):
    token, _ = tokens.issue(make_user("alice"))
    other, _ = tokens.issue(make_user("bob"))
    values = (
        {"TOKEN_USAGE_FLUSH_INTERVAL": timedelta(milliseconds=200)}
        if trigger == "interval"
        else {"TOKEN_USAGE_BUFFER_SIZE": 2}  # the suite's interval is an hour
    )
    with settings_with(**values):
        buffer = token_usage.UsageBuffer()
        try:
            buffer.add(token, "192.0.2.1", timezone.now())
            buffer.add(other, "192.0.2.2", timezone.now())
            assert buffer._thread is not None and buffer._thread.daemon
            # Watch the buffer, not the table: on SQLite's shared in-memory test database a
            # read in this thread would make the writer's UPDATE fail ("table is locked").
            assert wait_for(lambda: len(buffer) == 0 and not buffer._flush_lock.locked())
            assert stored(token)[1] == "192.0.2.1" and stored(other)[1] == "192.0.2.2"
        finally:
            buffer.stop()
    assert buffer._thread is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_starts_with_an_empty_buffer(issued):
    _token, plaintext = issued
    assert whoami(plaintext) == 200
    buffer = token_usage.usage_buffer()
    assert len(buffer) == 1 and buffer._thread is not None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no database; report what it holds, and leave
        child = token_usage.usage_buffer()
        ok = child is buffer and len(child) == 0 and child._thread is None
        os.write(write, b"1" if ok and child._lock.acquire(timeout=1) else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    os.close(read)
    assert answer == b"1"
    assert len(buffer) == 1  # the parent keeps its uses, to write them itself
    assert token_usage.flush() == 1


EXITING = """
import os, signal, sys
from datetime import timedelta

import django
from django.conf import settings

settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "authgate"],
    USE_TZ=True,
    SECRET_KEY="tests-only-" + "x" * 50,
    AUTHGATE={"TOKEN_USAGE_FLUSH_INTERVAL": timedelta(hours=1)},
)
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens import usage as token_usage

call_command("migrate", verbosity=0)
token, _ = tokens.issue(User.objects.create(username="alice"))
assert token_usage.record(token, RequestFactory().get("/", REMOTE_ADDR="192.0.2.7"), timezone.now())
print(token.pk, flush=True)
if sys.argv[2] == "worker_exit":
    token_usage.gunicorn_worker_exit(None, None)
    os._exit(0)  # no atexit: only the hook can have written
if sys.argv[2] == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize(
    ("ending", "written"), [("clean", True), ("worker_exit", True), ("killed", False)]
)
def test_a_clean_exit_writes_the_buffer(tmp_path, ending, written):
    """atexit (or gunicorn's worker_exit hook) writes what is left; a killed process loses
    its last interval, as documented."""
    database = tmp_path / "exit.sqlite3"
    done = subprocess.run(  # noqa: S603 — this interpreter, this file's own script
        [sys.executable, "-c", EXITING, str(database), ending],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip().isdigit(), done.stderr
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT last_used, last_used_ip FROM authgate_apitoken WHERE id = ?",
            (int(done.stdout),),
        ).fetchone()
    assert (row[0] is not None, row[1]) == ((True, "192.0.2.7") if written else (False, None))


# --- the command and the check -----------------------------------------------------------------


def test_flush_usage_command(issued, capsys):
    token, plaintext = issued
    assert whoami(plaintext, "192.0.2.8") == 200
    call_command("authgate", "flush-usage")
    assert "last_used written for 1 token(s) of this process" in capsys.readouterr().out
    assert stored(token)[1] == "192.0.2.8"


def test_authgate_list_shows_last_used_after_a_flush(issued, capsys):
    token, plaintext = issued
    assert whoami(plaintext) == 200
    token_usage.flush()
    call_command("authgate", "list")
    line = next(x for x in capsys.readouterr().out.splitlines() if token.display_prefix in x)
    assert stored(token)[0].isoformat(timespec="minutes")[:16] in line


@pytest.mark.parametrize(
    ("values", "ids"),
    [
        ({}, []),
        ({"TOKEN_USAGE_FLUSH_INTERVAL": None}, []),
        ({"TOKEN_USAGE_FLUSH_INTERVAL": timedelta(0)}, []),
        ({"TOKEN_USAGE_FLUSH_INTERVAL": 10}, ["authgate.E030"]),
        ({"TOKEN_USAGE_FLUSH_INTERVAL": timedelta(seconds=-1)}, ["authgate.E030"]),
        ({"TOKEN_USAGE_BUFFER_SIZE": None}, ["authgate.E031"]),
        ({"TOKEN_USAGE_BUFFER_SIZE": 0}, ["authgate.E031"]),
        ({"TOKEN_USAGE_BUFFER_SIZE": True}, ["authgate.E031"]),
        ({"TOKEN_USAGE_BUFFER_SIZE": float("inf")}, ["authgate.E031"]),
    ],
)
def test_the_check_refuses_an_unbounded_buffer(values, ids):
    with settings_with(**values):
        found = [message.id for message in check_token_settings()]
    assert [i for i in found if i in {"authgate.E030", "authgate.E031"}] == ids
