"""The compiled lookup returns what the ORM returns, in one query, for every user model."""

from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from hypothesis import given
from hypothesis import strategies as st

from authgate._speed.fastquery import CompiledLookup, field_preparer
from authgate.models import UserAuthState
from authgate.state import bump_generation

# The compiled lookup itself: tests/speed/test_paths_agree.py holds the plain path to it.
pytestmark = [pytest.mark.django_db, pytest.mark.fast_paths_only]


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


# --- the direct path: same rows, same instances, Django's checks and errors ---------------


def _token_lookup():
    from authgate.schemes.tokens.store import token_store

    lookup = token_store().rows
    assert isinstance(lookup, CompiledLookup)  # the fast paths are on, and this Django fits
    return lookup


def _issue_rich_token(user):
    from datetime import timedelta

    from authgate.schemes.tokens import service as tokens

    token, _plaintext = tokens.issue(
        user,
        name="rich",
        note="a note",
        policy={"resources": {"*": {"allow": ["GET"], "block": ["*"]}}},
        allowed_ips=["10.0.0.0/8"],
        expires_in=timedelta(days=3),
        extra_data={"k": [1, 2]},
    )
    from django.utils import timezone

    from authgate.models import APIToken

    APIToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
    return token


def _same_instance(found, expected):
    assert type(found) is type(expected)
    assert set(vars(found)) == set(vars(expected))
    for name, value in vars(expected).items():
        if name != "_state":
            assert vars(found)[name] == value, name
            assert type(vars(found)[name]) is type(value), name
    assert found._state.adding is False
    assert found._state.db == expected._state.db


def test_direct_path_builds_what_the_orm_builds(make_user):
    from authgate.models import APIToken

    alice = make_user("alice", "pw", email="a@example.com")
    token = _issue_rich_token(alice)
    expected = APIToken.objects.select_related("user").get(pk=token.pk)
    found = _token_lookup().get(token.digest)
    compiled = _token_lookup()._compiled("default")
    assert compiled.root.plain and compiled.root.children[0].plain  # built without from_db
    assert compiled.builder is not None  # by the one generated function
    _same_instance(found, expected)
    _same_instance(found.user, expected.user)
    assert found.expires.utcoffset() is not None
    assert found.policy == token.policy
    assert found.extra_data == {"k": [1, 2]}


def test_a_fetched_row_builds_what_the_orm_builds_settled_or_not(make_user):
    from authgate.models import APIToken

    token = _issue_rich_token(make_user("alice", "pw", email="a@example.com"))
    expected = APIToken.objects.select_related("user").get(pk=token.pk)
    fetched = _token_lookup().fetch(token.digest)
    settled = fetched.settle()
    assert settled.settled and settled.settle() is settled
    for built in (fetched.build(), settled.build(), settled.build()):
        _same_instance(built, expected)
        _same_instance(built.user, expected.user)
    first, second = settled.build(), settled.build()
    assert first is not second and first.policy is not second.policy  # new objects each time


def test_empty_json_values_are_new_objects(make_user):
    from authgate.schemes.tokens import service as tokens

    token, _plaintext = tokens.issue(make_user("alice", "pw"))
    first = _token_lookup().get(token.digest)
    first.policy["mutated"] = True
    first.allowed_ips.append("x")
    second = _token_lookup().get(token.digest)
    assert second.policy == {}
    assert second.allowed_ips == []


def test_direct_path_when_nothing_observes(make_user, monkeypatch):
    from authgate._speed import fastquery
    from authgate.schemes.tokens.service import issue

    token, _plaintext = issue(make_user("alice", "pw"))
    direct = []
    real = fastquery.fetchone
    monkeypatch.setattr(fastquery, "fetchone", lambda *args: direct.append(args) or real(*args))
    assert _token_lookup().get(token.digest).pk == token.pk
    assert len(direct) == 1


@pytest.mark.parametrize("how", ["override_settings", "assignment"])
def test_debug_logs_the_query_however_it_was_turned_on(make_user, how):
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import override_settings

    from authgate.schemes.tokens.service import issue

    token, _plaintext = issue(make_user("alice", "pw"))
    _token_lookup().get(token.digest)  # DEBUG read (and resolved) while off
    reset_queries()
    if how == "assignment":  # no setting_changed signal: read from settings each time
        debug, settings.DEBUG = settings.DEBUG, True
        try:
            assert _token_lookup().get(token.digest).pk == token.pk
        finally:
            settings.DEBUG = debug
    else:
        with override_settings(DEBUG=True):
            assert _token_lookup().get(token.digest).pk == token.pk
    assert [q for q in connection.queries if token.digest in q["sql"]]


def test_execute_wrappers_see_the_query(make_user):
    from django.db import connection

    from authgate.schemes.tokens.service import issue

    token, _plaintext = issue(make_user("alice", "pw"))
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert _token_lookup().get(token.digest).pk == token.pk
    assert len(seen) == 1


def test_database_errors_are_django_errors_on_the_direct_path(make_user):
    from django.db import DatabaseError

    from authgate.schemes.tokens.service import issue

    token, _plaintext = issue(make_user("alice", "pw"))
    lookup = _token_lookup()
    lookup.get(token.digest)
    compiled = lookup._compiled("default")
    compiled.native_sql = "SELECT * FROM authgate_no_such_table"
    try:
        with pytest.raises(DatabaseError):
            lookup.get(token.digest)
    finally:
        lookup.reset()


@pytest.mark.django_db(transaction=True)  # the loop's connection must see the token
def test_the_direct_path_refuses_an_event_loop_as_djangos_cursor_does(make_user, monkeypatch):
    import asyncio

    from django.core.exceptions import SynchronousOnlyOperation
    from django.db import connections

    from authgate._speed import fastquery
    from authgate.schemes.tokens.service import issue

    token, _plaintext = issue(make_user("alice", "pw"))
    direct = []
    real = fastquery.fetchone
    monkeypatch.setattr(fastquery, "fetchone", lambda *args: direct.append(args) or real(*args))

    async def in_the_loop():
        # The loop's own connection, connected while allowed: the check must still run.
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        assert _token_lookup().get(token.digest).pk == token.pk
        monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE")
        try:
            with pytest.raises(SynchronousOnlyOperation):
                _token_lookup().get(token.digest)
        finally:
            monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            connections["default"].close()

    asyncio.run(in_the_loop())
    assert len(direct) == 2  # both on the direct path, not Django's cursor


def test_the_direct_path_refuses_a_connection_from_another_thread(make_user):
    import threading

    from django.db import DatabaseError, connections

    from authgate.schemes.tokens.service import issue

    token, _plaintext = issue(make_user("alice", "pw"))
    owner_connection = connections["default"]
    errors = []

    def borrow():
        connections["default"] = owner_connection  # this thread's handler only
        try:
            _token_lookup().get(token.digest)
        except DatabaseError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=borrow)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "same thread" in errors[0]


def test_init_signal_receivers_get_from_db(user_lookup, make_user):
    from django.db.models.signals import post_init

    alice = make_user("alice", "pw")
    model = get_user_model()
    user_lookup.get(alice.pk)  # compiled before the receiver exists
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=model)
    try:
        found = user_lookup.get(alice.pk)
    finally:
        post_init.disconnect(receiver, sender=model)
    assert seen == [found]
    assert user_lookup.get(alice.pk) is not None
    assert len(seen) == 1


def test_time_zone_settings_recompile(make_user):
    from django.test import override_settings

    from authgate.models import APIToken

    token = _issue_rich_token(make_user("alice", "pw"))
    assert _token_lookup().get(token.digest).created.utcoffset() is not None
    with override_settings(USE_TZ=False):
        expected = APIToken.objects.select_related("user").get(pk=token.pk)
        found = _token_lookup().get(token.digest)
        assert found.created.utcoffset() is None
        _same_instance(found, expected)
    assert _token_lookup().get(token.digest).created.utcoffset() is not None


def test_the_generated_builder_builds_what_the_node_walk_builds(user_lookup, make_user):
    """Both ways of building (one generated function, the per-node walk) agree, for a
    present and an absent related row."""
    from django.db import connection

    alice = make_user("alice", "pw", email="a@example.com")
    bob = make_user("bob", "pw")
    bump_generation(alice)
    user_lookup.get(alice.pk)
    compiled = user_lookup._compiled("default")
    assert compiled.builder is not None
    for user in (alice, bob):
        with connection.cursor() as cursor:
            params = dict(compiled.params)
            for slot in compiled.slots:
                params[slot] = user_lookup.prepare(user.pk, connection)
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        built = compiled.builder("default", row)
        walked = compiled.root.build("default", compiled.convert(row))
        _same_instance(built, walked)
        assert built._state.fields_cache.keys() == walked._state.fields_cache.keys()
        related = built._state.fields_cache["authgate_state"]
        if related is None:
            assert walked._state.fields_cache["authgate_state"] is None
        else:
            _same_instance(related, walked._state.fields_cache["authgate_state"])
            assert related._state.fields_cache["user"] is built  # the reverse side is set too


def test_sqlite_datetimes_are_made_aware_as_django_makes_them():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from authgate._speed.converters import _sqlite_datetime

    zone = ZoneInfo("Europe/Paris")
    convert = _sqlite_datetime(zone)
    ambiguous = datetime(2026, 10, 25, 2, 30, fold=1)  # the clocks go back at 3:00
    for naive in (ambiguous, ambiguous.replace(fold=0), datetime(2026, 1, 1)):
        made = convert(naive)
        assert made == naive.replace(tzinfo=zone)
        assert (made.fold, made.tzinfo, type(made)) == (naive.fold, zone, datetime)
        assert made.utcoffset() == naive.replace(tzinfo=zone).utcoffset()
    aware = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    assert convert(aware) is aware
    assert convert("2026-01-01 10:00:00") == datetime(2026, 1, 1, 10, tzinfo=zone)


# --- SQLite: columns read without the driver's declared-type lookup ---------------------


def _column(model, name):
    from django.db import connection

    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)}.{quote(model._meta.get_field(name).column)}"


def test_sqlite_columns_skip_the_drivers_declared_type_lookup():
    from django.db import connection

    from authgate.models import APIToken

    sql = _token_lookup()._compiled("default").sql
    created, digest = _column(APIToken, "created"), _column(APIToken, "digest")
    is_active = _column(get_user_model(), "is_active")
    if connection.vendor != "sqlite":
        assert f"+{created}" not in sql and f" {created}" in sql  # Django's SQL as it is
        return
    assert f"+{created} AS _c" in sql  # datetime: fastrows reads the raw text as the driver
    assert f"+{digest} AS _c" in sql  # varchar: the driver has no converter for it anyway
    assert f" {is_active} AS _c" in sql  # bool: keeps the driver's own converter


def test_a_converter_the_project_registered_keeps_its_column(make_user, monkeypatch):
    import sqlite3

    from django.db import connection

    from authgate.models import APIToken
    from authgate.schemes.tokens.service import issue

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's driver converters")
    token, _plaintext = issue(make_user("alice", "pw"))
    monkeypatch.setitem(sqlite3.converters, "VARCHAR", lambda value: value.decode().upper())
    _token_lookup().reset()
    try:
        sql = _token_lookup()._compiled("default").sql
        assert f" {_column(APIToken, 'digest')} AS _c" in sql
        assert _token_lookup().get(token.digest).digest == token.digest.upper()
    finally:
        monkeypatch.undo()
        _token_lookup().reset()
    assert _token_lookup().get(token.digest).digest == token.digest


_stored_datetimes = st.datetimes(min_value=datetime(1, 1, 1, 0, 0, 1)).map(
    lambda value: value.isoformat(sep=" ")
)


@given(
    st.one_of(
        _stored_datetimes,  # what Django stores
        st.datetimes(timezones=st.timezones()).map(str),
        st.text(max_size=30),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),  # SQLite's INTEGER
        st.floats(allow_nan=False),
        st.binary(max_size=30),
    )
)
def test_a_raw_sqlite_datetime_reads_as_the_drivers_converter_and_djangos_do(value):
    """The same stored value through Django's driver converter and ORM converter, and
    through fastrows' one converter from the raw value: the same result, or the same error."""
    import sqlite3
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from django.db.backends.sqlite3.base import Database  # registers Django's converters
    from django.db.backends.sqlite3.operations import DatabaseOperations

    from authgate._speed.converters import _sqlite_datetime

    zone = ZoneInfo("Europe/Paris")
    ops = DatabaseOperations(SimpleNamespace(timezone=zone))
    db = sqlite3.connect(":memory:", detect_types=Database.PARSE_DECLTYPES)
    db.execute("CREATE TABLE t (d datetime)")
    db.execute("INSERT INTO t VALUES (?)", (value,))

    def outcome(read):
        try:
            result = read()
        except Exception as exc:  # the error type is what is compared
            return ("raised", type(exc))
        if isinstance(result, datetime):
            return (result, result.tzinfo, result.fold)
        return result

    expected = outcome(
        lambda: ops.convert_datetimefield_value(
            db.execute("SELECT d FROM t").fetchone()[0], None, None
        )
    )
    raw = db.execute("SELECT +d FROM t").fetchone()[0]
    assert outcome(lambda: None if raw is None else _sqlite_datetime(zone)(raw)) == expected


# --- PostgreSQL: one kept cursor per lookup and driver connection ----------------------


def _timestamps(obj):
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.get_internal_type() == "DateTimeField" and getattr(obj, f.attname) is not None
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # a close inside an atomic block breaks it
def test_postgres_reuses_one_cursor_until_the_connection_changes(make_user):
    from django.db import connection

    from authgate.schemes.tokens.service import issue

    token, _plaintext = issue(make_user("alice", "pw"))
    lookup = _token_lookup()
    assert lookup.get(token.digest).pk == token.pk
    kept = lookup._compiled("default").cursor
    assert kept is not None and kept.connection is connection.connection
    assert lookup.get(token.digest).pk == token.pk
    assert lookup._compiled("default").cursor is kept  # not a new cursor per lookup
    connection.close()  # a reconnect: the kept cursor belongs to the closed connection
    try:
        assert lookup.get(token.digest).pk == token.pk
        assert lookup._compiled("default").cursor is not kept
        assert lookup._compiled("default").cursor.connection is connection.connection
    finally:
        lookup.reset()


@pytest.mark.postgres
@pytest.mark.parametrize("use_tz", [True, False])
def test_postgres_timestamps_are_the_orms_to_the_tzinfo(make_user, use_tz):
    from django.test import override_settings

    from authgate.models import APIToken
    from authgate.schemes.tokens.service import issue

    alice = make_user("alice", "pw")
    token, _plaintext = issue(alice)
    APIToken.objects.filter(pk=token.pk).update(last_used=token.created)
    with override_settings(USE_TZ=use_tz):  # naive datetimes: Django's loader, kept
        found = _token_lookup().get(token.digest)
        expected = APIToken.objects.select_related("user").get(pk=token.pk)
    for ours, orms in ((found, expected), (found.user, expected.user)):
        values, wanted = _timestamps(ours), _timestamps(orms)
        assert values == wanted and values
        for name, value in values.items():
            assert value.tzinfo is wanted[name].tzinfo, name
            assert (value.tzinfo is None) is (not use_tz), name


@pytest.mark.postgres
def test_postgres_a_datestyle_the_probe_cannot_read_keeps_djangos_loader():
    from django.db import connection
    from psycopg import adapters
    from psycopg.pq import Format

    from authgate._speed.driver import _fast_timestamps

    oid = adapters.types["timestamptz"].oid
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL DateStyle = 'SQL, DMY'")
    cursor = connection.create_cursor()
    djangos = cursor.adapters.get_loader(oid, Format.TEXT)
    _fast_timestamps(cursor)  # no error: the probe's failure only means "keep Django's"
    assert cursor.adapters.get_loader(oid, Format.TEXT) is djangos
