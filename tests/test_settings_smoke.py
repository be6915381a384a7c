"""The test matrix is what it claims to be: the selected user model, database and cache."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, models

TEST_USER = os.environ.get("AUTHGATE_TEST_USER", "auth") or "auth"
TEST_DB = os.environ.get("AUTHGATE_TEST_DB", "sqlite") or "sqlite"

EXPECTED_PK = {
    "auth": (models.AutoField, models.BigAutoField),
    "uuid": (models.UUIDField,),
    "str": (models.CharField,),
}


def test_user_model_has_the_selected_primary_key_type():
    pk = get_user_model()._meta.pk
    assert isinstance(pk, EXPECTED_PK[TEST_USER]), (TEST_USER, settings.AUTH_USER_MODEL, pk)


def test_database_is_the_selected_one():
    assert connection.vendor == {"sqlite": "sqlite", "postgres": "postgresql"}[TEST_DB]


@pytest.mark.django_db
def test_user_fixture_round_trips_through_the_database(user):
    fetched = get_user_model().objects.get(pk=user.pk)
    assert fetched == user
    assert fetched.get_username() == "alice"
    if TEST_USER == "uuid":
        assert isinstance(fetched.pk, uuid.UUID)
    elif TEST_USER == "str":
        assert isinstance(fetched.pk, str)
        assert fetched.pk.startswith("u-")
    else:
        assert isinstance(fetched.pk, int)
    assert authenticate(username="alice", password="correct horse") == user
    assert authenticate(username="alice", password="wrong") is None


def test_make_user_passes_extra_fields(make_user):
    bob = make_user("bob", "s3cret", email="bob@example.com", is_staff=True)
    assert bob.email == "bob@example.com"
    assert bob.is_staff
    assert bob.check_password("s3cret")


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_pass_uses_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (name,) = cursor.fetchone()
    assert name == connection.settings_dict["NAME"]
    assert name.startswith("test_")


@pytest.mark.redis
def test_redis_pass_uses_the_redis_cache():
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    cache.set("authgate:smoke", {"n": 1}, timeout=30)
    assert cache.get("authgate:smoke") == {"n": 1}
    # add() only succeeds on an absent key: the cache was cleared before this test.
    assert cache.add("authgate:counter", 0)
    assert cache.incr("authgate:counter") == 1
