from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser


class StaffBackend(ModelBackend):
    """Password check that refuses demo accounts unless the demo is switched on (DEBUG)."""

    def user_can_authenticate(self, user: AbstractBaseUser | None) -> bool:
        if getattr(user, "is_demo", False) and not settings.HOTLINE_DEMO_ACCOUNTS_ENABLED:
            return False
        return super().user_can_authenticate(user)
