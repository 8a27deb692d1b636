"""Who is assessing which case, under which classification scheme, and what they decided."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.core.classification import CATEGORY_CODE_LENGTH, OutcomeKind

# How long a claim lasts without being renewed. The case page renews it when it opens and
# every minute while it stays open (a small heartbeat), so a case stays with the analyst who
# has it on screen; when the browser is closed or the analyst walks away it runs out, and the
# case goes back to the queue (at once for the next claimer, within a minute for everyone).
CLAIM_TIMEOUT = timedelta(minutes=15)
# How often the case page renews the claim while it is open.
LEASE_HEARTBEAT = timedelta(minutes=1)


class Claim(models.Model):
    """One analyst at a time works on a case, under a lease; others do not see it meanwhile."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="claim")
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    claimed_at = models.DateTimeField()
    # The lease: the claim holds until then unless renewed (CLAIM_TIMEOUT after the last renewal).
    lease_until = models.DateTimeField()

    class Meta:
        indexes = [
            # "Which leases have run out?": asked every minute, and before each "next case".
            models.Index(fields=["lease_until"], name="claim_lease_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case} claimed by {self.analyst}"

    def is_stale(self, now: datetime | None = None) -> bool:
        """Whether the lease has run out (the case may be claimed by someone else)."""
        return self.lease_until <= (now or timezone.now())


class ClassificationScheme(models.Model):
    """The outcomes analysts choose from, under one law.

    A hotline under another law configures its own (in the admin); a portal assesses under the
    scheme assigned to it (`PortalScheme`), else under the default one (the UK Sentencing
    Council categories, created by migration). Outcomes are data; what each does is its kind.
    """

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    law = models.TextField(blank=True, help_text="The law or guideline the categories follow.")
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_scheme"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SchemeOutcome(models.Model):
    scheme = models.ForeignKey(
        ClassificationScheme, on_delete=models.CASCADE, related_name="outcomes"
    )
    # Recorded on the assessment and, for criminal content, as the category on the lists.
    code = models.CharField(max_length=CATEGORY_CODE_LENGTH)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=OutcomeKind.choices)
    # The single key that picks this outcome on the assessment page.
    key = models.CharField(
        max_length=1,
        validators=[
            RegexValidator(
                r"^[a-z0-9]$", "A key is one lower-case letter or digit (others are reserved)."
            )
        ],
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["scheme", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="unique_outcome_code"),
            models.UniqueConstraint(fields=["scheme", "key"], name="unique_outcome_key"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.label}"


class PortalScheme(models.Model):
    """The scheme a portal's reports are assessed under (the default one when absent)."""

    portal = models.OneToOneField(
        "portals.Portal", on_delete=models.CASCADE, related_name="classification"
    )
    scheme = models.ForeignKey(ClassificationScheme, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.portal_id}: {self.scheme}"


class AgeGroup(models.TextChoices):
    # The youngest child who appears to be shown.
    AGE_0_2 = "0-2", "0-2"
    AGE_3_6 = "3-6", "3-6"
    AGE_7_10 = "7-10", "7-10"
    AGE_11_13 = "11-13", "11-13"
    AGE_14_15 = "14-15", "14-15"
    AGE_16_17 = "16-17", "16-17"


class SexShown(models.TextChoices):
    GIRLS = "girls", _("Girls")
    BOYS = "boys", _("Boys")
    BOTH = "both", _("Both")
    UNKNOWN = "unknown", _("Cannot tell")


class SiteType(models.TextChoices):
    IMAGE_HOST = "image_host", _("Image host")
    CYBERLOCKER = "cyberlocker", _("Cyberlocker")
    FORUM = "forum", _("Forum")
    SOCIAL_NETWORK = "social_network", _("Social network")
    VIDEO_CHANNEL = "video_channel", _("Video channel")
    WEB_PAGE = "web_page", _("Web page")
    BANNER_SITE = "banner_site", _("Banner site")
    BLOG = "blog", _("Blog")
    SEARCH_PROVIDER = "search_provider", _("Search provider")
    OTHER = "other", _("Other")


class Purpose(models.TextChoices):
    FIRST = "first", _("Assessment")
    SECOND = "second", _("Second assessment (QA)")
    SENIOR = "senior", _("Senior decision")
    APPEAL = "appeal", _("Appeal re-assessment")
    CORRECTION = "correction", _("Correction")


class Assessment(models.Model):
    """One person's judgement of a case, with the facts recorded for statistics and sharing.

    The outcome is copied from the scheme (code, kind, label) so a scheme edited later never
    changes what was decided.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="assessments")
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.FIRST)
    outcome_code = models.CharField(max_length=CATEGORY_CODE_LENGTH)
    outcome_kind = models.CharField(max_length=16, choices=OutcomeKind.choices)
    outcome_label = models.CharField(max_length=200)
    duplicate_of_id = models.BigIntegerField(null=True, blank=True)
    interpol_baseline = models.BooleanField(null=True, blank=True)
    youngest_age = models.CharField(max_length=8, choices=AgeGroup.choices, blank=True)
    sex_shown = models.CharField(max_length=8, choices=SexShown.choices, blank=True)
    image_count = models.PositiveIntegerField(null=True, blank=True)
    video_count = models.PositiveIntegerField(null=True, blank=True)
    self_generated = models.BooleanField(null=True, blank=True)
    site_type = models.CharField(max_length=16, choices=SiteType.choices, blank=True)
    commercial = models.BooleanField(null=True, blank=True)
    # ISO 3166-1 alpha-2 code of the country the content is hosted in, when known.
    hosting_country = models.CharField(max_length=2, blank=True)
    notes = models.TextField(blank=True)
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-assessed_at", "-pk"]
        indexes = [models.Index(fields=["analyst", "assessed_at"], name="assessment_by_analyst")]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome_kind="duplicate", duplicate_of_id__isnull=False)
                | (~Q(outcome_kind="duplicate") & Q(duplicate_of_id__isnull=True)),
                name="duplicate_names_its_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.outcome_label}"

    @property
    def category(self) -> str:
        """The category code on the lists: the outcome code of criminal content, else ''."""
        return self.outcome_code if self.outcome_kind == OutcomeKind.CRIMINAL else ""


class ExposureDay(models.Model):
    """How long one analyst had a case open on one day, and the clock that counts it.

    hotline/assessment/welfare.py says how time is counted; record_exposure keeps this row
    with one UPDATE per heartbeat. The clock (last beat, whether a case was showing, the
    stretch since the last break) is copied to the next day's row at its first beat, so
    midnight neither loses the time across it nor counts as a break.
    """

    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exposure_days"
    )
    # The analysts' working day (HOTLINE_WELFARE_TIME_ZONE), not the server's UTC date.
    day = models.DateField()
    seconds = models.PositiveIntegerField(default=0)
    # Unix time in whole seconds, not a DateTimeField: the one UPDATE subtracts it from the
    # beat's time in plain integer arithmetic, the same on SQLite and PostgreSQL.
    last_beat = models.BigIntegerField()
    # Whether a case page was showing at the latest beat: the time since counts only if so.
    showing = models.BooleanField(default=False)
    # What the latest beat added; the caller tells from it whether the beat crossed a limit.
    last_credit = models.PositiveIntegerField(default=0)
    # Exposure since the last break (welfare.BREAK without counted time); crosses midnight.
    stretch_seconds = models.PositiveIntegerField(default=0)
    # The stretch when the analyst last dismissed the break reminder: the next is due one
    # reminder interval later.
    dismissed_at_stretch = models.PositiveIntegerField(default=0)
    # A senior analyst's override of the daily limit, for this day only, and why.
    limit_lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    limit_lifted_at = models.DateTimeField(null=True, blank=True)
    limit_lifted_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-day", "analyst"]
        constraints = [
            models.UniqueConstraint(fields=["analyst", "day"], name="one_exposure_row_a_day"),
            models.CheckConstraint(
                condition=Q(limit_lifted_by__isnull=True, limit_lifted_reason="")
                | (Q(limit_lifted_by__isnull=False) & ~Q(limit_lifted_reason="")),
                name="limit_lifted_with_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.analyst} on {self.day}: {self.seconds // 60} min"


class QaPolicy(models.Model):
    """A portal's own second-assessment policy; blank fields (or no row) use the settings'
    defaults, HOTLINE_QA_FIRST_ASSESSMENTS and HOTLINE_QA_SAMPLE_PERCENT (assessment/qa.py)."""

    portal = models.OneToOneField(
        "portals.Portal", on_delete=models.CASCADE, related_name="qa_policy"
    )
    first_assessments = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Every assessment in an analyst's first this many is assessed a second time. "
            "Blank: the site's default."
        ),
    )
    sample_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "Per cent of all other assessments, drawn at random, assessed a second time. "
            "Blank: the site's default."
        ),
    )

    class Meta:
        verbose_name = _("QA policy")
        verbose_name_plural = _("QA policies")

    def __str__(self) -> str:
        return f"QA policy of portal {self.portal_id}"


class QaReason(models.TextChoices):
    NEW_ANALYST = "new_analyst", _("One of the analyst's first assessments")
    SAMPLE = "sample", _("Drawn at random")


class QaReview(models.Model):
    """One assessment checked by a second analyst who did not see it, and, where the two
    disagree, a senior analyst's decision. All three views are kept (assessment/qa.py).

    Open (`settled_at` empty) while the case waits in "awaiting QA"; at most one per case.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="qa_reviews")
    first = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="qa_review")
    reason = models.CharField(max_length=16, choices=QaReason.choices)
    second = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Whether the second assessment gave the same outcome (and category) as the first.
    agreed = models.BooleanField(null=True, blank=True)
    decision = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(settled_at__isnull=True), name="one_open_qa_review"
            ),
            models.CheckConstraint(
                condition=Q(second__isnull=True, agreed__isnull=True)
                | Q(second__isnull=False, agreed__isnull=False),
                name="agreement_known_with_second",
            ),
        ]
        indexes = [models.Index(fields=["agreed", "opened_at"], name="qa_review_agreement")]

    def __str__(self) -> str:
        return f"QA review of {self.case}"

    @property
    def awaits_second(self) -> bool:
        return self.settled_at is None and self.second_id is None

    @property
    def awaits_senior(self) -> bool:
        return self.settled_at is None and self.second_id is not None


class Appellant(models.TextChoices):
    HOST = "host", _("Hosting provider")
    SITE_OWNER = "site_owner", _("Site owner")
    OTHER = "other", _("Other")


class AppealDecision(models.TextChoices):
    UPHELD = "upheld", _("Upheld: not criminal, off the lists")
    REFUSED = "refused", _("Refused: confirmed stands")


class Appeal(models.Model):
    """A host or site owner contests a confirmed case; a senior analyst who took no part in
    assessing it re-assesses. Holds no personal data: an organisation name and a reference."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="appeals")
    appellant = models.CharField(max_length=16, choices=Appellant.choices)
    organisation = models.CharField(max_length=200, blank=True)
    # Their ticket or letter number, so the answer can be matched to the appeal.
    reference = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=16, choices=AppealDecision.choices, blank=True)
    reassessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(decided_at__isnull=True), name="one_open_appeal"
            )
        ]

    def __str__(self) -> str:
        return f"Appeal of {self.case}"
