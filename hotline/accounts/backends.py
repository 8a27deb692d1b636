from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from hotline.accounts.models import PortalRole

PREVIEW_PORTAL = "portals.preview_portal"


class StaffBackend(ModelBackend):
    """Password check that refuses demo accounts unless the demo is switched on (DEBUG).

    Also answers the one object permission the layers below ask about: whether a staff member
    may preview a draft portal (portals asks through `user.has_perm`, never importing us).
    """

    def user_can_authenticate(self, user: Any) -> bool:
        if getattr(user, "is_demo", False) and not settings.HOTLINE_DEMO_ACCOUNTS_ENABLED:
            return False
        return super().user_can_authenticate(user)

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if perm == PREVIEW_PORTAL and obj is not None:
            # Anyone who works on the portal (any role) checks it before it goes live.
            return bool(
                user_obj.is_active
                and self.user_can_authenticate(user_obj)
                and PortalRole.objects.filter(user=user_obj, portal_id=obj.pk).exists()
            )
        return super().has_perm(user_obj, perm, obj)
