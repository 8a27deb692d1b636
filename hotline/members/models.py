"""Member organisations (ISPs, platforms, filter vendors) and the API keys they use."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class MemberKind(models.TextChoices):
    ISP = "isp", "Internet service provider"
    MOBILE_OPERATOR = "mobile_operator", "Mobile operator"
    PLATFORM = "platform", "Platform"
    SEARCH_ENGINE = "search_engine", "Search engine"
    FILTER_VENDOR = "filter_vendor", "Filtering vendor"
    HOTLINE = "hotline", "Partner hotline"
    NGO = "ngo", "Non-governmental organisation"


class Scope(models.TextChoices):
    """What a key may do: a licence per list, and filing reports. A member licensed for one
    list gets nothing of another (a filtering vendor may hold the hashed URL list only)."""

    URLLIST_READ = "urllist:read", "URL list (the addresses)"
    URLLIST_HASHED_READ = "urllist_hashed:read", "Hashed URL list (SHA-256 of each address)"
    DOMAINLIST_READ = "domainlist:read", "Domain list (whole domains, e.g. as a DNS RPZ)"
    HASHLIST_READ = "hashlist:read", "Image hash list"
    MATCH_READ = "match:read", "Match API (is this address, or this image, listed?)"
    REPORTS_WRITE = "reports:write", "File reports through the API (trusted partners)"


# A key's requests a minute unless it is given its own limit.
DEFAULT_REQUESTS_PER_MINUTE = 60


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
    # Requests a minute, any endpoint; beyond it the API answers 429 with Retry-After.
    requests_per_minute = models.PositiveIntegerField(default=DEFAULT_REQUESTS_PER_MINUTE)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member} key {self.prefix}…"

    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class FeedDownload(models.Model):
    """One download of a list by a member: who, which list, format and version.

    The members' own record, not the audit log: a download changes nothing, and every member
    fetching every few minutes would fill the chain and wait on its sequencer. Written once
    per answered request, never updated.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="downloads")
    key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="downloads")
    feed = models.CharField(max_length=32)  # "urllist", later "hashlist"
    format = models.CharField(max_length=16)
    version = models.PositiveIntegerField()
    # For a list of changes: the version they start after; None for a whole list.
    since = models.PositiveIntegerField(null=True, blank=True)
    # 304 Not Modified: the member already had this version.
    not_modified = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["member", "-at"], name="download_by_member")]

    def __str__(self) -> str:
        return f"{self.member} {self.feed} v{self.version} {self.format}"
