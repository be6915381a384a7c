"""Scoped tokens v1 (and the shared framing in ``authgate.core.signed``)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from authgate.core import links_v1, scoped_v1, signed
from authgate.core.encoding import b64url_decode, b64url_encode
from authgate.core.keyring import KeyRing
from authgate.core.packers import IntPacker, Packer, StrPacker, UUIDPacker
from authgate.core.scoped_v1 import ExpiredToken, ScopedClaims, check_revocation, create, parse

KEY_A = "scoped-test-key-a"
KEY_B = "scoped-test-key-b"
KEY_C = "scoped-test-key-c"
RING = KeyRing([KEY_A])
NOW = 1_700_000_000
REVOCATION = b"pbkdf2-tail-SECRETVALUE"
ENDPOINTS = {"GET": ["/api/v1/reports/"], "post": ["/api/v1/reports/", "/api/v1/jobs/"]}
INT = IntPacker()
UUIDS = UUIDPacker()
STR = StrPacker()


def make(**overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "keyring": RING,
        "user_pk": 42,
        "packer": INT,
        "endpoints": ENDPOINTS,
        "max_age": 600,
        "revocation": REVOCATION,
        "now": NOW,
    }
    arguments.update(overrides)
    return create(**arguments)


def read(token: str, *, keyring: KeyRing = RING, packer: Packer = INT, now: int = NOW) -> Any:
    return parse(token, keyring=keyring, packer=packer, now=now)


def split(token: str) -> tuple[bytes, bytes]:
    payload_text, signature_text = token[len("ags1_") :].split(".")
    payload, signature = b64url_decode(payload_text), b64url_decode(signature_text)
    assert payload is not None and signature is not None
    return payload, signature


def payload_of(token: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(split(token)[0])
    return result


def forge(
    payload: bytes,
    *,
    keyring: KeyRing = RING,
    namespace: str = "authgate.scoped.v1",
) -> str:
    """A token around ``payload``, signed exactly as the format documents."""
    unsigned = "ags1_" + b64url_encode(payload)
    signature = keyring.sign(namespace=namespace, message=unsigned.encode("ascii"), size=16)
    return unsigned + "." + b64url_encode(signature)


def reencode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("packer", "pk"),
    [
        (INT, 42),
        (INT, 0),
        (INT, -7),
        (INT, 2**70),
        (UUIDS, uuid.UUID("0b7d8a52-9a8e-4f2a-8a77-1d3b2b2c9f10")),
        (STR, "alice"),
        (STR, "ünïcödé 用户 🙂"),
        (STR, ""),
    ],
)
def test_round_trip_for_int_uuid_and_str_keys(packer: Packer, pk: Any) -> None:
    token = make(user_pk=pk, packer=packer)
    claims = read(token, packer=packer)
    assert isinstance(claims, ScopedClaims)
    assert claims.user_pk == pk
    assert type(claims.user_pk) is type(pk)


def test_uuid_given_as_str_comes_back_as_uuid() -> None:
    value = uuid.uuid4()
    claims = read(make(user_pk=str(value), packer=UUIDS), packer=UUIDS)
    assert claims.user_pk == value


def test_claims_content() -> None:
    token = make(
        endpoints={"get": ["/a/", "/b/", "/a/"], "Delete": ["/c/"]},
        recipient="nightly export bot",
        scopes=["reports:read", "jobs:write", "reports:read"],
        max_age=90,
    )
    claims = read(token)
    assert claims == ScopedClaims(
        user_pk=42,
        endpoints={"GET": ("/a/", "/b/"), "DELETE": ("/c/",)},
        issued_at=NOW,
        expires_at=NOW + 90,
        recipient="nightly export bot",
        scopes=("reports:read", "jobs:write"),
        revocation_tag=claims.revocation_tag,
    )
    assert len(claims.revocation_tag) == 6


def test_scopes_none_and_empty_are_different() -> None:
    assert read(make()).scopes is None
    assert read(make(scopes=[])).scopes == ()
    assert read(make()).recipient is None


def test_default_now_is_the_clock() -> None:
    import time

    before = int(time.time())
    claims = parse(
        create(
            keyring=RING, user_pk=1, packer=INT, endpoints=ENDPOINTS, max_age=60, revocation=b""
        ),
        keyring=RING,
        packer=INT,
    )
    after = int(time.time())
    assert claims is not None
    assert before <= claims.issued_at <= after
    assert claims.expires_at == claims.issued_at + 60


# -- wire format -----------------------------------------------------------------------------


def test_wire_format() -> None:
    token = make(user_pk=42, recipient="r", scopes=["s"])
    assert token.startswith("ags1_")
    assert token.count(".") == 1
    payload_bytes, signature = split(token)
    assert len(signature) == 16
    # Compact, sorted JSON with short keys.
    assert payload_bytes == reencode(json.loads(payload_bytes))
    assert b" " not in payload_bytes
    payload = json.loads(payload_bytes)
    assert payload == {
        "e": {"GET": ["/api/v1/reports/"], "POST": ["/api/v1/reports/", "/api/v1/jobs/"]},
        "i": NOW,
        "r": "r",
        "rv": payload["rv"],
        "s": ["s"],
        "u": b64url_encode(INT.pack_pk(42)),
        "x": NOW + 600,
    }
    # The signature is the documented MAC over the prefix and the payload part.
    assert forge(payload_bytes) == token


def test_revocation_value_is_not_in_the_token() -> None:
    token = make()
    payload_bytes, _ = split(token)
    assert b"SECRETVALUE" not in payload_bytes
    assert "SECRETVALUE" not in token
    tag = b64url_decode(payload_of(token)["rv"])
    assert tag == signed.revocation_tag(
        keyring=RING, namespace="authgate.scoped.v1", revocation=REVOCATION
    )


def test_claims_repr_hides_the_revocation_tag() -> None:
    claims = read(make())
    assert "revocation_tag" not in repr(claims)
    assert "user_pk=42" in repr(claims)


def test_detect() -> None:
    assert scoped_v1.detect(make())
    assert scoped_v1.detect("ags1_")
    assert not scoped_v1.detect("agl1_abc")
    assert not scoped_v1.detect("AGS1_abc")
    assert not scoped_v1.detect(None)  # type: ignore[arg-type]


def test_modules_satisfy_the_token_format_protocol() -> None:
    formats: list[signed.TokenFormat] = [scoped_v1, links_v1]
    for fmt in formats:
        assert isinstance(fmt.PREFIX, str) and fmt.PREFIX.endswith("_")
        assert callable(fmt.create) and callable(fmt.parse)
    assert signed.find_format(make(), formats) is formats[0]
    assert signed.find_format("agl1_x", formats) is formats[1]
    assert signed.find_format("agt_x", formats) is None


# -- expiry ----------------------------------------------------------------------------------


def test_expiry_boundaries() -> None:
    token = make(max_age=600)
    assert read(token, now=NOW) is not None
    assert read(token, now=NOW + 599) is not None
    with pytest.raises(ExpiredToken) as caught:
        read(token, now=NOW + 600)
    assert caught.value.expired_at == NOW + 600
    assert str(NOW + 600) in str(caught.value)
    with pytest.raises(ExpiredToken):
        read(token, now=NOW + 10**9)


def test_issued_in_the_future_is_tolerated_clock_skew() -> None:
    assert read(make(), now=NOW - 30) is not None


def test_expired_only_for_correctly_signed_tokens() -> None:
    token = make(max_age=1)
    payload_bytes, _ = split(token)
    bad = "ags1_" + b64url_encode(payload_bytes) + "." + b64url_encode(bytes(16))
    assert read(bad, now=NOW + 100) is None
    assert read(token, keyring=KeyRing([KEY_B]), now=NOW + 100) is None


def test_expired_token_is_picklable() -> None:
    import pickle

    # Exceptions cross process boundaries (test runners, task queues) pickled.
    error = pickle.loads(pickle.dumps(ExpiredToken(123)))  # noqa: S301 - our own bytes
    assert isinstance(error, ExpiredToken)
    assert error.expired_at == 123


# -- revocation ------------------------------------------------------------------------------


def test_check_revocation() -> None:
    claims = read(make())
    assert check_revocation(claims, keyring=RING, revocation=REVOCATION)
    assert not check_revocation(claims, keyring=RING, revocation=REVOCATION + b"x")
    assert not check_revocation(claims, keyring=RING, revocation=b"")
    empty = read(make(revocation=b""))
    assert check_revocation(empty, keyring=RING, revocation=b"")
    with pytest.raises(TypeError, match="bytes"):
        check_revocation(claims, keyring=RING, revocation="text")  # type: ignore[arg-type]


def test_check_revocation_after_key_rotation() -> None:
    rotated = KeyRing([KEY_B, KEY_A])
    claims = read(make(), keyring=rotated)
    assert claims is not None
    assert check_revocation(claims, keyring=rotated, revocation=REVOCATION)
    assert not check_revocation(claims, keyring=rotated, revocation=b"changed")


# -- the tampering matrix ----------------------------------------------------------------------


def test_signed_with_another_key_is_refused() -> None:
    assert read(make(keyring=KeyRing([KEY_B]))) is None


def test_signed_with_a_fallback_key_still_in_the_ring_is_accepted() -> None:
    token = make(keyring=KeyRing([KEY_A]))
    claims = read(token, keyring=KeyRing([KEY_C, KEY_B, KEY_A]))
    assert claims is not None and claims.user_pk == 42


def test_signed_with_a_fallback_key_that_was_removed_is_refused() -> None:
    token = make(keyring=KeyRing([KEY_A]))
    assert read(token, keyring=KeyRing([KEY_C, KEY_B])) is None


def test_truncated_or_extended_signature_is_refused() -> None:
    token = make()
    payload_bytes, signature = split(token)
    head = "ags1_" + b64url_encode(payload_bytes) + "."
    for cut in (signature[:-1], signature[:8], b"", signature + b"\0"):
        assert read(head + b64url_encode(cut)) is None
    assert read(token[:-1]) is None
    assert read(token + "A") is None
    assert read(head) is None


def test_every_payload_byte_flipped_is_refused() -> None:
    token = make(recipient="r", scopes=["a"])
    payload_bytes, signature = split(token)
    for index in range(len(payload_bytes)):
        for mask in (0x01, 0x20, 0x80):
            altered = bytearray(payload_bytes)
            altered[index] ^= mask
            tampered = "ags1_" + b64url_encode(bytes(altered)) + "." + b64url_encode(signature)
            assert read(tampered) is None


def test_every_character_replaced_is_refused() -> None:
    token = make()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    for index, char in enumerate(token):
        replacement = alphabet[(alphabet.find(char) + 1) % len(alphabet)]
        tampered = token[:index] + replacement + token[index + 1 :]
        assert tampered != token
        assert read(tampered) is None


@pytest.mark.parametrize("prefix", ["ags2_", "ags0_", "agl1_", "AGS1_", "ags1", "", "ags1__"])
def test_changed_version_or_prefix_is_refused(prefix: str) -> None:
    token = make()
    assert read(prefix + token[len("ags1_") :]) is None


def test_swapped_prefixes_between_formats_are_refused() -> None:
    scoped_token = make()
    as_link = "agl1_" + scoped_token[len("ags1_") :]
    assert (
        links_v1.parse(as_link, keyring=RING, packer=INT, timestamped=False, one_time=False) is None
    )
    link = links_v1.create(
        keyring=RING,
        user_pk=42,
        packer=INT,
        revocation=REVOCATION,
        timestamped=True,
        one_time=False,
        now=NOW,
    )
    assert read("ags1_" + link[len("agl1_") :]) is None


def test_same_key_other_namespace_is_refused() -> None:
    payload_bytes, _ = split(make())
    assert read(forge(payload_bytes)) is not None
    assert read(forge(payload_bytes, namespace="authgate.links.v1")) is None
    assert read(forge(payload_bytes, namespace="authgate.scoped.v2")) is None


def test_changed_scopes_endpoints_user_or_expiry_are_refused() -> None:
    token = make(scopes=["reports:read"])
    _, signature = split(token)
    original = payload_of(token)
    changes: list[Callable[[dict[str, Any]], None]] = [
        lambda p: p.update(s=["reports:read", "admin"]),
        lambda p: p.update(s=None),
        lambda p: p["e"].update(DELETE=["/"]),
        lambda p: p["e"].update(GET=["/"]),
        lambda p: p.update(u=b64url_encode(INT.pack_pk(1))),
        lambda p: p.update(x=p["x"] + 10**6),
        lambda p: p.update(rv=b64url_encode(b"\0" * 6)),
    ]
    for change in changes:
        payload = json.loads(json.dumps(original))
        change(payload)
        assert payload != original
        tampered = "ags1_" + b64url_encode(reencode(payload)) + "." + b64url_encode(signature)
        assert read(tampered) is None


def test_changed_revocation_value_is_refused() -> None:
    claims = read(make(revocation=b"password-hash-tail-1"))
    assert check_revocation(claims, keyring=RING, revocation=b"password-hash-tail-1")
    assert not check_revocation(claims, keyring=RING, revocation=b"password-hash-tail-2")


# -- schema validation after the signature -----------------------------------------------------


def _valid_payload() -> dict[str, Any]:
    return payload_of(make(recipient="r", scopes=["a"]))


def _with(**changes: Any) -> bytes:
    payload = _valid_payload()
    payload.update(changes)
    return reencode(payload)


def _without(key: str) -> bytes:
    payload = _valid_payload()
    del payload[key]
    return reencode(payload)


ODD_PAYLOADS: list[bytes] = [
    b"",
    b"not json",
    b"\xff\xfe",
    b"[]",
    b"null",
    b"42",
    b'"text"',
    b"[" * 1500 + b"]" * 1500,
    _without("u"),
    _without("rv"),
    _with(extra=1),
    _with(i=True),
    _with(i=1.5),
    _with(i=-1),
    _with(i="1700000000"),
    _with(x=NOW),
    _with(x=NOW - 1),
    _with(x=None),
    _with(e={}),
    _with(e=[]),
    _with(e={"get": ["/a/"]}),
    _with(e={"FETCH": ["/a/"]}),
    _with(e={"GET": []}),
    _with(e={"GET": "/a/"}),
    _with(e={"GET": ["a/"]}),
    _with(e={"GET": [""]}),
    _with(e={"GET": ["/a/", "/a/"]}),
    _with(e={"GET": ["/a\n/"]}),
    _with(e={"GET": [1]}),
    _with(e={"GET": {"/a/": 1}}),
    _with(r=""),
    _with(r="x" * 201),
    _with(r=5),
    _with(r="line\nbreak"),
    _with(s="a"),
    _with(s=["a", "a"]),
    _with(s=["with space"]),
    _with(s=[1]),
    _with(s={"a": 1}),
    _with(rv=b64url_encode(b"\0" * 5)),
    _with(rv=b64url_encode(b"\0" * 7)),
    _with(rv="!!"),
    _with(rv=None),
    _with(u=b64url_encode(INT.pack_pk(42) + b"\0")),
    _with(u=b64url_encode(b"\x02\x00\x01")),
    _with(u=b64url_encode(b"")),
    _with(u=42),
    _with(u="A"),
    _valid_payload().__repr__().encode(),
    reencode(_valid_payload()).replace(b'"i":', b'"i":NaN,"i2":'),
    reencode(_valid_payload()).replace(b"{", b'{"u":"AA",', 1),
]


@pytest.mark.parametrize("payload", ODD_PAYLOADS)
def test_correctly_signed_but_odd_payloads_are_invalid(payload: bytes) -> None:
    token = forge(payload)
    assert read(token) is None
    assert read(token, now=NOW + 10**9) is None


def test_the_odd_payload_fixtures_are_otherwise_valid() -> None:
    assert read(forge(reencode(_valid_payload()))) is not None


def test_signed_payload_for_another_packer_is_invalid() -> None:
    assert read(make(user_pk=uuid.uuid4(), packer=UUIDS), packer=INT) is None
    assert read(make(user_pk="x" * 16, packer=STR), packer=UUIDS) is None


# -- create() validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"endpoints": {}}, ValueError, "must not be empty"),
        ({"endpoints": [("GET", ["/a/"])]}, TypeError, "mapping"),
        ({"endpoints": {"FETCH": ["/a/"]}}, ValueError, "unknown method"),
        ({"endpoints": {"get": ["/a/"], "GET": ["/b/"]}}, ValueError, "twice"),
        ({"endpoints": {1: ["/a/"]}}, TypeError, "methods must be str"),
        ({"endpoints": {"GET": "/a/"}}, TypeError, "list of paths"),
        ({"endpoints": {"GET": None}}, TypeError, "list of paths"),
        ({"endpoints": {"GET": []}}, ValueError, "no paths"),
        ({"endpoints": {"GET": ["api/"]}}, ValueError, "start with '/'"),
        ({"endpoints": {"GET": [""]}}, ValueError, "start with '/'"),
        ({"endpoints": {"GET": [b"/a/"]}}, TypeError, "paths must be str"),
        ({"endpoints": {"GET": ["/a\x00"]}}, ValueError, "printable"),
        ({"endpoints": {"GET": ["/" + "a" * 3000]}}, ValueError, "maximum is 2048"),
        ({"max_age": 0}, ValueError, "positive"),
        ({"max_age": -5}, ValueError, "positive"),
        ({"max_age": 1.5}, TypeError, "int"),
        ({"max_age": True}, TypeError, "int"),
        ({"max_age": timedelta(minutes=5)}, TypeError, "int"),
        ({"recipient": ""}, ValueError, "empty"),
        ({"recipient": "x" * 201}, ValueError, "200"),
        ({"recipient": "a\nb"}, ValueError, "printable"),
        ({"recipient": 5}, TypeError, "recipient"),
        ({"scopes": "read"}, TypeError, "scopes"),
        ({"scopes": ["a b"]}, ValueError, "invalid scope"),
        ({"scopes": ['"a"']}, ValueError, "invalid scope"),
        ({"scopes": [""]}, ValueError, "invalid scope"),
        ({"scopes": [1]}, TypeError, "scope names"),
        ({"revocation": "text"}, TypeError, "revocation"),
        ({"user_pk": "42"}, TypeError, "int"),
        ({"user_pk": "not-a-uuid", "packer": UUIDS}, ValueError, "UUID"),
        ({"now": 1.5}, TypeError, "now"),
        ({"now": -1}, ValueError, "now"),
    ],
)
def test_create_validates_its_arguments(
    overrides: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make(**overrides)


def test_create_accepts_the_limits() -> None:
    claims = read(make(recipient="x" * 200, scopes=["!#[]~"], endpoints={"OPTIONS": ["/"]}))
    assert claims.recipient == "x" * 200
    assert claims.scopes == ("!#[]~",)
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        assert method in read(make(endpoints={method.lower(): ["/x/"]})).endpoints


def test_create_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        create(RING, 42, INT, ENDPOINTS, 60, REVOCATION)  # type: ignore[call-arg]


def test_tokens_up_to_the_length_cap_round_trip() -> None:
    paths: list[str] = []
    token = make()
    while True:
        paths.append(f"/api/v1/resource-{len(paths):04d}/")
        try:
            token = make(endpoints={"GET": paths})
        except ValueError:
            break
    assert 2048 - 40 < len(token) <= signed.MAX_TOKEN_LENGTH
    claims = read(token)
    assert claims is not None and len(claims.endpoints["GET"]) == len(paths) - 1


# -- parse() never raises ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "ags1_",
        "ags1_.",
        "ags1_..",
        "ags1_a.b.c",
        "ags1_====.====",
        "ags1_eyJ9.AAAA",
        "ags1_" + "A" * 5000,
        "ags1_" + "A" * 2043,
        "ags1_\u00e9\u00e9.AA",
        "ags1_\ud800.AA",
        " ags1_abc.def",
        "Bearer ags1_abc.def",
        "ags1_YQ.YQ\n",
    ],
)
def test_parse_of_garbage_returns_none(garbage: str) -> None:
    assert read(garbage) is None


@pytest.mark.parametrize("not_text", [None, b"ags1_abc.def", 42, ["ags1_"], object()])
def test_parse_of_non_strings_returns_none(not_text: Any) -> None:
    assert read(not_text) is None


def test_length_cap_applies_before_decoding() -> None:
    token = make()
    padded = token + "A" * (signed.MAX_TOKEN_LENGTH - len(token) + 1)
    assert read(padded) is None


@given(st.text(max_size=300))
def test_parse_of_any_text_never_raises(text: str) -> None:
    assert read(text) is None
    assert read("ags1_" + text) is None


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="))
def test_parse_of_base64ish_text_never_raises(text: str) -> None:
    assert read("ags1_" + text) is None


_ORIGINAL = make(user_pk="ßob", packer=STR, recipient="bot", scopes=["x"], max_age=100)


@st.composite
def mutated(draw: st.DrawFn, token: str = _ORIGINAL) -> str:
    chars = list(token)
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["replace", "insert", "delete", "swap", "truncate"]))
        index = draw(st.integers(0, max(len(chars) - 1, 0)))
        if operation == "replace" and chars:
            chars[index] = draw(st.characters(codec="utf-8"))
        elif operation == "insert":
            chars.insert(index, draw(st.characters(codec="utf-8")))
        elif operation == "delete" and chars:
            del chars[index]
        elif operation == "swap" and len(chars) > 1:
            other = draw(st.integers(0, len(chars) - 1))
            chars[index], chars[other] = chars[other], chars[index]
        elif operation == "truncate":
            chars = chars[:index]
    return "".join(chars)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.sampled_from([NOW, NOW + 99, NOW + 100, NOW + 10**6]))
def test_mutated_tokens_never_raise_and_never_change_the_user(token: str, now: int) -> None:
    try:
        claims = parse(token, keyring=RING, packer=STR, now=now)
    except ExpiredToken:
        # Only the genuine token, once past its expiry.
        assert token == _ORIGINAL and now >= NOW + 100
        return
    if claims is not None:
        assert token == _ORIGINAL
        assert claims.user_pk == "ßob"


@given(st.data())
def test_mutated_payload_bytes_never_verify(data: st.DataObject) -> None:
    payload_bytes, signature = split(_ORIGINAL)
    altered = bytearray(payload_bytes)
    index = data.draw(st.integers(0, len(altered) - 1))
    altered[index] ^= data.draw(st.integers(1, 255))
    token = "ags1_" + b64url_encode(bytes(altered)) + "." + b64url_encode(signature)
    assume(token != _ORIGINAL)
    assert parse(token, keyring=RING, packer=STR, now=NOW) is None


# -- logging -------------------------------------------------------------------------------------


def test_reasons_are_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    token = make()
    expired = make(max_age=1)
    cases = {
        "longer than": "ags1_" + "A" * 3000,
        "wrong prefix": "xyz_" + token,
        "parts": token.replace(".", ""),
        "base64url": "ags1_!!.AA",
        "signature": make(keyring=KeyRing([KEY_B])),
        "payload": forge(b"[]"),
    }
    with caplog.at_level(logging.DEBUG, logger="authgate.core"):
        for reason, bad in cases.items():
            caplog.clear()
            assert read(bad) is None
            assert reason in caplog.text
            assert bad not in caplog.text
            assert bad[5:20] not in caplog.text
        caplog.clear()
        with pytest.raises(ExpiredToken):
            read(expired, now=NOW + 5)
        assert "Expired" in caplog.text
        assert expired[5:20] not in caplog.text
        caplog.clear()
        assert read(token) is not None
        assert "Valid" in caplog.text
        assert token[5:20] not in caplog.text


# -- signed.py helpers ---------------------------------------------------------------------------


def test_encode_and_decode_token() -> None:
    token = signed.encode_token("agx1_", b"", b"\x00\xff", b"hello")
    assert token == "agx1_.AP8.aGVsbG8"
    assert signed.decode_token(token, prefix="agx1_", parts=3) == (b"", b"\x00\xff", b"hello")
    assert signed.decode_token(token, prefix="agx1_", parts=2) is None
    assert signed.decode_token(token, prefix="agy1_", parts=3) is None
    # Non-canonical spellings of the same bytes are refused ("AP9" also decodes to 00 ff).
    assert signed.decode_token("agx1_.AP9.aGVsbG8", prefix="agx1_", parts=3) is None
    assert signed.decode_token("agx1_.AP8=.aGVsbG8", prefix="agx1_", parts=3) is None
    with pytest.raises(ValueError, match="maximum"):
        signed.encode_token("agx1_", b"x" * 2000)


def test_revocation_tags() -> None:
    tag = signed.revocation_tag(keyring=RING, namespace="ns", revocation=b"value")
    assert len(tag) == 6
    assert signed.revocation_tag(keyring=RING, namespace="ns", revocation=b"value", size=8) != tag
    assert signed.revocation_tag(keyring=RING, namespace="other", revocation=b"value") != tag
    assert signed.check_revocation_tag(keyring=RING, namespace="ns", revocation=b"value", tag=tag)
    assert not signed.check_revocation_tag(
        keyring=RING, namespace="ns", revocation=b"valuf", tag=tag
    )
    assert not signed.check_revocation_tag(
        keyring=KeyRing([KEY_B]), namespace="ns", revocation=b"value", tag=tag
    )
    with pytest.raises(TypeError, match="bytes"):
        signed.revocation_tag(keyring=RING, namespace="ns", revocation="value")  # type: ignore[arg-type]


def test_framing_accepts_exactly_2048_characters() -> None:
    # 5 (prefix) + 2043 base64url characters: 2043 % 4 == 3, a canonical 1532-byte part
    # whose last character carries zero unused bits ("A").
    part = bytes(1532)
    token = signed.encode_token("ags1_", part)
    assert len(token) == 5 + 2043 == signed.MAX_TOKEN_LENGTH == 2048
    assert signed.decode_token(token, prefix="ags1_", parts=1) == (part,)
    with pytest.raises(ValueError, match="2049 characters long"):
        signed.encode_token("ags1_x", part)
    assert signed.decode_token(token + "A", prefix="ags1_", parts=1) is None


@pytest.mark.parametrize("field", ["i", "x"])
def test_times_must_be_integers_even_in_a_signed_payload(field: str) -> None:
    payload = payload_of(make())
    payload[field] = float(payload[field])  # 1700000000.0: JSON "1700000000.0"
    assert read(forge(reencode(payload))) is None


def test_claims_are_immutable() -> None:
    import dataclasses

    claims = read(make())
    assert claims is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        claims.user_pk = 1  # type: ignore[misc]


@pytest.mark.parametrize("scopes", [42, 1.5, object()])
def test_scopes_that_are_not_a_list_are_a_type_error_that_says_so(scopes: object) -> None:
    with pytest.raises(TypeError, match="scopes must be a list of names or None"):
        make(scopes=scopes)


# -- the optional lineage claims: p (parent) and a (the parent's allowlist) ----------------


def test_lineage_claims_round_trip_and_are_absent_by_default() -> None:
    plain = read(make())
    assert (plain.parent, plain.allowed_ips) == (None, ())
    assert not {"p", "a"} & payload_of(make()).keys()
    token = make(parent="api_token:42", allowed_ips=["10.0.0.0/8", "::1"])
    assert payload_of(token)["p"] == "api_token:42"
    assert payload_of(token)["a"] == ["10.0.0.0/8", "::1"]
    claims = read(token)
    assert (claims.parent, claims.allowed_ips) == ("api_token:42", ("10.0.0.0/8", "::1"))


@pytest.mark.parametrize(
    "parent",
    ["api_token", "API:1", ":1", "api_token:", "a:" + "1" * 32, "k" * 33 + ":1", "api token:1",
     "api_token:1/2", 42, ["api_token:1"]],
)  # fmt: skip
def test_a_malformed_parent_is_refused(parent: Any) -> None:
    with pytest.raises(ValueError, match="parent"):
        make(parent=parent)
    payload = payload_of(make())
    assert read(forge(reencode({**payload, "p": parent}))) is None


@pytest.mark.parametrize(
    "allowed",
    [["10.0.0.0/8 "], ["example.com"], [""], [10], "10.0.0.0/8", ["1" * 65],
     ["10.0.0.1"] * 65],
)  # fmt: skip
def test_a_malformed_allowlist_is_refused(allowed: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        make(allowed_ips=allowed if isinstance(allowed, list) else [allowed, 1])
    payload = payload_of(make())
    assert read(forge(reencode({**payload, "a": allowed}))) is None


def test_the_largest_allowlist_and_parent_are_accepted() -> None:
    parent = "k" * 32 + ":" + "1" * 31
    allowed = ["10.0.0.1"] * 64
    claims = read(make(parent=parent, allowed_ips=allowed))
    assert claims.parent == parent and len(claims.allowed_ips) == 64
    assert read(forge(reencode({**payload_of(make()), "a": ["1" * 64]}))) is not None


def test_an_empty_allowlist_claim_or_an_unknown_key_is_refused() -> None:
    payload = payload_of(make())
    assert read(forge(reencode({**payload, "a": []}))) is None
    assert read(forge(reencode({**payload, "q": 1}))) is None
    assert read(forge(reencode({**payload, "p": None}))) is None
