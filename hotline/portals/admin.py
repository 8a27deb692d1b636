from django.contrib import admin

from hotline.audit.admin_mixins import ReadOnlyAdmin
from hotline.portals.models import Partner, Partnership, Portal

# Portals change through their launch files (`hotline launchportal`), which are audited.


class PartnershipInline(admin.TabularInline):
    model = Partnership
    extra = 0
    can_delete = False
    has_add_permission = ReadOnlyAdmin.has_add_permission
    has_change_permission = ReadOnlyAdmin.has_change_permission


@admin.register(Portal)
class PortalAdmin(ReadOnlyAdmin):
    list_display = ["code", "country", "status", "default_language", "launched_at"]
    inlines = [PartnershipInline]


@admin.register(Partner)
class PartnerAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind"]
