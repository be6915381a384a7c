"""Where a leaked token shows: the token page (its reason and where it was found) and the
admin's "revoked from a leak" filter. Also the LEAKS_* system checks."""

from __future__ import annotations

import io

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client, override_settings

from authgate.leaks import reasons
from authgate.leaks.checks import check_leak_settings
from authgate.schemes.tokens import service as tokens

pytestmark = pytest.mark.django_db

URL = "https://github.com/octo/repo/blob/abc/.env"


@pytest.fixture
def revoked(make_user):
    """alice's tokens: one reported by GitHub, one found by revoke-leaked, one revoked by
    value, one revoked by hand, one live."""
    alice = make_user("alice", "pw", email="alice@example.com")
    rows = {}
    for name, reason in [
        ("github", reasons.reason(reasons.GITHUB, URL)),
        ("scan", reasons.reason(reasons.SCAN, "/var/log/app.log")),
        ("rfc7009", reasons.RFC7009),
        ("hand", "no longer needed"),
        ("live", None),
    ]:
        row, _plaintext = tokens.issue(alice, name=name)
        if reason is not None:
            tokens.revoke(row, reason)
        rows[name] = row
    return alice, rows


def test_the_token_page_shows_where_a_leaked_token_was_found(client, revoked):
    alice, _rows = revoked
    client.force_login(alice)
    page = client.get("/auth/tokens/").content.decode()
    assert f'<a href="{URL}" rel="noopener noreferrer nofollow">{URL}</a>' in page
    assert "Found exposed at" in page
    assert "/var/log/app.log" in page  # not a URL: shown as text
    assert "no longer needed" in page  # other reasons as before


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("any", {"github", "scan"}),
        ("github", {"github"}),
        ("scan", {"scan"}),
        ("rfc7009", {"rfc7009"}),
    ],
)
def test_the_admin_filters_tokens_revoked_from_a_leak(make_user, revoked, value, names):
    staff = make_user("root", "pw", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    response = client.get("/admin/authgate/apitoken/", {"leak": value})
    assert response.status_code == 200
    shown = {row.name for row in response.context["cl"].result_list}
    assert shown == names
    assert "revoked from a leak" in response.content.decode()


def test_the_reasons_read_back():
    assert reasons.found_at(reasons.reason(reasons.GITHUB, URL)) == URL
    assert reasons.found_at(reasons.reason(reasons.SCAN, " two\nlines ")) == "two lines"
    assert reasons.found_at("Rotated; replaced by agt_x") is None
    assert reasons.reason(reasons.GITHUB, "") == "found in public: (unknown)"
    assert len(reasons.reason(reasons.GITHUB, "x" * 5000)) < 600


@pytest.mark.parametrize(
    ("key", "value", "check"),
    [
        ("LEAKS_SECRET_SCANNING", "yes", "authgate.E110"),
        ("LEAKS_GITHUB_KEYS_URL", "ftp://example.com/keys", "authgate.E111"),
        ("LEAKS_GITHUB_KEYS_CACHE_TTL", 0, "authgate.E112"),
        ("LEAKS_GITHUB_KEYS_REFRESH_INTERVAL", -1, "authgate.E112"),
        ("LEAKS_HTTP_TIMEOUT", "5", "authgate.E112"),
        ("LEAKS_REPORT_RATE", "lots", "authgate.E113"),
        ("LEAKS_REVOKE_RATE", "1/fortnight", "authgate.E113"),
        ("LEAKS_NOTIFY_OWNER", 1, "authgate.E114"),
    ],
)
def test_bad_settings_fail_their_checks(settings, key, value, check):
    settings.AUTHGATE = {**settings.AUTHGATE, key: value}
    found = [message for message in run_checks() if message.id == check]
    assert found, check
    assert key in found[0].msg and found[0].hint


def test_keys_over_plain_http_warn_when_the_endpoint_is_on(settings):
    settings.AUTHGATE = {
        **settings.AUTHGATE,
        "LEAKS_SECRET_SCANNING": True,
        "LEAKS_GITHUB_KEYS_URL": "http://keys.example/",
    }
    assert [m.id for m in check_leak_settings()] == ["authgate.W110"]
    with override_settings(AUTHGATE={**settings.AUTHGATE, "LEAKS_SECRET_SCANNING": False}):
        assert check_leak_settings() == []


def test_the_subcommand_is_registered_with_the_others():
    from authgate.management.commands.authgate import _discover

    subcommands = _discover()
    assert subcommands["revoke-leaked"].help.startswith("Revoke every live authgate credential")
    out = io.StringIO()
    call_command("authgate", "revoke-leaked", "--dry-run", "/dev/null", stdout=out)
    assert out.getvalue().strip() == (
        "found 0, live 0, revoked 0, unknown 0 (dry run: nothing changed)"
    )
