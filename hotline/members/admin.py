from django.contrib import admin

from hotline.audit.admin_mixins import ReadOnlyAdmin
from hotline.members.models import ApiKey, Member

# Members and keys change through `hotline members` (audited); a key is shown once, there.


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "country", "is_active", "is_demo", "joined_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
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
