"""Staff users and what they may do on which portal (least privilege per portal)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    ANALYST = "analyst", "Analyst"
    SENIOR_ANALYST = "senior_analyst", "Senior analyst"
    ADMINISTRATOR = "administrator", "Administrator"
    PARTNER_VIEWER = "partner_viewer", "Partner viewer"


# Roles that may see and assess reported content.
ASSESSING_ROLES = frozenset({Role.ANALYST, Role.SENIOR_ANALYST})


class StaffUser(AbstractUser):
    # Demo accounts are printed by `hotline loaddemo`; they are refused unless DEBUG is on.
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = "staff user"


class PortalRole(models.Model):
    user = models.ForeignKey(StaffUser, on_delete=models.CASCADE, related_name="portal_roles")
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="staff_roles"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "portal", "role"], name="unique_portal_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} on {self.portal_id}"
