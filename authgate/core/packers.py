"""Primary-key packers: a user's primary key as a short, self-delimiting byte string.

Signed tokens carry the user's primary key packed by one of these (django-sesame's idea), so
integer, UUID and string keys all round-trip exactly and the token parser can tell where the
key ends. Wire formats::

    IntPacker   length (1 byte, 0..255) + the int as signed big-endian two's complement,
                minimal length (0 packs to the single byte 0x00; -1 to 0x01 0xFF)
    UUIDPacker  the 16 bytes of the UUID
    StrPacker   length (1 byte, 0..255) + the string in UTF-8

Each encoding is canonical: ``unpack_pk`` accepts exactly the bytes ``pack_pk`` produces
(non-minimal integers, invalid UTF-8 and truncated data raise :class:`ValueError`), so one
key has one packed form. ``unpack_pk`` returns the key and the bytes that follow it.

The Django layer maps a model's primary-key field to a kind (``"int"``, ``"uuid"``,
``"str"``) and calls :func:`packer_for`.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "KINDS",
    "IntPacker",
    "Packer",
    "StrPacker",
    "UUIDPacker",
    "packer_for",
]


@runtime_checkable
class Packer(Protocol):
    """Packs a primary key into bytes and back."""

    kind: str

    def pack_pk(self, pk: Any) -> bytes:
        """The packed form of ``pk``; :class:`TypeError` / :class:`ValueError` if unsupported."""
        ...

    def unpack_pk(self, data: bytes) -> tuple[Any, bytes]:
        """``(pk, rest)`` from the start of ``data``; :class:`ValueError` on bad data."""
        ...


def _as_bytes(data: object) -> bytes:
    if not isinstance(data, bytes):
        raise ValueError(f"packed data must be bytes, not {type(data).__name__}")
    return data


def _int_length(value: int) -> int:
    """Bytes in the shortest two's complement form of ``value`` (0 for zero)."""
    return 0 if value == 0 else ((value if value > 0 else ~value).bit_length() + 8) // 8


class IntPacker:
    """Any Python ``int`` whose two's complement form fits in 255 bytes."""

    __slots__ = ()
    kind = "int"

    def __repr__(self) -> str:
        return "IntPacker()"

    def pack_pk(self, pk: Any) -> bytes:
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise TypeError(f"IntPacker packs int primary keys, not {type(pk).__name__}")
        length = _int_length(pk)
        if length > 255:
            raise ValueError("integer primary key is too large to pack")
        return bytes([length]) + pk.to_bytes(length, "big", signed=True)

    def unpack_pk(self, data: bytes) -> tuple[Any, bytes]:
        data = _as_bytes(data)
        if not data:
            raise ValueError("no data to unpack an integer from")
        length = data[0]
        if len(data) < 1 + length:
            raise ValueError("truncated integer")
        body = data[1 : 1 + length]
        pk = int.from_bytes(body, "big", signed=True)
        # The bytes round-trip exactly, so the encoding is canonical iff it is the shortest.
        if _int_length(pk) != length:
            raise ValueError("non-canonical integer encoding")
        return pk, data[1 + length :]


class UUIDPacker:
    """``uuid.UUID`` primary keys (a ``str`` in any form ``uuid.UUID`` accepts also packs)."""

    __slots__ = ()
    kind = "uuid"

    def __repr__(self) -> str:
        return "UUIDPacker()"

    def pack_pk(self, pk: Any) -> bytes:
        if isinstance(pk, uuid.UUID):
            return pk.bytes
        if isinstance(pk, str):
            try:
                return uuid.UUID(pk).bytes
            except ValueError:
                raise ValueError("not a valid UUID string") from None
        raise TypeError(f"UUIDPacker packs UUID primary keys, not {type(pk).__name__}")

    def unpack_pk(self, data: bytes) -> tuple[Any, bytes]:
        data = _as_bytes(data)
        if len(data) < 16:
            raise ValueError("truncated UUID")
        return uuid.UUID(bytes=data[:16]), data[16:]


class StrPacker:
    """``str`` primary keys of at most 255 bytes in UTF-8."""

    __slots__ = ()
    kind = "str"

    def __repr__(self) -> str:
        return "StrPacker()"

    def pack_pk(self, pk: Any) -> bytes:
        if not isinstance(pk, str):
            raise TypeError(f"StrPacker packs str primary keys, not {type(pk).__name__}")
        try:
            encoded = pk.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("string primary key is not encodable as UTF-8") from None
        if len(encoded) > 255:
            raise ValueError("string primary key is longer than 255 bytes in UTF-8")
        return bytes([len(encoded)]) + encoded

    def unpack_pk(self, data: bytes) -> tuple[Any, bytes]:
        data = _as_bytes(data)
        if not data:
            raise ValueError("no data to unpack a string from")
        length = data[0]
        if len(data) < 1 + length:
            raise ValueError("truncated string")
        try:
            pk = data[1 : 1 + length].decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("string is not valid UTF-8") from None
        return pk, data[1 + length :]


_PACKERS: dict[str, Packer] = {
    "int": IntPacker(),
    "uuid": UUIDPacker(),
    "str": StrPacker(),
}

#: The kinds :func:`packer_for` knows.
KINDS: tuple[str, ...] = tuple(_PACKERS)


def packer_for(kind: str) -> Packer:
    """The packer for a primary-key ``kind``: ``"int"``, ``"uuid"`` or ``"str"``."""
    try:
        return _PACKERS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"unknown primary-key kind {kind!r}; expected one of {KINDS}") from None
