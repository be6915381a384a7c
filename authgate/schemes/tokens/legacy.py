"""Credentials of the packages authgate replaces, accepted unchanged through a migration.

Imported by ``manage.py authgate import-drf-tokens`` / ``import-knox-tokens`` /
``import-api-keys`` (:mod:`authgate.schemes.tokens.legacy_import`) into
:class:`~authgate.models.APIToken` rows of a deprecated format, each accepted while its
setting is on, and looked up like an ``agt_`` token: **one indexed query** by digest.

=============================  ==========================  =================================
what the client sends          accepted with               the row's digest
=============================  ==========================  =================================
``Token <40 hex>`` (DRF)       ``TOKEN_ACCEPT_DRF_KEYS``   SHA-256 of the key
``Token <knox token>``         ``TOKEN_ACCEPT_KNOX_TOKENS``  knox's SHA-512; its 15-character
                                                           key is the display prefix, compared too
``Api-Key <prefix>.<secret>``  ``TOKEN_ACCEPT_API_KEYS``   SHA-256 of the key, after one
                                                           check of api-key's password hash
=============================  ==========================  =================================

Two first uses cost more, once. A DRF key created *after* the import (DRF's
``obtain_auth_token`` or a ``post_save`` receiver still running) is found in DRF's own
table (its primary key), imported, and logged as a warning: the next use is one query.
A lookup at first use rather than a ``post_save`` receiver on DRF's ``Token``: it also
covers keys made without the signal (``bulk_create``, SQL, another service writing the
table), costs nothing until such a key is used, and the warning names the moment.
An api-key key's row holds the key's password hash until it is first used: the hash is
checked once with the hasher that made it, then replaced by the SHA-256 digest (a
conditional ``UPDATE``, so two racing first uses agree).

Every use of a deprecated credential is visible: the response says
``X-API-Token-Deprecated``, an INFO line is logged on this module's logger (the token's
display prefix and user, never the secret), and the use is counted in the shared cache
(:func:`uses`, shown by ``authgate list --legacy`` and the admin) besides ``last_used``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import check_password
from django.core.cache import caches
from django.db import DatabaseError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from authgate.conf import chain_settings
from authgate.core import opaque
from authgate.schemes.tokens.models import APIToken
from authgate.schemes.tokens.settings import TokenSettings

__all__ = [
    "API_KEY_KEYWORD",
    "API_KEY_RE",
    "DRF_KEY_RE",
    "KNOX_TOKEN_RE",
    "Presented",
    "api_key_placeholder",
    "first_use",
    "knox_digest",
    "note_use",
    "recognise",
    "uses",
]

logger = logging.getLogger(__name__)

#: djangorestframework-api-key's ``Authorization`` keyword.
API_KEY_KEYWORD = "Api-Key"
#: A ``rest_framework.authtoken`` key: 40 lowercase hex characters (no checksum).
DRF_KEY_RE = re.compile(r"[0-9a-f]{40}", re.ASCII)
#: A knox token: knox's ``TOKEN_PREFIX`` (at most 10 characters) and hex characters
#: (``AUTH_TOKEN_CHARACTER_LENGTH``, 64 by default).
KNOX_TOKEN_RE = re.compile(r"[!-~]{0,10}?[0-9a-f]{32,128}", re.ASCII)
#: A djangorestframework-api-key key: ``<prefix>.<secret>`` (8 and 32 letters and digits
#: by default).
API_KEY_RE = re.compile(r"([A-Za-z0-9]{1,8})\.([A-Za-z0-9]{1,128})", re.ASCII)
#: knox's 15-character token key (``CONSTANTS.TOKEN_KEY_LENGTH``).
KNOX_KEY_LENGTH = 15


@dataclass(frozen=True, slots=True)
class Presented:
    """A credential of a deprecated format, as recognised before any database work."""

    format: str
    #: What the row's ``digest`` must be.
    digest: str
    #: What the row's ``display_prefix`` must be (knox's key, api-key's prefix), if checked.
    display: str | None = None


def knox_digest(token: str) -> str:
    """knox's digest of a token (``knox.crypto.hash_token``: SHA-512 of its UTF-8, hex)."""
    return hashlib.sha512(token.encode("utf-8")).hexdigest()


def api_key_placeholder(prefix: str) -> str:
    """The ``digest`` of an imported api-key row until its first use: never a hex digest."""
    return f"apikey:{prefix}"


def aware(value: Any) -> datetime | None:
    """A datetime read with plain SQL (SQLite gives text): parsed, and UTC if naive."""
    moment = value if value is None or isinstance(value, datetime) else parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def drf_row(key: str, user_id: Any, created: Any, *, expires: datetime | None) -> APIToken:
    """An unsaved row for a DRF key."""
    return APIToken(
        user_id=user_id,
        name="Imported DRF token",
        display_prefix=f"drf_{key[: opaque.DISPLAY_LENGTH]}",
        digest=opaque.digest(key),
        digest_version=opaque.DIGEST_VERSION,
        token_format=APIToken.Format.DRF,
        created=aware(created) or timezone.now(),
        expires=expires,
    )


def recognise(token: str, keyword: str, config: TokenSettings) -> list[Presented]:
    """The deprecated formats ``token`` may be in (most likely first), by its shape and
    the settings that accept each; empty when none."""
    if keyword.lower() == "api-key":
        match = API_KEY_RE.fullmatch(token) if config.accept_api_keys else None
        if match is None:
            return []
        return [Presented(APIToken.Format.API_KEY, opaque.digest(token), match.group(1))]
    found = []
    if config.accept_drf_keys and DRF_KEY_RE.fullmatch(token):
        found.append(Presented(APIToken.Format.DRF, opaque.digest(token)))
    if config.accept_knox_tokens and KNOX_TOKEN_RE.fullmatch(token):
        found.append(Presented(APIToken.Format.KNOX, knox_digest(token), token[:KNOX_KEY_LENGTH]))
    return found


def matches(token: APIToken, presented: Presented) -> bool:
    """The row is the one ``presented`` names: format, digest and display prefix agree."""
    return (
        token.token_format == presented.format
        and hmac.compare_digest(token.digest, presented.digest)
        and (
            presented.display is None
            or hmac.compare_digest(token.display_prefix.encode(), presented.display.encode())
        )
    )


def first_use(presented: Presented, token: str) -> APIToken | None:
    """The row for a credential the digest lookup did not find, if one is due: a DRF key
    created after the import (imported now), or an api-key key not yet used (its hash
    checked, then its digest stored)."""
    if presented.format == APIToken.Format.DRF:
        return _import_late_drf_key(token)
    if presented.format == APIToken.Format.API_KEY:
        return _convert_api_key(presented, token)
    return None


def _import_late_drf_key(key: str) -> APIToken | None:
    if not apps.is_installed("rest_framework.authtoken"):
        return None
    from rest_framework.authtoken.models import Token

    drf_token = Token.objects.filter(key=key).first()  # its primary key
    if drf_token is None:
        return None
    try:
        with transaction.atomic():
            row = drf_row(drf_token.key, drf_token.user_id, drf_token.created, expires=None)
            row.save()
    except DatabaseError:  # imported by a concurrent first use: read theirs
        row = APIToken.objects.filter(digest=opaque.digest(key)).first()  # type: ignore[assignment]
        if row is None:
            return None
    logger.warning(
        "A DRF key created after the import (%s, user pk=%s) was used: imported it now. "
        "Keys are still being created in rest_framework.authtoken: stop that, or run "
        "`manage.py authgate import-drf-tokens` again.",
        row.display_prefix,
        drf_token.user_id,
    )
    return APIToken.objects.select_related("user").get(pk=row.pk)


def _convert_api_key(presented: Presented, key: str) -> APIToken | None:
    placeholder = api_key_placeholder(presented.display or "")
    row = APIToken.objects.select_related("user").filter(digest=placeholder).first()
    if row is None or row.token_format != APIToken.Format.API_KEY:
        return None
    hashed = str(row.extra_data.get("hashed_key", ""))
    if not _api_key_hash_matches(key, hashed):
        return None
    extra = {k: v for k, v in row.extra_data.items() if k != "hashed_key"}
    converted = APIToken.objects.filter(pk=row.pk, digest=placeholder).update(
        digest=presented.digest, extra_data=extra
    )
    if not converted:  # a concurrent first use converted it: read the row as it is now
        return APIToken.objects.select_related("user").filter(digest=presented.digest).first()
    row.digest, row.extra_data = presented.digest, extra
    logger.info("Imported API key %s: first use, its hash replaced by a digest", row.display_prefix)
    return row


def _api_key_hash_matches(key: str, hashed: str) -> bool:
    """djangorestframework-api-key's check: its own ``sha512$$<hex>`` hasher, else the
    Django password hasher that made the hash (``PASSWORD_HASHERS``)."""
    if hashed.startswith("sha512$$"):
        expected = "sha512$$" + hashlib.sha512(key.encode()).hexdigest()
        return hmac.compare_digest(expected.encode(), hashed.encode())
    if not hashed:
        return False
    try:
        return check_password(key, hashed)
    except ValueError:  # a hasher no longer installed
        logger.error("API key hash of an unknown algorithm: add its hasher to PASSWORD_HASHERS")
        return False


def _uses_key(token: APIToken) -> str:
    return f"authgate:legacy-uses:{token.pk}"


def note_use(token: APIToken, request: HttpRequest | None) -> None:
    """Log (INFO) and count a use of a deprecated credential; a cache error skips the count."""
    logger.info(
        "Deprecated %s credential used: %s (user pk=%s)",
        token.token_format,
        token.display_prefix,
        token.user_id,
    )
    with contextlib.suppress(Exception):  # counting is information: never fail the request
        cache = caches[chain_settings().cache]
        key = _uses_key(token)
        try:
            cache.incr(key)  # one round trip in the steady state
        except ValueError:  # the first counted use
            if not cache.add(key, 1, None):
                cache.incr(key)


def uses(token: APIToken) -> int | None:
    """How many uses :func:`note_use` counted (``None`` if the cache cannot say)."""
    try:
        value = caches[chain_settings().cache].get(_uses_key(token), 0)
    except Exception:
        return None
    return int(value)
