"""Staff accounts, groups and authenticators in the admin; every edit is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.accounts import actions
from hotline.accounts.models import PortalRole, Role, StaffUser
from hotline.audit.admin_mixins import AuditedAdmin

# Changes to these are recorded with their new values (they are not secret, and "who made
# whom a superuser" must be answerable from the log alone).
PRIVILEGE_FLAGS = ("is_active", "is_staff", "is_superuser")


def _actor(request: HttpRequest) -> str:
    return f"staff:{request.user.pk}"


class PortalRoleInline(admin.TabularInline):
    model = PortalRole
    extra = 1


@admin.register(StaffUser)
class StaffUserAdmin(AuditedAdmin, UserAdmin):
    inlines = [PortalRoleInline]
    list_display = ["username", "email", "is_active", "is_staff", "is_demo", "last_login"]
    list_filter = ["is_active", "is_staff", "is_demo", "portal_roles__role"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            flags = {f: getattr(obj, f) for f in PRIVILEGE_FLAGS if f in form.changed_data}
            if flags:
                self._record(request, obj, "accounts.privileges_changed", **flags)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not PortalRole:
            super().save_formset(request, form, formset, change)
            return
        # Roles given or taken away here go through the same actions as `hotline staff grant`,
        # so that the log says `accounts.role_granted` / `accounts.role_revoked` whichever way.
        actor = _actor(request)
        formset.save(commit=False)  # sorts the forms into new, changed and deleted; saves none
        for grant in formset.deleted_objects:
            actions.revoke_portal_role(grant=grant, actor=actor)
        for grant, _fields in formset.changed_objects:
            # A changed row is a different grant: the old one ends, the new one starts.
            actions.revoke_portal_role(grant=PortalRole.objects.get(pk=grant.pk), actor=actor)
            actions.grant_portal_roles(
                user=form.instance,
                portal_codes=[grant.portal.code],
                role=Role(grant.role),
                actor=actor,
            )
        for grant in formset.new_objects:
            actions.grant_portal_roles(
                user=form.instance,
                portal_codes=[grant.portal.code],
                role=Role(grant.role),
                actor=actor,
            )

    def _revoke_all(self, request: HttpRequest, user: StaffUser) -> None:
        for grant in user.portal_roles.select_related("portal"):
            actions.revoke_portal_role(grant=grant, actor=_actor(request))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._revoke_all(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for user in queryset:
                self._revoke_all(request, user)
            super().delete_queryset(request, queryset)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Setting someone's password is a state change like any other: audited, in one
        # transaction with the change (the password itself never reaches the log). The form
        # applies the password rules (AUTH_PASSWORD_VALIDATORS).
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                if user is not None:
                    self._record(request, user, "accounts.password_set_by_admin")
        return response


# django.contrib.auth registers groups without auditing; a group's permissions are privileges
# like any other, so its edits are audited (including who gained or lost which permission).
admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass


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
