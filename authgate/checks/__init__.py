"""System checks for the ``AUTHGATE`` settings, one module per area.

IDs are stable and documented: ``authgate.E0xx``/``W0xx`` for the chain and settings,
``E02x`` API tokens, ``E04x`` scoped tokens, ``E06x`` magic links.
"""

from authgate.checks import core, links, scoped, tokens  # noqa: F401
