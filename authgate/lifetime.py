"""What credentials with ``revoked_at`` and ``expires`` columns share: the live filter.

``revoked_at`` in the future is a scheduled revocation (a rotated token's overlap), so
"live" means: not revoked *yet*, and not expired.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from django.db import models
from django.db.models import Q
from django.utils import timezone

__all__ = ["RevocableQuerySet"]


class RevocableQuerySet(models.QuerySet):
    """Filters by status, relative to ``now`` (default: the current time)."""

    def live(self, now: datetime | None = None) -> Self:
        """Rows that would authenticate now: not revoked, not expired."""
        now = now or timezone.now()
        return self.filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=now),
            Q(expires__isnull=True) | Q(expires__gt=now),
        )
