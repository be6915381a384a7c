"""The client's IP address, from ``REMOTE_ADDR`` or a header set by a trusted proxy."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from authgate.conf import settings

__all__ = ["client_ip"]


def client_ip(request: HttpRequest) -> str:
    """The client IP as a normalised string, or ``""`` if it is missing or unparsable.

    With ``AUTHGATE["CLIENT_IP_HEADER"]`` set (only behind a proxy you run), the left-most
    address of that header is used: a client can forge it otherwise.
    """
    raw = ""
    if settings.CLIENT_IP_HEADER:
        raw = request.META.get(settings.CLIENT_IP_HEADER, "").split(",")[0].strip()
    if not raw:
        raw = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return ""
