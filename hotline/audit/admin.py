from django.contrib import admin
from django.http import HttpRequest

from hotline.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: the log is append-only, even for administrators."""

    list_display = ["seq", "occurred_at", "actor", "action", "target_type", "target_id", "portal"]
    list_filter = ["action", "portal"]
    search_fields = ["action", "actor", "target_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
