"""Reading the queue: which cases an analyst should see, best first."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from hotline.accounts.access import assessable_portal_ids
from hotline.accounts.models import StaffUser
from hotline.assessment.models import CLAIM_TIMEOUT
from hotline.cases.models import Case, CaseStatus


def assessable_cases(analyst: StaffUser) -> QuerySet[Case]:
    """Cases the analyst may see and assess: reported on at least one of their portals.

    A case belongs to the portal that opened it, but a URL reported on Morocco's portal after
    Tunisia's is Morocco's business too: its analysts see and may assess it.
    """
    portal_ids = assessable_portal_ids(analyst)
    reported_on_their_portals = Case.objects.filter(
        report_items__report__portal_id__in=portal_ids
    ).values("pk")
    return Case.objects.filter(Q(portal_id__in=portal_ids) | Q(pk__in=reported_on_their_portals))


def queue_for(analyst: StaffUser) -> QuerySet[Case]:
    """Unassessed cases on the analyst's portals that nobody else is working on now.

    Cases with a verified report first (a proof of work or a partner's key: a flood of junk
    cannot bury them), then by priority, then oldest first.
    """
    fresh_claims_after = timezone.now() - CLAIM_TIMEOUT
    return (
        assessable_cases(analyst)
        .filter(status=CaseStatus.AWAITING_ASSESSMENT)
        .exclude(Q(claim__claimed_at__gt=fresh_claims_after) & ~Q(claim__analyst=analyst))
        .select_related("portal", "claim")
        .order_by("-has_verified_report", "-priority", "opened_at", "pk")
    )
