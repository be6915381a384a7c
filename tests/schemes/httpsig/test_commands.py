"""``manage.py authgate add-key | list-keys | revoke-key``, end to end with a signed request."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.management import CommandError, call_command

from authgate.models import HTTPSignatureKey
from authgate.schemes.httpsig.client import signature_headers

pytestmark = pytest.mark.django_db

WHOAMI = "http://testserver/api/whoami/"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("authgate", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[ed25519.Ed25519PrivateKey, Path]:
    private = ed25519.Ed25519PrivateKey.generate()
    public = tmp_path / "client.pub"
    public.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def test_add_key_then_sign_then_revoke(client: Any, user: Any, key_pair: Any) -> None:
    private, public = key_pair
    out = run("add-key", "alice", "--algorithm", "ed25519", "--public-key", str(public))
    keyid = out.strip().splitlines()[-1]
    assert HTTPSignatureKey.objects.get(keyid=keyid).user == user

    headers = signature_headers("GET", WHOAMI, key=private, keyid=keyid, algorithm="ed25519")
    assert client.get("/api/whoami/", headers=headers).json()["user"] == "alice"

    assert keyid in run("list-keys", "--user", "alice")
    assert "Revoked" in run("revoke-key", keyid)
    assert keyid not in run("list-keys")
    assert keyid in run("list-keys", "--all")
    fresh = signature_headers("GET", WHOAMI, key=private, keyid=keyid, algorithm="ed25519")
    assert client.get("/api/whoami/", headers=fresh).json()["error"] == "revoked_key"
    with pytest.raises(CommandError, match="already revoked"):
        run("revoke-key", keyid)


def test_hmac_key_prints_its_secret_once(client: Any, user: Any) -> None:
    keyid, secret = run("add-key", "alice", "--hmac").strip().splitlines()[-2:]
    headers = signature_headers("GET", WHOAMI, key=secret, keyid=keyid, algorithm="hmac-sha256")
    assert client.get("/api/whoami/", headers=headers).status_code == 200
    assert secret not in run("list-keys", "--all")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--hmac"], "No user 'nobody'"),
        (["alice", "--hmac", "--algorithm", "ed25519"], "--algorithm is for public keys"),
        (["alice", "--public-key", "{pub}"], "Give --algorithm"),
        (
            ["alice", "--public-key", "{pub}", "--algorithm", "rsa-pss-sha512"],
            "cannot be used with",
        ),
        (["alice", "--public-key", "/nonexistent.pem", "--algorithm", "ed25519"], "Cannot read"),
    ],
)
def test_bad_input_is_a_clear_error(
    user: Any, key_pair: Any, args: list[str], message: str
) -> None:
    _, public = key_pair
    with pytest.raises(CommandError, match=message):
        run("add-key", *(arg.format(pub=public) for arg in args))
    assert not HTTPSignatureKey.objects.exists()


def test_inactive_user_gets_no_key(user: Any) -> None:
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="inactive"):
        run("add-key", "alice", "--hmac")
