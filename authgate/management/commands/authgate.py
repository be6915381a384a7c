"""``manage.py authgate <subcommand>``: token lifecycle from the command line.

Each credential kind contributes subcommands from its ``commands`` module, which defines
``SUBCOMMANDS``: a list of :class:`~authgate.management.base.Subcommand`. They are listed
explicitly below.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from authgate.leaks import commands as leaks_commands
from authgate.schemes.httpsig import commands as httpsig_commands
from authgate.schemes.links import commands as links_commands
from authgate.schemes.scoped import commands as scoped_commands
from authgate.schemes.tokens import commands as tokens_commands

__all__ = ["Command"]


#: The modules whose ``SUBCOMMANDS`` make up ``manage.py authgate``.
SUBCOMMAND_MODULES = (
    tokens_commands,
    scoped_commands,
    links_commands,
    httpsig_commands,
    leaks_commands,
)


def _discover() -> dict[str, Any]:
    found = {sub.name: sub for module in SUBCOMMAND_MODULES for sub in module.SUBCOMMANDS}
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
