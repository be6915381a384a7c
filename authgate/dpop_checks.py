"""Checks for the DPoP proof settings (``DPOP_*``: ``authgate.E091`` to ``E093``, ``W091``).

They run while a backend that verifies proofs is in the chain: ``OAuthBackend`` (DPoP-bound
access tokens) or ``TokenBackend`` (DPoP-bound API tokens), or a subclass of either. Each
field is checked by its declaration (:class:`~authgate.dpop_settings.DPoPSettings`); the
rule here spans the window a proof is accepted in.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from django.core.checks import CheckMessage, Warning
from django.utils.module_loading import import_string

from authgate.checks import check_fields, setting_value
from authgate.dpop_settings import DPoPSettings

__all__ = ["check_dpop_settings"]

_MAX_PROOF_AGE = timedelta(minutes=5)


def _verifiers() -> tuple[type, ...]:
    """The backend classes that verify DPoP proofs (OAuth's only when PyJWT imports)."""
    from authgate.schemes.tokens.backend import TokenBackend

    try:
        from authgate.schemes.oauth.backend import OAuthBackend
    except ImportError:  # no PyJWT: a chain naming OAuthBackend fails authgate.E002 instead
        return (TokenBackend,)
    return (TokenBackend, OAuthBackend)


def _in_chain() -> bool:
    paths = setting_value("BACKENDS")
    verifiers = _verifiers()
    for path in paths if isinstance(paths, list | tuple) else ():
        with contextlib.suppress(ImportError, ValueError, TypeError):
            found = import_string(path)
            if isinstance(found, type) and issubclass(found, verifiers):
                return True
    return False


def check_dpop_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Nothing unless a backend of the chain verifies proofs; then the fields and the rule."""
    if not _in_chain():
        return []
    messages, values = check_fields(DPoPSettings)
    max_age = values.get("DPOP_PROOF_MAX_AGE")
    if max_age is not None and max_age > _MAX_PROOF_AGE:
        messages.append(
            Warning(
                "AUTHGATE['DPOP_PROOF_MAX_AGE'] is more than 5 minutes.",
                hint="A proof is meant for one request, now: a long window lets a captured "
                "proof be replayed elsewhere for longer and grows the replay cache. Use "
                "server nonces (DPOP_NONCES) for clients with bad clocks.",
                id="authgate.W091",
            )
        )
    return messages
