"""``manage.py authgate scoped``: issue a scoped token from the shell."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from authgate.core.durations import parse_duration
from authgate.schemes.scoped import service as scoped
from authgate.schemes.scoped.commands import parse_allow

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("authgate", "scoped", *args, stdout=out)
    return out.getvalue().splitlines()


def test_prints_the_token_last_and_it_works(client, user):
    lines = run(
        "alice",
        "--allow",
        "GET:/api/notes/",
        "--allow",
        "post:/api/notes/",
        "--max-age",
        "10m",
        "--recipient",
        "nightly export",
        "--scope",
        "notes:read",
    )
    token = lines[-1]
    claims = scoped.parse(token)
    assert claims.user_pk == user.pk
    assert claims.endpoints == {"GET": ("/api/notes/",), "POST": ("/api/notes/",)}
    assert claims.expires_at - claims.issued_at == 600
    assert claims.recipient == "nightly export"
    assert claims.scopes == ("notes:read",)
    assert "  allows GET /api/notes/" in lines
    assert any(line.startswith("  expires ") and "(600 s)" in line for line in lines)
    response = client.get("/api/notes/", HTTP_AUTHORIZATION=f"TmpToken {token}")
    assert response.status_code == 200


def test_default_max_age(user):
    claims = scoped.parse(run("alice", "--allow", "GET:/api/notes/")[-1])
    assert claims.expires_at - claims.issued_at == 360


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--allow", "GET:/api/notes/"], "No user 'nobody'"),
        (["alice", "--allow", "/api/notes/"], "METHOD:/path/"),
        (["alice", "--allow", "FETCH:/api/notes/"], "unknown method"),
        (["alice", "--allow", "GET:api/notes/"], "absolute"),
        (["alice", "--allow", "GET:/api/notes/", "--max-age", "2h"], "SCOPED_MAX_AGE"),
        (["alice", "--allow", "GET:/api/notes/", "--max-age", "0"], "positive"),
        (["alice", "--allow", "GET:/api/notes/", "--max-age", "soon"], "invalid duration"),
        (["alice", "--allow", "GET:/api/notes/", "--scope", "admin"], "unknown scope"),
    ],
)
def test_bad_input_is_a_command_error(user, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_inactive_user(make_user):
    make_user("ingrid", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        run("ingrid", "--allow", "GET:/api/notes/")


def test_allow_is_required(user):
    with pytest.raises(CommandError):
        run("alice")


@pytest.mark.parametrize(
    ("text", "seconds"), [("600", 600), ("90s", 90), ("10m", 600), ("1h", 3600), ("1d", 86400)]
)
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


def test_parse_allow_merges_methods():
    assert parse_allow(["GET:/a/", "get:/b/", "GET:/a/"]) == {"GET": ["/a/", "/b/"]}
