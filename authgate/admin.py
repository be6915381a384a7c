"""The Django admin: the audit trail here, each credential kind's admin from its own folder.

Django's admin autodiscovery imports this module; it imports the kinds' admin modules.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from authgate.audit import TokenEvent
from authgate.schemes.httpsig import admin as httpsig_admin
from authgate.schemes.tokens import admin as tokens_admin

__all__ = ["TokenEventAdmin", "httpsig_admin", "tokens_admin"]


@admin.register(TokenEvent)
class TokenEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only."""

    list_display = ["at", "kind", "credential_kind", "credential_id", "user", "ip"]
    list_filter = ["kind", "credential_kind"]
    search_fields = ["credential_id"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
