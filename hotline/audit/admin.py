from django.contrib import admin

from hotline.audit.admin_mixins import ReadOnlyAdmin
from hotline.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the log is append-only, even for administrators."""

    list_display = ["seq", "occurred_at", "actor", "action", "target_type", "target_id", "portal"]
    list_filter = ["action", "portal"]
    search_fields = ["action", "actor", "target_id"]
