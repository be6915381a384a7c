"""The client's IP address, from ``REMOTE_ADDR`` or a header set by a trusted proxy."""

from __future__ import annotations

import ipaddress

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
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return ""
