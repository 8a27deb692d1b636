from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class StaffBackend(ModelBackend):
    """Password check that refuses demo accounts unless the demo is switched on (DEBUG)."""

    def user_can_authenticate(self, user: Any) -> bool:
        if getattr(user, "is_demo", False) and not settings.HOTLINE_DEMO_ACCOUNTS_ENABLED:
            return False
        return super().user_can_authenticate(user)
