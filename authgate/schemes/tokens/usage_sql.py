"""Writing buffered API-token uses: one ``UPDATE`` for many tokens, newest use wins.

:mod:`authgate.schemes.tokens.usage` hands over ``{token pk: (last_used, last_used_ip)}``; this
writes them with **one statement** per flush (per :func:`rows_per_statement` tokens: 10,000
and more on PostgreSQL and on any current SQLite), joined against a ``VALUES`` list:

PostgreSQL::

    UPDATE "authgate_apitoken" SET "last_used" = v.last_used, "last_used_ip" = v.ip
    FROM (VALUES (CAST(%s AS bigint), CAST(%s AS timestamp with time zone),
                  CAST(%s AS inet)), …) AS v (id, last_used, ip)
    WHERE "authgate_apitoken"."id" = v.id
      AND ("authgate_apitoken"."last_used" IS NULL
           OR "authgate_apitoken"."last_used" < v.last_used)

SQLite 3.33+ (``UPDATE … FROM``; a ``VALUES`` list names its columns ``column1``…)::

    UPDATE "authgate_apitoken" SET "last_used" = v.column2, "last_used_ip" = v.column3
    FROM (VALUES (%s, %s, %s), …) AS v
    WHERE "authgate_apitoken"."id" = v.column1 AND (… IS NULL OR … < v.column2)

Other databases (and older SQLite) get the same ``UPDATE`` from Django's ORM with ``CASE``
expressions, in statements of :data:`ORM_ROWS` tokens (a ``CASE`` is evaluated by a scan of
its branches, so large ones cost what they save).

The ``WHERE`` only ever moves ``last_used`` forward: when several processes (or machines)
flush uses of one token, the newest use wins, with its IP, whatever order the statements
run in. Only those two columns are written; a revocation or a use count in the same row,
written meanwhile, is left as it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, DateTimeField, GenericIPAddressField, Q, Value, When

from authgate.schemes.tokens.models import APIToken

__all__ = ["ORM_ROWS", "Use", "rows_per_statement", "write_uses"]

#: ``(token pk, last_used, last_used_ip)``.
Use = tuple[Any, datetime, str | None]
#: Tokens per statement of the ORM fallback (``CASE`` expressions).
ORM_ROWS = 100
#: Bound parameters PostgreSQL's protocol allows in one statement.
_POSTGRES_PARAMS = 65535
#: The first SQLite with ``UPDATE … FROM``.
_SQLITE_UPDATE_FROM = (3, 33, 0)


def write_uses(uses: Sequence[Use], *, using: str | None = None) -> int:
    """Write ``uses`` (distinct tokens) where they are newer than the stored ``last_used``.

    One statement per :func:`rows_per_statement` tokens, each in autocommit (a statement
    is atomic on its own). Returns the rows changed; raises the database's error.
    """
    alias = using or router.db_for_write(APIToken)
    connection = connections[alias]
    size = rows_per_statement(connection)
    changed = 0
    for start in range(0, len(uses), size):
        chunk = uses[start : start + size]
        if _native(connection):
            sql, params = _statement(connection, chunk)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                changed += cursor.rowcount
        else:
            changed += write_with_orm(chunk, using=alias)
    return changed


def rows_per_statement(connection: BaseDatabaseWrapper) -> int:
    """How many tokens one statement carries: three bound parameters each."""
    if not _native(connection):
        return ORM_ROWS
    if connection.vendor == "postgresql":
        return _POSTGRES_PARAMS // 3
    connection.ensure_connection()
    # Django assumes SQLite's historic 999; builds since 3.32 allow 32,766 by default
    # (Django's backend is the standard library's sqlite3).
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, int(limit) // 3)


def _native(connection: BaseDatabaseWrapper) -> bool:
    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        return bool(sqlite3.sqlite_version_info >= _SQLITE_UPDATE_FROM)
    return False


def _statement(connection: BaseDatabaseWrapper, chunk: Sequence[Use]) -> tuple[str, list[Any]]:
    opts = APIToken._meta
    quote = connection.ops.quote_name
    pk_field: Any = opts.pk
    used_field: Any = opts.get_field("last_used")
    ip_field: Any = opts.get_field("last_used_ip")
    table = quote(opts.db_table)
    pk = f"{table}.{quote(pk_field.column)}"
    used, ip = quote(used_field.column), quote(ip_field.column)
    params: list[Any] = []
    for key, when, address in chunk:
        params += (
            pk_field.get_db_prep_value(key, connection),
            used_field.get_db_prep_value(when, connection),
            ip_field.get_db_prep_value(address, connection),
        )
    if connection.vendor == "postgresql":
        # Typed, so the join and the comparison need no guessing from text literals.
        row = (
            f"(CAST(%s AS {pk_field.rel_db_type(connection)}), "
            f"CAST(%s AS {used_field.cast_db_type(connection)}), "
            f"CAST(%s AS {ip_field.cast_db_type(connection)}))"
        )
        names, v_pk, v_used, v_ip = " (id, last_used, ip)", "v.id", "v.last_used", "v.ip"
    else:
        row = "(%s, %s, %s)"
        names, v_pk, v_used, v_ip = "", "v.column1", "v.column2", "v.column3"
    values = ", ".join([row] * len(chunk))
    sql = (
        f"UPDATE {table} SET {used} = {v_used}, {ip} = {v_ip} "  # noqa: S608 (quoted names)
        f"FROM (VALUES {values}) AS v{names} "
        f"WHERE {pk} = {v_pk} AND ({table}.{used} IS NULL OR {table}.{used} < {v_used})"
    )
    return sql, params


def write_with_orm(chunk: Sequence[Use], *, using: str) -> int:
    """The portable form: one ``UPDATE`` with ``CASE`` expressions, from Django's ORM."""
    time_field, ip_field = DateTimeField(), GenericIPAddressField()
    used = Case(
        *(When(pk=key, then=Value(when, output_field=time_field)) for key, when, _ip in chunk),
        output_field=time_field,
    )
    address = Case(
        *(When(pk=key, then=Value(ip, output_field=ip_field)) for key, _when, ip in chunk),
        output_field=ip_field,
    )
    return (
        APIToken.objects.using(using)
        .filter(pk__in=[key for key, _when, _ip in chunk])
        .filter(Q(last_used__isnull=True) | Q(last_used__lt=used))
        .update(last_used=used, last_used_ip=address)
    )
