"""Deleting what can no longer authenticate: ``authgate cleanup`` (never on the request path).

Re-exported as :func:`authgate.schemes.tokens.service.cleanup`.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from authgate.schemes.tokens.models import APIToken
from authgate.state import UsedToken

__all__ = ["cleanup"]


def cleanup(older_than: timedelta = timedelta(days=30)) -> dict[str, int]:
    """Delete tokens expired or revoked more than ``older_than`` ago, and one-time-use
    records past their expiry. Deletion happens here, never on the request path. A deleted
    parent leaves its (already revoked) children with no recorded parent (``SET_NULL``)."""
    now = timezone.now()
    cutoff = now - older_than
    _total, tokens = APIToken.objects.filter(
        Q(expires__lt=cutoff) | Q(revoked_at__lt=cutoff)
    ).delete()
    _total, used = UsedToken.objects.filter(expires_at__lt=now).delete()
    return {
        "tokens": tokens.get(APIToken._meta.label, 0),
        "used_one_time_tokens": used.get(UsedToken._meta.label, 0),
    }
