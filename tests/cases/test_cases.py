"""Cases: one per canonical URL; later reports attach; resolution is recorded and audited."""

from __future__ import annotations

from hotline.audit.models import AuditEvent
from hotline.cases.actions import MAX_REPORT_PRIORITY, open_or_attach_case, resolve_case
from hotline.cases.models import Case, CaseStatus
from hotline.core.classification import Category
from hotline.portals.models import Portal

URL = "http://example.test/page"


def test_first_report_opens_a_case(tn: Portal) -> None:
    case, opened = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert opened is True
    assert case.canonical_url == URL
    assert case.portal == tn
    assert case.report_count == 1
    assert case.status == CaseStatus.AWAITING_ASSESSMENT
    assert AuditEvent.objects.filter(action="cases.case_opened", target_id=str(case.pk)).exists()


def test_one_case_per_canonical_url(tn: Portal, ma: Portal) -> None:
    first, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    second, opened = open_or_attach_case(canonical_url=URL, portal=ma, actor="public")
    assert opened is False
    assert first.pk == second.pk
    assert Case.objects.count() == 1
    assert second.portal == tn


def test_different_urls_open_different_cases(tn: Portal) -> None:
    a, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    b, _ = open_or_attach_case(canonical_url=URL + "2", portal=tn, actor="public")
    assert a.pk != b.pk


def test_second_report_attaches_and_raises_priority(tn: Portal) -> None:
    first, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    again, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert again.report_count == 2
    assert again.priority > first.priority
    event = AuditEvent.objects.get(action="cases.report_attached")
    assert event.target_id == str(first.pk)
    assert event.actor == "public"
    assert event.portal == "tn"
    assert event.data["known"] is False


def test_confirmed_case_stays_confirmed_when_reported_again(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    resolve_case(case=case, confirmed=True, category=Category.A, actor="system")
    again, opened = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert opened is False
    assert again.status == CaseStatus.CONFIRMED
    assert again.category == "A"
    event = AuditEvent.objects.get(action="cases.report_attached")
    assert event.data["known"] is True


def test_resolve_confirmed_sets_status_category_and_time(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    resolve_case(case=case, confirmed=True, category=Category.B, actor="staff:1")
    case.refresh_from_db()
    assert case.status == CaseStatus.CONFIRMED
    assert case.category == "B"
    assert case.resolved_at is not None
    event = AuditEvent.objects.get(action="cases.case_resolved")
    assert event.target_id == str(case.pk)
    assert event.actor == "staff:1"
    assert event.data == {"status": "confirmed", "category": "B"}


def test_resolve_not_confirmed_has_no_category(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    resolve_case(case=case, confirmed=False, category=Category.B, actor="staff:1")
    case.refresh_from_db()
    assert case.status == CaseStatus.NOT_CONFIRMED
    assert case.category == ""
    assert case.resolved_at is not None
    event = AuditEvent.objects.get(action="cases.case_resolved")
    assert event.data["status"] == "not_confirmed"


def test_not_confirmed_case_reported_again_goes_back_to_the_queue(tn: Portal, ma: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    resolve_case(case=case, confirmed=False, category=None, actor="system")
    again, opened = open_or_attach_case(canonical_url=URL, portal=ma, actor="public")
    assert opened is False
    assert again.status == CaseStatus.AWAITING_ASSESSMENT
    assert again.resolved_at is None
    event = AuditEvent.objects.get(action="cases.case_reopened")
    assert event.target_id == str(case.pk)
    assert event.portal == "ma"
    assert event.data["was"] == CaseStatus.NOT_CONFIRMED


def test_reopened_case_joins_the_back_of_the_queue_at_new_case_priority(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    for _ in range(5):
        open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    resolve_case(case=case, confirmed=False, category=None, actor="system")
    other, _ = open_or_attach_case(canonical_url="http://other.example/", portal=tn, actor="public")
    again, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert again.priority == 0 and again.report_count == 7
    assert again.opened_at > other.opened_at


def test_awaiting_case_reported_again_is_not_reopened(tn: Portal) -> None:
    open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert not AuditEvent.objects.filter(action="cases.case_reopened").exists()


def test_priority_from_repeat_reports_is_capped(tn: Portal) -> None:
    for _ in range(MAX_REPORT_PRIORITY + 5):
        case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert case.report_count == MAX_REPORT_PRIORITY + 5
    assert case.priority == MAX_REPORT_PRIORITY


def test_a_verified_report_marks_its_case_and_an_unverified_one_never_unmarks_it(
    tn: Portal,
) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert case.has_verified_report is False
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public", verified=True)
    assert case.has_verified_report is True
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert case.has_verified_report is True
    new, _ = open_or_attach_case(canonical_url=URL + "2", portal=tn, actor="x", verified=True)
    assert new.has_verified_report is True


def test_a_reopened_case_is_verified_only_if_the_report_reopening_it_is(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public", verified=True)
    resolve_case(case=case, confirmed=False, category=None, actor="system")
    again, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert again.status == CaseStatus.AWAITING_ASSESSMENT and again.has_verified_report is False
    resolve_case(case=again, confirmed=False, category=None, actor="system")
    again, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public", verified=True)
    assert again.has_verified_report is True
