"""A portal is one country's reporting site: the tenant every report and case belongs to.

What a portal shows (names, taglines, partners, help numbers, branding) comes from its launch
file (`hotline portal launch`) or the admin; both go through `portals.actions`, audited.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.portals.options import PORTAL_OPTIONS


class PortalStatus(models.TextChoices):
    DRAFT = "draft", "Draft (visible to staff only)"
    LIVE = "live", "Live"
    SUSPENDED = "suspended", "Suspended (shows a notice)"


def pick(texts: dict[str, str], language: str, fallback: str = "") -> str:
    """The text for `language` from a {language: text} map, else the fallback."""
    return str(texts.get(language) or fallback)


class PortalAsset(models.Model):
    """An image the portal pages show (portal or partner logo), checked and re-encoded as PNG.

    Kept in the database, not on a web host's disk, so every web process serves the same bytes;
    named by content hash, so it can be cached for ever.
    """

    sha256 = models.CharField(max_length=64, unique=True)
    content_type = models.CharField(max_length=32, default="image/png")
    data = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.width} x {self.height})"

    @property
    def filename(self) -> str:
        return f"{self.sha256}.png"


class Portal(models.Model):
    code = models.SlugField(max_length=16, unique=True, help_text="URL prefix, e.g. 'tn'.")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. 'TN'.")
    # {"ar": "...", "fr": "...", "en": "..."}: one name (and tagline) per language offered.
    names = models.JSONField(default=dict)
    taglines = models.JSONField(default=dict, blank=True)
    languages = models.JSONField(default=list)
    default_language = models.CharField(max_length=8)
    status = models.CharField(
        max_length=16, choices=PortalStatus.choices, default=PortalStatus.DRAFT
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    logo = models.ForeignKey(
        PortalAsset, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # {"name": ..., "email": ..., "website": ...}: who runs the portal locally.
    owner = models.JSONField(default=dict, blank=True)
    # {"name": ..., "email": ..., "website": ...}: national authority for domestic takedown.
    authority = models.JSONField(default=dict, blank=True)
    # Only the options that differ from their defaults (see portals/options.py).
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        permissions = [("preview_portal", "May see the portal while it is a draft")]

    def __str__(self) -> str:
        return self.name_in(settings.LANGUAGE_CODE)

    def name_in(self, language: str) -> str:
        return pick(self.names, language, pick(self.names, self.default_language, self.code))

    def tagline_in(self, language: str) -> str:
        return pick(self.taglines, language)

    def option(self, key: str) -> Any:
        """The portal's value of an option, or the option's default (one table of defaults)."""
        return self.options.get(key, PORTAL_OPTIONS[key].default)

    @property
    def is_live(self) -> bool:
        return self.status == PortalStatus.LIVE

    @property
    def reference_prefix(self) -> str:
        return self.code.upper()


class PortalHost(models.Model):
    """A host name of the portal's own (e.g. signalement.example.tn): its `/` is this portal."""

    host = models.CharField(max_length=253, unique=True)
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="hosts")

    def __str__(self) -> str:
        return self.host


class PartnerKind(models.TextChoices):
    GOVERNMENT = "government", "Government"
    INTERGOVERNMENTAL = "intergovernmental", "Intergovernmental organisation"
    NGO = "ngo", "Non-governmental organisation"
    FUNDER = "funder", "Funder"
    INDUSTRY = "industry", "Industry"
    HOTLINE = "hotline", "Hotline"


class PartnerRole(models.TextChoices):
    # Labels are shown on the public partners page, so they are translated.
    HOST_MINISTRY = "host_ministry", _("Host ministry")
    CO_HOST = "co_host", _("Co-host")
    FUNDER = "funder", _("Funder")
    PROMOTER = "promoter", _("Promoting partner")
    HOTLINE = "hotline", _("Reporting service")


class Partner(models.Model):
    name = models.CharField(max_length=200, unique=True)
    names = models.JSONField(default=dict, blank=True)  # optional translations of the name
    kind = models.CharField(max_length=32, choices=PartnerKind.choices)
    website = models.URLField(blank=True)
    logo = models.ForeignKey(
        PortalAsset, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return pick(self.names, language, self.name)


class Partnership(models.Model):
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="partnerships")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="partnerships")
    role = models.CharField(max_length=32, choices=PartnerRole.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["portal", "position"]
        constraints = [
            models.UniqueConstraint(fields=["portal", "partner"], name="unique_partnership")
        ]

    def __str__(self) -> str:
        return f"{self.partner} ({self.role}) for {self.portal.code}"


class HelpKind(models.TextChoices):
    CHILD_HELPLINE = "child_helpline", _("Child helpline")
    VICTIM_SUPPORT = "victim_support", _("Victim support")
    POLICE = "police", _("Police")
    OTHER = "other", _("Other help")


class HelpResource(models.Model):
    """A place to get help now: a helpline, victim support, the police. Shown on every portal
    page that says "this is not an emergency service"."""

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="help_resources")
    kind = models.CharField(max_length=32, choices=HelpKind.choices)
    name = models.CharField(max_length=200)
    names = models.JSONField(default=dict, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    website = models.URLField(blank=True)
    # The page languages it is shown in; empty means all of the portal's languages.
    languages = models.JSONField(default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["portal", "position"]

    def __str__(self) -> str:
        return f"{self.name} ({self.portal.code})"

    def name_in(self, language: str) -> str:
        return pick(self.names, language, self.name)

    def shown_in(self, language: str) -> bool:
        return not self.languages or language in self.languages
