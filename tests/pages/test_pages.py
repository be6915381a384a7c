"""The token pages with Django's test client: login, ownership, staff, CSRF, the one-time reveal."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from authgate.core import opaque
from authgate.models import APIToken
from authgate.schemes.session import SESSION_CREDENTIAL_KEY
from authgate.schemes.tokens import usage as token_usage
from authgate.schemes.tokens.service import issue
from authgate.schemes.tokens.service import revoke as revoke_token
from tests.pages.conftest import bearer

pytestmark = pytest.mark.django_db

LIST = "/auth/tokens/"
NEW = "/auth/tokens/new/"
ALL = "/auth/tokens/all/"
TEMPORARY = "/auth/tokens/temporary/"
TOKEN_RE = re.compile(r"agt_[0-9A-Za-z]{42}")


def form_id(client: Client, url: str = NEW) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="form_id" value="([^"]+)"', page)[1]


def create(client: Client, **fields: Any) -> Any:
    data = {
        "form_id": form_id(client),
        "name": "laptop",
        "access": "scopes",
        "scopes": ["notes:read"],
        "expires_in": "30d",
        "allowed_ips": "",
        **fields,
    }
    return client.post(NEW, data)


# --- login ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [LIST, NEW, ALL, TEMPORARY, "/auth/tokens/1/revoke/", "/auth/tokens/1/rotate/"]
)
def test_anonymous_is_sent_to_the_login_page(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_a_token_is_no_way_into_the_pages(client: Client, user: Any) -> None:
    _token, plaintext = issue(user, name="api")
    response = client.get(LIST, **bearer(plaintext))
    assert response.status_code == 302  # the pages run on the session only


def test_demo_login_page_logs_in_with_a_password(client: Client, user: Any) -> None:
    page = client.get("/accounts/login/?next=/auth/tokens/")
    assert page.status_code == 200
    assert b"/auth/links/request/?next=/auth/tokens/" in page.content
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse", "next": "/auth/tokens/"},
    )
    assert response.status_code == 302 and response["Location"] == "/auth/tokens/"
    assert client.get(LIST).status_code == 200


# --- list ----------------------------------------------------------------------------------


def test_empty_state(alice_client: Client) -> None:
    response = alice_client.get(LIST)
    assert response.status_code == 200
    assert b"You have no API tokens yet" in response.content
    assert b'href="/auth/tokens/new/"' in response.content
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"


def test_list_shows_own_tokens_only(alice_client: Client, user: Any, bob: Any) -> None:
    mine, _ = issue(user, name="mine", scopes=["notes:read"])
    theirs, _ = issue(bob, name="theirs")
    page = alice_client.get(LIST).content.decode()
    assert "mine" in page and mine.display_prefix in page and "notes:read" in page
    assert "theirs" not in page and theirs.display_prefix not in page
    assert "Never" in page  # never used


def test_list_query_count_does_not_grow(
    alice_client: Client, user: Any, django_assert_max_num_queries: Any
) -> None:
    for index in range(3):
        issue(user, name=f"t{index}")
    with django_assert_max_num_queries(5) as few:
        alice_client.get(LIST)
    for index in range(20):
        issue(user, name=f"u{index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice_client.get(LIST)


def test_last_used_shows_time_and_ip(alice_client: Client, user: Any) -> None:
    _token, plaintext = issue(user, name="ci")
    Client().get("/api/whoami/", **bearer(plaintext))
    assert "Never" in alice_client.get(LIST).content.decode()  # until the usage flush
    token_usage.flush()
    page = alice_client.get(LIST).content.decode()
    assert "ago" in page and "from 127.0.0.1" in page


# --- create and the one-time reveal -----------------------------------------------------------


def test_create_form_offers_registered_scopes_and_allowed_lifetimes(
    alice_client: Client, settings: Any
) -> None:
    settings.AUTHGATE = {**settings.AUTHGATE, "TOKEN_MAX_LIFETIME": timedelta(days=30)}
    page = alice_client.get(NEW).content.decode()
    assert "notes:read — Read your notes" in page
    assert "tokens:manage — Manage your API tokens" in page
    assert 'value="30d"' in page and 'value="7d"' in page
    assert 'value="90d"' not in page  # above TOKEN_MAX_LIFETIME
    assert 'value="never"' not in page  # ALLOW_NON_EXPIRING_TOKENS is off


def test_create_reveals_the_token_once(alice_client: Client, user: Any) -> None:
    response = create(alice_client)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    page = response.content.decode()
    [plaintext] = set(TOKEN_RE.findall(page))
    assert "will not be shown again" in page
    assert 'data-copy="secret-value"' in page  # the copy button (shown by copy.js)
    token = APIToken.objects.get()
    assert token.digest == opaque.digest(plaintext)
    assert (token.name, token.scopes, token.created_by_id) == ("laptop", ["notes:read"], user.pk)
    assert timedelta(days=29) < token.expires - token.created <= timedelta(days=30)
    # It works, with its scopes.
    whoami = Client().get("/api/whoami/", **bearer(plaintext))
    assert whoami.status_code == 200 and whoami.json()["scopes"] == ["notes:read"]
    # Never again: not in the list, not stored.
    assert plaintext not in alice_client.get(LIST).content.decode()


def test_resubmitting_the_form_creates_nothing(alice_client: Client) -> None:
    data = {
        "form_id": form_id(alice_client),
        "name": "once",
        "access": "full",
        "expires_in": "7d",
    }
    first = alice_client.post(NEW, data)
    assert first.status_code == 200 and TOKEN_RE.search(first.content.decode())
    again = alice_client.post(NEW, data, follow=True)
    assert not TOKEN_RE.search(again.content.decode())
    assert "already sent" in again.content.decode()
    assert APIToken.objects.count() == 1


def test_full_access_token(alice_client: Client) -> None:
    create(alice_client, access="full", scopes=[])
    assert APIToken.objects.get().scopes is None


def test_allowed_ips_are_normalised(alice_client: Client) -> None:
    create(alice_client, allowed_ips="10.0.0.0/8, 203.0.113.7")
    assert APIToken.objects.get().allowed_ips == ["10.0.0.0/8", "203.0.113.7/32"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"scopes": []}, "Choose at least one scope"),
        ({"scopes": ["admin:everything"]}, "is not one of the available choices"),
        ({"expires_in": "400d"}, "is not one of the available choices"),
        ({"allowed_ips": "not-an-ip"}, "is not an IP address or network"),
    ],
)
def test_validation_messages(alice_client: Client, fields: dict, message: str) -> None:
    response = create(alice_client, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode() or "errorlist" in response.content.decode()
    assert not APIToken.objects.exists()


def test_token_limit_is_a_form_error(alice_client: Client, user: Any, settings: Any) -> None:
    settings.AUTHGATE = {**settings.AUTHGATE, "MAX_TOKENS_PER_USER": 1}
    issue(user, name="first")
    response = create(alice_client)
    assert response.status_code == 400
    assert "MAX_TOKENS_PER_USER" in response.content.decode()


# --- revoke --------------------------------------------------------------------------------


def test_revoke_asks_then_revokes(alice_client: Client, user: Any) -> None:
    token, plaintext = issue(user, name="old laptop")
    url = f"/auth/tokens/{token.pk}/revoke/"
    confirm = alice_client.get(url)
    assert confirm.status_code == 200
    assert "Revoke “old laptop”?" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # a GET changes nothing
    response = alice_client.post(url, {"reason": "lost it"}, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "It no longer works" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_reason == "lost it"
    refused = Client().get("/api/whoami/", **bearer(plaintext))
    assert refused.status_code == 401 and refused.json()["error"] == "revoked_token"


def test_revoke_with_the_token_cache_down_says_so(
    alice_client: Client, user: Any, settings: Any
) -> None:
    pytest.importorskip("redis")
    from tests.reliability.test_fail_closed import CLOSED_REDIS

    settings.AUTHGATE = {**settings.AUTHGATE, "TOKEN_CACHE_TIMEOUT": 60}
    token, _ = issue(user, name="old laptop")
    with override_settings(CACHES=CLOSED_REDIS):
        response = alice_client.post(f"/auth/tokens/{token.pk}/revoke/", {"reason": "x"})
    assert response.status_code == 302  # not a 500: the revocation is made
    token.refresh_from_db()
    assert token.revoked_reason == "x"
    page = alice_client.get(response["Location"]).content.decode()
    assert "could not be updated" in page and "up to 60 seconds" in page
    assert f"manage.py authgate revoke {token.display_prefix}" in page


def test_other_users_tokens_are_404(alice_client: Client, bob: Any) -> None:
    token, _ = issue(bob, name="bob's")
    for url in (f"/auth/tokens/{token.pk}/revoke/", f"/auth/tokens/{token.pk}/rotate/"):
        assert alice_client.get(url).status_code == 404
        assert alice_client.post(url, {"reason": "x", "overlap": "0s"}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_staff_see_and_revoke_any_token(client: Client, staff: Any, bob: Any) -> None:
    token, _ = issue(bob, name="bobs-token")
    client.force_login(staff)
    page = client.get(ALL).content.decode()
    assert "bobs-token" in page and token.display_prefix in page
    assert "bobs-token" in client.get(f"{ALL}?user=bo").content.decode()
    assert "bobs-token" not in client.get(f"{ALL}?user=nobody").content.decode()
    response = client.post(f"/auth/tokens/{token.pk}/revoke/", {"reason": "policy"})
    assert response["Location"] == ALL
    token.refresh_from_db()
    assert token.is_revoked()
    # Rotating would show them bob's new secret: not even staff.
    assert client.get(f"/auth/tokens/{token.pk}/rotate/").status_code == 404


def test_non_staff_cannot_list_everyone(alice_client: Client) -> None:
    assert alice_client.get(ALL).status_code == 403
    assert b"All users" not in alice_client.get(LIST).content


# --- CSRF ----------------------------------------------------------------------------------


def test_every_form_needs_csrf(user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token, _ = issue(user, name="t")
    for url, data in [
        (NEW, {"name": "x", "access": "full", "expires_in": "7d"}),
        (f"/auth/tokens/{token.pk}/revoke/", {}),
        (f"/auth/tokens/{token.pk}/rotate/", {"overlap": "0s"}),
        (TEMPORARY, {"kind": "link", "link-next": "/"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert APIToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


# --- rotate --------------------------------------------------------------------------------


def test_rotate_with_an_overlap(alice_client: Client, user: Any) -> None:
    old, old_plaintext = issue(user, name="ci", scopes=["notes:read"])
    url = f"/auth/tokens/{old.pk}/rotate/"
    response = alice_client.post(url, {"form_id": form_id(alice_client, url), "overlap": "1h"})
    assert response.status_code == 200
    [plaintext] = set(TOKEN_RE.findall(response.content.decode()))
    assert plaintext != old_plaintext
    assert "keeps working until" in response.content.decode()
    new = APIToken.objects.get(rotated_from=old)
    assert (new.name, new.scopes) == ("ci", ["notes:read"])
    old.refresh_from_db()
    assert old.status() == "rotating"
    for each in (old_plaintext, plaintext):
        assert Client().get("/api/whoami/", **bearer(each)).status_code == 200


def test_rotate_now_revokes_the_old_token(alice_client: Client, user: Any) -> None:
    old, old_plaintext = issue(user, name="ci")
    url = f"/auth/tokens/{old.pk}/rotate/"
    alice_client.post(url, {"form_id": form_id(alice_client, url), "overlap": "0s"})
    assert Client().get("/api/whoami/", **bearer(old_plaintext)).status_code == 401


def test_rotate_now_says_the_old_token_no_longer_works(alice_client: Client, user: Any) -> None:
    # The reveal page read the old token's page_status, which only the GET form had set.
    old, _ = issue(user, name="ci")
    url = f"/auth/tokens/{old.pk}/rotate/"
    response = alice_client.post(url, {"form_id": form_id(alice_client, url), "overlap": "0s"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "The old token no longer works." in page
    assert "keeps working until" not in page


# --- a session started by a limited token ------------------------------------------------------


def _token_session(client: Client, user: Any, **kwargs: Any) -> APIToken:
    token, _ = issue(user, name="started the session", **kwargs)
    client.force_login(user)
    session = client.session
    session[SESSION_CREDENTIAL_KEY] = {"kind": "api_token", "id": token.pk}
    session.save()
    return token


def test_token_session_without_tokens_manage_is_refused(client: Client, user: Any) -> None:
    _token_session(client, user, scopes=["notes:read"])
    assert client.get(LIST).status_code == 403


def test_token_session_cannot_escalate(client: Client, user: Any) -> None:
    _token_session(client, user, scopes=["notes:read", "tokens:manage"])
    assert client.get(LIST).status_code == 200
    response = create(client, access="full", scopes=[])
    assert response.status_code == 400
    assert APIToken.objects.count() == 1
    response = create(client, scopes=["notes:write"])
    assert "does not carry the scope(s) notes:write" in response.content.decode()
    assert create(client, scopes=["notes:read"]).status_code == 200
    # A magic link would log in with full rights: not offered, not minted.
    page = client.get(TEMPORARY).content.decode()
    assert "magic login link" not in page
    assert "A scoped temporary token" in page


def test_a_revoked_session_token_means_logging_in_again(client: Client, user: Any) -> None:
    token = _token_session(client, user, scopes=["tokens:manage"])
    revoke_token(token)
    assert client.get(LIST).status_code == 302


# --- temporary credentials ---------------------------------------------------------------------


def test_mint_a_scoped_token(alice_client: Client) -> None:
    page = alice_client.get(TEMPORARY)
    assert b"A scoped temporary token" in page.content and b"A magic login link" in page.content
    response = alice_client.post(
        TEMPORARY,
        {
            "kind": "scoped",
            "scoped-methods": ["GET"],
            "scoped-paths": "/api/notes/",
            "scoped-max_age": "300",
            "scoped-recipient": "a script",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = re.search(r'id="secret-value"[^>]*value="([^"]+)"', response.content.decode())[1]
    assert token.startswith("ags1_")
    headers = {"HTTP_AUTHORIZATION": f"TmpToken {token}"}
    assert Client().get("/api/notes/", **headers).status_code == 200
    assert Client().get("/api/whoami/", **headers).status_code == 403


def test_scoped_form_errors(alice_client: Client) -> None:
    response = alice_client.post(
        TEMPORARY,
        {
            "kind": "scoped",
            "scoped-methods": ["GET"],
            "scoped-paths": "api/notes/",
            "scoped-max_age": "300",
        },
    )
    assert response.status_code == 400
    assert "must be absolute" in response.content.decode()


def test_mint_a_magic_link(alice_client: Client) -> None:
    response = alice_client.post(TEMPORARY, {"kind": "link", "link-next": "/api/whoami/"})
    assert response.status_code == 200
    url = re.search(r'id="secret-value"[^>]*value="([^"]+)"', response.content.decode())[1]
    url = url.replace("&amp;", "&")
    assert url.startswith("http://testserver/auth/links/login/?sesame=")
    other = Client()
    landing = other.get(url.removeprefix("http://testserver"))
    assert landing.status_code == 302 and landing["Location"] == "/api/whoami/"
    assert other.get("/api/whoami/").json()["user"] == "alice"


def test_link_next_must_be_local(alice_client: Client) -> None:
    response = alice_client.post(TEMPORARY, {"kind": "link", "link-next": "//evil.example/"})
    assert response.status_code == 400


def test_temporary_needs_the_backends(alice_client: Client, settings: Any) -> None:
    settings.AUTHGATE = {
        **settings.AUTHGATE,
        "BACKENDS": [
            "authgate.schemes.session.SessionBackend",
            "authgate.schemes.tokens.backend.TokenBackend",
        ],
    }
    assert alice_client.get(TEMPORARY).status_code == 403
    assert b"Temporary access" not in alice_client.get(LIST).content


# --- markup ----------------------------------------------------------------------------------


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.labels: set[str] = set()
        self.html_lang = None
        self.viewport = False
        self.h1 = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = dict(attrs)
        if tag == "html":
            self.html_lang = attr.get("lang")
        if tag == "meta" and attr.get("name") == "viewport":
            self.viewport = True
        if tag == "h1":
            self.h1 += 1
        if tag == "label" and attr.get("for"):
            self.labels.add(attr["for"])
        if tag in {"input", "textarea", "select"} and attr.get("type") not in {"hidden", "search"}:
            self.ids.append(attr.get("id") or "")


@pytest.mark.parametrize("url", [LIST, NEW, TEMPORARY, "rotate", "revoke"])
def test_pages_are_labelled(alice_client: Client, user: Any, url: str) -> None:
    if url in {"rotate", "revoke"}:
        token, _ = issue(user, name="t")
        url = reverse(f"authgate:tokens-{url}", args=[token.pk])
    parser = _Inputs()
    parser.feed(alice_client.get(url).content.decode())
    assert parser.html_lang == "en-us" and parser.viewport and parser.h1 == 1
    unlabelled = [field for field in parser.ids if field not in parser.labels]
    assert not unlabelled


def test_reveal_shows_a_curl_line_for_the_configured_url(
    alice_client: Client, settings: Any
) -> None:
    page = create(alice_client).content.decode()
    assert "Authorization: Bearer $TOKEN</pre>" in page
    settings.AUTHGATE = {**settings.AUTHGATE, "TOKEN_PAGES_EXAMPLE_URL": "/api/whoami/"}
    page = create(alice_client).content.decode()
    assert 'curl -H "Authorization: Bearer $TOKEN" http://testserver/api/whoami/' in page
