"""Classification schemes are configured in the admin (audited); assessments are read-only."""

from __future__ import annotations

from django.contrib import admin

from hotline.assessment.models import (
    Appeal,
    Assessment,
    ClassificationScheme,
    PortalScheme,
    QaPolicy,
    QaReview,
    SchemeOutcome,
)
from hotline.audit.admin_mixins import AuditedAdmin, ReadOnlyAdmin


class SchemeOutcomeInline(admin.TabularInline):
    model = SchemeOutcome
    extra = 0
    fields = ["position", "code", "label", "kind", "key"]


@admin.register(ClassificationScheme)
class ClassificationSchemeAdmin(AuditedAdmin):
    """A hotline under another law writes its own outcomes here, then assigns the scheme to its
    portals. Codes of criminal outcomes become the category on the URL list."""

    list_display = ["name", "slug", "is_default"]
    inlines = [SchemeOutcomeInline]


@admin.register(PortalScheme)
class PortalSchemeAdmin(AuditedAdmin):
    list_display = ["portal", "scheme"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["case", "analyst", "purpose", "outcome_code", "assessed_at"]
    list_filter = ["purpose", "outcome_kind"]


@admin.register(QaPolicy)
class QaPolicyAdmin(AuditedAdmin):
    """A portal's own share of second assessments; without a row (or with blank fields) the
    site's HOTLINE_QA_FIRST_ASSESSMENTS and HOTLINE_QA_SAMPLE_PERCENT apply."""

    list_display = ["portal", "first_assessments", "sample_percent"]


@admin.register(QaReview)
class QaReviewAdmin(ReadOnlyAdmin):
    list_display = ["case", "reason", "agreed", "opened_at", "settled_at"]
    list_filter = ["reason", "agreed"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["case", "appellant", "organisation", "received_at", "decision"]
    list_filter = ["appellant", "decision"]
