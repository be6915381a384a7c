"""``manage.py authgate <subcommand>``: token lifecycle from the command line.

Each feature contributes subcommands from a module in ``authgate.management.subcommands``
that defines ``SUBCOMMANDS``: a list of :class:`~authgate.management.subcommands.base.Subcommand`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from authgate.management import subcommands

__all__ = ["Command"]


def _discover() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for module_info in pkgutil.iter_modules(subcommands.__path__):
        module = importlib.import_module(f"{subcommands.__name__}.{module_info.name}")
        for subcommand in getattr(module, "SUBCOMMANDS", ()):
            found[subcommand.name] = subcommand
    return dict(sorted(found.items()))


class Command(BaseCommand):
    help = "Manage authgate credentials: issue, list, revoke, rotate and clean up tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        children = parser.add_subparsers(dest="subcommand", metavar="<subcommand>")
        for name, subcommand in _discover().items():
            child = children.add_parser(name, help=subcommand.help, description=subcommand.help)
            subcommand.add_arguments(child)
            child.set_defaults(_subcommand=subcommand)

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options.pop("_subcommand", None)
        if subcommand is None:
            raise CommandError("Name a subcommand; see `manage.py authgate --help`.")
        subcommand.handle(self, **options)
