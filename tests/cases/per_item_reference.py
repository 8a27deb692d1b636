"""Attaching one report at a time, as main did before set-based attachment (547386b): the
specification `open_or_attach_cases` is held to (tests/cases/test_attaching_many.py).

Kept as it was, statement for statement, apart from its names: one get_or_create, locking
read, UPDATE and INSERT after another for each URL, the case's `CasePortal` rows created and
written again as each report changes the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hotline.audit.actions import record_event
from hotline.cases import priority
from hotline.cases.actions import host_of, move_case
from hotline.cases.models import Case, CasePortal
from hotline.cases.states import QUEUE_STATUSES, CaseStatus
from hotline.core.hashing import url_digest
from hotline.portals.models import Portal
from hotline.urllist.lookup import on_url_list


def attach_one_at_a_time(
    *, urls: Sequence[tuple[str, Portal, bool]], actor: str
) -> list[tuple[Case, bool]]:
    """main's `open_or_attach_cases`: each (canonical URL, portal, verified) in turn."""
    with transaction.atomic():
        return [
            _open_or_attach(canonical_url=url, portal=portal, actor=actor, verified=verified)
            for url, portal, verified in urls
        ]


def _confirmed_on_host(host: str, *, excluding: int | None = None) -> int:
    cases = Case.objects.filter(host=host, status=CaseStatus.CONFIRMED)
    if excluding is not None:
        cases = cases.exclude(pk=excluding)
    return cases.count()


def _requeue_fields(case: Case, *, now: datetime | None = None) -> list[str]:
    case.priority = priority.priority_points(
        report_count=case.open_reports, host_confirmed=case.host_confirmed
    )
    case.queue_at = priority.queue_at(
        opened_at=now or case.opened_at,
        report_count=case.open_reports,
        host_confirmed=case.host_confirmed,
    )
    return ["priority", "queue_at"]


def _open_or_attach(
    *, canonical_url: str, portal: Portal, actor: str, verified: bool
) -> tuple[Case, bool]:
    host = host_of(canonical_url)
    now = timezone.now()
    host_confirmed = _confirmed_on_host(host)
    case, created = Case.objects.get_or_create(
        url_sha256=url_digest(canonical_url),
        defaults={
            "canonical_url": canonical_url,
            "host": host,
            "portal": portal,
            "report_count": 1,
            "open_reports": 1,
            "has_verified_report": verified,
            "host_confirmed": host_confirmed,
            "priority": priority.priority_points(report_count=1, host_confirmed=host_confirmed),
            "opened_at": now,
            "queue_at": priority.queue_at(
                opened_at=now, report_count=1, host_confirmed=host_confirmed
            ),
        },
    )
    code = portal.code
    if created:
        CasePortal.objects.create(case=case, portal=portal, **_queue_copy(case))
        record_event(actor=actor, action="cases.case_opened", target=case, portal=code)
        return case, True
    case = Case.objects.select_for_update().get(pk=case.pk)
    status = CaseStatus(case.status)
    known = status == CaseStatus.CONFIRMED and on_url_list(case.canonical_url)
    reopen = status in (CaseStatus.NOT_CONFIRMED, CaseStatus.CLOSED) or (
        status == CaseStatus.CONFIRMED and not known
    )
    case.report_count = F("report_count") + 1
    fields = ["report_count"]
    if known:
        case.known_reports = F("known_reports") + 1
        fields.append("known_reports")
    elif not reopen:
        case.open_reports += 1
        case.has_verified_report = case.has_verified_report or verified
        fields += ["open_reports", "has_verified_report"]
        if status in QUEUE_STATUSES:
            fields += _requeue_fields(case)
    case.save(update_fields=fields)
    case.refresh_from_db(fields=fields)
    record_event(
        actor=actor,
        action="cases.report_attached",
        target=case,
        portal=code,
        data={"known": known, "status": case.status},
    )
    if reopen:
        case.open_reports = 1
        case.has_verified_report = verified
        case.host_confirmed = _confirmed_on_host(host, excluding=case.pk)
        case.opened_at = now
        fields = ["open_reports", "has_verified_report", "host_confirmed", "opened_at"]
        case.save(update_fields=fields + _requeue_fields(case))
        case = move_case(case=case, to=CaseStatus.NEW, actor=actor, reason="reported again")
    if not known:
        _sync_portal_links(case)
    if portal.pk != case.portal_id:
        CasePortal.objects.bulk_create(
            [CasePortal(case=case, portal=portal, **_queue_copy(case))], ignore_conflicts=True
        )
    return case, False


def _queue_copy(case: Case) -> dict[str, object]:
    return {
        "status": case.status,
        "has_verified_report": case.has_verified_report,
        "queue_at": case.queue_at,
        "opened_at": case.opened_at,
    }


def _sync_portal_links(case: Case) -> None:
    CasePortal.objects.filter(case_id=case.pk).update(**_queue_copy(case))
