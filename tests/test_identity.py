"""authgate.identity.Identity: a frozen value, however it is built."""

import dataclasses

import pytest

from authgate.identity import Identity


def test_fields_are_stored_in_order_and_by_name():
    positional = Identity("alice", "token", "cred", None, None, {"X-A": "1"})
    named = Identity(
        user="alice",
        scheme="token",
        credential="cred",
        restrictions=None,
        expires_at=None,
        response_headers={"X-A": "1"},
    )
    assert positional == named
    assert dataclasses.astuple(named) == ("alice", "token", "cred", None, None, {"X-A": "1"})


def test_defaults_and_a_new_headers_dict_each_time():
    first, second = Identity("alice", "session"), Identity("bob", "session")
    assert (first.credential, first.restrictions, first.expires_at) == (None, None, None)
    assert first.response_headers == {} and first.response_headers is not second.response_headers


def test_it_is_frozen_and_replace_builds_a_new_one():
    identity = Identity("alice", "token")
    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.user = "mallory"  # type: ignore[misc]
    assert identity.user == "alice"
    changed = dataclasses.replace(identity, scheme="session")
    assert (changed.user, changed.scheme, identity.scheme) == ("alice", "session", "token")
    assert "alice" in repr(identity)
