"""Declared settings: what one ``AUTHGATE`` key holds, how it is converted, how it is checked.

A settings section (:class:`authgate.conf.Section`) is a frozen dataclass whose fields are
declared with :func:`setting`: the ``AUTHGATE`` key, its default, its *kind* and the id of
the system check that reports a wrong value. The kind is a callable that returns the value
converted (a ``timedelta``, a ``tuple``, …) or raises :class:`SettingError` with what was
expected. The same kinds serve twice, so the two can never disagree: when a section is built
(a refused value is ``ImproperlyConfigured``) and in the system checks, which run them all in
one loop (``authgate.checks.check_fields``) and report each refusal with the field's check id.

A kind is any such callable; the ones here cover the shapes authgate's settings take. A
rule that spans fields (a default longer than a maximum) is not a kind: it is a small named
check function beside the section's system check.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any, ClassVar

from authgate.core.durations import parse_duration, parse_rate

__all__ = [
    "Boolean",
    "Duration",
    "Integer",
    "QUERY_PARAM_RE",
    "Rate",
    "SettingError",
    "Spec",
    "Table",
    "Text",
    "Texts",
    "Truthy",
    "Unchecked",
    "setting",
    "specs_of",
]


#: A query parameter name that needs no escaping in a URL (settings naming one use it).
QUERY_PARAM_RE = re.compile(r"[A-Za-z0-9_.~-]+")


class SettingError(ValueError):
    """Why a value is refused; the message completes ``AUTHGATE['KEY'] …``."""


def _refuse(expected: str, value: Any) -> SettingError:
    return SettingError(f"must be {expected}, got {value!r}.")


def _or_none(text: str, null: bool) -> str:
    return f"{text} or None" if null else text


@dataclass(frozen=True, slots=True)
class Unchecked:
    """Any value, as written: a setting no check has ever constrained."""

    checked: ClassVar[bool] = False

    def __call__(self, value: Any) -> Any:
        return value


@dataclass(frozen=True, slots=True)
class Truthy:
    """Any value, read as a boolean (``bool(value)``), as authgate always has for it."""

    checked: ClassVar[bool] = False

    def __call__(self, value: Any) -> bool:
        return bool(value)


@dataclass(frozen=True, slots=True)
class Boolean:
    """Exactly ``True`` or ``False``."""

    def __call__(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise _refuse("True or False", value)
        return value


@dataclass(frozen=True, slots=True)
class Integer:
    """An ``int`` (never a ``bool``) within ``minimum``..``maximum``; ``None`` if ``null``."""

    minimum: int | None = None
    maximum: int | None = None
    null: bool = False

    def describe(self) -> str:
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            text = f"an integer from {low} to {high}"
        elif low == 1:
            text = "a positive integer"
        elif low == 0:
            text = "a non-negative integer"
        elif low is not None:
            text = f"an integer of at least {low}"
        else:
            text = "an integer"
        return _or_none(text, self.null)

    def __call__(self, value: Any) -> int | None:
        if value is None and self.null:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        ):
            raise _refuse(self.describe(), value)
        return value


@dataclass(frozen=True, slots=True)
class Text:
    """A ``str``, non-empty unless ``blank``, matching ``pattern`` if given; ``None`` if
    ``null``. ``description`` says what a valid value is (for the message)."""

    pattern: re.Pattern[str] | None = None
    blank: bool = True
    null: bool = False
    description: str = ""

    def describe(self) -> str:
        return self.description or _or_none("a str" if self.blank else "a non-empty str", self.null)

    def __call__(self, value: Any) -> str | None:
        if value is None and self.null:
            return None
        if (
            not isinstance(value, str)
            or (not self.blank and not value)
            or (self.pattern is not None and not self.pattern.fullmatch(value))
        ):
            raise _refuse(self.describe(), value)
        return value


@dataclass(frozen=True, slots=True)
class Texts:
    """A list or tuple of ``str`` (non-empty unless ``empty``), each matching ``pattern`` and
    among ``choices`` if given, as a ``tuple``; ``None`` if ``null``."""

    pattern: re.Pattern[str] | None = None
    choices: frozenset[str] | None = None
    empty: bool = False
    null: bool = False
    description: str = ""

    def describe(self) -> str:
        if self.description:
            return self.description
        text = "a list of str" if self.empty else "a non-empty list of str"
        if self.choices is not None:
            text += f" drawn from {', '.join(sorted(self.choices))}"
        return _or_none(text, self.null)

    def __call__(self, value: Any) -> tuple[str, ...] | None:
        if value is None and self.null:
            return None
        if (
            not isinstance(value, list | tuple)
            or (not self.empty and not value)
            or not all(isinstance(item, str) for item in value)
            or (self.pattern is not None and not all(self.pattern.fullmatch(v) for v in value))
            or (self.choices is not None and not set(value) <= self.choices)
        ):
            raise _refuse(self.describe(), value)
        return tuple(value)


@dataclass(frozen=True, slots=True)
class Table:
    """A mapping whose keys are ``str`` matching ``key_pattern``, as a read-only mapping."""

    key_pattern: re.Pattern[str] | None = None
    description: str = "a dict of str keys"

    def __call__(self, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, Mapping) or not all(
            isinstance(key, str) and (self.key_pattern is None or self.key_pattern.fullmatch(key))
            for key in value
        ):
            raise _refuse(self.description, value)
        return MappingProxyType(dict(value))


_DURATION_TYPES: dict[tuple[type, ...], str] = {
    (): "timedelta",
    (int,): "whole number of seconds (int) or timedelta",
}


@dataclass(frozen=True, slots=True)
class Duration:
    """A ``timedelta``, or a number of seconds of one of the ``numbers`` types, read by
    :func:`~authgate.core.durations.parse_duration`; at least ``minimum`` (above it when
    ``positive``), in whole seconds if ``whole``; ``None`` if ``null``. Text is refused:
    settings are Python values."""

    numbers: tuple[type, ...] = (int, float)
    minimum: timedelta = timedelta(0)
    positive: bool = False
    whole: bool = False
    null: bool = False
    description: str = ""

    def describe(self) -> str:
        if self.description:
            return self.description
        what = _DURATION_TYPES.get(self.numbers, "number of seconds or timedelta")
        if self.positive:
            text = f"a positive {what}"
        elif self.minimum:
            text = f"a {what} of at least {self.minimum}"
        else:
            text = f"a non-negative {what}"
        return _or_none(text, self.null)

    def __call__(self, value: Any) -> timedelta | None:
        if value is None and self.null:
            return None
        accepted = isinstance(value, timedelta) or (
            not isinstance(value, bool) and isinstance(value, self.numbers)
        )
        if not accepted:
            raise _refuse(self.describe(), value)
        try:
            duration = parse_duration(value)
        except (TypeError, ValueError):
            raise _refuse(self.describe(), value) from None
        if (
            duration is None
            or duration < self.minimum
            or (self.positive and duration <= self.minimum)
            or (self.whole and duration % timedelta(seconds=1))
        ):
            raise _refuse(self.describe(), value)
        return duration


@dataclass(frozen=True, slots=True)
class Rate:
    """A rate like ``"5/m"`` (:func:`~authgate.core.durations.parse_rate`), kept as written;
    ``None`` disables what it limits."""

    def __call__(self, value: Any) -> str | None:
        if value is None:
            return None
        try:
            parse_rate(value)
        except ValueError as exc:
            raise SettingError(f"is invalid: {exc}") from None
        return value  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Spec:
    """One ``AUTHGATE`` key of a section: its default, its kind, its check id and hint."""

    key: str
    default: Any
    kind: Callable[[Any], Any]
    check: str
    hint: str | None

    @property
    def help(self) -> str:
        """The hint a refused value gets: the declared one, else the default."""
        return self.hint if self.hint is not None else f"The default is {self.default!r}."


def setting(
    key: str,
    default: Any,
    kind: Callable[[Any], Any] = Unchecked(),
    *,
    check: str = "",
    hint: str | None = None,
) -> Any:
    """Declare a section field read from ``AUTHGATE[key]`` (a ``dataclasses.field``).

    A kind that can refuse a value needs the ``check`` id the system checks report it with.
    """
    if getattr(kind, "checked", True) and not check:
        raise TypeError(f"the setting {key} can be refused: give its system check id")
    return dataclasses.field(metadata={"setting": Spec(key, default, kind, check, hint)})


def specs_of(section: type) -> tuple[tuple[str, Spec], ...]:
    """``(attribute, spec)`` for each field of ``section`` declared with :func:`setting`."""
    return tuple(
        (field.name, field.metadata["setting"])
        for field in dataclasses.fields(section)
        if "setting" in field.metadata
    )
