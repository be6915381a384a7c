"""The admin for signature keys: add a public key, never show an HMAC secret, revoke."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from authgate.models import HTTPSignatureKey
from authgate.schemes.httpsig import service as signature_keys
from tests.schemes.httpsig import rfc9421

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/authgate/httpsignaturekey/"


@pytest.fixture
def admin_client(make_user: Any) -> Client:
    staff = make_user("root", "pw", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def test_add_public_key(admin_client: Client, user: Any) -> None:
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {"user": user.pk, "name": "rfc", "keyid": "", "algorithm": "ed25519",
         "public_key": rfc9421.ED25519_PUBLIC_JWK},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    key = HTTPSignatureKey.objects.get(name="rfc")
    assert key.keyid.startswith("agk_") and key.user == user


@pytest.mark.parametrize(
    ("algorithm", "material"),
    [("ecdsa-p256-sha256", rfc9421.ED25519_PUBLIC), ("ed25519", "garbage"),
     ("ed25519", rfc9421.ED25519_PRIVATE), ("hmac-sha256", "")],
)  # fmt: skip
def test_add_refuses_bad_material(
    admin_client: Client, user: Any, algorithm: str, material: str
) -> None:
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {"user": user.pk, "name": "bad", "algorithm": algorithm, "public_key": material},
    )
    assert response.status_code == 200
    assert not HTTPSignatureKey.objects.filter(name="bad").exists()


def test_hmac_secret_never_shown(admin_client: Client, user: Any) -> None:
    key, secret = signature_keys.create_hmac_key(user, name="ci")
    for url in (CHANGELIST, f"{CHANGELIST}{key.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert key.keyid in page and secret not in page


def test_revoke_action(admin_client: Client, user: Any) -> None:
    key, _ = signature_keys.create_hmac_key(user)
    response = admin_client.post(
        CHANGELIST, {"action": "revoke_keys", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and not key.is_live()
