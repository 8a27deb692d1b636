"""Cases: one per canonical URL; later reports attach; resolution is recorded and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.audit.models import AuditEvent
from hotline.cases.actions import (
    MAX_REPORT_PRIORITY,
    IllegalTransition,
    move_case,
    open_or_attach_case,
)
from hotline.cases.models import Case, CaseStatus
from hotline.core.classification import OutcomeKind
from hotline.core.hashing import url_digest
from hotline.portals.models import Portal
from hotline.urllist.actions import add_to_url_list, remove_from_url_list

URL = "http://example.test/page"


def confirm(case: Case, category: str = "A", actor: str = "system") -> Case:
    """Resolve as an analyst's confirmation would (the list entry is outcomes' business)."""
    case = move_case(case=case, to=CaseStatus.IN_ASSESSMENT, actor=actor, reason="claimed")
    return move_case(
        case=case,
        to=CaseStatus.CONFIRMED,
        actor=actor,
        reason="assessment",
        outcome=OutcomeKind.CRIMINAL,
        category=category,
    )


def not_confirm(case: Case, actor: str = "system") -> Case:
    case = move_case(case=case, to=CaseStatus.IN_ASSESSMENT, actor=actor, reason="claimed")
    return move_case(
        case=case,
        to=CaseStatus.NOT_CONFIRMED,
        actor=actor,
        reason="assessment",
        outcome=OutcomeKind.NOT_CRIMINAL,
    )


def test_first_report_opens_a_case(tn: Portal) -> None:
    case, opened = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert opened is True
    assert case.canonical_url == URL
    assert case.portal == tn
    assert case.report_count == 1
    assert case.status == CaseStatus.NEW
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


def test_a_url_on_the_list_reported_again_is_known_content_and_skips_the_queue(
    tn: Portal,
) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    confirm(case)
    add_to_url_list(url=URL, category="A", case_id=case.pk, actor="system")
    again, opened = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert opened is False
    assert again.status == CaseStatus.CONFIRMED
    assert again.category == "A"
    assert again.known_reports == 1
    event = AuditEvent.objects.get(action="cases.report_attached")
    assert event.data["known"] is True


def test_a_confirmed_url_off_the_list_reported_again_goes_back_to_the_queue(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    confirm(case)
    add_to_url_list(url=URL, category="A", case_id=case.pk, actor="system")
    remove_from_url_list(url=URL, reason="content removed", actor="system")
    again, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert again.status == CaseStatus.NEW
    assert again.outcome == "" and again.category == "" and again.known_reports == 0


def test_resolving_confirmed_sets_status_outcome_category_and_time(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    confirm(case, category="B", actor="staff:1")
    case.refresh_from_db()
    assert case.status == CaseStatus.CONFIRMED
    assert case.outcome == OutcomeKind.CRIMINAL
    assert case.category == "B"
    assert case.resolved_at is not None
    event = AuditEvent.objects.filter(action="cases.status_changed").latest("pk")
    assert event.target_id == str(case.pk)
    assert event.actor == "staff:1"
    assert event.data["from"] == "in_assessment" and event.data["to"] == "confirmed"
    assert event.data["category"] == "B"


def test_not_confirmed_has_no_category(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    case = move_case(case=case, to=CaseStatus.IN_ASSESSMENT, actor="staff:1", reason="claimed")
    move_case(
        case=case,
        to=CaseStatus.NOT_CONFIRMED,
        actor="staff:1",
        reason="assessment",
        outcome=OutcomeKind.NOT_CRIMINAL,
        category="B",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.NOT_CONFIRMED
    assert case.category == ""
    assert case.resolved_at is not None


def test_not_confirmed_case_reported_again_goes_back_to_the_queue(tn: Portal, ma: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    not_confirm(case)
    again, opened = open_or_attach_case(canonical_url=URL, portal=ma, actor="public")
    assert opened is False
    assert again.status == CaseStatus.NEW
    assert again.resolved_at is None
    event = AuditEvent.objects.filter(action="cases.status_changed").latest("pk")
    assert event.target_id == str(case.pk)
    assert event.portal == "tn"
    assert event.data["from"] == CaseStatus.NOT_CONFIRMED
    assert event.data["reason"] == "reported again"


def test_reopened_case_joins_the_back_of_the_queue_at_new_case_priority(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    for _ in range(5):
        open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    not_confirm(case)
    other, _ = open_or_attach_case(canonical_url="http://other.example/", portal=tn, actor="public")
    again, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert again.priority == 0 and again.report_count == 7
    assert again.opened_at > other.opened_at
    assert again.queue_at is not None and other.queue_at is not None
    assert again.queue_at > other.queue_at


def test_awaiting_case_reported_again_is_not_reopened(tn: Portal) -> None:
    open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert not AuditEvent.objects.filter(action="cases.status_changed").exists()


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
    not_confirm(case)
    again, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    assert again.status == CaseStatus.NEW and again.has_verified_report is False
    not_confirm(again)
    again, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public", verified=True)
    assert again.has_verified_report is True


def test_confirming_a_case_moves_waiting_cases_on_the_same_host_up(tn: Portal) -> None:
    same_host, _ = open_or_attach_case(
        canonical_url="http://bad.example/2", portal=tn, actor="public"
    )
    other_host, _ = open_or_attach_case(
        canonical_url="http://fine.example/", portal=tn, actor="public"
    )
    confirmed, _ = open_or_attach_case(
        canonical_url="http://bad.example/1", portal=tn, actor="public"
    )
    assert same_host.queue_at is not None
    before = same_host.queue_at
    confirm(confirmed)
    same_host.refresh_from_db()
    other_host.refresh_from_db()
    assert same_host.host_confirmed == 1 and same_host.priority == 3
    assert same_host.queue_at == before - timedelta(hours=3)
    assert other_host.host_confirmed == 0 and other_host.priority == 0
    # A case opened later on that host starts with the host's points.
    later, _ = open_or_attach_case(canonical_url="http://bad.example/3", portal=tn, actor="x")
    assert later.host_confirmed == 1 and later.priority == 3
    assert later.host == "bad.example"


def test_a_move_the_states_table_does_not_allow_is_refused_and_changes_nothing(
    tn: Portal,
) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    with pytest.raises(IllegalTransition, match="New to Appealed"):
        move_case(case=case, to=CaseStatus.APPEALED, actor="system", reason="x")
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    assert not AuditEvent.objects.filter(action="cases.status_changed").exists()


def test_a_case_is_found_by_its_canonical_url_through_an_index(tn: Portal) -> None:
    # Every report looks its URL up (open_or_attach_case): a full scan would grow with the
    # table. url_sha256 is unique, so the database keeps an index on it.
    for n in range(50):
        open_or_attach_case(canonical_url=f"{URL}/{n}", portal=tn, actor="public")
    plan = Case.objects.filter(url_sha256=url_digest(URL + "/7")).explain()
    assert "USING INDEX" in plan or "Index Scan" in plan, plan
