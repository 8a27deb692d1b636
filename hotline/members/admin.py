from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hotline.members.models import ApiKey, Member


class MembersReadOnly(admin.ModelAdmin):
    """Members and keys change through `hotline members` (audited); keys are shown once there."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(MembersReadOnly):
    list_display = ["name", "kind", "country", "is_active", "is_demo", "joined_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(MembersReadOnly):
    list_display = [
        "prefix",
        "member",
        "label",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    exclude = ["secret_sha256"]
