"""Magic links in the browser: LoginView, the middleware, the decorator, the request form."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client, override_settings

from authgate.models import TokenEvent, UsedToken
from authgate.schemes.links import service as links
from authgate.schemes.links.views import LoginView, RequestLinkView
from tests.schemes.links.helpers import Clock, install_clock, link_settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.schemes.links.support")]

LOGIN = "/auth/links/login/"
REQUEST = "/auth/links/request/"
LINK_MIDDLEWARE = "authgate.schemes.links.middleware.LinkLoginMiddleware"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def alice(make_user: Any) -> Any:
    return make_user("alice", "pw", email="alice@example.com")


def session_user(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def fresh(user: Any) -> Any:
    return get_user_model()._default_manager.get(pk=user.pk)


# --- LoginView ---------------------------------------------------------------------------


def test_login_view_logs_in_and_redirects(client: Client, alice: Any) -> None:
    token = links.get_token(alice)
    response = client.get(LOGIN, {"sesame": token})
    assert response.status_code == 302
    assert response["Location"] == django_settings.LOGIN_REDIRECT_URL
    assert token not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert session_user(client) == str(alice.pk)
    assert fresh(alice).last_login is not None
    # The session now authenticates the API.
    assert client.get("/api/whoami/").json()["scheme"] == "session"


def test_login_view_next(client: Client, alice: Any) -> None:
    response = client.get(LOGIN, {"sesame": links.get_token(alice), "next": "/api/whoami/?a=1"})
    assert response["Location"] == "/api/whoami/?a=1"


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "http:/\\evil"]
)
def test_login_view_refuses_unsafe_next(client: Client, alice: Any, unsafe: str) -> None:
    response = client.get(LOGIN, {"sesame": links.get_token(alice), "next": unsafe})
    assert response.status_code == 302
    assert response["Location"] == django_settings.LOGIN_REDIRECT_URL


def test_login_view_next_page_setting(client: Client, alice: Any, settings: Any) -> None:
    settings.LOGIN_REDIRECT_URL = "/api/whoami/"
    response = client.get(LOGIN, {"sesame": links.get_token(alice)})
    assert response["Location"] == "/api/whoami/"


def test_login_view_failures_are_403(client: Client, alice: Any) -> None:
    scoped = links.get_token(alice, scope="x")
    for data in ({}, {"sesame": "garbage"}, {"sesame": scoped}):
        response = client.get(LOGIN, data)
        assert response.status_code == 403
        assert response["Referrer-Policy"] == "no-referrer"
    assert session_user(client) is None


def test_login_view_one_time(client: Client, alice: Any) -> None:
    with link_settings(ONE_TIME=True):
        token = links.get_token(alice)
        assert client.get(LOGIN, {"sesame": token}).status_code == 302
        assert Client().get(LOGIN, {"sesame": token}).status_code == 403


def test_login_view_post_is_not_allowed(client: Client, alice: Any) -> None:
    assert client.post(LOGIN + "?sesame=" + links.get_token(alice)).status_code == 405


def test_login_view_attributes(rf: Any, alice: Any, clock: Clock) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    def call(view: Any, token: str) -> Any:
        request = rf.get(LOGIN, {"sesame": token})
        request.session = SessionStore()
        request.user = None
        return view(request)

    scoped = LoginView.as_view(scope="invite", next_page=None)
    response = call(scoped, links.get_token(alice, scope="invite"))
    assert response.status_code == 204
    assert call(scoped, links.get_token(alice)).status_code == 403
    with link_settings(MAX_AGE=3600):
        token = links.get_token(alice)
        clock.advance(120)
        assert call(LoginView.as_view(max_age=60, next_page="/x/"), token).status_code == 403
        response = call(LoginView.as_view(max_age=600, next_page="/x/"), token)
        assert response["Location"] == "/x/"


# --- the middleware ----------------------------------------------------------------------


def with_link_middleware() -> override_settings:
    middleware = list(django_settings.MIDDLEWARE)
    index = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    middleware.insert(index + 1, LINK_MIDDLEWARE)
    return override_settings(MIDDLEWARE=middleware)


def test_middleware_logs_in_and_strips_the_token(client: Client, alice: Any) -> None:
    token = links.get_token(alice)
    with with_link_middleware():
        response = client.get("/t/links/page/", {"x": "1", "sesame": token, "y": ["2", "3"]})
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == "/t/links/page/"
        assert parse_qs(location.query) == {"x": ["1"], "y": ["2", "3"]}
        assert token not in response["Location"]
        assert response["Referrer-Policy"] == "no-referrer"
        followed = client.get(response["Location"])
    assert followed.json()["user"] == "alice"
    assert session_user(client) == str(alice.pk)


def test_middleware_ignores_a_bad_link(client: Client, alice: Any) -> None:
    with with_link_middleware():
        response = client.get("/t/links/page/", {"sesame": "garbage"})
        assert response.status_code == 200  # not a 401: "not authenticated by the link"
        assert response.json()["user"] is None
        assert response["Referrer-Policy"] == "no-referrer"
        # An API view then answers as for any anonymous request.
        response = client.get("/api/whoami/", {"sesame": "garbage"})
        assert response.json()["error"] == "not_authenticated"


def test_middleware_does_not_redirect_a_post(client: Client, alice: Any) -> None:
    with link_settings(ONE_TIME=True), with_link_middleware():
        token = links.get_token(alice)
        response = client.post(f"/t/links/page/?sesame={token}")
        assert response.status_code == 200
        # Logged in, and the chain did not try (and fail) to use the one-time link again.
        assert response.json() == {"user": "alice", "scheme": "session", "query": f"sesame={token}"}
        assert UsedToken.objects.count() == 1


def test_middleware_does_nothing_without_a_link(client: Client) -> None:
    with with_link_middleware():
        response = client.get("/t/links/page/")
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"  # Django's default


# --- the decorator -----------------------------------------------------------------------


def test_decorator_authenticates_the_view(client: Client, alice: Any) -> None:
    response = client.get("/t/links/bare/", {"sesame": links.get_token(alice)})
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "scheme": "link"}
    assert response["Referrer-Policy"] == "no-referrer"
    assert session_user(client) is None  # not permanent
    assert client.get("/t/links/bare/").status_code == 403
    refused = client.get("/t/links/bare/", {"sesame": "garbage"})
    assert refused.status_code == 403
    assert refused["Referrer-Policy"] == "no-referrer"


def test_decorator_scope_is_formatted_from_the_view_arguments(client: Client, alice: Any) -> None:
    token = links.get_token(alice, scope="doc:1")
    assert client.get("/t/links/doc/1/", {"sesame": token}).json()["pk"] == 1
    assert client.get("/t/links/doc/2/", {"sesame": token}).status_code == 403
    assert client.get("/t/links/bare/", {"sesame": token}).status_code == 403
    positional = links.get_token(alice, scope="report:pdf")
    assert client.get("/t/links/pos/report/pdf/", {"sesame": positional}).status_code == 200
    assert client.get("/t/links/pos/report/csv/", {"sesame": positional}).status_code == 403


def test_decorator_not_required(client: Client, alice: Any) -> None:
    assert client.get("/t/links/optional/").json()["user"] is None
    assert client.get("/t/links/optional/", {"sesame": "garbage"}).json()["user"] is None
    ok = client.get("/t/links/optional/", {"sesame": links.get_token(alice)})
    assert ok.json()["user"] == "alice"


def test_decorator_permanent(client: Client, alice: Any) -> None:
    with link_settings(ONE_TIME=True):
        response = client.get("/t/links/permanent/", {"sesame": links.get_token(alice)})
    assert response.json()["user"] == "alice"
    assert session_user(client) == str(alice.pk)
    assert client.get("/api/whoami/").json()["user"] == "alice"


def test_decorator_override(client: Client, alice: Any, make_user: Any) -> None:
    bob = make_user("bob")
    client.force_login(bob)
    with link_settings(ONE_TIME=True):
        token = links.get_token(alice)
        # override=False: bob stays, and the one-time link is not used up.
        assert client.get("/t/links/no-override/", {"sesame": token}).json()["user"] == "bob"
        assert not UsedToken.objects.exists()
        # override=True (default): the link's user replaces bob for this view.
        assert client.get("/t/links/bare/", {"sesame": token}).json()["user"] == "alice"
    assert session_user(client) == str(bob.pk)


def test_decorator_max_age_and_last_login(client: Client, alice: Any, clock: Clock) -> None:
    with link_settings(MAX_AGE=3600, ONE_TIME=True):
        token = links.get_token(alice)
        clock.advance(31)
        assert client.get("/t/links/short/", {"sesame": token}).status_code == 403
        fresh_token = links.get_token(alice)
        assert client.get("/t/links/short/", {"sesame": fresh_token}).status_code == 200
    # A one-time link opened without logging in permanently still counts as a login (sesame).
    assert fresh(alice).last_login is not None


# --- request a link ------------------------------------------------------------------------


def post_email(client: Client, email: str, ip: str = "10.0.0.1", **data: str) -> Any:
    return client.post(REQUEST, {"email": email, **data}, REMOTE_ADDR=ip)


def test_request_form(client: Client) -> None:
    response = client.get(REQUEST)
    assert response.status_code == 200
    assert b'name="email"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_request_a_link_known_and_unknown_look_the_same(client: Client, alice: Any) -> None:
    known = post_email(client, "ALICE@example.com")
    unknown = post_email(client, "nobody@example.com")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert known.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    link = re.search(r"http://testserver\S+", message.body).group(0)  # type: ignore[union-attr]
    assert urlsplit(link).path == LOGIN
    # The e-mailed link logs alice in.
    browser = Client()
    response = browser.get(link)
    assert response.status_code == 302
    assert session_user(browser) == str(alice.pk)
    event = TokenEvent.objects.get(credential_kind="link")
    assert (event.kind, event.user_id) == ("issued", alice.pk)


def test_request_a_link_answers_before_making_or_sending_it(rf: Any, alice: Any) -> None:
    """Work done only for existing accounts happens after the page is out: it cannot be
    timed. Servers (and the test client) call close() once the last byte is sent."""
    request = rf.post(REQUEST, {"email": "alice@example.com"}, REMOTE_ADDR="10.0.0.1")
    request._dont_enforce_csrf_checks = True
    response = RequestLinkView.as_view()(request)
    assert response.status_code == 200
    assert mail.outbox == []
    assert not TokenEvent.objects.filter(credential_kind="link").exists()
    close_as_a_server_does(response)
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert TokenEvent.objects.filter(credential_kind="link", kind="issued").count() == 1
    close_as_a_server_does(response)  # a second close sends nothing more
    assert len(mail.outbox) == 1


def close_as_a_server_does(response: Any) -> None:
    """``response.close()``, keeping the test's connection (as Django's test client does:
    ``request_finished`` would close it inside the test's transaction)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


class BrokenMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


def test_request_a_link_with_the_mail_server_down_looks_like_no_account(
    client: Client, alice: Any, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailBackend"
    known = post_email(client, "alice@example.com")
    unknown = post_email(client, "nobody@example.com")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert known.status_code == 200
    failures = [r for r in caplog.records if r.getMessage() == "Could not e-mail a login link"]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert "sesame=" not in caplog.text  # the link itself is never logged
    assert mail.outbox == []


def test_request_a_link_keeps_a_safe_next(client: Client, alice: Any) -> None:
    post_email(client, "alice@example.com", next="/api/whoami/")
    post_email(client, "alice@example.com", next="https://evil.example/")
    first, second = (
        parse_qs(urlsplit(re.search(r"http://\S+", m.body).group(0)).query)  # type: ignore[union-attr]
        for m in mail.outbox
    )
    assert first["next"] == ["/api/whoami/"]
    assert "next" not in second


def test_request_a_link_for_an_inactive_user_sends_nothing(client: Client, make_user: Any) -> None:
    make_user("carol", email="carol@example.com", is_active=False)
    assert post_email(client, "carol@example.com").status_code == 200
    assert mail.outbox == []


def test_request_a_link_invalid_address(client: Client) -> None:
    response = post_email(client, "not an address")
    assert response.status_code == 400
    assert mail.outbox == []


def test_request_a_link_is_limited_per_address(client: Client, alice: Any) -> None:
    with link_settings(REQUEST_RATE="3/h"):
        statuses = [
            post_email(client, "alice@example.com", ip=f"10.0.0.{i}").status_code for i in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        limited = post_email(client, "Alice@Example.com", ip="10.9.9.9")
        assert limited.status_code == 429
        assert int(limited["Retry-After"]) > 0
        # Another address from a fresh IP is unaffected.
        assert post_email(client, "bob@example.com", ip="10.9.9.8").status_code == 200
    assert len(mail.outbox) == 3


def test_request_a_link_is_limited_per_ip(client: Client, alice: Any) -> None:
    with link_settings(REQUEST_RATE="3/h"):
        statuses = [
            post_email(client, f"u{i}@example.com", ip="10.1.1.1").status_code for i in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        assert post_email(client, "alice@example.com", ip="10.1.1.1").status_code == 429
        assert post_email(client, "alice@example.com", ip="10.1.1.2").status_code == 200
    assert len(mail.outbox) == 1
