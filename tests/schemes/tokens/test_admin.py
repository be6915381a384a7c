"""The admin: list, add (plaintext shown once, nowhere else), revoke and rotate actions."""

import re

import pytest
from django.test import Client

from authgate.core import opaque
from authgate.models import APIToken
from authgate.schemes.tokens.service import issue

pytestmark = pytest.mark.django_db

SCANNER_RE = re.compile(opaque.scanner_regex("agt"))
CHANGELIST = "/admin/authgate/apitoken/"


@pytest.fixture
def admin_client(make_user):
    staff = make_user("root", "pw", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def test_changelist_shows_prefix_user_scopes_status_and_no_secret(admin_client, user):
    row, plaintext = issue(user, name="laptop", scopes=["notes:read"])
    response = admin_client.get(CHANGELIST)
    page = response.content.decode()
    assert response.status_code == 200
    for text in (row.display_prefix, "laptop", "notes:read", "active", "alice"):
        assert text in page
    assert plaintext not in page and row.digest not in page


def test_change_page_shows_no_digest(admin_client, user):
    row, plaintext = issue(user)
    response = admin_client.get(f"{CHANGELIST}{row.pk}/change/")
    page = response.content.decode()
    assert response.status_code == 200
    assert row.display_prefix in page
    assert row.digest not in page and plaintext not in page


def test_add_shows_the_plaintext_once_and_never_in_a_url(admin_client, user):
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {
            "user": str(user.pk),
            "name": "from the admin",
            "scopes": ["notes:read"],
            "expires_in": "7d",
            "allowed_ips": "10.0.0.0/8",
        },
    )
    assert response.status_code == 200  # rendered, not a redirect carrying anything
    assert "no-store" in response["Cache-Control"]
    found = SCANNER_RE.findall(response.content.decode())
    assert len(found) == 1
    row = APIToken.objects.get()
    assert row.digest == opaque.digest(found[0])
    assert row.scopes == ["notes:read"] and row.allowed_ips == ["10.0.0.0/8"]
    assert row.created_by.get_username() == "root"
    # Never again: not on the list, not on the change page, not in the session.
    for url in (CHANGELIST, f"{CHANGELIST}{row.pk}/change/"):
        assert found[0] not in admin_client.get(url).content.decode()
    assert found[0] not in str(dict(admin_client.session))


def test_add_validates(admin_client, user):
    response = admin_client.post(
        f"{CHANGELIST}add/", {"user": str(user.pk), "expires_in": "400d", "allowed_ips": "x"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "at most 366 days" in page and "is not an IP address" in page
    assert not APIToken.objects.exists()


def test_change_edits_only_name_and_note(admin_client, user):
    row, _ = issue(user, scopes=["notes:read"])
    response = admin_client.post(
        f"{CHANGELIST}{row.pk}/change/", {"name": "renamed", "note": "n", "scopes": "[]"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.name == "renamed" and row.scopes == ["notes:read"]


def test_revoke_action(admin_client, user):
    row, _plaintext = issue(user)
    response = admin_client.post(
        CHANGELIST, {"action": "revoke_tokens", "_selected_action": [str(row.pk)]}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.is_revoked() and "root" in row.revoked_reason


def test_rotate_action_shows_the_new_plaintext(admin_client, user):
    row, plaintext = issue(user)
    response = admin_client.post(
        CHANGELIST, {"action": "rotate_tokens", "_selected_action": [str(row.pk)]}
    )
    assert response.status_code == 200
    found = SCANNER_RE.findall(response.content.decode())
    assert len(found) == 1 and found[0] != plaintext
    assert APIToken.objects.get(digest=opaque.digest(found[0])).rotated_from_id == row.pk
