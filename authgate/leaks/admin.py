"""The admin's "Leak" filter on API tokens: revoked because they were found exposed.

Reads the revocation reason (:mod:`authgate.leaks.reasons`): no model field, no join.
Imports only the reasons, so :mod:`authgate.schemes.tokens.admin` can use it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from authgate.leaks import reasons

__all__ = ["LeakFilter"]


class LeakFilter(admin.SimpleListFilter):
    """Tokens revoked from a leak: any, GitHub's report, ``revoke-leaked``, RFC 7009."""

    title = _("revoked from a leak")
    parameter_name = "leak"

    _QUERIES = {
        "any": Q(revoked_reason__startswith=reasons.GITHUB)
        | Q(revoked_reason__startswith=reasons.SCAN),
        "github": Q(revoked_reason__startswith=reasons.GITHUB),
        "scan": Q(revoked_reason__startswith=reasons.SCAN),
        "rfc7009": Q(revoked_reason=reasons.RFC7009),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("any", _("Found exposed (any)")),
            ("github", _("Reported by GitHub secret scanning")),
            ("scan", _("Found by revoke-leaked")),
            ("rfc7009", _("Revoked by value (RFC 7009)")),
        ]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        query = self._QUERIES.get(self.value() or "")
        return queryset.filter(query) if query is not None else queryset
