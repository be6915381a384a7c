"""The signature-key page: register a public key, list it, revoke it; nothing secret shown."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.models import HTTPSignatureKey
from authgate.schemes.httpsig import service as signature_keys
from tests.schemes.httpsig import rfc9421

pytestmark = pytest.mark.django_db
KEYS = "/auth/keys/"


@pytest.fixture
def alice_client(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_login_required(client: Any) -> None:
    response = client.get(KEYS)
    assert response.status_code == 302 and "login" in response["Location"]


def test_register_list_and_revoke(alice_client: Any, user: Any, make_user: Any) -> None:
    page = alice_client.get(KEYS)
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert b"hmac-sha256" not in page.content  # not offered: a shared secret
    assert b"Signature keys" in alice_client.get("/auth/tokens/").content  # in the nav
    response = alice_client.post(
        KEYS,
        {"name": "rfc ed25519", "algorithm": "ed25519", "public_key": rfc9421.ED25519_PUBLIC},
    )
    assert response.status_code == 302
    key = HTTPSignatureKey.objects.get(user=user)
    assert (key.name, key.algorithm) == ("rfc ed25519", "ed25519")
    listing = alice_client.get(KEYS).content.decode()
    assert key.keyid in listing and "rfc ed25519" in listing
    # bob's keys are neither listed nor revocable by alice.
    bob = make_user("bob", "pw")
    bobs, _secret = signature_keys.create_hmac_key(bob, name="bob ci")
    assert bobs.keyid not in alice_client.get(KEYS).content.decode()
    assert alice_client.post(f"{KEYS}{bobs.pk}/revoke/").status_code == 404
    confirm = alice_client.get(f"{KEYS}{key.pk}/revoke/")
    assert confirm.status_code == 200 and key.keyid in confirm.content.decode()
    assert alice_client.post(f"{KEYS}{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


@pytest.mark.parametrize(
    ("algorithm", "material"),
    [("ed25519", rfc9421.ECC_P256_PUBLIC), ("ed25519", rfc9421.ED25519_PRIVATE),
     ("hmac-sha256", "x"), ("rsa-pss-sha512", "{}")],
)  # fmt: skip
def test_bad_keys_are_refused(alice_client: Any, algorithm: str, material: str) -> None:
    response = alice_client.post(
        KEYS, {"name": "bad", "algorithm": algorithm, "public_key": material}
    )
    assert response.status_code == 400
    assert not HTTPSignatureKey.objects.exists()


def test_not_offered_without_the_backend(settings: Any, alice_client: Any) -> None:
    settings.AUTHGATE = {
        **settings.AUTHGATE,
        "BACKENDS": [b for b in settings.AUTHGATE["BACKENDS"] if "httpsig" not in b],
    }
    assert alice_client.get(KEYS).status_code == 404
    assert b"Signature keys" not in alice_client.get("/auth/tokens/").content


@pytest.mark.parametrize(
    "material",
    [
        '{"kty": ' + "[" * 5_000 + "]" * 5_000 + "}",
        "{" + '"a": {' * 2_000 + "}" * 2_001,
        '{"x": NaN}',
    ],
)
def test_a_hostile_jwk_is_a_400_not_a_500(alice_client: Any, material: str) -> None:
    # issue #19, reproduction 9: a RecursionError from json.loads was a 500.
    response = alice_client.post(
        KEYS, {"name": "deep", "algorithm": "ed25519", "public_key": material}
    )
    assert response.status_code == 400
    assert "Not a valid JWK" in response.content.decode()
    assert not HTTPSignatureKey.objects.exists()
