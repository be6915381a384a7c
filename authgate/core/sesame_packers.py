"""django-sesame's primary-key packers: its wire formats, to read the links it issued.

django-sesame's tokens start with the user's primary key packed by one of these (its
``sesame.packers``), chosen by the type of the user model's key field. authgate's own links
use :mod:`authgate.core.packers` (variable-length integers); these exist so that a link
django-sesame e-mailed before a project switched still verifies
(:mod:`authgate.core.sesame_v2`), and so that code written against ``sesame.packers`` —
custom packers subclassing ``BasePacker`` — keeps working. Wire formats, as django-sesame
writes them::

    ShortPacker             2 bytes, signed big-endian      (struct "!h")
    UnsignedShortPacker     2 bytes, unsigned               (struct "!H")
    LongPacker              4 bytes, signed                 (struct "!l"; also IntPacker)
    UnsignedLongPacker      4 bytes, unsigned               (struct "!L"; also UnsignedIntPacker)
    LongLongPacker          8 bytes, signed                 (struct "!q")
    UnsignedLongLongPacker  8 bytes, unsigned               (struct "!Q")
    UUIDPacker              the 16 bytes of the UUID
    BytesPacker             length (1 byte) + the bytes, at most 255
    StrPacker               length (1 byte) + the UTF-8 bytes, at most 255

``unpack_pk(data)`` returns ``(pk, rest)``; malformed data raises (``struct.error``,
``IndexError``, ``UnicodeDecodeError``: the token reader turns any exception into "bad
token", as django-sesame does).
"""

from __future__ import annotations

import struct
import uuid
from typing import Any, ClassVar

__all__ = [
    "PACKERS",
    "BasePacker",
    "BytesPacker",
    "IntPacker",
    "LongLongPacker",
    "LongPacker",
    "ShortPacker",
    "StrPacker",
    "StructPacker",
    "UUIDPacker",
    "UnsignedIntPacker",
    "UnsignedLongLongPacker",
    "UnsignedLongPacker",
    "UnsignedShortPacker",
    "packer_for_field_type",
]


class BasePacker:
    """The packer interface: subclass it and define ``pack_pk`` and ``unpack_pk``."""

    def pack_pk(self, user_pk: Any) -> bytes:
        """A short byte string for ``user_pk``."""
        raise NotImplementedError

    def unpack_pk(self, data: bytes) -> tuple[Any, bytes]:
        """``(user_pk, rest)`` from the start of ``data``."""
        raise NotImplementedError


class StructPacker(BasePacker):
    """A fixed-size integer in ``struct`` format ``fmt``."""

    fmt: ClassVar[str] = ""

    @classmethod
    def pack_pk(cls, user_pk: Any) -> bytes:
        return struct.pack(cls.fmt, user_pk)

    @classmethod
    def unpack_pk(cls, data: bytes) -> tuple[Any, bytes]:
        size = struct.calcsize(cls.fmt)
        (user_pk,) = struct.unpack(cls.fmt, data[:size])
        return user_pk, data[size:]


class ShortPacker(StructPacker):
    fmt = "!h"


class UnsignedShortPacker(StructPacker):
    fmt = "!H"


class LongPacker(StructPacker):
    fmt = "!l"


IntPacker = LongPacker  # django-sesame's alias


class UnsignedLongPacker(StructPacker):
    fmt = "!L"


UnsignedIntPacker = UnsignedLongPacker  # django-sesame's alias


class LongLongPacker(StructPacker):
    fmt = "!q"


class UnsignedLongLongPacker(StructPacker):
    fmt = "!Q"


class UUIDPacker(BasePacker):
    @staticmethod
    def pack_pk(user_pk: Any) -> bytes:
        return bytes(user_pk.bytes)

    @staticmethod
    def unpack_pk(data: bytes) -> tuple[Any, bytes]:
        return uuid.UUID(bytes=data[:16]), data[16:]


class BytesPacker(BasePacker):
    """Byte strings of 0 to 255 bytes, length first."""

    @staticmethod
    def pack_pk(user_pk: Any) -> bytes:
        length = len(user_pk)
        if length > 255:
            raise ValueError(f"primary key is too large ({length} bytes)")
        return bytes([length]) + bytes(user_pk)

    @staticmethod
    def unpack_pk(data: bytes) -> tuple[Any, bytes]:
        length = data[0]
        return data[1 : length + 1], data[length + 1 :]


class StrPacker(BasePacker):
    """Strings of 0 to 255 bytes in UTF-8, length first."""

    @staticmethod
    def pack_pk(user_pk: Any) -> bytes:
        encoded = str(user_pk).encode()
        length = len(encoded)
        if length > 255:
            raise ValueError(f"primary key is too large ({length} UTF-8 bytes)")
        return bytes([length]) + encoded

    @staticmethod
    def unpack_pk(data: bytes) -> tuple[Any, bytes]:
        length = data[0]
        return data[1 : length + 1].decode(), data[length + 1 :]


#: django-sesame's packer for each Django field type of the key (``get_internal_type()``).
PACKERS: dict[str, type[BasePacker]] = {
    "SmallAutoField": ShortPacker,
    "SmallIntegerField": ShortPacker,
    "PositiveSmallIntegerField": UnsignedShortPacker,
    "AutoField": LongPacker,
    "IntegerField": LongPacker,
    "PositiveIntegerField": UnsignedLongPacker,
    "BigAutoField": LongLongPacker,
    "BigIntegerField": LongLongPacker,
    "PositiveBigIntegerField": UnsignedLongLongPacker,
    "UUIDField": UUIDPacker,
    "BinaryField": BytesPacker,
    "CharField": StrPacker,
    "TextField": StrPacker,
}


def packer_for_field_type(internal_type: str) -> BasePacker:
    """django-sesame's packer for a key field of this type; ``NotImplementedError`` (as
    django-sesame) for a type it has none for."""
    try:
        return PACKERS[internal_type]()
    except KeyError:
        raise NotImplementedError(f"{internal_type} primary keys aren't supported") from None
