"""Staff users and what they may do on which portal (least privilege per portal)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django_otp.models import Device


class Role(models.TextChoices):
    ANALYST = "analyst", "Analyst"
    SENIOR_ANALYST = "senior_analyst", "Senior analyst"
    ADMINISTRATOR = "administrator", "Administrator"
    PARTNER_VIEWER = "partner_viewer", "Partner viewer"


# Roles that may see and assess reported content.
ASSESSING_ROLES = frozenset({Role.ANALYST, Role.SENIOR_ANALYST})

# The languages the staff pages speak, each named in itself (as a switcher shows them).
STAFF_LANGUAGE_CHOICES = [
    (code, name) for code, name in settings.LANGUAGES if code in settings.STAFF_LANGUAGES
]


# django-otp's Device.user has no related_name, which django-stubs cannot follow from here.
class StaffUser(AbstractUser):  # type: ignore[django-manager-missing]
    # Demo accounts are printed by `hotline loaddemo`; they are refused unless DEBUG is on.
    is_demo = models.BooleanField(default=False)
    # The language of this person's staff pages; blank until they choose one, and meanwhile
    # their browser's (hotline.portals.resolver.staff_language reads it).
    language = models.CharField(
        max_length=8, blank=True, default="", choices=STAFF_LANGUAGE_CHOICES
    )

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


class SignInThrottle(models.Model):
    """How far one account, or one connection, is held back from trying to sign in.

    Changed only by the sign-in actions (hotline.accounts.actions); the policy that turns
    failures into delays is hotline.accounts.throttle.
    """

    # Refused sign-ins since the last success or reset, forgotten after a quiet spell.
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    # Until then: for a connection, no sign-in from it is checked; for an account, see
    # hotline.accounts.throttle (a right password and code still sign in).
    throttled_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class AccountThrottle(SignInThrottle):
    user = models.OneToOneField(
        StaffUser, on_delete=models.CASCADE, primary_key=True, related_name="sign_in_throttle"
    )

    def __str__(self) -> str:
        return f"sign-in throttle of {self.user}"


class ClientThrottle(SignInThrottle):
    # HMAC of the connection's address under a secret that lives only in the cache and changes
    # every day (hotline.core.ratelimit.client_key): never the address, and unlinkable to it
    # once the day's secret is gone.
    client_key = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [models.Index(fields=["last_failure_at"], name="client_throttle_last_failure")]

    def __str__(self) -> str:
        return "sign-in throttle of one connection"


class RecoveryCodeSet(Device):
    """One-use codes that stand in for the authenticator when it is lost (a django-otp device).

    django-otp's own static-token plugin keeps its codes in plain text and spends them inside
    `verify_token`, outside any audited action; here only a SHA-256 of each code is kept and a
    code is spent only by `actions.use_recovery_code`. The codes carry about 79 bits of
    randomness, so a plain hash needs no salt or slow function: nobody can guess one back.
    The device exists so that a session signed in with a code is MFA-verified like one signed
    in with the authenticator (django-otp's `is_verified()` asks for a device).
    """

    def verify_token(self, token: str) -> bool:
        # Codes are spent only through actions.use_recovery_code (audited, one transaction);
        # django-otp's generic match_token must never spend or accept one.
        return False


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeSet, on_delete=models.CASCADE, related_name="codes")
    code_sha256 = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return "a recovery code"
