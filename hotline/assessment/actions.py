"""Claiming cases from the queue and recording assessments. Each is one audited transaction."""

from __future__ import annotations

from django.utils import timezone

from hotline.accounts.models import StaffUser
from hotline.assessment.models import Assessment, Claim, Outcome
from hotline.assessment.queries import assessable_cases
from hotline.audit.actions import audited_action, record_event, staff_actor
from hotline.cases.actions import resolve_case
from hotline.cases.models import Case, CaseStatus
from hotline.core.classification import Category
from hotline.urllist.actions import add_to_url_list


class AssessmentRefused(Exception):
    """The analyst may not do this now; the message says why, in words for the analyst."""


def _lock_case(case: Case, analyst: StaffUser) -> Case:
    locked = Case.objects.select_for_update().select_related("portal").get(pk=case.pk)
    if not assessable_cases(analyst).filter(pk=locked.pk).exists():
        raise AssessmentRefused("You do not assess reports for this portal.")
    if locked.status != CaseStatus.AWAITING_ASSESSMENT:
        raise AssessmentRefused("This case has already been assessed.")
    return locked


@audited_action
def claim_case(*, case: Case, analyst: StaffUser) -> Claim:
    """Take a case from the queue so no one else assesses it at the same time.

    Claiming one's own case again renews it; another analyst's fresh claim is refused; a stale
    one (CLAIM_TIMEOUT) is taken over. Audits `assessment.case_claimed`.
    """
    case = _lock_case(case, analyst)
    claim = Claim.objects.filter(case=case).first()
    now = timezone.now()
    if claim is not None and claim.analyst_id != analyst.pk and not claim.is_stale():
        raise AssessmentRefused("Another analyst is assessing this case.")
    if claim is None:
        claim = Claim.objects.create(case=case, analyst=analyst, claimed_at=now)
    else:
        claim.analyst = analyst
        claim.claimed_at = now
        claim.save(update_fields=["analyst", "claimed_at"])
    record_event(
        actor=staff_actor(analyst),
        action="assessment.case_claimed",
        target=case,
        portal=case.portal.code,
    )
    return claim


@audited_action
def release_case(*, case: Case, analyst: StaffUser) -> None:
    """Give a claimed case back to the queue. Audits `assessment.case_released`."""
    # Lock the case as claiming does, so a release and a claim of one case take turns.
    case = Case.objects.select_for_update().select_related("portal").get(pk=case.pk)
    deleted, _ = Claim.objects.filter(case=case, analyst=analyst).delete()
    if deleted:
        record_event(
            actor=staff_actor(analyst),
            action="assessment.case_released",
            target=case,
            portal=case.portal.code,
        )


@audited_action
def record_assessment(
    *, case: Case, analyst: StaffUser, outcome: Outcome, category: Category | None, notes: str = ""
) -> Assessment:
    """Record an analyst's assessment of a case they hold, and act on it.

    Confirmed imagery goes on the URL list at once with its category. The case leaves the
    queue and the claim ends. Audits `assessment.assessment_made`, plus the case's and the URL
    list's own events, all in this one transaction.
    """
    case = _lock_case(case, analyst)
    claim = Claim.objects.filter(case=case).first()
    if claim is None or claim.analyst_id != analyst.pk:
        raise AssessmentRefused("Claim the case before assessing it.")
    confirmed = outcome == Outcome.CONFIRMED
    if confirmed and category is None:
        raise AssessmentRefused("Choose a category for confirmed imagery.")
    if not confirmed:
        category = None
    assessment = Assessment.objects.create(
        case=case,
        analyst=analyst,
        outcome=outcome,
        category=category.value if category else "",
        notes=notes.strip(),
    )
    actor = staff_actor(analyst)
    record_event(
        actor=actor,
        action="assessment.assessment_made",
        target=assessment,
        portal=case.portal.code,
        data={"case": case.pk, "outcome": outcome.value, "category": assessment.category},
    )
    resolve_case(case=case, confirmed=confirmed, category=category, actor=actor)
    if confirmed and category is not None:
        add_to_url_list(
            url=case.canonical_url,
            category=category,
            case_id=case.pk,
            actor=actor,
            portal=case.portal.code,
        )
    claim.delete()
    return assessment
