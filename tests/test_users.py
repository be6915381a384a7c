"""Loading users for signed tokens, and what their revocation value depends on."""

import pytest
from django.contrib.auth import get_user_model

from authgate.state import bump_generation
from authgate.users import load_active_user, packer_for_model, revocation_value

pytestmark = pytest.mark.django_db


def test_load_active_user_in_one_query(make_user, django_assert_num_queries):
    alice = make_user("alice", "pw")
    load_active_user(alice.pk)
    with django_assert_num_queries(1):
        assert load_active_user(alice.pk) == alice


def test_inactive_and_missing_users_are_none(make_user):
    ingrid = make_user("ingrid", "pw", is_active=False)
    assert load_active_user(ingrid.pk) is None
    ingrid.delete()
    assert load_active_user(ingrid.pk) is None


@pytest.mark.parametrize("garbage", ["not-a-pk", -1, "", "00000000-zzzz", 2**70, -(2**70)])
def test_garbled_ids_are_no_user(make_user, garbage):
    make_user("alice", "pw")
    assert load_active_user(garbage) is None


def test_packer_round_trips_the_pk(make_user):
    alice = make_user("alice", "pw")
    packer = packer_for_model()
    pk, rest = packer.unpack_pk(packer.pack_pk(alice.pk))
    assert pk == alice.pk and rest == b""


def test_revocation_value_changes_with_password_generation_and_email(make_user):
    alice = make_user("alice", "pw", email="a@example.com")
    user = get_user_model().objects.select_related("authgate_state").get(pk=alice.pk)
    base = revocation_value(user, email=True)
    user.set_password("new")
    assert revocation_value(user, email=True) != base
    user = get_user_model().objects.select_related("authgate_state").get(pk=alice.pk)
    user.email = "b@example.com"
    assert revocation_value(user, email=True) != base
    assert revocation_value(user, email=False) == revocation_value(
        get_user_model().objects.get(pk=alice.pk), email=False
    )
    bump_generation(user)
    assert revocation_value(user, email=True) != base


def test_password_can_be_left_out(make_user):
    alice = make_user("alice", "pw")
    before = revocation_value(alice, password=False)
    alice.set_password("other")
    assert revocation_value(alice, password=False) == before
