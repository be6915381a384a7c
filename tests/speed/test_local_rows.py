"""Token rows kept in each process (TOKEN_LOCAL_CACHE_SIZE), on the real Redis.

What must hold: a kept row answers with no query and no Redis command; a change made
anywhere — another process included — is seen by the next lookup; a lost subscription
stops the copies being used; a row read before a drop is never kept after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings

from authgate._speed import local_rows
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.store import token_store

# Kept rows are a fast path: with the fast paths off none are kept (the last test here).
pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.fast_paths_only,
]

ROOT = Path(__file__).resolve().parent.parent
LOCAL = {"TOKEN_CACHE_TIMEOUT": 60, "TOKEN_LOCAL_CACHE_SIZE": 100}


@pytest.fixture
def local():
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, **LOCAL}):
        rows = local_rows.local_rows()
        assert rows is not None
        assert rows.sync() is not None, "the subscription is confirmed before the test"
        yield rows


def whoami(plaintext: str) -> int:
    return Client().get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code


def use_until_kept(local, token, plaintext: str) -> None:
    """The first use keeps the row (its ``last_used`` goes to the usage buffer, so the
    copy stays current), and a second is answered from it."""
    assert whoami(plaintext) == 200
    assert local.get(token.digest) is not None
    assert whoami(plaintext) == 200
    assert local.get(token.digest) is not None


def redis_commands(monkeypatch) -> list[str]:
    """Every Redis client the cache hands out, counted."""
    seen: list[str] = []
    client = caches[django_settings.AUTHGATE.get("CACHE", "default")]._cache
    real = client.get_client
    monkeypatch.setattr(
        client, "get_client", lambda *a, **k: seen.append("client") or real(*a, **k)
    )
    return seen


def test_a_kept_row_answers_with_no_query_and_no_redis_command(
    local, make_user, django_assert_num_queries, monkeypatch
):
    token, plaintext = tokens.issue(make_user("alice", "pw"))
    use_until_kept(local, token, plaintext)
    seen = redis_commands(monkeypatch)
    with django_assert_num_queries(0):
        assert whoami(plaintext) == 200
    assert seen == []
    first = token_store().lookup(token.digest)
    second = token_store().lookup(token.digest)
    assert first.pk == second.pk == token.pk
    assert first is not second and first.user is not second.user  # new instances each hit


@pytest.mark.parametrize("change", ["revoke", "deactivate", "rotate"])
def test_a_change_made_here_is_seen_by_the_next_lookup(local, make_user, change):
    user = make_user("alice", "pw")
    token, plaintext = tokens.issue(user)
    use_until_kept(local, token, plaintext)
    if change == "revoke":
        tokens.revoke(token)
    elif change == "deactivate":
        user.is_active = False
        user.save()
    else:
        tokens.rotate(token)
    assert whoami(plaintext) == 401


def test_a_privilege_change_is_seen_by_the_next_lookup(local, make_user):
    user = make_user("alice", "pw", is_staff=True)
    token, plaintext = tokens.issue(user)
    use_until_kept(local, token, plaintext)
    assert token_store().lookup(token.digest).user.is_staff
    user.is_staff = False
    user.save()
    assert local.get(token.digest) is None
    assert not token_store().lookup(token.digest).user.is_staff


REVOKE_IN_ANOTHER_PROCESS = """
import json, os, sys
import django
from django.conf import settings
args = json.loads(sys.argv[1])
django.setup()
settings.DATABASES["default"]["NAME"] = args["database"]
from django.test import override_settings
with override_settings(AUTHGATE={**settings.AUTHGATE, **args["authgate"]}):
    from authgate import tokens
    from authgate.models import APIToken
    tokens.revoke(APIToken.objects.get(pk=args["pk"]))
print("revoked")
"""


def test_a_revocation_in_another_process_is_seen_by_the_next_lookup(local, make_user):
    token, plaintext = tokens.issue(make_user("alice", "pw"))
    use_until_kept(local, token, plaintext)
    args = {"database": connection.settings_dict["NAME"], "authgate": LOCAL, "pk": token.pk}
    result = subprocess.run(  # noqa: S603  (this interpreter, this file's own script)
        [sys.executable, "-c", REVOKE_IN_ANOTHER_PROCESS, json.dumps(args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 0 and "revoked" in result.stdout, result.stderr
    assert whoami(plaintext) == 401  # no wait: the publication arrived with the revocation


def test_a_lost_subscription_stops_the_copies_being_used(local, make_user):
    token, plaintext = tokens.issue(make_user("alice", "pw"))
    use_until_kept(local, token, plaintext)
    # The subscription dies; the revocation's publication reaches nobody here.
    redis = caches["default"]._cache.get_client(write=True)
    assert redis.client_kill_filter(_type="pubsub") >= 1
    tokens.revoke(token)
    assert whoami(plaintext) == 401  # the copy was dropped when the loss was noticed
    assert local.get(token.digest) is None


def test_a_silent_reconnect_drops_the_copies_until_confirmed(local, make_user):
    """redis-py may reconnect and resubscribe by itself; what was published in between
    is lost, so nothing kept before may be used after."""
    token, plaintext = tokens.issue(make_user("alice", "pw"))
    use_until_kept(local, token, plaintext)
    connection = local._pubsub.connection
    connection.disconnect()
    connection.connect()  # what redis-py's retry does; it resubscribes on connect
    assert local.get(token.digest) is None
    generation = None
    for _attempt in range(100):  # the new subscription's confirmation arrives
        if (generation := local.sync()) is not None:
            break
        time.sleep(0.01)  # a round trip to Redis: on a loaded machine, more than 100 polls
    assert generation is not None


def test_messages_arriving_together_are_all_applied(local, make_user):
    """Read in one chunk, the second message sits in redis-py's buffer, not the socket."""
    user = make_user("alice", "pw")
    kept = []
    for _ in range(3):
        token, plaintext = tokens.issue(user)
        use_until_kept(local, token, plaintext)
        kept.append(token)
    redis = caches["default"]._cache.get_client(write=True)
    name = local_rows.channel("default")
    with redis.pipeline(transaction=False) as pipe:  # sent together, arriving together
        for token in kept[:2]:
            pipe.publish(name, token.digest)
        pipe.execute()
    local_rows.publish_invalidation([kept[2].digest])  # waits for its own, last
    assert [local.get(token.digest) for token in kept] == [None, None, None]
    for _ in range(3):
        local.sync()
    assert all(token.digest in local._dropped for token in kept)


def test_a_row_read_before_a_drop_is_never_kept_after_it(local, make_user):
    token, _plaintext = tokens.issue(make_user("alice", "pw"))
    generation = local.sync()
    fetched = token_store().rows.fetch(token.digest)  # read...
    local_rows.publish_invalidation([token.digest])  # ...a change is published...
    local.sync()  # ...and applied by another request
    local.put(token.digest, fetched, generation)  # the stale read arrives last
    assert local.get(token.digest) is None
    # Nor is the dropped token kept by a later read, until the cache timeout has passed.
    later = local.sync()
    local.put(token.digest, token_store().rows.fetch(token.digest), later)
    assert local.get(token.digest) is None


def test_a_mass_revocation_stops_keeping_rather_than_growing(local, make_user):
    token, plaintext = tokens.issue(make_user("alice", "pw"))
    many = [f"{n:064x}" for n in range(4 * local.size + 1)]  # more than can be remembered
    local_rows.publish_invalidation(many)
    assert len(local._dropped) <= 4 * local.size
    assert whoami(plaintext) == 200
    assert whoami(plaintext) == 200
    assert local.get(token.digest) is None  # nothing is kept until those drops expire


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_trusts_nothing_of_its_parent(local, make_user):
    token, plaintext = tokens.issue(make_user("alice", "pw"))
    use_until_kept(local, token, plaintext)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no database, no Redis; report what it holds, and leave
        ok = local._pubsub is None and not local._ready and local.get(token.digest) is None
        os.write(write, b"1" if ok and local._lock.acquire(timeout=1) else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    os.close(read)
    assert answer == b"1"
    assert local.get(token.digest) is not None  # the parent keeps its copies
    assert local.sync() is not None


def test_a_stuck_subscription_does_not_hold_requests(local, make_user):
    """Another thread (re)subscribing to a slow Redis holds the lock: lookups go on
    through Redis and the database instead of waiting for it."""
    token, plaintext = tokens.issue(make_user("alice", "pw"))
    use_until_kept(local, token, plaintext)
    assert local._lock.acquire()
    try:
        started = time.monotonic()
        assert local.sync() is None
        assert time.monotonic() - started < 1
        assert whoami(plaintext) == 200  # answered without the copies
    finally:
        local._lock.release()
    assert local.sync() is not None


def test_unusable_rows_are_not_kept(local, make_user):
    token, _plaintext = tokens.issue(make_user("alice", "pw"), max_uses=3)
    assert token_store().lookup(token.digest).pk == token.pk
    assert local.get(token.digest) is None  # a use count is always read from the database
    fetched = token_store().rows.fetch(token.digest)
    assert fetched.immutable()
    if token_store().rows.fast:  # a raw row: a mutable value would be shared by every hit
        assert not fetched._replace(row=(*fetched.row[:-1], [1])).immutable()


def test_off_without_the_setting():
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, "TOKEN_CACHE_TIMEOUT": 60}):
        assert local_rows.local_rows() is None


def test_the_plain_paths_keep_no_rows_and_still_publish(make_user, django_assert_num_queries):
    """With the fast paths off the Redis cache answers (no query on a hit), and changes are
    still published: other processes (mid-upgrade, say) may keep rows."""
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, **LOCAL, "FAST_PATHS": False}):
        assert local_rows.local_rows() is None
        assert local_rows.local_rows() is None  # decided once, not per request
        token, plaintext = tokens.issue(make_user("alice", "pw"))
        assert whoami(plaintext) == 200  # reads the row, writes last_used, caches the row
        with django_assert_num_queries(0):
            assert whoami(plaintext) == 200  # a Redis cache hit
        listener = caches["default"]._cache.get_client(write=False).pubsub()
        try:
            listener.subscribe(local_rows.channel("default"))
            assert listener.get_message(timeout=5)["type"] == "subscribe"
            tokens.revoke(token)
            message = listener.get_message(timeout=5)
        finally:
            listener.close()
        assert message is not None and token.digest in message["data"].decode().split()
        assert whoami(plaintext) == 401
    assert local_rows.local_rows() is None  # the setting is off again: no rows either way
