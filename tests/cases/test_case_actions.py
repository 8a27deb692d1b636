"""One case per canonical URL; known content does not go back to the queue."""

from __future__ import annotations

from hotline.audit.models import AuditEvent
from hotline.cases.actions import open_or_attach_case, resolve_case
from hotline.cases.models import Case, CaseStatus
from hotline.core.classification import Category
from hotline.portals.models import Portal


def test_first_report_opens_a_case(tn: Portal) -> None:
    case, created = open_or_attach_case(
        canonical_url="http://one.example/", portal=tn, actor="public"
    )
    assert created and case.status == CaseStatus.AWAITING_ASSESSMENT and case.report_count == 1
    event = AuditEvent.objects.get(action="cases.case_opened")
    assert event.target_id == str(case.pk) and event.portal == "tn"


def test_second_report_attaches_and_raises_priority(tn: Portal, ma: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url="http://one.example/", portal=tn, actor="public")
    again, created = open_or_attach_case(
        canonical_url="http://one.example/", portal=ma, actor="public"
    )
    assert not created and again.pk == case.pk
    assert again.report_count == 2 and again.priority == 1 and again.portal == tn
    event = AuditEvent.objects.get(action="cases.report_attached")
    assert event.data == {"known": False, "status": "awaiting_assessment"} and event.portal == "ma"


def test_confirmed_case_reported_again_stays_resolved(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url="http://one.example/", portal=tn, actor="public")
    resolve_case(case=case, confirmed=True, category=Category.A, actor="staff:1")
    again, _ = open_or_attach_case(canonical_url="http://one.example/", portal=tn, actor="public")
    assert again.status == CaseStatus.CONFIRMED and again.category == "A"
    assert AuditEvent.objects.get(action="cases.report_attached").data["known"] is True


def test_resolve_case_records_outcome_and_time(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url="http://one.example/", portal=tn, actor="public")
    resolved = resolve_case(case=case, confirmed=False, category=Category.B, actor="staff:1")
    assert resolved.status == CaseStatus.NOT_CONFIRMED and resolved.category == ""
    assert resolved.resolved_at is not None
    assert Case.objects.get().status == CaseStatus.NOT_CONFIRMED
    event = AuditEvent.objects.get(action="cases.case_resolved")
    assert event.data == {"status": "not_confirmed", "category": ""} and event.actor == "staff:1"
