"""A portal is one country's reporting site: the tenant every report and case belongs to."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PortalStatus(models.TextChoices):
    DRAFT = "draft", "Draft (not public yet)"
    LIVE = "live", "Live"
    SUSPENDED = "suspended", "Suspended"


class Portal(models.Model):
    code = models.SlugField(max_length=16, unique=True, help_text="URL prefix, e.g. 'tn'.")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. 'TN'.")
    # {"ar": "...", "fr": "...", "en": "..."}: one name per language the portal offers.
    names = models.JSONField(default=dict)
    languages = models.JSONField(default=list)
    default_language = models.CharField(max_length=8)
    status = models.CharField(
        max_length=16, choices=PortalStatus.choices, default=PortalStatus.DRAFT
    )
    launched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_in(settings.LANGUAGE_CODE)

    def name_in(self, language: str) -> str:
        return str(self.names.get(language) or self.names.get(self.default_language) or self.code)

    @property
    def reference_prefix(self) -> str:
        return self.code.upper()


class PartnerKind(models.TextChoices):
    GOVERNMENT = "government", "Government"
    INTERGOVERNMENTAL = "intergovernmental", "Intergovernmental organisation"
    NGO = "ngo", "Non-governmental organisation"
    FUNDER = "funder", "Funder"
    INDUSTRY = "industry", "Industry"


class Partner(models.Model):
    name = models.CharField(max_length=200, unique=True)
    names = models.JSONField(default=dict, blank=True)  # optional translations of the name
    kind = models.CharField(max_length=32, choices=PartnerKind.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return str(self.names.get(language) or self.name)


class Partnership(models.Model):
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="partnerships")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="partnerships")
    role = models.CharField(max_length=200, help_text="What the partner does for this portal.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["portal", "position"]
        constraints = [
            models.UniqueConstraint(fields=["portal", "partner"], name="unique_partnership")
        ]

    def __str__(self) -> str:
        return f"{self.partner} ({self.role}) for {self.portal.code}"
