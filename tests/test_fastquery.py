"""The compiled lookup returns what the ORM returns, in one query, for every user model."""

import pytest
from django.contrib.auth import get_user_model

from authgate.fastquery import CompiledLookup, field_preparer
from authgate.models import UserAuthState
from authgate.state import bump_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_lookup():
    model = get_user_model()
    samples = tuple(model._meta.pk.to_python(v) for v in _samples(model))
    return CompiledLookup(
        lambda pk: model._default_manager.select_related("authgate_state").filter(pk=pk),
        samples=samples,
        prepare=field_preparer(model, "pk"),
        model=model,
    )


def _samples(model):
    internal = model._meta.pk.get_internal_type()
    if internal == "UUIDField":
        return ("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002")
    if internal in {"CharField", "TextField"}:
        return ("sample-a", "sample-b")
    return (1, 2)


def test_same_instance_as_the_orm(user_lookup, make_user):
    alice = make_user("alice", "pw", email="a@example.com")
    bump_generation(alice)
    expected = get_user_model().objects.select_related("authgate_state").get(pk=alice.pk)
    found = user_lookup.get(alice.pk)
    assert found == expected
    assert found.__class__ is expected.__class__
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found.authgate_state.generation == 1
    assert found._state.adding is False
    assert found._state.db == "default"


def test_missing_related_row_is_not_cached_as_present(user_lookup, make_user):
    alice = make_user("alice", "pw")
    found = user_lookup.get(alice.pk)
    with pytest.raises(UserAuthState.DoesNotExist):
        found.authgate_state  # noqa: B018  (the reverse one-to-one is absent)


def test_unknown_value_is_none(user_lookup, make_user):
    make_user("alice", "pw")
    assert user_lookup.get(_samples(get_user_model())[1]) is None


def test_exactly_one_query_each_time(user_lookup, make_user, django_assert_num_queries):
    alice = make_user("alice", "pw")
    user_lookup.get(alice.pk)  # compile
    with django_assert_num_queries(1):
        assert user_lookup.get(alice.pk).pk == alice.pk


def test_reset_recompiles(user_lookup, make_user):
    alice = make_user("alice", "pw")
    user_lookup.get(alice.pk)
    user_lookup.reset()
    assert user_lookup.get(alice.pk).pk == alice.pk


def test_samples_must_differ():
    model = get_user_model()
    lookup = CompiledLookup(
        lambda pk: model._default_manager.filter(pk=pk),
        samples=(_samples(model)[0], _samples(model)[0]),
        prepare=field_preparer(model, "pk"),
        model=model,
    )
    with pytest.raises(ValueError, match="samples must differ"):
        lookup.get(_samples(model)[0])
