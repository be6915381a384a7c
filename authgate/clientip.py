"""The client's IP address, from ``REMOTE_ADDR`` or a header set by a trusted proxy."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.http import HttpRequest

from authgate.conf import chain_settings

__all__ = ["client_ip"]


def client_ip(request: HttpRequest) -> str:
    """The client IP as a normalised string, or ``""`` if it is missing or unparsable.

    With ``AUTHGATE["CLIENT_IP_HEADER"]`` set (only behind a proxy you run), the left-most
    address of that header is used: a client can forge it otherwise.
    """
    raw = ""
    header = chain_settings().client_ip_header
    if header:
        raw = request.META.get(header, "").split(",")[0].strip()
    if not raw:
        raw = request.META.get("REMOTE_ADDR", "")
    return _normalised(raw)


# Every API-token use records its address (issue #24): parsing it each time was an eighth of
# the token path. A pure function of the string, so a bounded cache is safe; a client
# sending ever-new spellings only evicts older entries.
@lru_cache(maxsize=4096)
def _normalised(raw: str) -> str:
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return ""
