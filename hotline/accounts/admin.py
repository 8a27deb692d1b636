"""Staff accounts and their authenticators in the admin; every edit is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

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

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Setting someone's password is a state change like any other: audited, in one
        # transaction with the change (the password itself never reaches the log).
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                if user is not None:
                    self._record(request, user, "accounts.password_set_by_admin")
        return response


# django-otp registers its own TOTP admin; ours is the same, with audited edits, and no adding
# (an administrator cannot see a new key: `hotline staff reset-mfa` enrols authenticators).
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuditedTOTPDeviceAdmin(AuditedAdmin, TOTPDeviceAdmin):
    # Whose device it is and how its codes are computed are fixed: an administrator who could
    # move a device they know onto a colleague's account, or widen its tolerance until old
    # codes pass, could sign in as that colleague. Name, confirmed and throttling stay editable.
    fixed_fields = ("user", "step", "t0", "digits", "tolerance", "drift")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*super().get_readonly_fields(request, obj), *self.fixed_fields]
