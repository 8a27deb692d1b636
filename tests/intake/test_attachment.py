"""Filing does the least that makes a report durable; its items find their cases after."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from hotline.audit.models import AuditEvent
from hotline.cases.models import Case
from hotline.intake.actions import (
    attach_report_to_cases,
    file_report,
    reports_waiting_for_cases,
)
from hotline.intake.models import Report, ReportItem
from hotline.intake.tasks import attach_waiting_reports
from hotline.portals.models import Portal
from tests.conftest import run_worker

ONE = "http://one.example/a"
TWO = "http://two.example/b"


def file(portal: Portal, *urls: str) -> Report:
    return file_report(portal=portal, language="fr", urls=[(u, u) for u in urls]).report


def test_the_report_commits_without_touching_cases(tn: Portal) -> None:
    report = file(tn, ONE, TWO)
    assert not Case.objects.exists()
    assert list(report.items.values_list("case", flat=True)) == [None, None]
    assert reports_waiting_for_cases(limit=10) == [report.pk]


def test_the_worker_attaches_items_to_their_cases(tn: Portal) -> None:
    report = file(tn, ONE, TWO)
    run_worker()
    cases = {item.canonical_url: item.case for item in report.items.select_related("case")}
    assert set(cases) == {ONE, TWO} and all(case is not None for case in cases.values())
    assert AuditEvent.objects.filter(action="cases.case_opened", actor="system").count() == 2
    assert reports_waiting_for_cases(limit=10) == []


def test_attaching_twice_changes_nothing(tn: Portal) -> None:
    report = file(tn, ONE)
    first = attach_report_to_cases(report_id=report.pk)
    again = attach_report_to_cases(report_id=report.pk)
    assert first == again == {1: Case.objects.get().pk}
    assert Case.objects.get().report_count == 1


def test_a_report_that_cannot_be_attached_does_not_hold_up_the_others(
    tn: Portal, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from hotline.intake import tasks

    broken, fine = file(tn, ONE), file(tn, TWO)
    real = tasks.attach_reports_to_cases

    def attach(*, report_ids: list[int]) -> int:
        if broken.pk in report_ids:
            raise RuntimeError("a database blip")
        return real(report_ids=report_ids)

    monkeypatch.setattr(tasks, "attach_reports_to_cases", attach)
    assert attach_waiting_reports() == 1
    assert fine.items.get().case is not None and broken.items.get().case is None
    assert f"report {broken.pk} could not be attached" in caplog.text
    monkeypatch.setattr(tasks, "attach_reports_to_cases", real)
    assert attach_waiting_reports() == 1  # the next round
    assert broken.items.get().case is not None


def test_a_reference_drawn_twice_is_drawn_again(
    tn: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.intake import actions

    taken = file(tn, ONE).reference
    draws = iter([taken, "TN-NEW0-0001"])
    monkeypatch.setattr(actions, "new_reference", lambda prefix: next(draws))
    assert file(tn, TWO).reference == "TN-NEW0-0001"
    assert Report.objects.count() == 2


def test_reports_of_one_url_attached_in_one_batch_share_its_case(tn: Portal) -> None:
    first, second, other = file(tn, ONE), file(tn, TWO, ONE), file(tn, ONE)
    assert attach_waiting_reports() == 3
    case = Case.objects.get(canonical_url=ONE)
    assert case.report_count == 3 and case.priority == 2
    items = [first.items.get(), second.items.get(position=2), other.items.get()]
    assert {item.case_id for item in items} == {case.pk}
    assert AuditEvent.objects.filter(action="cases.case_opened").count() == 2
    assert AuditEvent.objects.filter(action="cases.report_attached").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_api_and_the_worker_attaching_at_once_count_every_item_once(
    tn: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises whole write transactions; row locks matter on PostgreSQL")
    from hotline.intake import tasks

    # Small batches, so the worker's transactions interleave with the API's many times.
    monkeypatch.setattr(tasks, "BATCH", 3)
    pool = [f"http://shared{n}.example/" for n in range(6)]
    reports = [file(tn, pool[n % 6], pool[(n * 5 + 1) % 6]) for n in range(40)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def api() -> None:
        # The API attaches each report it files in its own request, newest here first.
        try:
            start.wait()
            for report in reversed(reports):
                attach_report_to_cases(report_id=report.pk)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=api)
    thread.start()
    try:
        start.wait()
        while attach_waiting_reports():
            pass
    finally:
        thread.join(60)
    assert not errors, errors
    assert not ReportItem.objects.filter(case__isnull=True).exists()
    items = Counter(ReportItem.objects.values_list("canonical_url", flat=True))
    cases = dict(Case.objects.values_list("canonical_url", "report_count"))
    assert cases == dict(items)
    assert AuditEvent.objects.filter(action="cases.case_opened").count() == len(cases)
    attached = AuditEvent.objects.filter(action="cases.report_attached").count()
    assert attached == sum(items.values()) - len(cases)
