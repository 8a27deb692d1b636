from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hotline.portals.models import Partner, Partnership, Portal


class ReadOnlyAdmin(admin.ModelAdmin):
    """Portals change through their launch files (`hotline launchportal`), which are audited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PartnershipInline(admin.TabularInline):
    model = Partnership
    extra = 0
    can_delete = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Portal)
class PortalAdmin(ReadOnlyAdmin):
    list_display = ["code", "country", "status", "default_language", "launched_at"]
    inlines = [PartnershipInline]


@admin.register(Partner)
class PartnerAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind"]
