"""HMAC secrets sealed at rest: the format, key rotation, the command and the migration."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from authgate.core.keyring import KeyRing
from authgate.models import HTTPSignatureKey
from authgate.schemes.httpsig import service as signature_keys
from authgate.schemes.httpsig.client import signature_headers
from authgate.schemes.httpsig.protocol import sealing
from authgate.schemes.httpsig.protocol.key_material import InvalidKey

WHOAMI = "http://testserver/api/whoami/"
OLD_KEY = "an-old-secret-key-" + "o" * 40
NEW_KEY = "a-new-secret-key-" + "n" * 40
SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldCE="

# --- the format ---------------------------------------------------------------------------


def test_seal_round_trips_and_hides_the_secret() -> None:
    ring = KeyRing([NEW_KEY])
    sealed = sealing.seal(SECRET, keyid="agk_a", ring=ring)
    assert sealed.startswith(sealing.PREFIX) and SECRET not in sealed
    assert sealing.unseal(sealed, keyid="agk_a", ring=ring) == (SECRET, True)
    assert sealing.seal(SECRET, keyid="agk_a", ring=ring) != sealed  # a fresh nonce each time


@pytest.mark.parametrize(
    "damage",
    [
        lambda sealed: sealed.removeprefix(sealing.PREFIX),  # not sealed at all
        lambda sealed: sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1],  # a bit
        lambda sealed: sealed[: len(sealing.PREFIX) + 10],  # truncated
        lambda sealed: sealed + "%",  # not base64
    ],
    ids=["plain", "flipped", "truncated", "garbage"],
)
def test_a_damaged_seal_is_refused(damage: Any) -> None:
    ring = KeyRing([NEW_KEY])
    with pytest.raises(InvalidKey):
        sealing.unseal(
            damage(sealing.seal(SECRET, keyid="agk_a", ring=ring)), keyid="agk_a", ring=ring
        )


def test_a_seal_opens_only_for_its_key_id_and_its_keys() -> None:
    sealed = sealing.seal(SECRET, keyid="agk_a", ring=KeyRing([OLD_KEY]))
    with pytest.raises(InvalidKey):  # copied onto another key's row
        sealing.unseal(sealed, keyid="agk_b", ring=KeyRing([OLD_KEY]))
    with pytest.raises(InvalidKey, match="No key"):  # the old key retired
        sealing.unseal(sealed, keyid="agk_a", ring=KeyRing([NEW_KEY]))
    # The old key as a fallback still opens it, and says so.
    assert sealing.unseal(sealed, keyid="agk_a", ring=KeyRing([NEW_KEY, OLD_KEY])) == (
        SECRET,
        False,
    )


def test_subkeys_are_apart_from_mac_keys_and_namespaces() -> None:
    ring = KeyRing([NEW_KEY, OLD_KEY])
    first = ring.subkeys(namespace="n1")
    assert len(first) == 2 and all(len(key) == 32 for key in first)
    assert first == ring.subkeys(namespace="n1")  # derived, not random
    assert first[0] != first[1]
    assert set(first).isdisjoint(ring.subkeys(namespace="n2"))
    assert set(first).isdisjoint(key[:32] for key in ring._derived("n1"))


# --- in the database ----------------------------------------------------------------------


def hmac_headers(secret: str, keyid: str) -> dict[str, str]:
    return signature_headers("GET", WHOAMI, key=secret, keyid=keyid, algorithm="hmac-sha256")


@pytest.mark.django_db
def test_the_column_holds_only_the_sealed_secret(user: Any) -> None:
    key, secret = signature_keys.create_hmac_key(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM authgate_httpsignaturekey WHERE id = %s", [key.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith(sealing.PREFIX) and secret not in stored
    assert signature_keys.open_secret(key) == secret


@pytest.mark.django_db
def test_a_secret_key_rotation_keeps_hmac_keys_working(client: Any, user: Any) -> None:
    """Sealed under the old SECRET_KEY: with it as a fallback, the key still verifies and its
    first use seals it again under the new key, so retiring the old key loses nothing."""
    with override_settings(SECRET_KEY=OLD_KEY, SECRET_KEY_FALLBACKS=[]):
        key, secret = signature_keys.create_hmac_key(user)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        assert (
            client.get("/api/whoami/", headers=hmac_headers(secret, key.keyid)).status_code == 200
        )
        key.refresh_from_db()
        assert sealing.unseal(key.secret, keyid=key.keyid, ring=KeyRing([NEW_KEY]))[0] == secret
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        assert (
            client.get("/api/whoami/", headers=hmac_headers(secret, key.keyid)).status_code == 200
        )


@pytest.mark.django_db
def test_a_secret_no_key_opens_is_refused_not_a_500(client: Any, user: Any) -> None:
    with override_settings(SECRET_KEY=OLD_KEY):
        key, secret = signature_keys.create_hmac_key(user)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        response = client.get("/api/whoami/", headers=hmac_headers(secret, key.keyid))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("authgate", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_reseal_keys_moves_every_secret_to_the_current_key(user: Any) -> None:
    with override_settings(SECRET_KEY=OLD_KEY):
        old, old_secret = signature_keys.create_hmac_key(user)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        current, _ = signature_keys.create_hmac_key(user)
        sealed_before = HTTPSignatureKey.objects.get(pk=current.pk).secret
        assert "Sealed 1 HMAC secret(s)" in run("reseal-keys")
        assert HTTPSignatureKey.objects.get(pk=current.pk).secret == sealed_before  # untouched
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        assert signature_keys.open_secret(HTTPSignatureKey.objects.get(pk=old.pk)) == old_secret
        assert "Sealed 0" in run("reseal-keys")
    retired = override_settings(SECRET_KEY="yet-another-key-" + "y" * 40, SECRET_KEY_FALLBACKS=[])
    with retired, pytest.raises(CommandError, match="2 HMAC secret"):
        run("reseal-keys")


@pytest.mark.django_db(transaction=True)
def test_migration_0006_seals_existing_secrets_and_reverses(user: Any) -> None:
    key, secret = signature_keys.create_hmac_key(user)
    executor = MigrationExecutor(connection)
    executor.migrate([("authgate", "0005_lean_token_indexes")])
    assert HTTPSignatureKey.objects.values_list("secret", flat=True).get(pk=key.pk) == secret
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("authgate"))
    stored = HTTPSignatureKey.objects.get(pk=key.pk)
    assert stored.secret.startswith(sealing.PREFIX)
    assert signature_keys.open_secret(stored) == secret
