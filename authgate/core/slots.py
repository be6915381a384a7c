"""Building frozen, slotted dataclasses that are made on every request, in half the time.

One of authgate's hot-path tricks (see :mod:`authgate._speed`), kept in the core because
the core's own link claims use it (standard library only). The plain twin is chosen
when the class is defined (no setting can be read then, and both store the same values):
if a field's class attribute is not a slot's member descriptor — another Python
implementation, or a class that is not a slotted dataclass — every setter is
``object.__setattr__`` for its field, which is what the dataclass's own ``__init__`` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any

__all__ = ["slot_setters"]


def slot_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """The ``__set__`` of each field's slot of the frozen dataclass ``cls``, in field order.

    The ``__init__`` a frozen dataclass gets writes every field through
    ``object.__setattr__``; an ``__init__`` (``init=False``) that calls these stores the
    same values, still without any public way to reassign them, in half the time.
    """
    names = [field.name for field in dataclasses.fields(cls)]
    slots: list[Any] = [vars(cls).get(name) for name in names]
    if all(type(slot) is MemberDescriptorType for slot in slots):
        return tuple(slot.__set__ for slot in slots)
    return tuple(_plain_setter(name) for name in names)


def _plain_setter(name: str) -> Callable[[Any, Any], None]:
    """``object.__setattr__(instance, name, value)``: what a frozen dataclass's own
    ``__init__`` does for each field."""

    def set_field(instance: Any, value: Any) -> None:
        object.__setattr__(instance, name, value)

    return set_field
