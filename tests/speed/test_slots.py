"""Slot setters: the same frozen instances as the dataclass's own ``__init__``, fast or plain."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from authgate.core.links_v1 import LinkClaims
from authgate.core.slots import _plain_setter, slot_setters
from authgate.identity import Identity
from authgate.schemes.links.service import LinkCredential

pytestmark = pytest.mark.fast_paths_only  # chosen per class when it is defined

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CASES = [
    (Identity, ("alice", "token", {"id": 1}, None, NOW, {"X-A": "b"})),
    (LinkCredential, ("0123456789ab", "", True, NOW, None, False)),
    (LinkClaims, (42, 1700000000, b"nonce", b"signed", b"sig")),
]


@pytest.mark.parametrize(("cls", "values"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_fast_and_plain_setters_make_the_same_frozen_instance(cls, values):
    fast = slot_setters(cls)
    assert all(type(setter).__name__ == "method-wrapper" for setter in fast)  # slots' own
    plain = tuple(_plain_setter(field.name) for field in dataclasses.fields(cls))
    made = []
    for setters in (fast, plain):
        instance = object.__new__(cls)
        for setter, value in zip(setters, values, strict=True):
            setter(instance, value)
        made.append(instance)
    assert made[0] == made[1] == cls(*values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[1].__setattr__(dataclasses.fields(cls)[0].name, "other")


def test_a_class_without_slots_gets_the_plain_setters():
    @dataclass(frozen=True)
    class Unslotted:
        a: int
        b: str

    setters = slot_setters(Unslotted)
    assert [type(setter).__name__ for setter in setters] == ["function", "function"]
    instance = object.__new__(Unslotted)
    for setter, value in zip(setters, (1, "x"), strict=True):
        setter(instance, value)
    assert instance == Unslotted(1, "x")
