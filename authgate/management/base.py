"""What a subcommand of ``manage.py authgate`` is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

__all__ = ["Subcommand", "user_by_username"]


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


def user_by_username(username: str, *, active: bool = False) -> Any:
    """The user with this username, or ``CommandError``; with ``active``, refuse inactive
    users (a credential minted for them would be refused on every use anyway)."""
    model = get_user_model()
    try:
        user = model._default_manager.get_by_natural_key(username)
    except model.DoesNotExist:
        raise CommandError(f"No user {username!r}.") from None
    if active and not user.is_active:
        raise CommandError(f"User {username!r} is inactive.")
    return user
