"""Magic links: sesame's functions and settings, each documented behaviour with a test.

Works with the three user models of the matrix (int, str and UUID primary keys).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings

from authgate.core import links_v1
from authgate.core.encoding import b64url_decode, b64url_encode
from authgate.models import UsedToken
from authgate.schemes.links import service as links
from authgate.schemes.links.settings import link_settings as current_link_settings
from authgate.state import bump_generation
from tests.schemes.links.helpers import Clock, install_clock, link_settings
from tests.schemes.links.support import MarkedPacker

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def alice(make_user: Any) -> Any:
    return make_user("alice", "pw", email="alice@example.com")


def fresh(user: Any) -> Any:
    """The user as the database has it now."""
    return get_user_model()._default_manager.get(pk=user.pk)


def tamper(token: str, index: int = -1) -> str:
    """``token`` with one byte of its binary form flipped."""
    data = bytearray(b64url_decode(token.removeprefix(links_v1.PREFIX)) or b"")
    data[index] ^= 0x01
    return links_v1.PREFIX + b64url_encode(bytes(data))


# --- generation ----------------------------------------------------------------------


def test_get_token_round_trips_for_this_user_model(alice: Any) -> None:
    token = links.get_token(alice)
    assert token.startswith("agl1_")
    assert links.get_user(token) == alice
    kinds = {"auth": "int", "uuid": "uuid", "str": "str"}
    from django.conf import settings

    assert current_link_settings().packer.kind == kinds[settings.TEST_USER]


def test_get_parameters_and_query_string(alice: Any) -> None:
    params = links.get_parameters(alice)
    assert list(params) == ["sesame"]
    assert links.get_user(params["sesame"]) == alice
    query = links.get_query_string(alice)
    assert query.startswith("?sesame=agl1_")
    assert links.get_user(parse_qs(query[1:])["sesame"][0]) == alice


def test_token_name_setting(alice: Any) -> None:
    with link_settings(TOKEN_NAME="login"):
        query = links.get_query_string(alice)
        assert query.startswith("?login=")
        request = RequestFactory().get("/" + query)
        assert links.get_user(request) == alice
        assert links.get_user(RequestFactory().get("/?sesame=" + query[7:])) is None


def test_get_token_of_a_user_without_a_key_is_refused() -> None:
    user = get_user_model()(username="nobody")
    user.pk = None
    with pytest.raises(ValueError):
        links.get_token(user)


def test_scope_must_be_a_string(alice: Any) -> None:
    with pytest.raises(TypeError):
        links.get_token(alice, scope=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        links.get_user(links.get_token(alice), scope=1)  # type: ignore[arg-type]


# --- get_user ------------------------------------------------------------------------


def test_get_user_with_a_request_or_a_token(alice: Any) -> None:
    token = links.get_token(alice)
    assert links.get_user(RequestFactory().get("/", {"sesame": token})) == alice
    assert links.get_user(token) == alice
    assert links.get_user(RequestFactory().get("/")) is None
    assert links.get_user(RequestFactory().get("/", {"sesame": "garbage"})) is None
    with pytest.raises(TypeError):
        links.get_user(42)


def test_get_user_sets_the_login_backend(alice: Any) -> None:
    user = links.get_user(links.get_token(alice))
    assert user.backend == "authgate.schemes.links.auth_backend.LinkAuthBackend"
    with override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]):
        user = links.get_user(links.get_token(alice))
        assert user.backend == "django.contrib.auth.backends.ModelBackend"


def test_scopes(alice: Any) -> None:
    scoped = links.get_token(alice, scope="report:7")
    unscoped = links.get_token(alice)
    assert links.get_user(scoped, scope="report:7") == alice
    assert links.get_user(scoped) is None
    assert links.get_user(scoped, scope="report:8") is None
    assert links.get_user(unscoped, scope="report:7") is None
    assert links.get_user(unscoped, scope="") == alice


def test_forged_tokens_never_load_a_user(alice: Any, django_assert_num_queries: Any) -> None:
    token = links.get_token(alice)
    forged = [
        tamper(token, 0),  # the packed key
        tamper(token, -11),  # the pre-MAC
        token[:-4],
        "agl1_" + b64url_encode(b"\x01\x01" + bytes(16)),
        "garbage",
        "",
    ]
    with django_assert_num_queries(0):
        for candidate in forged:
            assert links.get_user(candidate) is None
    # Only the full signature is wrong: the user is loaded (one query), then refused.
    with django_assert_num_queries(1):
        assert links.get_user(tamper(token, -1)) is None


def test_a_valid_link_costs_one_query(alice: Any, django_assert_num_queries: Any) -> None:
    token = links.get_token(alice)
    with django_assert_num_queries(1):
        assert links.get_user(token) == alice


def test_inactive_and_deleted_users(alice: Any, make_user: Any) -> None:
    token = links.get_token(alice)
    alice.is_active = False
    alice.save()
    assert links.get_user(token) is None
    bob = make_user("bob")
    token = links.get_token(bob)
    bob.delete()
    assert links.get_user(token) is None


def test_update_last_login(alice: Any) -> None:
    assert fresh(alice).last_login is None
    links.get_user(links.get_token(alice))
    assert fresh(alice).last_login is None  # default: only for one-time links
    links.get_user(links.get_token(alice), update_last_login=True)
    first = fresh(alice).last_login
    assert first is not None
    links.get_user(links.get_token(alice), update_last_login=False)
    assert fresh(alice).last_login == first
    with link_settings(ONE_TIME=True):
        links.get_user(links.get_token(alice))
    assert fresh(alice).last_login > first


# --- max age -------------------------------------------------------------------------


def test_without_max_age_links_never_expire(alice: Any, clock: Clock) -> None:
    token = links.get_token(alice)
    clock.advance(10 * 365 * 86400)
    assert links.get_user(token) == alice


def test_max_age(alice: Any, clock: Clock) -> None:
    with link_settings(MAX_AGE=300):
        token = links.get_token(alice)
        clock.advance(299)
        assert links.get_user(token) == alice
        clock.advance(1)
        assert links.get_user(token) is None
        with pytest.raises(links.LinkRefused) as refused:
            links.check_token(token)
        assert refused.value.code == "expired"


def test_max_age_as_timedelta(alice: Any, clock: Clock) -> None:
    with link_settings(MAX_AGE=timedelta(minutes=5)):
        token = links.get_token(alice)
        clock.advance(299)
        assert links.get_user(token) == alice
        clock.advance(1)
        assert links.get_user(token) is None


def test_switching_max_age_between_none_and_a_value_invalidates(alice: Any) -> None:
    untimed = links.get_token(alice)
    with link_settings(MAX_AGE=300):
        timed = links.get_token(alice)
        assert links.get_user(untimed) is None
    assert links.get_user(timed) is None
    assert links.get_user(untimed) == alice


def test_changing_a_max_age_value_applies_to_existing_links(alice: Any, clock: Clock) -> None:
    with link_settings(MAX_AGE=300):
        token = links.get_token(alice)
    clock.advance(400)
    with link_settings(MAX_AGE=600):
        assert links.get_user(token) == alice
    with link_settings(MAX_AGE=300):
        assert links.get_user(token) is None


def test_max_age_argument_overrides_the_setting(alice: Any, clock: Clock) -> None:
    with link_settings(MAX_AGE=300):
        token = links.get_token(alice)
        clock.advance(60)
        assert links.get_user(token, max_age=30) is None
        assert links.get_user(token, max_age=timedelta(seconds=61)) == alice
        clock.advance(600)
        assert links.get_user(token, max_age=3600) == alice
        with pytest.raises(TypeError):
            links.get_user(token, max_age="soon")


def test_max_age_argument_is_ignored_without_the_setting(
    alice: Any, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    token = links.get_token(alice)
    clock.advance(3600)
    with caplog.at_level(logging.WARNING, logger="authgate.schemes.links.service"):
        assert links.get_user(token, max_age=10) == alice
    assert "Ignoring max_age" in caplog.text


# --- one-time links --------------------------------------------------------------------


def test_one_time_links_work_once(alice: Any) -> None:
    with link_settings(ONE_TIME=True, MAX_AGE=600):
        token = links.get_token(alice)
        assert links.get_user(token) == alice
        assert links.get_user(token) is None
        row = UsedToken.objects.get()
        assert row.kind == "link"
        assert row.token_id == links_v1.token_id(token)
        assert row.expires_at is not None


def test_one_time_links_minted_together_are_distinct(alice: Any, clock: Clock) -> None:
    with link_settings(ONE_TIME=True):
        first, second = links.get_token(alice), links.get_token(alice)
        assert first != second
        assert links.get_user(first) == alice
        assert links.get_user(second) == alice


def test_a_failed_check_does_not_use_up_a_one_time_link(alice: Any) -> None:
    with link_settings(ONE_TIME=True):
        token = links.get_token(alice, scope="a")
        assert links.get_user(token, scope="b") is None
        assert links.get_user(token, scope="a") == alice


def test_one_time_links_survive_a_login_elsewhere(alice: Any) -> None:
    """sesame's one-time links die on any login; authgate's only when used."""
    with link_settings(ONE_TIME=True):
        token = links.get_token(alice)
        other = links.get_token(alice)
        assert links.get_user(other, update_last_login=True) == alice
        assert links.get_user(token) == alice


def test_invalidate_on_login(alice: Any) -> None:
    with link_settings(INVALIDATE_ON_LOGIN=True):
        token = links.get_token(alice)
        assert links.get_user(token, update_last_login=False) == alice
        links.get_user(links.get_token(alice), update_last_login=True)
        assert links.get_user(token) is None


def test_toggling_one_time_invalidates(alice: Any) -> None:
    token = links.get_token(alice)
    with link_settings(ONE_TIME=True):
        assert links.get_user(token) is None


# --- revocation -------------------------------------------------------------------------


def test_invalidate_on_password_change(alice: Any) -> None:
    token = links.get_token(alice)
    alice.set_password("new")
    alice.save()
    assert links.get_user(token) is None


def test_password_change_kept_when_disabled(alice: Any) -> None:
    with link_settings(INVALIDATE_ON_PASSWORD_CHANGE=False, MAX_AGE=600):
        token = links.get_token(alice)
        alice.set_password("new")
        alice.save()
        assert links.get_user(token) == alice


def test_email_change_kept_by_default(alice: Any) -> None:
    token = links.get_token(alice)
    alice.email = "alice@example.org"
    alice.save()
    assert links.get_user(token) == alice


def test_invalidate_on_email_change(alice: Any) -> None:
    with link_settings(INVALIDATE_ON_EMAIL_CHANGE=True):
        token = links.get_token(alice)
        assert links.get_user(token) == alice
        alice.email = "alice@example.org"
        alice.save()
        assert links.get_user(token) is None


def test_revoke_all_kills_links(alice: Any) -> None:
    token = links.get_token(alice)
    bump_generation(alice)
    assert links.get_user(token) is None
    assert links.get_user(links.get_token(alice)) == alice


# --- format settings -------------------------------------------------------------------


def test_primary_key_field(alice: Any, django_assert_num_queries: Any) -> None:
    field = get_user_model().USERNAME_FIELD
    with link_settings(PRIMARY_KEY_FIELD=field):
        token = links.get_token(alice)
        assert b"alice" in b64url_decode(token.removeprefix("agl1_"))
        with django_assert_num_queries(1):
            assert links.get_user(token) == alice
        assert current_link_settings().packer.kind == "str"
    assert links.get_user(token) is None


def test_custom_packer_by_dotted_path(alice: Any) -> None:
    with link_settings(PACKER="tests.schemes.links.support.MarkedPacker"):
        MarkedPacker.calls = 0
        token = links.get_token(alice)
        assert b64url_decode(token.removeprefix("agl1_"))[:1] == MarkedPacker.MARK
        assert links.get_user(token) == alice
        assert MarkedPacker.calls == 2
    assert links.get_user(token) is None


def test_builtin_packers_round_trip_every_key_kind() -> None:
    from authgate.core.packers import packer_for

    for kind, pk in (("int", 2**40), ("uuid", uuid.uuid4()), ("str", "u-123")):
        packer = packer_for(kind)
        assert packer.unpack_pk(packer.pack_pk(pk)) == (pk, b"")


def test_token_formats_create_with_the_first_accept_all(alice: Any) -> None:
    v1 = links.get_token(alice)
    with link_settings(TOKENS=["tests.schemes.links.support", "authgate.core.links_v1"]):
        v0 = links.get_token(alice)
        assert v0.startswith("agl0_")
        assert links.get_user(v0) == alice
        assert links.get_user(v1) == alice
    assert links.get_user(v0) is None
    assert links.get_user(v1) == alice


def test_key_setting_invalidates_every_link(alice: Any) -> None:
    token = links.get_token(alice)
    with link_settings(KEY="rotated"):
        assert links.get_user(token) is None
        keyed = links.get_token(alice)
        assert links.get_user(keyed) == alice
    assert links.get_user(keyed) is None


def test_secret_key_rotation_with_fallbacks(alice: Any, settings: Any) -> None:
    token = links.get_token(alice)
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-for-links-0123456789abcdefghij"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert links.get_user(token) == alice
    settings.SECRET_KEY_FALLBACKS = []
    assert links.get_user(token) is None


def test_signature_size(alice: Any) -> None:
    default = links.get_token(alice)
    with link_settings(SIGNATURE_SIZE=16):
        longer = links.get_token(alice)
        assert len(b64url_decode(longer[5:]) or b"") == len(b64url_decode(default[5:]) or b"") + 6
        assert links.get_user(longer) == alice
        assert links.get_user(default) is None
    assert links.get_user(longer) is None


# --- the Django auth backend --------------------------------------------------------------


def test_django_authenticate_with_a_link(alice: Any) -> None:
    token = links.get_token(alice, scope="s")
    assert authenticate(None, sesame=token, scope="s") == alice
    assert authenticate(None, sesame=token) is None
    assert authenticate(None, sesame=None) is None
    # Username and password still go to Django's ModelBackend.
    assert (
        authenticate(None, **{get_user_model().USERNAME_FIELD: "alice", "password": "pw"}) == alice
    )


def test_django_authenticate_uses_up_one_time_links(alice: Any) -> None:
    with link_settings(ONE_TIME=True):
        token = links.get_token(alice)
        assert authenticate(None, sesame=token) == alice
        assert authenticate(None, sesame=token) is None


# --- the management command ------------------------------------------------------------


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("authgate", *args, stdout=out)
    return out.getvalue().splitlines()


def test_link_command_prints_a_login_url(alice: Any) -> None:
    lines = run("link", "alice", "--url", "/api/whoami/")
    url = urlsplit(lines[-1])
    assert url.scheme == "http"
    assert url.path == "/auth/links/login/"
    query = parse_qs(url.query)
    assert query["next"] == ["/api/whoami/"]
    assert links.get_user(query["sesame"][0]) == alice
    assert "never expires" in "\n".join(lines)


def test_link_command_scoped(alice: Any) -> None:
    lines = run(
        "link",
        "alice",
        "--scope",
        "note:1",
        "--url",
        "/links/notes/1/",
        "--base",
        "https://x.test/",
    )
    url = urlsplit(lines[-1])
    assert (url.scheme, url.netloc, url.path) == ("https", "x.test", "/links/notes/1/")
    token = parse_qs(url.query)["sesame"][0]
    assert links.get_user(token, scope="note:1") == alice
    assert links.get_user(token) is None
    with pytest.raises(CommandError, match="--url"):
        run("link", "alice", "--scope", "note:1")


def test_link_command_refuses_unknown_and_inactive_users(make_user: Any) -> None:
    with pytest.raises(CommandError, match="No user"):
        run("link", "nobody")
    make_user("carol", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        run("link", "carol")


def test_link_command_with_max_age_and_one_time(alice: Any) -> None:
    with link_settings(MAX_AGE=900, ONE_TIME=True):
        text = "\n".join(run("link", "alice"))
    assert "(900 s)" in text
    assert "works once" in text
