"""System checks for the ``AUTHGATE`` settings, one module per area.

IDs are stable and documented: ``authgate.E0xx``/``W0xx`` for the chain and settings,
``E02x`` API tokens, ``E04x`` scoped tokens, ``E06x`` magic links, ``E08x`` OAuth,
``E09x`` DPoP and OAuth client subjects,
``E10x`` HTTP Message Signatures.
"""

from authgate.checks import core, httpsig, links, oauth, scoped, tokens  # noqa: F401
