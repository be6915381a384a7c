"""Slot setters: the frozen instance the dataclass's own ``__init__`` builds, fast or plain."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest

from authgate.core.links_v1 import LinkClaims
from authgate.core.slots import _plain_setter, slot_setters


@dataclass(frozen=True, slots=True)
class Slotted:
    a: int
    b: str
    c: Any = None


@dataclass(frozen=True)
class Unslotted:
    a: int
    b: str


def build(cls: type, setters: tuple[Any, ...], values: tuple[Any, ...]) -> Any:
    instance = object.__new__(cls)
    for setter, value in zip(setters, values, strict=True):
        setter(instance, value)
    return instance


@pytest.mark.parametrize(
    ("cls", "values"),
    [(Slotted, (1, "x", [2])), (LinkClaims, (42, 1700000000, b"n", b"signed", b"sig"))],
    ids=["slotted", "LinkClaims"],
)
def test_a_slotted_class_gets_its_slots_own_setters(cls: type, values: tuple[Any, ...]) -> None:
    setters = slot_setters(cls)
    names = [field.name for field in dataclasses.fields(cls)]
    assert len(setters) == len(names)
    assert [setter.__self__ for setter in setters] == [vars(cls)[name] for name in names]
    assert build(cls, setters, values) == cls(*values)


@pytest.mark.parametrize("cls", [Slotted, LinkClaims], ids=["slotted", "LinkClaims"])
def test_the_plain_setters_build_the_same_frozen_instance(cls: type) -> None:
    values = tuple(range(len(dataclasses.fields(cls))))
    plain = tuple(_plain_setter(field.name) for field in dataclasses.fields(cls))
    made = build(cls, plain, values)
    assert made == build(cls, slot_setters(cls), values) == cls(*values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, dataclasses.fields(cls)[0].name, "other")


def test_a_class_without_slots_gets_the_plain_setters() -> None:
    setters = slot_setters(Unslotted)
    assert [getattr(setter, "__self__", None) for setter in setters] == [None, None]
    assert build(Unslotted, setters, (1, "x")) == Unslotted(1, "x")


def test_a_subclass_whose_slots_live_on_its_parent_gets_the_plain_setters() -> None:
    class Child(Slotted):
        __slots__ = ()

    setters = slot_setters(Child)
    assert [getattr(setter, "__self__", None) for setter in setters] == [None, None, None]
    assert build(Child, setters, (1, "x", None)) == Child(1, "x", None)
