"""Switching from django-sesame: the links it e-mailed, its settings, its API's behaviour.

The end-to-end test mints links with the real django-sesame (installed from PyPI, the dev
dependency group), switches the project to authgate as docs/howto/migrate.md says, and
opens them. The other tests are the incompatibilities issue #20 measured with django-sesame's
own suite (``make test-sesame`` runs all of it), kept here so every pass checks them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory, override_settings

from authgate.schemes.links import service as links
from authgate.schemes.links.auth_backend import LinkBackendMixin
from authgate.schemes.links.middleware import LinkLoginMiddleware
from authgate.schemes.links.sesame import DEPRECATED_HEADER
from authgate.schemes.links.settings import link_settings
from authgate.schemes.links.views import LoginView

pytestmark = pytest.mark.django_db

LOGIN = "/auth/links/login/"
WHOAMI = "/api/whoami/"
SESAME_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
AUTHGATE_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "authgate.schemes.links.auth_backend.LinkAuthBackend",
]


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user("alice", email="alice@example.com")


def _authgate(**link: Any) -> dict[str, Any]:
    from django.conf import settings

    return {**settings.AUTHGATE, **{f"LINK_{name}": value for name, value in link.items()}}


def _ids(messages: list[checks.CheckMessage]) -> list[str]:
    """The ids of the link checks (``authgate.E06x``/``E07x``, ``W06x``/``W07x``)."""
    return sorted(m.id for m in messages if m.id and m.id[:-1] in LINK_CHECKS)


LINK_CHECKS = {"authgate.E06", "authgate.E07", "authgate.W06", "authgate.W07"}


def _run_checks(deploy: bool = False) -> list[checks.CheckMessage]:
    return checks.run_checks(include_deployment_checks=deploy, tags=["security"])


# --- the end-to-end switch -----------------------------------------------------------------


@pytest.fixture
def bob(make_user: Callable[..., Any]) -> Any:
    return make_user("bob")


@pytest.fixture
def sesame_links(alice: Any, bob: Any) -> Iterator[dict[str, str]]:
    """Links django-sesame e-mailed before the switch (one-time, 5 minutes, one scoped).

    One-time links of django-sesame sign the user's last login: logging in with one kills
    the user's others, so alice gets the login link and bob the other two.
    """
    pytest.importorskip("sesame", reason="django-sesame is in the dev dependency group")
    from sesame.utils import get_token

    with override_settings(
        AUTHENTICATION_BACKENDS=SESAME_BACKENDS, SESAME_MAX_AGE=300, SESAME_ONE_TIME=True
    ):
        yield {
            "login": get_token(alice),
            "api": get_token(bob),
            "scoped": get_token(bob, scope="doc:7"),
        }


@pytest.mark.urls("tests.schemes.links.support")
def test_links_django_sesame_sent_work_after_the_switch_until_the_window_closes(
    alice: Any, bob: Any, sesame_links: dict[str, str]
) -> None:
    # The guide: django-sesame's backend replaced by authgate's, SESAME_* kept for now
    # (read as LINK_*), and the migration window opened.
    with override_settings(
        AUTHENTICATION_BACKENDS=AUTHGATE_BACKENDS,
        SESAME_MAX_AGE=300,
        SESAME_ONE_TIME=True,
        AUTHGATE=_authgate(ACCEPT_SESAME_TOKENS=True),
    ):
        assert link_settings().max_age_seconds == 300 and link_settings().one_time
        client = Client()
        response = client.get(LOGIN, {"sesame": sesame_links["login"], "next": "/notes/"})
        assert response.status_code == 302 and response["Location"] == "/notes/"
        assert DEPRECATED_HEADER in response
        assert client.session["_auth_user_id"] == str(alice.pk)
        # One-time, as django-sesame's were: a second click is refused.
        again = Client().get(LOGIN, {"sesame": sesame_links["login"]})
        assert again.status_code == 403

        # The API (LinkBackend) and a scoped view (the decorator) take them too.
        api = Client().get(WHOAMI, {"sesame": sesame_links["api"]})
        assert api.status_code == 200 and api.json()["user"] == bob.get_username()
        assert DEPRECATED_HEADER in api
        doc = Client().get("/t/links/doc/7/", {"sesame": sesame_links["scoped"]})
        assert doc.status_code == 200 and doc.json()["user"] == bob.get_username()
        assert DEPRECATED_HEADER in doc

        # New links are authgate's, and carry no deprecation.
        fresh = Client().get(LOGIN, {"sesame": links.get_token(alice)})
        assert fresh.status_code == 302 and DEPRECATED_HEADER not in fresh


@pytest.mark.urls("tests.schemes.links.support")
def test_links_django_sesame_sent_are_refused_once_the_window_is_closed(
    alice: Any, sesame_links: dict[str, str]
) -> None:
    with override_settings(
        AUTHENTICATION_BACKENDS=AUTHGATE_BACKENDS,
        AUTHGATE=_authgate(MAX_AGE=300, ONE_TIME=True),  # renamed, window closed
    ):
        assert Client().get(LOGIN, {"sesame": sesame_links["login"]}).status_code == 403
        assert Client().get(WHOAMI, {"sesame": sesame_links["api"]}).status_code == 401
        assert Client().get("/t/links/doc/7/", {"sesame": sesame_links["scoped"]}).status_code == (
            403
        )


def test_a_sesame_link_for_another_scope_or_after_a_password_change_is_refused(
    alice: Any, sesame_links: dict[str, str]
) -> None:
    with override_settings(
        AUTHENTICATION_BACKENDS=AUTHGATE_BACKENDS,
        AUTHGATE=_authgate(MAX_AGE=300, ONE_TIME=True, ACCEPT_SESAME_TOKENS=True),
    ):
        assert links.get_user(sesame_links["scoped"]) is None  # made for "doc:7"
        assert links.get_user(sesame_links["scoped"], "doc:7") is not None
        alice.set_password("a new one")
        alice.save()
        assert links.get_user(sesame_links["login"]) is None


def test_sesame_links_follow_secret_key_rotation(make_user: Callable[..., Any]) -> None:
    pytest.importorskip("sesame")
    from sesame.utils import get_token

    bob = make_user("bob")
    with override_settings(AUTHENTICATION_BACKENDS=SESAME_BACKENDS, SECRET_KEY="old-key-" * 6):
        token = get_token(bob)
    ring = {"SECRET_KEY": "new-key-" * 6, "AUTHGATE": _authgate(ACCEPT_SESAME_TOKENS=True)}
    with override_settings(SECRET_KEY_FALLBACKS=["old-key-" * 6], **ring):
        assert links.get_user(token) == bob
    with override_settings(SECRET_KEY_FALLBACKS=[], **ring):
        assert links.get_user(token) is None


# --- settings: honoured or refused, never ignored --------------------------------------------


def test_leftover_sesame_settings_are_honoured() -> None:
    with override_settings(SESAME_MAX_AGE=300, SESAME_ONE_TIME=True, SESAME_TOKEN_NAME="login"):
        cfg = link_settings()
        assert (cfg.max_age_seconds, cfg.one_time, cfg.token_name) == (300, True, "login")
        assert _ids(_run_checks()) == []
        deploy = [m for m in _run_checks(deploy=True) if m.id == "authgate.W075"]
        assert {m.msg.split()[0] for m in deploy} == {
            "SESAME_MAX_AGE",
            "SESAME_ONE_TIME",
            "SESAME_TOKEN_NAME",
        }


def test_a_sesame_setting_that_disagrees_with_its_twin_is_an_error() -> None:
    with override_settings(SESAME_MAX_AGE=300, AUTHGATE=_authgate(MAX_AGE=600)):
        assert "authgate.E075" in _ids(_run_checks())
    with override_settings(SESAME_MAX_AGE=300, AUTHGATE=_authgate(MAX_AGE=300)):
        assert "authgate.E075" not in _ids(_run_checks())
        assert "authgate.W075" in _ids(_run_checks(deploy=True))  # remove the duplicate


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SESAME_TOKENS", ["sesame.tokens_v2"]),
        ("SESAME_SALT", "salt"),
        ("SESAME_ITERATIONS", 100),
        ("SESAME_X", "a misspelling"),
    ],
)
def test_a_sesame_setting_authgate_does_not_read_stops_the_project(name: str, value: Any) -> None:
    with override_settings(**{name: value}):
        errors = [m for m in _run_checks() if m.id == "authgate.E076"]
    assert [m.msg.split()[0] for m in errors] == [name]


def test_invalidate_on_email_change_needs_an_email_field() -> None:
    with (
        override_settings(AUTHGATE=_authgate(INVALIDATE_ON_EMAIL_CHANGE=True)),
        pytest.MonkeyPatch.context() as patch,
    ):
        from django.contrib.auth import get_user_model

        patch.setattr(get_user_model(), "EMAIL_FIELD", "no_such_field", raising=False)
        assert "authgate.E077" in _ids(_run_checks())
        from authgate.schemes.links.sesame import check

        with pytest.raises(ImproperlyConfigured, match="EMAIL_FIELD"):
            check()


# --- django-sesame's behaviour ----------------------------------------------------------


class Picky(LinkBackendMixin, ModelBackend):  # type: ignore[misc]
    """A project's link backend that refuses some users (``user_can_authenticate``)."""

    def user_can_authenticate(self, user: Any) -> bool:
        return bool(user.get_username() != "alice")


def test_get_user_goes_through_django_authenticate(alice: Any) -> None:
    failures: list[dict[str, Any]] = []

    def record(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
        failures.append(credentials)

    user_login_failed.connect(record)
    try:
        token = links.get_token(alice)
        with override_settings(AUTHENTICATION_BACKENDS=[f"{__name__}.Picky"]):
            assert links.get_user(token) is None  # user_can_authenticate said no
        assert links.get_user(token) == alice  # and the link was not used up
        assert links.get_user("garbage-token") is None
    finally:
        user_login_failed.disconnect(record)
    assert len(failures) == 2 and all("sesame" in c for c in failures)


def test_the_sesame_logger_gets_the_decisions(alice: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="sesame"):
        links.get_user(links.get_token(alice, scope="s"), scope="s")
        links.get_user("~!@#$%^&*~!@#$%^&*~")
    messages = [r.getMessage() for r in caplog.records if r.name == "sesame"]
    assert f"Valid token for user {alice} in scope s" in messages
    assert any(m.startswith("Bad token") for m in messages)


def test_the_middleware_sets_an_anonymous_user_without_django_auth_middleware() -> None:
    request = RequestFactory().get("/")
    LinkLoginMiddleware(lambda r: None)(request)  # type: ignore[arg-type,return-value]
    assert isinstance(request.user, AnonymousUser)


def test_login_view_needs_django_auth(alice: Any) -> None:
    request = RequestFactory().get(LOGIN, {"sesame": links.get_token(alice)})
    request.session = {}  # type: ignore[assignment]
    with pytest.raises(ImproperlyConfigured, match=r"LoginView requires django\.contrib\.auth"):
        LoginView.as_view()(request)


def test_a_negative_max_age_refuses_every_link_as_expired(alice: Any) -> None:
    with override_settings(AUTHGATE=_authgate(MAX_AGE=300)):
        token = links.get_token(alice)
        assert links.get_user(token, max_age=-300) is None
        with pytest.raises(links.LinkRefused) as refused:
            links.check_token(token, max_age=0)
        assert refused.value.code == "expired"
        assert links.get_user(token) == alice


def test_get_user_takes_scope_positionally_and_says_what_it_expects(alice: Any) -> None:
    assert links.get_user(links.get_token(alice, "s"), "s") == alice
    with pytest.raises(TypeError, match="expects an HTTPRequest or a token"):
        links.get_user(None)
