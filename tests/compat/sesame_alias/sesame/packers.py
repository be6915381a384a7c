"""``sesame.packers`` → :mod:`authgate.core.sesame_packers` (``packer``: read live)."""

from typing import Any

from authgate.core.sesame_packers import (
    BasePacker,
    BytesPacker,
    IntPacker,
    LongLongPacker,
    LongPacker,
    ShortPacker,
    StrPacker,
    UnsignedIntPacker,
    UnsignedLongLongPacker,
    UnsignedLongPacker,
    UnsignedShortPacker,
    UUIDPacker,
)
from authgate.schemes.links.sesame import current_packer

__all__ = [
    "BasePacker",
    "BytesPacker",
    "IntPacker",
    "LongLongPacker",
    "LongPacker",
    "ShortPacker",
    "StrPacker",
    "UUIDPacker",
    "UnsignedIntPacker",
    "UnsignedLongLongPacker",
    "UnsignedLongPacker",
    "UnsignedShortPacker",
]


def __getattr__(name: str) -> Any:
    if name == "packer":
        return current_packer()
    raise AttributeError(name)
