"""The scoped-token issuing API (``authgate.schemes.scoped.service``) and its system checks."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.test import override_settings

from authgate.core.scoped_v1 import check_revocation
from authgate.models import TokenEvent
from authgate.schemes.scoped import service as scoped
from authgate.signing import keyring
from authgate.state import bump_generation
from authgate.users import load_active_user, revocation_value

pytestmark = pytest.mark.django_db

NOTES = {"GET": ["/api/notes/"]}


def test_issue_and_parse_round_trip(user):
    now = int(time.time())
    token = scoped.issue(
        user,
        {"get": ["/api/notes/"], "POST": ["/api/notes/", "/api/notes/"]},
        max_age=600,
        recipient="nightly export",
        scopes=["notes:write", "notes:read"],
        now=now,
    )
    assert token.startswith("ags1_")
    claims = scoped.parse(token)
    assert claims is not None
    assert claims.user_pk == user.pk  # int, str and UUID keys round-trip exactly
    assert type(claims.user_pk) is type(user.pk)
    assert claims.endpoints == {"GET": ("/api/notes/",), "POST": ("/api/notes/",)}
    assert (claims.issued_at, claims.expires_at) == (now, now + 600)
    assert claims.recipient == "nightly export"
    assert claims.scopes == ("notes:read", "notes:write")


def test_default_max_age_is_the_setting(user):
    claims = scoped.parse(scoped.issue(user, NOTES))
    assert claims.expires_at - claims.issued_at == 6 * 60


def test_timedelta_max_age(user):
    claims = scoped.parse(scoped.issue(user, NOTES, max_age=timedelta(minutes=10)))
    assert claims.expires_at - claims.issued_at == 600


def test_scopes_none_means_no_scope_limit(user):
    assert scoped.parse(scoped.issue(user, NOTES)).scopes is None


@pytest.mark.parametrize(
    ("max_age", "error", "message"),
    [
        (0, ValueError, "must be positive"),
        (-5, ValueError, "must be positive"),
        (timedelta(0), ValueError, "must be positive"),
        (timedelta(seconds=1.5), ValueError, "whole number of seconds"),
        (3601, ValueError, "SCOPED_MAX_AGE"),
        (timedelta(hours=2), ValueError, "never expire are not supported"),
        (True, TypeError, "int number of seconds or a timedelta"),
        (60.0, TypeError, "int number of seconds or a timedelta"),
        ("600", TypeError, "int number of seconds or a timedelta"),
    ],
)
def test_bad_max_age(user, max_age, error, message):
    with pytest.raises(error, match=message):
        scoped.issue(user, NOTES, max_age=max_age)


def test_max_age_limit_follows_the_setting(user):
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, "SCOPED_MAX_AGE": 60}):
        with pytest.raises(ValueError, match=r"maximum .* is 60 seconds"):
            scoped.issue(user, NOTES, max_age=61)
        assert scoped.issue(user, NOTES, max_age=60)
        # A default longer than the maximum (also a system check) is capped, not an error.
        claims = scoped.parse(scoped.issue(user, NOTES))
        assert claims.expires_at - claims.issued_at == 60


@pytest.mark.parametrize(
    ("endpoints", "error", "message"),
    [
        (None, TypeError, "mapping of HTTP method"),
        ([("GET", ["/api/notes/"])], TypeError, "mapping of HTTP method"),
        ({}, ValueError, "at least one method"),
        ({"GET": "/api/notes/"}, TypeError, "must be a list of paths"),
        ({"GET": 5}, TypeError, "must be a list of paths"),
        ({"GET": [b"/api/"]}, TypeError, "paths must be str"),
        ({1: ["/api/"]}, TypeError, "methods must be str"),
        ({"FETCH": ["/api/"]}, ValueError, "unknown method"),
        ({"po\u017ft": ["/api/"]}, ValueError, "unknown method"),  # LONG S: upper() is "S"
        ({"GET": ["api/notes/"]}, ValueError, "must be absolute"),
        ({"GET": []}, ValueError, "lists no paths"),
        ({"GET": ["/api/"], "get": ["/x/"]}, ValueError, "listed twice"),
        ({"GET": ["/.."]}, ValueError, "not a usable path prefix"),
        ({"GET": ["/api/\\notes"]}, ValueError, "not a usable path prefix"),
        ({"GET": ["/api/\x00"]}, ValueError, "not a usable path prefix"),
    ],
)
def test_bad_endpoints(user, endpoints, error, message):
    with pytest.raises(error, match=message):
        scoped.issue(user, endpoints)
    assert not TokenEvent.objects.exists()


@pytest.mark.parametrize(
    ("scopes", "error", "message"),
    [
        ("notes:read", TypeError, "list of scope names"),
        (["notes:admin"], ValueError, "unknown scope.*notes:admin.*notes:read, notes:write"),
        ([1], TypeError, "scope names must be str"),
    ],
)
def test_bad_scopes(user, scopes, error, message):
    with pytest.raises(error, match=message):
        scoped.issue(user, NOTES, scopes=scopes)


@pytest.mark.parametrize(
    ("recipient", "error"),
    [(5, TypeError), ("", ValueError), ("x" * 201, ValueError), ("a\nb", ValueError)],
)
def test_bad_recipient(user, recipient, error):
    with pytest.raises(error, match="recipient"):
        scoped.issue(user, NOTES, recipient=recipient)


def test_unsaved_or_inactive_users_get_no_token(make_user):
    with pytest.raises(ValueError, match="saved user"):
        scoped.issue(get_user_model()(), NOTES)
    ingrid = make_user("ingrid", is_active=False)
    with pytest.raises(ValueError, match="inactive"):
        scoped.issue(ingrid, NOTES)


def test_issue_records_one_audit_event_without_the_token(user):
    now = int(time.time())
    token = scoped.issue(user, NOTES, max_age=60, recipient="ci", now=now)
    (event,) = TokenEvent.objects.all()
    assert (event.kind, event.credential_kind, event.user_id) == ("issued", "scoped", user.pk)
    assert event.credential_id == scoped.token_id(token)
    assert len(event.credential_id) == 12
    assert event.detail["recipient"] == "ci"
    assert event.detail["endpoints"] == {"GET": ["/api/notes/"]}
    assert event.detail["expires_at"] == datetime.fromtimestamp(now + 60, tz=UTC).isoformat()
    assert token not in str(event.detail) and token[5:30] not in str(event.detail)


def test_a_stale_user_object_still_gets_a_working_token(user):
    stale = get_user_model().objects.get(pk=user.pk)
    bump_generation(user)  # `stale` does not know about it
    token = scoped.issue(stale, NOTES)
    fresh = load_active_user(user.pk)
    assert check_revocation(
        scoped.parse(token), keyring=keyring(), revocation=revocation_value(fresh)
    )


def test_parse_garbage_is_none_and_expiry_is_reported(user):
    for garbage in ["", "ags1_", "ags1_x.y", "x" * 5000, "TmpToken abc"]:
        assert scoped.parse(garbage) is None
    token = scoped.issue(user, NOTES, max_age=60, now=int(time.time()) - 120)
    with pytest.raises(scoped.ExpiredToken):
        scoped.parse(token)
    assert scoped.parse(token, now=int(time.time()) - 100) is not None


def test_tokens_from_another_secret_key_are_invalid(user):
    token = scoped.issue(user, NOTES)
    old_key = django_settings.SECRET_KEY
    with override_settings(SECRET_KEY="another-key-" + "x" * 50):
        assert scoped.parse(token) is None
        with override_settings(SECRET_KEY_FALLBACKS=[old_key]):
            assert scoped.parse(token) is not None


# -- system checks ---------------------------------------------------------------------


def check_ids(**overrides):
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, **overrides}):
        return {m.id for m in run_checks() if m.id.startswith(("authgate.E04", "authgate.W04"))}


def test_default_scoped_settings_pass():
    assert check_ids() == set()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SCOPED_MAX_AGE": 0}, "authgate.E040"),
        ({"SCOPED_MAX_AGE": None}, "authgate.E040"),
        ({"SCOPED_MAX_AGE": timedelta(seconds=-1)}, "authgate.E040"),
        ({"SCOPED_MAX_AGE": "1h"}, "authgate.E040"),
        ({"SCOPED_DEFAULT_MAX_AGE": -1}, "authgate.E041"),
        ({"SCOPED_DEFAULT_MAX_AGE": timedelta(milliseconds=1500)}, "authgate.E041"),
        ({"SCOPED_DEFAULT_MAX_AGE": timedelta(hours=2)}, "authgate.E042"),
        ({"SCOPED_MAX_AGE": timedelta(days=2)}, "authgate.W040"),
        ({"SCOPED_KEYWORD": "Tmp Token"}, "authgate.E043"),
        ({"SCOPED_KEYWORD": ""}, "authgate.E043"),
        ({"SCOPED_KEYWORD": "basic"}, "authgate.E044"),
        ({"SCOPED_KEYWORD": "bearer"}, "authgate.E044"),
        ({"SCOPED_QUERY_PARAM": "to ken"}, "authgate.E045"),
        ({"SCOPED_QUERY_PARAM": 5}, "authgate.E045"),
        ({"SCOPED_QUERY_PARAM": "sesame"}, "authgate.E046"),
    ],
)
def test_bad_scoped_settings(overrides, expected):
    assert expected in check_ids(**overrides)


def test_query_param_may_be_switched_off():
    assert check_ids(SCOPED_QUERY_PARAM=None) == set()
