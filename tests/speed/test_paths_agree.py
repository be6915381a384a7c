"""The fast and the plain paths return the same model instances.

Field values and their types, ``tzinfo`` (the same object), the database alias, the related
rows (the token's user; the user's revocation state, present or absent), for a row read
once and for a row kept and built again. Run in every pass, so with each of the suite's
user models: ``django.contrib.auth``'s (integer key), a string key, a UUID key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone

from authgate._speed.lookups import PlainLookup
from authgate.models import APIToken
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.store import token_store
from authgate.state import bump_generation
from authgate.users import _user_lookup, _user_model, load_active_user

# Each test takes both paths itself.
pytestmark = [pytest.mark.django_db, pytest.mark.fast_paths_only]


def _fast_paths(on: bool) -> Any:
    return override_settings(AUTHGATE={**django_settings.AUTHGATE, "FAST_PATHS": on})


def _same(found: Any, expected: Any, seen: set[int] | None = None) -> None:
    """Equal instances: class, every attribute (value, type, tzinfo object), state, and
    the related instances in the field cache, recursively."""
    seen = set() if seen is None else seen
    if id(expected) in seen:
        return
    seen.add(id(expected))
    assert type(found) is type(expected)
    assert vars(found).keys() == vars(expected).keys()
    for name, value in vars(expected).items():
        if name == "_state":
            continue
        ours = vars(found)[name]
        assert ours == value, name
        assert type(ours) is type(value), name
        if isinstance(value, datetime):
            assert ours.tzinfo is value.tzinfo, name
            assert ours.utcoffset() == value.utcoffset(), name
    assert found._state.adding is expected._state.adding is False
    assert found._state.db == expected._state.db
    cache, expected_cache = found._state.fields_cache, expected._state.fields_cache
    assert cache.keys() == expected_cache.keys()
    for name, related in expected_cache.items():
        if related is None:
            assert cache[name] is None, name
        else:
            _same(cache[name], related, seen)


#: RFC 7638 §3.1's thumbprint.
RFC7638_EXAMPLE = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def _rich_token(user: Any) -> APIToken:
    token, _plaintext = tokens.issue(
        user,
        name="rich",
        note="a note",
        policy={"resources": {"*": {"allow": ["GET"], "block": ["*"]}}},
        scopes=["notes:read"],
        allowed_ips=["10.0.0.0/8"],
        expires_in=timedelta(days=3),
        extra_data={"k": [1, 2]},
        dpop_jkt=RFC7638_EXAMPLE,  # a DPoP-bound token: the binding comes through both paths
    )
    APIToken.objects.filter(pk=token.pk).update(last_used=timezone.now(), last_used_ip="10.0.0.1")
    return token


def _token_both_ways(digest: str) -> tuple[Any, Any, Any, Any]:
    """``get`` and a kept row's build, on the fast path and on the plain one."""
    results = []
    for on in (True, False):
        with _fast_paths(on):
            rows = token_store().rows
            assert rows.fast is on
            fetched = rows.fetch(digest)
            assert fetched is not None
            results += [rows.get(digest), fetched.settle().build()]
    fast, fast_kept, plain, plain_kept = results
    return fast, fast_kept, plain, plain_kept


@pytest.mark.parametrize("use_tz", [True, False])
def test_a_token_and_its_user_are_the_same_on_both_paths(make_user, use_tz):
    user = make_user("alice", "pw", email="a@example.com", first_name="Ålice")
    token = _rich_token(user)
    with override_settings(USE_TZ=use_tz):
        orm = APIToken.objects.select_related("user").get(pk=token.pk)
        fast, fast_kept, plain, plain_kept = _token_both_ways(token.digest)
    for found in (fast, fast_kept, plain, plain_kept):
        _same(found, orm)
        _same(found.user, orm.user)
        assert found.user.pk == user.pk
        assert (found.expires.tzinfo is None) is (not use_tz)
    assert plain.policy == token.policy and plain.extra_data == {"k": [1, 2]}
    assert {t.dpop_jkt for t in (fast, fast_kept, plain, plain_kept)} == {RFC7638_EXAMPLE}


def test_kept_rows_build_new_instances_on_both_paths(make_user):
    token = _rich_token(make_user("alice", "pw"))
    for on in (True, False):
        with _fast_paths(on):
            kept = token_store().rows.fetch(token.digest).settle()
            first, second = kept.build(), kept.build()
        assert first is not second and first.user is not second.user
        assert first.policy is not second.policy  # a mutable value is never shared
        _same(first, second)


def test_a_missing_token_is_none_on_both_paths(db):
    for on in (True, False):
        with _fast_paths(on):
            assert token_store().rows.get("f" * 64) is None
            assert token_store().rows.fetch("f" * 64) is None


@pytest.mark.parametrize("with_state", [True, False], ids=["state", "no-state"])
def test_a_user_and_its_revocation_state_are_the_same_on_both_paths(make_user, with_state):
    alice = make_user("alice", "pw", email="a@example.com")
    if with_state:
        bump_generation(alice)
    orm = get_user_model()._default_manager.select_related("authgate_state").get(pk=alice.pk)
    found = {}
    for on in (True, False):
        with _fast_paths(on):
            assert _user_lookup(_user_model(), "pk").fast is on
            found[on] = load_active_user(alice.pk)
    for user in found.values():
        _same(user, orm)
        if with_state:
            assert user.authgate_state.generation == 1
            assert user.authgate_state.user is user  # the reverse side is set too
        else:
            assert user._state.fields_cache["authgate_state"] is None


@pytest.mark.parametrize("garbage", ["not-a-key", "9" * 40, ""])
def test_a_value_the_key_cannot_hold_is_no_user_on_both_paths(make_user, garbage):
    make_user("alice", "pw")
    for on in (True, False):
        with _fast_paths(on):
            assert load_active_user(garbage) is None


def test_the_plain_lookup_honours_using(make_user):
    token = _rich_token(make_user("alice", "pw"))
    plain = PlainLookup(lambda value: APIToken.objects.select_related("user").filter(digest=value))
    found = plain.get(token.digest, using="default")
    assert found is not None and found._state.db == "default" and found.pk == token.pk


@pytest.mark.parametrize("fast_paths", [True, False], ids=["fast", "plain"], indirect=True)
def test_each_store_takes_the_path_its_settings_ask_for(db, fast_paths):
    """With the fast paths on (and the Django the suite runs on), the stores are fast."""
    assert token_store().rows.fast is fast_paths
    assert _user_lookup(_user_model(), "pk").fast is fast_paths
