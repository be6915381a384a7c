"""What every policy format shares: HTTP method names, ASCII-only uppercasing, the error
type, and how a bad value is quoted in its message."""

from __future__ import annotations

__all__ = ["STANDARD_METHODS", "METHOD_LIST", "PolicyError", "upper_method", "shown"]

STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
METHOD_LIST = ", ".join(sorted(STANDARD_METHODS))

# ASCII-only uppercase: str.upper() maps e.g. LATIN SMALL LETTER LONG S (U+017F) to "S".
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class PolicyError(ValueError):
    """A policy is malformed; the message says where and what was expected."""


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def upper_method(method: str) -> str:
    """``method`` in ASCII capitals (only a-z change)."""
    return method.translate(_ASCII_UPPER)
