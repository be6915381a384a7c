"""What a subcommand of ``manage.py authgate`` is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

__all__ = ["Subcommand"]


@dataclass(frozen=True)
class Subcommand:
    """A named action: ``add_arguments(parser)`` then ``handle(command, **options)``.

    ``handle`` writes through ``command.stdout`` / ``command.stderr`` and raises
    ``CommandError`` with a clear message on bad input.
    """

    name: str
    help: str
    add_arguments: Callable[[CommandParser], None]
    handle: Callable[..., None]

    def __call__(self, command: BaseCommand, **options: Any) -> None:
        self.handle(command, **options)
