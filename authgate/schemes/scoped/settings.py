"""The scoped-token settings (``SCOPED_*``), converted once: :func:`scoped_settings`.

See docs/scoped.md; system checks ``authgate.E040`` to ``E046`` and ``W040``
(:mod:`authgate.schemes.scoped.checks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from authgate.conf import Section, accessor
from authgate.core.headers import _TOKEN_RE
from authgate.core.specs import QUERY_PARAM_RE, Duration, Text, setting

__all__ = ["ScopedSettings", "scoped_settings"]

_MAX_AGE = Duration(
    numbers=(int,),
    positive=True,
    whole=True,
    description="a positive whole number of seconds (int) or timedelta",
)
_ALWAYS_EXPIRE = "Scoped tokens always expire."


@dataclass(frozen=True, slots=True)
class ScopedSettings(Section):
    """Signed temporary scoped tokens: how they are sent, how long they live."""

    checks = "authgate.schemes.scoped.checks.check_scoped_settings"

    #: The Authorization scheme of scoped tokens (case-insensitive).
    keyword: str = setting(
        "SCOPED_KEYWORD",
        "TmpToken",
        Text(
            pattern=_TOKEN_RE,
            description="an HTTP auth-scheme name (an RFC 9110 token, no spaces)",
        ),
        check="authgate.E043",
    )
    #: The query parameter carrying a scoped token; None switches it off.
    query_param: str | None = setting(
        "SCOPED_QUERY_PARAM",
        "TOKEN",
        Text(
            pattern=QUERY_PARAM_RE,
            null=True,
            description="None (off) or a plain parameter name (letters, digits, '_', '.', "
            "'~', '-')",
        ),
        check="authgate.E045",
    )
    #: The lifetime when none is given.
    default_max_age: timedelta = setting(
        "SCOPED_DEFAULT_MAX_AGE",
        timedelta(minutes=6),
        _MAX_AGE,
        check="authgate.E041",
        hint=f"The default is {timedelta(minutes=6)!r}. {_ALWAYS_EXPIRE}",
    )
    #: The longest lifetime accepted.
    max_age: timedelta = setting(
        "SCOPED_MAX_AGE",
        timedelta(hours=1),
        _MAX_AGE,
        check="authgate.E040",
        hint=f"The default is {timedelta(hours=1)!r}. {_ALWAYS_EXPIRE}",
    )


scoped_settings = accessor(ScopedSettings)
