"""django-sesame's v2 links, read by authgate.core.sesame_v2: known answers from the real
django-sesame (tests/core/sesame_v2_vectors.json, written by
tests/compat/make_sesame_vectors.py), then tampering, and the packers' wire formats."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from authgate.core import sesame_packers, sesame_v2

DOCUMENT = json.loads((Path(__file__).parent / "sesame_v2_vectors.json").read_text("utf-8"))
VECTORS = DOCUMENT["vectors"]
PACKERS = {
    "int": sesame_packers.LongPacker(),
    "bigint": sesame_packers.LongLongPacker(),
    "uuid": sesame_packers.UUIDPacker(),
    "str": sesame_packers.StrPacker(),
}


def _pk(vector: dict[str, Any]) -> Any:
    return uuid.UUID(vector["pk"]) if vector["pk_kind"] == "uuid" else vector["pk"]


def _keys(vector: dict[str, Any], secrets: list[str] | None = None) -> tuple[bytes, ...]:
    found = vector["settings"]
    return sesame_v2.verification_keys(
        secrets or [DOCUMENT["secret_key"], *DOCUMENT["secret_key_fallbacks"]],
        key=found.get("KEY", ""),
        timestamped=found.get("MAX_AGE") is not None,
    )


def _revocation(vector: dict[str, Any], **changes: Any) -> bytes:
    found = vector["settings"]
    fields = {**vector, **changes}
    return sesame_v2.revocation_key(
        password=fields["password"] if found.get("INVALIDATE_ON_PASSWORD_CHANGE", True) else None,
        email=fields["email"] if found.get("INVALIDATE_ON_EMAIL_CHANGE") else None,
        last_login=fields["last_login"] if found.get("ONE_TIME") else None,
    )


def _check(vector: dict[str, Any], *, token: str | None = None, **changes: Any) -> str | None:
    found = vector["settings"]
    claims = sesame_v2.parse(
        token or vector["token"],
        packer=PACKERS[vector["pk_kind"]],
        timestamped=found.get("MAX_AGE") is not None,
        signature_size=found.get("SIGNATURE_SIZE", 10),
    )
    if claims is None:
        return None
    assert claims.user_pk == _pk(vector)
    return sesame_v2.verify(
        claims,
        keys=changes.pop("keys", None) or _keys(vector),
        revocation=_revocation(vector, **changes),
        scope=changes.pop("scope", vector["scope"]),
        max_age=found.get("MAX_AGE"),
        now=vector["now"],
    )


def test_the_vectors_come_from_django_sesame() -> None:
    assert DOCUMENT["django_sesame"].startswith("3.")
    assert len(VECTORS) >= 19


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_reads_each_link_django_sesame_made(vector: dict[str, Any]) -> None:
    expected = (
        "expired"
        if vector["minted"] + vector["settings"].get("MAX_AGE", 10**9) <= (vector["now"])
        else "ok"
    )
    assert _check(vector) == expected


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_writes_the_same_bytes(vector: dict[str, Any]) -> None:
    found = vector["settings"]
    secret = vector["name"] == "signed by a fallback key"
    key = _keys(vector)[1 if secret else 0]
    token = sesame_v2.create(
        _pk(vector),
        packer=PACKERS[vector["pk_kind"]],
        key=key,
        revocation=_revocation(vector),
        scope=vector["scope"],
        timestamped=found.get("MAX_AGE") is not None,
        signature_size=found.get("SIGNATURE_SIZE", 10),
        now=vector["minted"],
    )
    assert token == vector["token"]


VALID = [v for v in VECTORS if v["name"] != "max age, token from an hour ago"]


@pytest.mark.parametrize("vector", VALID, ids=[v["name"] for v in VALID])
def test_another_scope_is_refused(vector: dict[str, Any]) -> None:
    assert _check(vector, scope=vector["scope"] + "x") == "invalid"


def test_a_new_password_hash_is_refused() -> None:
    vector = VECTORS[0]
    changed = vector["password"][:-2] + "AA"
    assert _check(vector, password=changed) == "invalid"
    # Only the hash counts, not the salt (django-sesame keeps the last 44 characters).
    resalted = vector["password"].replace("c2FsdHNhbHRzYWx0", "b3RoZXJzYWx0c2FsdA")
    assert _check(vector, password=resalted) == "ok"


def test_a_new_email_is_refused_only_when_bound() -> None:
    bound = next(v for v in VECTORS if v["name"] == "e-mail bound")
    assert _check(bound, email="mallory@example.com") == "invalid"
    assert _check(VECTORS[0], email="mallory@example.com") == "ok"


def test_a_login_since_kills_a_one_time_link() -> None:
    vector = next(v for v in VECTORS if v["name"] == "one time, logged in before")
    assert _check(vector, last_login="2026-09-21T10:00:00+00:00") == "invalid"


def test_without_the_fallback_key_a_rotated_link_is_refused() -> None:
    vector = next(v for v in VECTORS if v["name"] == "signed by a fallback key")
    assert _check(vector) == "ok"
    assert _check(vector, keys=_keys(vector, [DOCUMENT["secret_key"]])) == "invalid"


def test_another_key_setting_is_refused() -> None:
    vector = next(v for v in VECTORS if v["name"] == "key")
    plain = sesame_v2.verification_keys(
        [DOCUMENT["secret_key"]], key="", timestamped=False, packer_path=None
    )
    assert _check(vector, keys=plain) == "invalid"


@pytest.mark.parametrize(
    "token",
    ["", "abc", "~!@#$%^&*~!@#$%^&*~", "A" * 2000, "AAAAKlcnVTSPXYS8EY", "AAAAKlcnVTSPXYS8EYUAA"],
)
def test_malformed_tokens_are_none(token: str) -> None:
    claims = sesame_v2.parse(token, packer=sesame_packers.LongPacker(), timestamped=False)
    assert claims is None


def test_a_flipped_bit_is_refused() -> None:
    vector = VECTORS[0]
    token = vector["token"]
    flipped = token[:-5] + ("B" if token[-5] != "B" else "C") + token[-4:]  # the signature
    assert _check(vector, token=flipped) == "invalid"


def test_token_id_is_the_same_for_every_spelling() -> None:
    # "…EYU" and "…EYV" decode to the same bytes (the last character's low bits are spare).
    vector = VECTORS[0]
    packer = sesame_packers.LongPacker()
    first = sesame_v2.parse(vector["token"], packer=packer, timestamped=False)
    other = sesame_v2.parse(vector["token"][:-1] + "V", packer=packer, timestamped=False)
    assert first is not None and other is not None
    assert sesame_v2.token_id(first) == sesame_v2.token_id(other)


RANDOM_UUID = uuid.UUID("7d9cbf0e-58a1-4b66-9c6a-0d2f6a7b8c9e")
PACKED = [
    (sesame_packers.ShortPacker, -32768, b"\x80\x00"),
    (sesame_packers.UnsignedShortPacker, 65535, b"\xff\xff"),
    (sesame_packers.LongPacker, 2147483647, b"\x7f\xff\xff\xff"),
    (sesame_packers.UnsignedLongPacker, 4294967295, b"\xff\xff\xff\xff"),
    (sesame_packers.LongLongPacker, -9223372036854775808, b"\x80" + 7 * b"\x00"),
    (sesame_packers.UnsignedLongLongPacker, 1, 7 * b"\x00" + b"\x01"),
    (sesame_packers.UUIDPacker, RANDOM_UUID, RANDOM_UUID.bytes),
    (sesame_packers.BytesPacker, b"", b"\x00"),
    (sesame_packers.StrPacker, "marie-noëlle", b"\x0dmarie-no\xc3\xablle"),
]


@pytest.mark.parametrize(("packer", "pk", "data"), PACKED)
def test_packers_round_trip(packer: Any, pk: Any, data: bytes) -> None:
    assert packer().pack_pk(pk) == data
    assert packer().unpack_pk(data + b"rest") == (pk, b"rest")


def test_packers_refuse_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="too large"):
        sesame_packers.StrPacker().pack_pk("👍" * 64)
    with pytest.raises(ValueError, match="too large"):
        sesame_packers.BytesPacker().pack_pk(b"\xff" * 256)
    with pytest.raises(NotImplementedError, match="BooleanField primary keys"):
        sesame_packers.packer_for_field_type("BooleanField")
