"""Reading untrusted JSON within limits: nesting measured before the parser runs.

Python's ``json`` module parses nested arrays and objects recursively: about a thousand
levels (``[[[[…]]]]``, 2 bytes a level) raise ``RecursionError``, which is not a
``ValueError`` and, uncaught, is a 500. Worse, a structure just under that limit parses
fine and then makes whatever walks it recursively (a policy compiler, ``json.dumps`` when
it is stored, a template) fail later, far from the input. So the depth is measured first,
on the bytes, by a scan that only counts brackets outside strings and stops as soon as the
limit is passed: linear in the size, no recursion, no allocation per level.

RFC 8259 §6 has no ``NaN`` or ``Infinity``, but ``json.loads`` accepts them (and turns
``1e999`` into ``inf``); a non-finite number is refused here, so no caller has to compare
with one (``NaN < x`` and ``NaN > x`` are both false: a time check that lets it through).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["JSONRefused", "JSONTooDeep", "loads", "nesting_depth"]

# A JSON string (RFC 8259 §7): quotes, any escaped character, anything but a quote or a
# backslash. Brackets inside strings are text, not structure.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


class JSONRefused(ValueError):
    """Bytes that are not JSON within the limits; ``str()`` says which, for a person."""


class JSONTooDeep(JSONRefused):
    """JSON nested deeper than the caller allows (refused before it was parsed)."""


def nesting_depth(data: bytes, *, limit: int) -> int:
    """The deepest nesting of arrays and objects in ``data``, counted up to ``limit + 1``.

    The scan stops at the first level past ``limit``, so a hostile body costs no more than
    a shallow one of the same size. Malformed JSON is measured as far as its brackets go;
    the parser refuses it afterwards.
    """
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", data))
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise JSONRefused(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONRefused(f"{text} is too large a number")
    return value


def loads(data: bytes | str, *, max_depth: int) -> Any:
    """``data`` parsed, or :class:`JSONRefused` (never ``RecursionError``).

    Refused: more than ``max_depth`` levels of arrays and objects, text that is not JSON
    (or not UTF-8), ``NaN``/``Infinity`` and numbers too large for a float.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if nesting_depth(raw, limit=max_depth) > max_depth:
        raise JSONTooDeep(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except JSONRefused:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: belt and braces
        raise JSONRefused("not JSON") from None
