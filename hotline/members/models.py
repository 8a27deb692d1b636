"""Member organisations (ISPs, platforms, filter vendors) and the API keys they use."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class MemberKind(models.TextChoices):
    ISP = "isp", "Internet service provider"
    PLATFORM = "platform", "Platform"
    FILTER_VENDOR = "filter_vendor", "Filtering vendor"
    HOTLINE = "hotline", "Partner hotline"
    NGO = "ngo", "Non-governmental organisation"


class Scope(models.TextChoices):
    URLLIST_READ = "urllist:read", "Download the URL list"
    REPORTS_WRITE = "reports:write", "File reports through the API (trusted partners)"


class Member(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=MemberKind.choices)
    country = models.CharField(max_length=2, blank=True)
    is_active = models.BooleanField(default=True)
    # The demo member's key is printed by `hotline loaddemo` and refused unless DEBUG is on.
    is_demo = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A key is shown once, at issue. Only its prefix (to find it) and SHA-256 are kept.

    A fast hash is right here: the secret part is 256 random bits, so there is nothing to
    brute-force, and every API request checks a key.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member} key {self.prefix}…"

    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
