"""``manage.py authgate`` subcommands for API tokens."""

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from authgate.core import opaque
from authgate.models import APIToken
from authgate.schemes.tokens.service import issue, revoke

pytestmark = pytest.mark.django_db

SCANNER_RE = re.compile(opaque.scanner_regex("agt"))


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("authgate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def whoami(token):
    return Client().get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_issue_prints_the_token_last(user):
    out, _ = run("issue", "alice", "--scope", "notes:read", "--name", "ci", "--expires-in", "30d")
    token = out.strip().splitlines()[-1]
    assert SCANNER_RE.fullmatch(token)
    row = APIToken.objects.get()
    assert row.scopes == ["notes:read"] and row.name == "ci"
    assert row.display_prefix in out and row.digest not in out
    assert whoami(token).json()["scopes"] == ["notes:read"]


def test_issue_with_a_policy_file(user, tmp_path):
    policy = {"resources": {"*": {"allow": ["GET"], "block": ["*"]}}}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    run("issue", "alice", "--policy", str(path), "--allow-ip", "10.0.0.0/8", "--max-uses", "5")
    row = APIToken.objects.get()
    assert row.policy == policy and row.allowed_ips == ["10.0.0.0/8"] and row.max_uses == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["issue", "nobody"], "No user 'nobody'"),
        (["issue", "alice", "--scope", "nope"], "Unknown scope"),
        (["issue", "alice", "--expires-in", "forever"], "is not a duration"),
        (["issue", "alice", "--expires-in", "never"], "Tokens must expire"),
        (["issue", "alice", "--policy", "/nonexistent.json"], "Cannot read the policy"),
        (["revoke", "agt_nothin"], "No API token"),
    ],
)
def test_errors(user, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_list(user, make_user):
    row, _ = issue(user, name="laptop", scopes=["notes:read"])
    gone, _ = issue(make_user("bob", "pw"), name="old")
    revoke(gone, "x")
    out, _ = run("list")
    assert row.display_prefix in out and "laptop" in out and "[notes:read]" in out
    assert gone.display_prefix not in out
    out, _ = run("list", "--all", "--user", "bob")
    assert gone.display_prefix in out and "revoked" in out and row.display_prefix not in out


def test_revoke_by_prefix_and_by_id(user):
    first, first_plaintext = issue(user)
    second, _ = issue(user)
    out, _ = run("revoke", first.display_prefix, "--reason", "lost laptop")
    assert "Revoked" in out
    assert whoami(first_plaintext).json()["detail"].endswith(": lost laptop")
    run("revoke", str(second.pk))
    second.refresh_from_db()
    assert second.is_revoked()
    with pytest.raises(CommandError, match="already revoked"):
        run("revoke", str(second.pk))


def test_revoke_by_the_leaked_secret_itself(user):
    row, plaintext = issue(user)
    out, err = run("revoke", plaintext, "--reason", "found in a log")
    assert "Revoked" in out and plaintext not in out + err
    row.refresh_from_db()
    assert row.is_revoked()


def test_unknown_secret_or_long_reference_is_not_echoed(user):
    _, plaintext = issue(user)
    unknown = opaque.generate("agt")  # well-formed, never issued
    with pytest.raises(CommandError, match="No API token has that secret") as excinfo:
        run("revoke", unknown)
    assert unknown not in str(excinfo.value)
    mistyped = plaintext[:-1] + ("a" if plaintext[-1] != "a" else "b")  # checksum fails
    with pytest.raises(CommandError, match="with that reference") as excinfo:
        run("rotate", mistyped)
    assert mistyped[:20] not in str(excinfo.value)


def test_revoke_all(user):
    plaintexts = [issue(user)[1] for _ in range(2)]
    out, _ = run("revoke-all", "alice")
    assert "Revoked 2 API token(s)" in out
    assert all(whoami(t).status_code == 401 for t in plaintexts)


def test_rotate(user):
    old, old_plaintext = issue(user, scopes=["notes:read"])
    out, _ = run("rotate", old.display_prefix, "--overlap", "1h")
    new_plaintext = out.strip().splitlines()[-1]
    assert SCANNER_RE.fullmatch(new_plaintext) and new_plaintext != old_plaintext
    assert whoami(old_plaintext).status_code == 200  # still within the overlap
    assert whoami(new_plaintext).json()["scopes"] == ["notes:read"]


def test_cleanup(user):
    row, _ = issue(user)
    out, _ = run("cleanup", "--older-than", "0s")
    assert "Deleted 0 expired or revoked API token(s)" in out
    revoke(row, "x")
    APIToken.objects.filter(pk=row.pk).update(revoked_at=row.revoked_at.replace(year=2000))
    out, _ = run("cleanup")
    assert "Deleted 1 expired or revoked" in out
    assert not APIToken.objects.exists()


def test_import_drf_tokens(user, make_user):
    from rest_framework.authtoken.models import Token

    key = Token.objects.create(user=user).key
    Token.objects.create(user=make_user("bob", "pw"))
    out, err = run("import-drf-tokens")
    assert "Imported 2 DRF token(s)" in out and "TOKEN_ACCEPT_DRF_KEYS" in err
    row = APIToken.objects.get(user=user)
    assert row.digest == opaque.digest(key) and row.is_deprecated_format
    assert row.display_prefix == f"drf_{key[:6]}"
    out, _ = run("import-drf-tokens", "--delete")
    assert "Imported 0" in out
    assert not Token.objects.exists()
