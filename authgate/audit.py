"""Recording audit events; callers pass identifiers, never secrets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from authgate.clientip import client_ip
from authgate.models import TokenEvent

__all__ = ["record"]


def record(
    kind: str,
    *,
    credential_kind: str,
    credential_id: str = "",
    user: Any = None,
    request: HttpRequest | None = None,
    **detail: Any,
) -> TokenEvent:
    """Append an event to the audit trail (``TokenEvent``)."""
    return TokenEvent.objects.create(
        kind=kind,
        credential_kind=credential_kind,
        credential_id=credential_id[:64],
        user=user if getattr(user, "pk", None) is not None else None,
        ip=(client_ip(request) or None) if request is not None else None,
        detail=detail,
    )
