"""Reading the queue: which cases an analyst should see, best first."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from hotline.accounts.access import assessable_portal_ids
from hotline.accounts.models import StaffUser
from hotline.assessment.models import CLAIM_TIMEOUT
from hotline.cases.models import Case, CaseStatus


def queue_for(analyst: StaffUser) -> QuerySet[Case]:
    """Unassessed cases on the analyst's portals that nobody else is working on now."""
    fresh_claims_after = timezone.now() - CLAIM_TIMEOUT
    return (
        Case.objects.filter(
            status=CaseStatus.AWAITING_ASSESSMENT, portal_id__in=assessable_portal_ids(analyst)
        )
        .exclude(Q(claim__claimed_at__gt=fresh_claims_after) & ~Q(claim__analyst=analyst))
        .select_related("portal", "claim")
        .order_by("-priority", "opened_at", "pk")
    )
