"""Importing the credentials of DRF authtoken, django-rest-knox and djangorestframework-api-key.

``manage.py authgate import-drf-tokens`` / ``import-knox-tokens`` / ``import-api-keys``.
Each reads the other package's table — through its model while the app is installed, with
plain SQL once it is gone from ``INSTALLED_APPS`` but its table is still there — and makes
one :class:`~authgate.models.APIToken` row per credential, of a deprecated format that
:mod:`authgate.schemes.tokens.legacy` accepts unchanged while its setting is on. Every
command can run again: rows already imported are brought up to date (expiry, name,
revocation; a credential gone from the source is revoked: a knox logout deletes its row),
nothing is imported twice. No plaintext is ever read but DRF's (which stores its keys in
the clear); knox's digest and api-key's hash are carried over as they are.

Imported rows keep their package's semantics: no expiry unless the source had one (DRF
keys never expire; ``--expires-in`` gives them one), whatever ``TOKEN_DEFAULT_LIFETIME``
and ``ALLOW_NON_EXPIRING_TOKENS`` say about new tokens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from authgate.core import opaque
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.legacy import api_key_placeholder, aware, drf_row
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.validation import expiry

__all__ = [
    "ImportResult",
    "drf_row",
    "import_api_keys",
    "import_drf_tokens",
    "import_knox_tokens",
]

#: ``digest_version`` of imported rows whose digest is not authgate's (knox's SHA-512,
#: api-key's placeholder until its first use).
FOREIGN_DIGEST = 0


@dataclass
class ImportResult:
    """What an import did."""

    imported: int = 0
    updated: int = 0
    revoked: int = 0
    deleted: int = 0
    users_created: int = 0

    def __str__(self) -> str:
        parts = [f"imported {self.imported}", f"updated {self.updated}"]
        parts.append(f"revoked {self.revoked}")
        if self.deleted:
            parts.append(f"deleted {self.deleted} source row(s)")
        if self.users_created:
            parts.append(f"created {self.users_created} user(s)")
        return ", ".join(parts)


def _table_rows(table: str, columns: Iterable[str]) -> list[tuple[Any, ...]] | None:
    """Every row of ``table`` (those ``columns``), or ``None`` if there is no such table."""
    if table not in connection.introspection.table_names():
        return None
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)}"  # noqa: S608
        )
        return [tuple(row) for row in cursor.fetchall()]


def _source(
    app: str, table: str, columns: tuple[str, ...], from_model: Callable[[], Any]
) -> list[tuple[Any, ...]]:
    """The source rows: through the model while ``app`` is installed, else plain SQL."""
    if apps.is_installed(app):
        return [tuple(row) for row in from_model().values_list(*columns)]
    rows = _table_rows(table, columns)
    if rows is None:
        raise CommandError(
            f"{app} is not in INSTALLED_APPS and its table {table} is gone: there is "
            "nothing left to import. Credentials imported before keep working while their "
            "AUTHGATE setting is on; see `manage.py authgate list --legacy`."
        )
    return rows


# --- DRF authtoken -------------------------------------------------------------------------


def import_drf_tokens(*, expires_in: Any = None, delete: bool = False) -> ImportResult:
    """Store a digest of every ``rest_framework.authtoken`` key, so clients keep working.

    ``expires_in`` (a ``timedelta``; default ``None``: never, as in DRF) gives the
    imported keys a lifetime from now. With ``delete`` the plaintext DRF rows are deleted
    afterwards (only through the model: with the app installed).
    """
    rows = _source(
        "rest_framework.authtoken",
        "authtoken_token",
        ("key", "user_id", "created"),
        lambda: apps.get_model("authtoken", "Token").objects,
    )
    now = timezone.now()
    expires = expiry(expires_in, now) if expires_in is not None else None
    result = ImportResult()
    with transaction.atomic():
        known = set(
            APIToken.objects.filter(digest__in=[opaque.digest(row[0]) for row in rows]).values_list(
                "digest", flat=True
            )
        )
        fresh = []
        for key, user_id, created in rows:
            if opaque.digest(key) not in known:
                fresh.append(drf_row(key, user_id, created, expires=expires))
        APIToken.objects.bulk_create(fresh)
        result.imported = len(fresh)
        if delete:
            if not apps.is_installed("rest_framework.authtoken"):
                raise CommandError(
                    "--delete needs rest_framework.authtoken in INSTALLED_APPS; drop the "
                    "table authtoken_token with a migration instead."
                )
            result.deleted, _ = apps.get_model("authtoken", "Token").objects.all().delete()
    return result


# --- knox ----------------------------------------------------------------------------------


def _knox_algorithm_is_sha512() -> bool:
    if apps.is_installed("knox"):
        from knox.settings import knox_settings

        return knox_settings.SECURE_HASH_ALGORITHM is hashlib.sha512  # type: ignore[no-any-return]
    path = (getattr(django_settings, "REST_KNOX", None) or {}).get(
        "SECURE_HASH_ALGORITHM", "hashlib.sha512"
    )
    return bool(path == "hashlib.sha512" or import_string(path) is hashlib.sha512)


def import_knox_tokens() -> ImportResult:
    """A row per knox token, with knox's digest and key and its expiry; tokens already
    imported get knox's expiry again, and imported tokens whose knox row is gone (a
    logout, or knox's own clean-up of expired tokens) are revoked."""
    if not _knox_algorithm_is_sha512():
        raise CommandError(
            "REST_KNOX['SECURE_HASH_ALGORITHM'] is not hashlib.sha512: authgate verifies "
            "knox tokens with SHA-512 only; these tokens cannot be carried over."
        )

    def knox_model() -> Any:
        from knox.models import get_token_model

        return get_token_model().objects

    rows = _source(
        "knox",
        "knox_authtoken",
        ("digest", "token_key", "user_id", "created", "expiry"),
        knox_model,
    )
    result = ImportResult()
    with transaction.atomic():
        existing = {
            token.digest: token
            for token in APIToken.objects.filter(token_format=APIToken.Format.KNOX)
        }
        fresh = []
        for digest, token_key, user_id, created, expiry in rows:
            expiry = aware(expiry)
            token = existing.pop(digest, None)
            if token is None:
                fresh.append(
                    APIToken(
                        user_id=user_id,
                        name="Imported knox token",
                        display_prefix=token_key,
                        digest=digest,
                        digest_version=FOREIGN_DIGEST,
                        token_format=APIToken.Format.KNOX,
                        created=aware(created) or timezone.now(),
                        expires=expiry,
                    )
                )
            elif token.expires != expiry:
                APIToken.objects.filter(pk=token.pk).update(expires=expiry)
                result.updated += 1
        APIToken.objects.bulk_create(fresh)
        result.imported = len(fresh)
    for token in existing.values():  # no longer in knox's table
        if not token.is_revoked() and tokens.revoke(token, "Logged out (knox row deleted)"):
            result.revoked += 1
    return result


# --- djangorestframework-api-key -----------------------------------------------------------


def _service_user(username: str, result: ImportResult) -> Any:
    model = get_user_model()
    field = model.USERNAME_FIELD
    user = model._default_manager.filter(**{field: username}).first()
    if user is None:
        user = model(**{field: username})
        user.set_unusable_password()
        user.save()
        result.users_created += 1
    return user


def import_api_keys(*, username: str | None, create_users: str | None) -> ImportResult:
    """A row per djangorestframework-api-key key, for the user ``username`` (a service
    user) or, with ``create_users`` (a username prefix), a new user per key named
    ``<prefix><key prefix>``. Name, expiry and revocation come along and are brought up to
    date on every run; a key deleted from the source is revoked."""
    if (username is None) == (create_users is None):
        raise CommandError("Give --user USERNAME or --create-users PREFIX (not both).")

    rows = _source(
        "rest_framework_api_key",
        "rest_framework_api_key_apikey",
        ("prefix", "hashed_key", "name", "created", "revoked", "expiry_date"),
        # The app's label is its module name (no AppConfig.label).
        lambda: apps.get_app_config("rest_framework_api_key").get_model("APIKey")._default_manager,
    )
    result = ImportResult()
    owner = None
    if username is not None:
        from authgate.management.base import user_by_username

        owner = user_by_username(username)
    revoke: list[tuple[APIToken, str]] = []
    with transaction.atomic():
        existing = {
            token.display_prefix: token
            for token in APIToken.objects.filter(token_format=APIToken.Format.API_KEY)
        }
        for prefix, hashed_key, name, created, revoked, expiry_date in rows:
            expiry = aware(expiry_date)
            token = existing.pop(prefix, None)
            if token is None:
                user = owner or _service_user(f"{create_users}{prefix}", result)
                token = APIToken.objects.create(
                    user=user,
                    name=(name or "Imported API key")[:100],
                    display_prefix=prefix,
                    digest=api_key_placeholder(prefix),
                    digest_version=FOREIGN_DIGEST,
                    token_format=APIToken.Format.API_KEY,
                    created=aware(created) or timezone.now(),
                    expires=expiry,
                    extra_data={"hashed_key": hashed_key},
                )
                result.imported += 1
            elif token.expires != expiry or token.name != (name or token.name):
                APIToken.objects.filter(pk=token.pk).update(expires=expiry, name=name[:100])
                result.updated += 1
            if revoked and not token.is_revoked():
                revoke.append((token, "Revoked in djangorestframework-api-key"))
        revoke.extend(
            (token, "Deleted from djangorestframework-api-key") for token in existing.values()
        )
    for token, reason in revoke:
        if not token.is_revoked() and tokens.revoke(token, reason):
            result.revoked += 1
    return result
