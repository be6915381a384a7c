"""Per-user revocation generations and one-time use, including under concurrency."""

import threading

import pytest
from django.db import close_old_connections

from authgate.models import UsedToken
from authgate.state import bump_generation, consume_once, generation_of

pytestmark = pytest.mark.django_db


def test_generation_starts_at_zero_and_bumps(user):
    from django.contrib.auth import get_user_model

    fresh = get_user_model().objects.select_related("authgate_state").get(pk=user.pk)
    assert generation_of(fresh) == 0
    assert bump_generation(user) == 1
    assert bump_generation(user) == 2
    fresh = get_user_model().objects.select_related("authgate_state").get(pk=user.pk)
    assert generation_of(fresh) == 2


@pytest.mark.parametrize("bumps", [0, 3])
def test_generation_reads_what_select_related_loaded_else_queries(
    user, bumps, django_assert_num_queries
):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    for _ in range(bumps):
        bump_generation(user)
    selected = users.select_related("authgate_state").get(pk=user.pk)
    with django_assert_num_queries(0):  # with or without a state row: no query
        assert generation_of(selected) == bumps
    plain = users.get(pk=user.pk)
    with django_assert_num_queries(1):  # not selected: the row is read once
        assert generation_of(plain) == bumps
    with django_assert_num_queries(0):
        assert generation_of(plain) == bumps


def test_consume_once_is_once(db):
    assert consume_once("a" * 64, kind="link") is True
    assert consume_once("a" * 64, kind="link") is False
    assert UsedToken.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_consume_once_under_concurrency_succeeds_exactly_once():
    results = []
    barrier = threading.Barrier(20)

    def worker():
        barrier.wait()
        try:
            results.append(consume_once("b" * 64, kind="link"))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 19 + [True]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bumps_lose_no_increment(make_user):
    user = make_user("racer", "pw")
    barrier = threading.Barrier(10)

    def worker():
        barrier.wait()
        try:
            bump_generation(user)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from authgate.models import UserAuthState

    assert UserAuthState.objects.get(user=user).generation == 10
