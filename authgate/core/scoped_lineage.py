"""The optional lineage claims of a scoped token (``authgate.scoped.v1``): ``p`` and ``a``.

``p`` names the credential that minted the token (``"api_token:42"``), ``a`` that
credential's client-IP allowlist. Both are set by :func:`authgate.derive.derive` and signed
with the rest of the payload; a token without them reads as before. Shape checks only:
``ipaddress`` parses the networks where they are used.
"""

from __future__ import annotations

import re

__all__ = ["MAX_ALLOWED_IPS", "clean_allowed_ips", "clean_parent"]

MAX_ALLOWED_IPS = 64
_PARENT_RE = re.compile(r"[a-z_]{1,32}:[0-9A-Za-z_-]{1,31}")
_NETWORK_RE = re.compile(r"[0-9A-Fa-f.:/]{1,64}")


def clean_parent(parent: object) -> str | None:
    """``parent`` if it looks like ``"<kind>:<id>"`` (``None`` stays ``None``)."""
    if parent is None:
        return None
    if not isinstance(parent, str) or not _PARENT_RE.fullmatch(parent):
        raise ValueError("parent must look like 'api_token:42'")
    return parent


def clean_allowed_ips(values: object) -> tuple[str, ...]:
    """Network texts (checked for shape here; ``ipaddress`` parses them where used)."""
    if not isinstance(values, list) or len(values) > MAX_ALLOWED_IPS:
        raise ValueError(f"allowed_ips must be a list of at most {MAX_ALLOWED_IPS} networks")
    for value in values:
        if not isinstance(value, str) or not _NETWORK_RE.fullmatch(value):
            raise ValueError("allowed_ips must be IP networks as text")
    return tuple(values)
