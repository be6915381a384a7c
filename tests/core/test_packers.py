"""Primary-key packers: exact round trips, canonical encodings, refusal of bad data."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core.packers import (
    KINDS,
    IntPacker,
    Packer,
    StrPacker,
    UUIDPacker,
    packer_for,
)

INT = IntPacker()
UUIDS = UUIDPacker()
STR = StrPacker()


# -- IntPacker -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pk", "packed"),
    [
        (0, b"\x00"),
        (1, b"\x01\x01"),
        (-1, b"\x01\xff"),
        (127, b"\x01\x7f"),
        (128, b"\x02\x00\x80"),
        (-128, b"\x01\x80"),
        (-129, b"\x02\xff\x7f"),
        (255, b"\x02\x00\xff"),
        (256, b"\x02\x01\x00"),
        (2**31 - 1, b"\x04\x7f\xff\xff\xff"),
    ],
)
def test_int_wire_format(pk: int, packed: bytes) -> None:
    assert INT.pack_pk(pk) == packed
    assert INT.unpack_pk(packed) == (pk, b"")


@pytest.mark.parametrize(
    "pk", [0, 1, -1, 2**63 - 1, -(2**63), 2**64, 2**70, -(2**70), 10**100, -(10**100)]
)
def test_int_round_trip_keeps_the_rest(pk: int) -> None:
    packed = INT.pack_pk(pk)
    assert INT.unpack_pk(packed + b"rest\x00") == (pk, b"rest\x00")


@given(st.integers(min_value=-(2**70), max_value=2**70), st.binary(max_size=8))
def test_int_round_trip_property(pk: int, rest: bytes) -> None:
    packed = INT.pack_pk(pk)
    value, remaining = INT.unpack_pk(packed + rest)
    assert type(value) is int
    assert value == pk
    assert remaining == rest
    # Minimal length: without its leading byte the body would mean another number.
    assert packed[0] == len(packed) - 1
    if packed[0]:
        assert int.from_bytes(packed[2:], "big", signed=True) != pk
    else:
        assert pk == 0


def test_int_size_limit() -> None:
    largest = 2 ** (255 * 8 - 1) - 1
    smallest = -(2 ** (255 * 8 - 1))
    assert INT.unpack_pk(INT.pack_pk(largest))[0] == largest
    assert INT.unpack_pk(INT.pack_pk(smallest))[0] == smallest
    assert len(INT.pack_pk(largest)) == 256
    for too_big in (largest + 1, smallest - 1):
        with pytest.raises(ValueError, match="too large"):
            INT.pack_pk(too_big)


@pytest.mark.parametrize("pk", [True, False, "1", 1.0, None, uuid.uuid4()])
def test_int_packer_refuses_other_types(pk: Any) -> None:
    with pytest.raises(TypeError, match="int"):
        INT.pack_pk(pk)


@pytest.mark.parametrize(
    "data",
    [
        b"",  # nothing
        b"\x01",  # truncated
        b"\x02\x01",  # truncated
        b"\x01\x00",  # zero must be the empty body
        b"\x02\x00\x01",  # non-minimal positive
        b"\x02\xff\xff",  # non-minimal negative
        b"\xff" + b"\x00" * 10,  # length beyond the data
    ],
)
def test_int_unpack_refuses_bad_data(data: bytes) -> None:
    with pytest.raises(ValueError):
        INT.unpack_pk(data)


@pytest.mark.parametrize("data", [b"\x01", b"\x02\x01", b"\x02\x00", b"\x09" + b"\x01" * 8])
def test_int_unpack_says_truncated_when_the_body_is_short(data: bytes) -> None:
    # Checked before the body is read: a short body is never misread as another number.
    with pytest.raises(ValueError, match="truncated integer"):
        INT.unpack_pk(data)


# -- UUIDPacker ----------------------------------------------------------------------------


def test_uuid_round_trip_and_accepted_spellings() -> None:
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert UUIDS.pack_pk(value) == value.bytes
    for spelling in (str(value), value.hex, "{" + str(value) + "}", value.urn):
        assert UUIDS.pack_pk(spelling) == value.bytes
    pk, rest = UUIDS.unpack_pk(value.bytes + b"tail")
    assert isinstance(pk, uuid.UUID)
    assert (pk, rest) == (value, b"tail")


@given(st.uuids(), st.binary(max_size=8))
def test_uuid_round_trip_property(value: uuid.UUID, rest: bytes) -> None:
    assert UUIDS.unpack_pk(UUIDS.pack_pk(value) + rest) == (value, rest)
    assert UUIDS.unpack_pk(UUIDS.pack_pk(str(value)) + rest) == (value, rest)


def test_uuid_packer_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="UUID"):
        UUIDS.pack_pk("not-a-uuid")
    for bad in (12, value_bytes := uuid.uuid4().bytes, None):
        with pytest.raises(TypeError, match="UUID"):
            UUIDS.pack_pk(bad)
    with pytest.raises(ValueError, match="truncated"):
        UUIDS.unpack_pk(value_bytes[:15])
    with pytest.raises(ValueError):
        UUIDS.unpack_pk("x" * 16)  # type: ignore[arg-type]


# -- StrPacker -----------------------------------------------------------------------------


@pytest.mark.parametrize("pk", ["", "a", "alice@example.com", "é", "用户", "🙂🙂", "a b\tc"])
def test_str_round_trip(pk: str) -> None:
    packed = STR.pack_pk(pk)
    assert packed[0] == len(pk.encode("utf-8"))
    assert STR.unpack_pk(packed + b"\x01") == (pk, b"\x01")


@given(st.text(max_size=80), st.binary(max_size=8))
def test_str_round_trip_property(pk: str, rest: bytes) -> None:
    if len(pk.encode("utf-8")) > 255:
        with pytest.raises(ValueError):
            STR.pack_pk(pk)
        return
    assert STR.unpack_pk(STR.pack_pk(pk) + rest) == (pk, rest)


def test_str_size_limit_is_255_utf8_bytes() -> None:
    fits = "é" * 127 + "a"  # 255 bytes
    assert STR.unpack_pk(STR.pack_pk(fits))[0] == fits
    with pytest.raises(ValueError, match="255"):
        STR.pack_pk(fits + "a")
    with pytest.raises(ValueError, match="255"):
        STR.pack_pk("é" * 128)


def test_str_packer_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        STR.pack_pk("\ud800")
    for bad in (1, b"bytes", None, uuid.uuid4()):
        with pytest.raises(TypeError, match="str"):
            STR.pack_pk(bad)


@pytest.mark.parametrize("data", [b"\x03ab", b"\x01", b"\x05abcd"])
def test_str_unpack_says_truncated_when_one_byte_is_missing(data: bytes) -> None:
    with pytest.raises(ValueError, match="truncated string"):
        STR.unpack_pk(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x05abc",  # truncated
        b"\x01\xff",  # invalid UTF-8
        b"\x02\xc0\x80",  # overlong NUL
        b"\x03\xed\xa0\x80",  # encoded surrogate
    ],
)
def test_str_unpack_refuses_bad_data(data: bytes) -> None:
    with pytest.raises(ValueError):
        STR.unpack_pk(data)


# -- all packers ---------------------------------------------------------------------------


@pytest.mark.parametrize("packer", [INT, UUIDS, STR], ids=lambda p: p.kind)
@given(data=st.binary(max_size=40))
def test_unpack_of_any_bytes_is_canonical_or_value_error(packer: Packer, data: bytes) -> None:
    try:
        pk, rest = packer.unpack_pk(data)
    except ValueError:
        return
    # Whatever is accepted is exactly what packing produces: one key, one encoding.
    assert packer.pack_pk(pk) + rest == data


def test_packer_for_kinds() -> None:
    assert KINDS == ("int", "uuid", "str")
    assert isinstance(packer_for("int"), IntPacker)
    assert isinstance(packer_for("uuid"), UUIDPacker)
    assert isinstance(packer_for("str"), StrPacker)
    for kind in KINDS:
        packer = packer_for(kind)
        assert packer.kind == kind
        assert isinstance(packer, Packer)
        assert packer_for(kind) is packer


@pytest.mark.parametrize("kind", ["", "INT", "bigint", None, ["int"]])
def test_packer_for_unknown_kind(kind: Any) -> None:
    with pytest.raises(ValueError, match="unknown primary-key kind"):
        packer_for(kind)


def test_packers_repr() -> None:
    assert [repr(p) for p in (INT, UUIDS, STR)] == ["IntPacker()", "UUIDPacker()", "StrPacker()"]
