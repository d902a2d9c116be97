from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from senda.core.models import AuditEntry


def superusers_only(request: HttpRequest) -> bool:
    """Django's admin is a tool for system administrators, never for partner staff."""
    user = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = superusers_only  # type: ignore[method-assign]
admin.site.site_header = "Senda"


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only (the database refuses changes too)."""

    list_display = [
        "at",
        "actor_username",
        "organisation",
        "action",
        "object_type",
        "object_id",
        "channel",
        "ip_address",
    ]
    list_filter = ["action", "channel"]
    list_select_related = ["organisation"]
    search_fields = ["object_id", "action", "actor_username"]
    # Actor and organisation as stored: the user or organisation may be gone.
    readonly_fields = [
        "at",
        "actor_id",
        "actor_username",
        "organisation_id",
        "action",
        "object_type",
        "object_id",
        "details",
        "ip_address",
        "channel",
        "via",
    ]
    exclude = ["actor", "organisation"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
