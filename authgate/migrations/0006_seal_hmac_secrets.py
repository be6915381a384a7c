"""Seal the stored ``hmac-sha256`` secrets (AES-256-GCM under a ``SECRET_KEY`` subkey).

Until now the shared secret of an HMAC signature key sat in the database as base64, so a
copy of the database was enough to sign as its client. See
:mod:`authgate.schemes.httpsig.protocol.sealing`; reversing opens them again.
"""

from typing import Any

from django.db import migrations

HMAC = "hmac-sha256"


def _hmac_keys(apps: Any) -> Any:
    model = apps.get_model("authgate", "HTTPSignatureKey")
    return model.objects.filter(algorithm=HMAC).exclude(secret="")


def _sealing() -> Any:
    try:
        from authgate.schemes.httpsig.protocol import sealing
    except ImportError as exc:  # the [httpsig] extra is not installed
        raise RuntimeError(
            f"HMAC signature keys exist: install authgate[httpsig] to seal their secrets ({exc})."
        ) from exc
    return sealing


def seal_secrets(apps: Any, schema_editor: Any) -> None:
    keys = [key for key in _hmac_keys(apps) if not key.secret.startswith("agenc1_")]
    if not keys:
        return
    from authgate.signing import keyring

    sealing, ring = _sealing(), keyring()
    for key in keys:
        key.secret = sealing.seal(key.secret, keyid=key.keyid, ring=ring)
        key.save(update_fields=["secret"])


def open_secrets(apps: Any, schema_editor: Any) -> None:
    keys = [key for key in _hmac_keys(apps) if key.secret.startswith("agenc1_")]
    if not keys:
        return
    from authgate.signing import keyring

    sealing, ring = _sealing(), keyring()
    for key in keys:
        key.secret, _current = sealing.unseal(key.secret, keyid=key.keyid, ring=ring)
        key.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [("authgate", "0005_lean_token_indexes")]

    operations = [migrations.RunPython(seal_secrets, open_secrets, elidable=False)]
