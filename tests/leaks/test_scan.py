"""manage.py authgate revoke-leaked: every credential in a 10 MB file of noise and
near-misses, whole across chunk boundaries; live ones revoked; no secret printed."""

from __future__ import annotations

import base64
import io
import random
import re
import sys

import pytest
from django.core import mail
from django.core.management import call_command

from authgate import links, scoped
from authgate.leaks import scanner
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.models import APIToken
from authgate.state import UserAuthState

pytestmark = pytest.mark.django_db

SIZE = 10 * 1024 * 1024


def near_misses(real: str, rng: random.Random) -> list[str]:
    """Strings a careless regex would take for ``real``: each must not count as found."""
    # A bad checksum (API tokens), signature (scoped tokens) or pre-MAC (links: a damaged
    # signature alone cannot be told from a link of another scope, so it counts as live).
    at = 6 if real.startswith("agl1_") else len(real) - 1
    swapped = real[:at] + ("A" if real[at] != "A" else "B") + real[at + 1 :]
    return [
        swapped,
        real[:-3],  # truncated
        real + "Z",  # one character too many
        "X" + real,  # glued to a word
        real[:10] + rng.choice([c for c in "abcdef" if c != real[10]]) + real[11:],  # a typo
    ]


def noise(rng: random.Random, size: int) -> str:
    """Log-like lines and random base64: plenty of token-ish text, none of it ours."""
    lines = []
    total = 0
    while total < size:
        pick = rng.random()
        if pick < 0.4:
            line = base64.b64encode(rng.randbytes(rng.randint(20, 90))).decode()
        elif pick < 0.7:
            line = (
                f"2026-12-04 12:{rng.randint(10, 59)}:00 INFO GET /api/notes/{rng.randint(1, 999)} "
                f"200 agt_{'x' * rng.randint(5, 40)} user=u{rng.randint(1, 99)}"
            )
        elif pick < 0.85:
            line = "ags1_" + base64.urlsafe_b64encode(rng.randbytes(40)).decode().rstrip("=")
            line += "." + base64.urlsafe_b64encode(rng.randbytes(16)).decode().rstrip("=")
        else:
            line = "agl1_" + base64.urlsafe_b64encode(rng.randbytes(30)).decode().rstrip("=")
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


@pytest.fixture
def leaked(make_user, tmp_path):
    """A 10 MB file holding live, dead and deleted credentials of every kind, each around
    noise and near-misses, some straddling the scanner's chunk boundaries."""
    rng = random.Random(23)
    alice = make_user("alice", email="alice@example.com")
    bob = make_user("bob", email="bob@example.com")
    live = [tokens.issue(alice, name=f"a{i}")[1] for i in range(6)]
    live += [tokens.issue(bob, name=f"b{i}")[1] for i in range(4)]
    dead_row, dead = tokens.issue(bob, name="dead")
    tokens.revoke(dead_row, "rotated away")
    gone_row, gone = tokens.issue(bob, name="gone")
    APIToken.objects.filter(pk=gone_row.pk).delete()
    signed = [scoped.issue(alice, {"GET": ["/api/"]}), links.get_token(bob)]
    secrets = [*live, dead, gone, *signed]
    body = noise(rng, SIZE)
    pieces = []
    for secret in secrets:
        pieces.append(rng.choice(["token=", '"', " ", "\t", "Bearer ", "sesame="]) + secret)
        pieces.extend(" " + miss + " " for miss in near_misses(secret, rng))
    text = list(body)
    # Spread them, and put some exactly across chunk boundaries.
    positions = sorted(rng.randrange(0, SIZE) for _ in pieces)
    for k, boundary in enumerate(range(scanner.CHUNK, SIZE, scanner.CHUNK)):
        if k < len(positions):
            positions[k] = boundary - 20 - k
    for position, piece in sorted(zip(positions, pieces, strict=True), reverse=True):
        text.insert(position, "\n" + piece + "\n")
    path = tmp_path / "leaked.log"
    path.write_text("".join(text))
    assert path.stat().st_size >= SIZE
    return {
        "path": path,
        "live": live,
        "signed": signed,
        "secrets": secrets,
        "alice": alice,
        "bob": bob,
        "dead": dead_row,
    }


def assert_no_secret(output: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in output
        # Not even the secret part of an API token, cut short.
        body = secret.split("_", 1)[1]
        assert body[8:28] not in output


def test_every_credential_is_found_and_the_live_ones_revoked(leaked):
    out = io.StringIO()
    call_command("authgate", "revoke-leaked", str(leaked["path"]), stdout=out)
    output = out.getvalue()
    # 10 live API tokens + 2 live signed ones; 1 revoked before; 1 deleted (unknown).
    assert output.splitlines()[-1] == "found 14, live 12, revoked 12, unknown 1"
    assert_no_secret(output, leaked["secrets"])
    assert APIToken.objects.filter(revoked_reason__startswith="found in a leak: ").count() == 10
    leaked["dead"].refresh_from_db()
    assert leaked["dead"].revoked_reason == "rotated away"
    # Both users' signed tokens: generation bumped once each.
    assert set(UserAuthState.objects.values_list("generation", flat=True)) == {1}
    assert UserAuthState.objects.count() == 2
    # One e-mail per credential revoked, to its owner, without the secret.
    assert len(mail.outbox) == 12
    assert {m.to[0] for m in mail.outbox} == {"alice@example.com", "bob@example.com"}
    for message in mail.outbox:
        assert str(leaked["path"]) in message.body
        assert_no_secret(message.body + message.subject, leaked["secrets"])
    # Run again: everything is found, nothing is live any more.
    again = io.StringIO()
    call_command("authgate", "revoke-leaked", str(leaked["path"]), stdout=again)
    assert again.getvalue().splitlines()[-1] == "found 14, live 0, revoked 0, unknown 1"
    assert len(mail.outbox) == 12


def test_dry_run_changes_nothing(leaked):
    out = io.StringIO()
    call_command("authgate", "revoke-leaked", str(leaked["path"]), "--dry-run", stdout=out)
    output = out.getvalue()
    assert output.splitlines()[-1] == (
        "found 14, live 12, revoked 12, unknown 1 (dry run: nothing changed)"
    )
    assert_no_secret(output, leaked["secrets"])
    assert not APIToken.objects.filter(revoked_reason__startswith="found in a leak").exists()
    assert not UserAuthState.objects.exists()
    assert mail.outbox == []


def test_standard_input_and_where(make_user, monkeypatch):
    user = make_user("carol", email="carol@example.com")
    row, plaintext = tokens.issue(user)
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"oops: Authorization: Bearer {plaintext}\n"))
    out = io.StringIO()
    call_command(
        "authgate", "revoke-leaked", "-", "--where", "https://paste.example/abc", stdout=out
    )
    assert out.getvalue().splitlines()[-1] == "found 1, live 1, revoked 1, unknown 0"
    assert f"api_token {row.display_prefix} (carol): revoked" in out.getvalue()
    row.refresh_from_db()
    assert row.revoked_reason == "found in a leak: https://paste.example/abc"
    assert plaintext not in out.getvalue()


def test_an_unreadable_file_is_a_command_error(tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Cannot read"):
        call_command("authgate", "revoke-leaked", str(tmp_path / "missing.log"))


@pytest.mark.parametrize("size", [1, 7, 100, 5000])
def test_candidates_are_whole_whatever_the_chunks(make_user, size):
    user = make_user("dave")
    values = [tokens.issue(user)[1], scoped.issue(user, {"GET": ["/api/"]}), links.get_token(user)]
    text = "start " + " noise ".join(values) + " end" + " filler" * 1000
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    assert list(scanner.candidates(chunks)) == values
    assert list(scanner.candidates(io.StringIO(text))) == values


def test_the_regexes_match_what_is_issued(make_user):
    user = make_user("erin")
    regexes = scanner.regexes()
    assert re.fullmatch(regexes["api_token"], tokens.issue(user)[1])
    assert re.fullmatch(regexes["scoped"], scoped.issue(user, {"GET": ["/api/"]}))
    assert re.fullmatch(regexes["link:agl1_"], links.get_token(user))


def test_escaped_and_encoded_credentials_are_found(make_user):
    """A JSON log's ``\\n`` and an encoded URL's ``%3D`` glue a letter or digit to the
    token: still found (the checks, not a word boundary, tell noise apart)."""
    user = make_user("frank")
    api, link = tokens.issue(user)[1], links.get_token(user)
    text = f'{{"msg": "auth failed\\n{api}"}} GET /next=%2Flogin%3Fsesame%3D{link}%26x=1'
    assert list(scanner.candidates(io.StringIO(text))) == [api, link]
    assert list(scanner.candidates(io.StringIO(api + "Z"))) == []  # runs on: no token
