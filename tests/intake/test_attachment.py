"""Filing does the least that makes a report durable; its items find their cases after."""

from __future__ import annotations

import pytest

from hotline.audit.models import AuditEvent
from hotline.cases.models import Case
from hotline.intake.actions import (
    attach_report_to_cases,
    file_report,
    reports_waiting_for_cases,
)
from hotline.intake.models import Report
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
