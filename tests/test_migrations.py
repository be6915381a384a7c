"""The migrations match the models, and the token table carries only the indexes it uses."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from authgate.models import APIToken


def test_models_need_no_new_migration(db):
    # --check exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "authgate", "--check", "--dry-run", verbosity=0)


def indexed_columns(table):
    """The columns of each index and unique constraint but the primary key."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return sorted(
        (tuple(c["columns"]), "unique" if c["unique"] else "index")
        for c in constraints.values()
        if (c["index"] or c["unique"]) and not c["primary_key"]
    )


@pytest.mark.django_db
def test_token_table_indexes_are_the_ones_queries_use():
    """Each index is written on every insert and weighed by PostgreSQL's planner on every
    unprepared lookup: no LIKE indexes on digest or prefix, no second index on user_id."""
    indexed = indexed_columns(APIToken._meta.db_table)
    # created_by_id and rotated_from_id: deleting a user or a token finds its references.
    assert indexed == [
        (("created_by_id",), "index"),
        (("digest",), "unique"),  # the token lookup
        (("display_prefix",), "index"),  # `authgate revoke <prefix>`
        (("parent_id",), "index"),  # lineage: a revoked token finds its children
        (("parent_key_id",), "index"),  # lineage: a revoked key finds its children
        (("rotated_from_id",), "index"),
        (("user_id", "revoked_at"), "index"),  # a user's live tokens; serves user_id alone
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_0005_keeps_digests_unique_and_rows_intact(user):
    """Migrating back to 0004 and forward again keeps every row and the uniqueness."""
    from django.db import IntegrityError

    from authgate.schemes.tokens.service import issue

    row, _plaintext = issue(user)
    executor = MigrationExecutor(connection)
    executor.migrate([("authgate", "0004_http_signature_keys")])
    assert (("digest",), "unique") in indexed_columns(APIToken._meta.db_table)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("authgate"))
    assert APIToken.objects.get(pk=row.pk).digest == row.digest
    with pytest.raises(IntegrityError):
        APIToken.objects.create(
            user=user, digest=row.digest, digest_version=row.digest_version, display_prefix="x"
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_0009_leaves_existing_tokens_unbound(user):
    """The DPoP binding (issue #22) is one column with a constant default: tokens issued
    before it stay bearer tokens. Migrating back drops the column, and with it every
    binding (docs/tokens.md#dpop says so: revoke bound tokens before going back)."""
    from authgate.schemes.tokens.service import issue

    old, _plaintext = issue(user)
    bound, _plaintext = issue(user, dpop_jkt="NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    executor = MigrationExecutor(connection)
    executor.migrate([("authgate", "0007_legacy_token_formats")])
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, APIToken._meta.db_table)
    assert "dpop_jkt" not in {column.name for column in columns}
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("authgate"))
    assert APIToken.objects.get(pk=old.pk).dpop_jkt == ""
    assert APIToken.objects.get(pk=bound.pk).dpop_jkt == ""  # the column was dropped going back
