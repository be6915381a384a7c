"""LinkBackend: a link authenticates one API request in the chain (scheme ``link``)."""

from __future__ import annotations

import io
import logging
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.test import Client

from authgate.log import RedactSecretsFilter
from authgate.models import UsedToken
from authgate.schemes.links import service as links
from authgate.schemes.links.settings import link_settings as current_link_settings
from tests.schemes.links.helpers import Clock, install_clock, link_settings

pytestmark = pytest.mark.django_db

WHOAMI = "/api/whoami/"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def alice(make_user: Any) -> Any:
    return make_user("alice", "pw", email="alice@example.com")


def get(client: Client, token: str | None, path: str = WHOAMI, **extra: Any) -> Any:
    data = {"sesame": token} if token is not None else {}
    return client.get(path, data, **extra)


def test_a_link_authenticates_one_api_request(client: Client, alice: Any) -> None:
    response = get(client, links.get_token(alice))
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "scheme": "link", "scopes": None}
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    # No session is started: the next request without the link is anonymous.
    assert "sessionid" not in response.cookies
    assert client.get(WHOAMI).status_code == 401


def test_the_link_works_through_drf_too(client: Client, alice: Any) -> None:
    response = get(client, links.get_token(alice), "/api/drf/whoami/")
    assert response.status_code == 200
    assert response.json()["scheme"] == "link"


def test_the_identity_carries_a_non_secret_credential(rf: Any, alice: Any) -> None:
    from authgate.schemes.links.backend import LinkBackend

    token = links.get_token(alice)
    request = rf.get(WHOAMI, {"sesame": token})
    backend = LinkBackend()
    identity = backend.authenticate(request, backend.get_credentials(request))
    assert identity.user == alice
    assert identity.scheme == "link"
    assert identity.credential.id == current_link_settings().formats[0].token_id(token)[:12]
    assert token not in repr(identity)
    assert backend.challenge(request) is None


def refusal(response: Any) -> tuple[int, str, bytes]:
    return response.status_code, response.json()["error"], response.content


def test_every_bad_link_gets_the_same_answer(client: Client, alice: Any, make_user: Any) -> None:
    bob = make_user("bob")
    unknown = links.get_token(bob)
    bob.delete()
    scoped = links.get_token(alice, scope="reports")
    revoked = links.get_token(alice)
    alice.set_password("changed")
    alice.save()
    answers = {
        refusal(get(client, token))
        for token in (unknown, scoped, revoked, "agl1_AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "garbage")
    }
    assert len(answers) == 1
    status, code, _body = answers.pop()
    assert (status, code) == (401, "invalid_token")
    refused = get(client, "garbage")
    assert refused["Referrer-Policy"] == "no-referrer"
    assert client.get(WHOAMI)["Referrer-Policy"] == "same-origin"  # Django's default


def test_a_used_one_time_link_gets_the_same_answer(client: Client, alice: Any) -> None:
    with link_settings(ONE_TIME=True):
        token = links.get_token(alice)
        assert get(client, token).status_code == 200
        used = refusal(get(client, token))
        forged = refusal(get(client, token[:-2] + ("AA" if token[-2:] != "AA" else "BA")))
    assert used == forged
    assert used[:2] == (401, "invalid_token")


def test_an_expired_link(client: Client, alice: Any, clock: Clock) -> None:
    with link_settings(MAX_AGE=60):
        token = links.get_token(alice)
        clock.advance(61)
        response = get(client, token)
    assert response.status_code == 401
    assert response.json()["error"] == "expired_token"
    # The chain's other schemes are offered; a link has no challenge of its own.
    assert "Basic" in response["WWW-Authenticate"]
    assert "link" not in response["WWW-Authenticate"].lower()


def test_a_scoped_link_is_not_an_api_credential(client: Client, alice: Any) -> None:
    response = get(client, links.get_token(alice, scope="note:1"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_the_parameter_given_twice(client: Client, alice: Any) -> None:
    token = links.get_token(alice)
    response = client.get(WHOAMI + f"?sesame={token}&sesame={token}")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_request"


def test_an_authorization_header_wins_over_a_link(
    client: Client, alice: Any, make_user: Any
) -> None:
    make_user("bob", "bob-pw")
    import base64

    basic = "Basic " + base64.b64encode(b"bob:bob-pw").decode()
    response = get(client, links.get_token(alice), HTTP_AUTHORIZATION=basic)
    assert response.status_code == 200
    assert response.json()["user"] == "bob"


def test_a_session_wins_over_a_link(client: Client, alice: Any, make_user: Any) -> None:
    bob = make_user("bob")
    client.force_login(bob)
    with link_settings(ONE_TIME=True):
        token = links.get_token(alice)
        response = get(client, token)
        assert response.json()["user"] == "bob"
        # The link was not looked at, so it is still unused.
        assert not UsedToken.objects.exists()


def test_the_token_never_reaches_the_logs(
    client: Client, alice: Any, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    loggers = [logging.getLogger(name) for name in ("django.request", "django.server")]
    for logger in loggers:
        logger.addHandler(handler)
    good = links.get_token(alice)
    bad = good[:-3] + ("xyz" if not good.endswith("xyz") else "abc")
    try:
        with caplog.at_level(logging.DEBUG):
            assert get(client, good).status_code == 200
            assert get(client, bad).status_code == 401
            # What runserver logs for each request, as django.server records.
            for token, status in ((good, 200), (bad, 401)):
                logging.getLogger("django.server").info(
                    '"%s" %s %s', f"GET {WHOAMI}?sesame={token}&x=1 HTTP/1.1", status, 58
                )
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    written = stream.getvalue()
    assert "Unauthorized" in written and "GET /api/whoami/?sesame=" in written
    # authgate's own (unfiltered) debug log names no token either.
    own = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("authgate"))
    assert "Refused link" in own
    for token in (good, bad):
        assert token not in written
        assert token not in own


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_uses_of_a_one_time_link(live_server: Any, alice: Any) -> None:
    """Through the real request stack: exactly one of 50 racing requests gets in."""
    with link_settings(ONE_TIME=True, MAX_AGE=600):
        token = links.get_token(alice)
        url = f"{live_server.url}{WHOAMI}?sesame={token}"
        barrier = threading.Barrier(50)
        statuses: list[int] = []
        lock = threading.Lock()

        def attempt() -> None:
            barrier.wait()
            try:
                with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (http)
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=attempt) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert sorted(statuses) == [200] + [401] * 49
    assert UsedToken.objects.filter(kind="link").count() == 1
