"""``manage.py authgate flush-usage``: write this process's buffered API-token uses now.

Every server process writes its own buffer (:mod:`authgate.token_usage`) each
``TOKEN_USAGE_FLUSH_INTERVAL`` and on a clean exit, so a shell has nothing to write: the
command is for processes that authenticate tokens in-process and then end or freeze
without running :mod:`atexit` (a job runner, a serverless handler:
``call_command("authgate", "flush-usage")``), and it says how uses are written here.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from authgate import token_usage
from authgate.conf import settings
from authgate.management.subcommands.base import Subcommand

__all__ = ["SUBCOMMANDS"]


def _arguments(parser: CommandParser) -> None:
    pass


def _flush_usage(command: BaseCommand, **options: Any) -> None:
    try:
        written = token_usage.flush()
    except DatabaseError as exc:
        raise CommandError(
            f"Writing last_used failed ({type(exc).__name__}); the uses are kept for the "
            "next flush."
        ) from exc
    interval = settings.TOKEN_USAGE_FLUSH_INTERVAL
    how = (
        f"each process writes its uses every {interval.total_seconds():g} s and on exit"
        if interval
        else "uses are written on the request path (TOKEN_USAGE_FLUSH_INTERVAL = None)"
    )
    command.stdout.write(f"last_used written for {written} token(s) of this process; {how}.")


SUBCOMMANDS = [
    Subcommand(
        "flush-usage",
        "Write this process's buffered API-token uses (last_used) now.",
        _arguments,
        _flush_usage,
    )
]
