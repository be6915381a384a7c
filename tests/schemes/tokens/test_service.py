"""The API-token lifecycle: issue, validation, revoke, revoke_all, rotate, cleanup, receivers."""

import io
import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import close_old_connections
from django.test import Client, override_settings
from django.utils import timezone

from authgate.conf import user_settings
from authgate.core import opaque
from authgate.models import APIToken, TokenEvent, UsedToken
from authgate.schemes.tokens.service import (
    TokenError,
    TokenLimitReached,
    cleanup,
    issue,
    parse_lifetime,
    revoke,
    revoke_all,
    rotate,
)
from authgate.signals import token_issued, token_revoked, token_rotated
from authgate.state import generation_of

pytestmark = pytest.mark.django_db

AUTHGATE = user_settings()
SCANNER_RE = re.compile(opaque.scanner_regex("agt"))


def use(token, client=None):
    client = client or Client()
    return client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")


class Received:
    def __init__(self, signal):
        self.calls = []
        self.signal = signal

    def __enter__(self):
        self.signal.connect(self.receive)
        return self.calls

    def receive(self, sender, signal, **kwargs):
        self.calls.append(kwargs)

    def __exit__(self, *exc):
        self.signal.disconnect(self.receive)


def test_issue_stores_only_a_digest(user):
    with Received(token_issued) as calls:
        row, plaintext = issue(user, name="ci", scopes=["notes:read", "notes:read"])
    assert SCANNER_RE.fullmatch(plaintext)
    assert row.digest == opaque.digest(plaintext) and row.digest != plaintext
    assert row.digest_version == opaque.DIGEST_VERSION
    assert plaintext.startswith(row.display_prefix) and len(row.display_prefix) == 10
    assert row.scopes == ["notes:read"]
    assert timedelta(days=89) < row.expires - timezone.now() <= timedelta(days=90)
    assert calls == [{"token": row, "user": user, "created_by": None}]
    event = TokenEvent.objects.get(kind="issued")
    assert event.credential_id == row.display_prefix and plaintext not in str(event.detail)


def test_many_tokens_per_user(user):
    plaintexts = {issue(user)[1] for _ in range(3)}
    assert len(plaintexts) == 3
    assert APIToken.objects.filter(user=user).count() == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scopes": ["notes:admin"]}, "Unknown scope 'notes:admin'. Registered scopes: notes:read"),
        (
            {"policy": {"resources": {"*": {"allow": "GET"}}}},
            "Invalid policy: resources['*'].allow",
        ),
        ({"policy": {"resource": {}}}, "unknown key 'resource'"),
        ({"allowed_ips": ["not-an-ip"]}, "'not-an-ip' is not an IP address or network"),
        ({"expires_in": timedelta(days=400)}, "at most 366 days"),
        ({"expires_in": timedelta(0)}, "positive duration"),
        ({"expires_in": None}, "Tokens must expire"),
        ({"max_uses": 0}, "max_uses must be a positive integer"),
    ],
)
def test_issue_validates_with_clear_messages(user, kwargs, message):
    with pytest.raises(TokenError, match=re.escape(message)):
        issue(user, **kwargs)
    assert not APIToken.objects.exists()


def test_non_expiring_tokens_only_when_allowed(user):
    with override_settings(AUTHGATE={**AUTHGATE, "ALLOW_NON_EXPIRING_TOKENS": True}):
        row, _ = issue(user, expires_in=None)
    assert row.expires is None


def test_inactive_users_get_no_tokens(make_user):
    with pytest.raises(TokenError, match="Inactive"):
        issue(make_user("carol", "pw", is_active=False))


def test_per_user_limit(user, make_user):
    with override_settings(AUTHGATE={**AUTHGATE, "MAX_TOKENS_PER_USER": 2}):
        first, _ = issue(user)
        issue(user)
        with pytest.raises(TokenLimitReached):
            issue(user)
        issue(make_user("bob", "pw"))  # per user
        revoke(first, "make room")
        issue(user)  # revoked tokens do not count


def test_revoke(user):
    row, plaintext = issue(user)
    with Received(token_revoked) as calls:
        assert revoke(row, "leaked") is True
        assert revoke(row, "again") is False
    assert [c["reason"] for c in calls] == ["leaked"]
    row.refresh_from_db()
    assert row.valid is False and row.invalid_reason == "leaked" and row.invalid_date
    assert row.status() == "revoked"
    assert TokenEvent.objects.filter(kind="revoked").count() == 1
    assert use(plaintext).json()["error"] == "revoked_token"


def test_revoke_all_logs_out_everywhere(user, make_user):
    mine = [issue(user)[1] for _ in range(3)]
    bobs = issue(make_user("bob", "pw"))[1]
    with Received(token_revoked) as calls:
        assert revoke_all(user, "log out everywhere") == 3
    assert len(calls) == 3
    assert all(use(t).status_code == 401 for t in mine)
    assert use(bobs).status_code == 200
    fresh = get_user_model().objects.select_related("authgate_state").get(pk=user.pk)
    assert generation_of(fresh) == 1  # signed scoped tokens and magic links die too


def test_rotate_with_overlap(user):
    old, old_plaintext = issue(
        user, name="deploy", scopes=["notes:read"], allowed_ips=["0.0.0.0/0"]
    )
    with Received(token_rotated) as calls:
        new, new_plaintext = rotate(old, overlap=timedelta(hours=1))
    assert calls and calls[0]["new"] == new and calls[0]["overlap"] == timedelta(hours=1)
    assert new.rotated_from == old and new.scopes == ["notes:read"] and new.name == "deploy"
    assert new.allowed_ips == ["0.0.0.0/0"]
    # Both work during the overlap.
    assert use(old_plaintext).status_code == 200
    assert use(new_plaintext).status_code == 200
    old.refresh_from_db()
    assert old.status() == "rotating"
    # After it, the old one is refused as revoked, with the reason.
    APIToken.objects.filter(pk=old.pk).update(revoked_at=timezone.now() - timedelta(seconds=1))
    response = use(old_plaintext)
    assert response.json()["error"] == "revoked_token"
    assert new.display_prefix in response.json()["detail"]
    with pytest.raises(TokenError, match="Only a live token"):
        rotate(old)


def test_rotate_without_overlap_and_at_the_limit(user):
    with override_settings(AUTHGATE={**AUTHGATE, "MAX_TOKENS_PER_USER": 1}):
        old, old_plaintext = issue(user)
        _new, new_plaintext = rotate(old)  # replacing does not count against the limit
    assert use(old_plaintext).status_code == 401
    assert use(new_plaintext).status_code == 200


def test_cleanup_deletes_only_long_dead_rows(user):
    live, _ = issue(user)
    old_revoked, _ = issue(user)
    recent_revoked, _ = issue(user)
    old_expired, _ = issue(user)
    long_ago = timezone.now() - timedelta(days=40)
    APIToken.objects.filter(pk=old_revoked.pk).update(revoked_at=long_ago)
    APIToken.objects.filter(pk=old_expired.pk).update(expires=long_ago)
    revoke(recent_revoked)
    UsedToken.objects.create(token_id="a" * 64, kind="link", expires_at=long_ago)
    UsedToken.objects.create(token_id="b" * 64, kind="link", expires_at=None)
    assert cleanup(timedelta(days=30)) == {"tokens": 2, "used_one_time_tokens": 1}
    assert set(APIToken.objects.values_list("pk", flat=True)) == {live.pk, recent_revoked.pk}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        (" 90m ", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("never", None),
    ],
)
def test_parse_lifetime(text, expected):
    assert parse_lifetime(text) == expected


@pytest.mark.parametrize("text", ["", "30", "d", "-1d", "1y", "1.5h"])
def test_parse_lifetime_refuses(text):
    with pytest.raises(TokenError):
        parse_lifetime(text)


# --- receivers ---------------------------------------------------------------------------


def test_deactivation_revokes_tokens(user):
    row, _ = issue(user)
    user.is_active = False
    user.save()
    row.refresh_from_db()
    assert row.is_revoked() and row.revoked_reason == "User deactivated"


def test_password_change_revokes_only_when_asked(user):
    row, _ = issue(user)
    user.set_password("new one")
    user.save()
    row.refresh_from_db()
    assert not row.is_revoked()
    with override_settings(AUTHGATE={**AUTHGATE, "REVOKE_TOKENS_ON_PASSWORD_CHANGE": True}):
        user.set_password("newer one")
        user.save()
    row.refresh_from_db()
    assert row.is_revoked() and row.revoked_reason == "Password changed"


def test_unrelated_user_saves_do_not_revoke(user):
    row, _ = issue(user)
    user.first_name = "Alice"
    user.save()
    user.save(update_fields=["last_login"])
    row.refresh_from_db()
    assert not row.is_revoked()


# --- no plaintext anywhere in the database -----------------------------------------------


def test_database_dump_holds_no_plaintext_token(user, make_user):
    staff = make_user("root", "pw", is_staff=True, is_superuser=True)
    plaintexts = [issue(user, scopes=["notes:read"])[1]]
    old, first = issue(user, max_uses=3)
    plaintexts += [first, rotate(old, overlap=timedelta(hours=1))[1]]
    client = Client()
    response = client.post("/auth/token/", {"username": "alice", "password": "correct horse"})
    plaintexts.append(response.json()["token"])
    for token in plaintexts:
        assert use(token, client).status_code == 200
    # A failure, audited or not (the last character changed, to one it is not already).
    use(plaintexts[0][:-1] + ("1" if plaintexts[0].endswith("0") else "0"))
    admin = Client()
    admin.force_login(staff)
    response = admin.post(
        "/admin/authgate/apitoken/add/", {"user": str(user.pk), "name": "from the admin"}
    )
    plaintexts += SCANNER_RE.findall(response.content.decode())
    assert len(plaintexts) == 5
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    dump = out.getvalue()
    assert '"authgate.apitoken"' in dump and '"authgate.tokenevent"' in dump
    for token in plaintexts:
        assert token not in dump
        assert token[len("agt_") :] not in dump  # nor the secret without its prefix
    assert not SCANNER_RE.search(dump)


# --- concurrency (PostgreSQL) ------------------------------------------------------------


def run_in_threads(count, work):
    barrier = threading.Barrier(count)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(work())
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_per_user_limit_holds_under_concurrent_creation(make_user):
    user = make_user("racer", "pw")

    def work():
        try:
            issue(user)
        except TokenLimitReached:
            return "refused"
        return "issued"

    with override_settings(AUTHGATE={**AUTHGATE, "MAX_TOKENS_PER_USER": 3}):
        results = run_in_threads(12, work)
    assert sorted(results) == ["issued"] * 3 + ["refused"] * 9
    assert APIToken.objects.filter(user=user).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_time_token_succeeds_exactly_once_under_parallel_use(make_user):
    user = make_user("racer", "pw")
    _row, plaintext = issue(user, max_uses=1)
    statuses = run_in_threads(12, lambda: use(plaintext).status_code)
    assert sorted(statuses) == [200] + [401] * 11
    assert APIToken.objects.get(user=user).use_count == 1
