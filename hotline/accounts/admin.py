from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from hotline.accounts.models import PortalRole, StaffUser
from hotline.audit.admin_mixins import AuditedAdmin


class PortalRoleInline(admin.TabularInline):
    model = PortalRole
    extra = 1


@admin.register(StaffUser)
class StaffUserAdmin(AuditedAdmin, UserAdmin):
    inlines = [PortalRoleInline]
    list_display = ["username", "email", "is_active", "is_staff", "is_demo", "last_login"]
    list_filter = ["is_active", "is_staff", "is_demo", "portal_roles__role"]
