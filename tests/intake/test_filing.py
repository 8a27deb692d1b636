"""Filing writes the report, its items and its event together, the same on every path.

On PostgreSQL a report goes to the database as one query of several INSERTs, which the server
runs as one transaction (and which draws the id of the next report); a report with a status
e-mail, and every report on SQLite, is written row by row in an ordinary transaction. Both
write the same rows and the same audit event.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from hotline.audit.chain import entry_mac_of
from hotline.audit.models import AuditEvent
from hotline.intake import actions
from hotline.intake.actions import file_report
from hotline.intake.models import Report, ReportItem
from hotline.portals.models import Portal

ONE = "http://one.example/a"
TWO = "http://two.example/b"


def file(portal: Portal, *urls: str, verified: bool = False) -> Report:
    return file_report(
        portal=portal,
        language="fr",
        urls=[(u.upper(), u) for u in urls],
        description=" seen at school ",
        content_seen=["videos", "images", "videos"],
        found_on="social",
        verified=verified,
    ).report


def written(report: Report) -> dict[str, Any]:
    """What filing wrote for `report`, without what differs from one report to the next."""
    stored = Report.objects.get(pk=report.pk)
    event = AuditEvent.objects.get(action="intake.report_filed", target_id=str(report.pk))
    assert event.entry_mac == entry_mac_of(event)
    assert event.target_type == "intake.report"
    assert stored.received_at == report.received_at
    return {
        "report": {
            field.name: getattr(stored, field.attname)
            for field in Report._meta.concrete_fields
            if field.name not in ("id", "reference", "received_at")
        },
        "items": list(
            ReportItem.objects.filter(report=stored).values(
                "position", "reported_url", "canonical_url", "is_onion", "case"
            )
        ),
        "event": (event.actor, event.action, event.portal, event.data, event.seq),
    }


def test_a_report_is_written_alike_in_one_query_and_row_by_row(
    tn: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_one_query = file(tn, ONE, TWO, verified=True)
    monkeypatch.setattr(actions, "inserts_in_one_round_trip", lambda: False)
    row_by_row = file(tn, ONE, TWO, verified=True)
    assert written(in_one_query) == written(row_by_row)
    assert written(row_by_row)["report"]["description"] == "seen at school"
    assert written(row_by_row)["report"]["content_seen"] == ["images", "videos"]


def test_each_report_after_the_first_is_one_query_under_the_id_the_last_one_drew(
    tn: Portal,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL files a report as one query")
    first = file(tn, ONE)
    with CaptureQueriesContext(connection) as queries:
        second = file(tn, TWO)
    # (the test's transaction adds a savepoint around it)
    sent = [query["sql"] for query in queries if "SAVEPOINT" not in query["sql"]]
    assert len(sent) == 1 and sent[0].startswith("SELECT nextval")
    assert second.pk != first.pk
    assert written(second)["items"][0]["canonical_url"] == TWO


@pytest.mark.django_db(transaction=True)
def test_a_report_filed_outside_a_transaction_is_committed_when_filing_returns(
    tn: Portal,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL files a report as one query")
    report = file(tn, ONE)
    assert not connection.in_atomic_block
    seen: list[tuple[int, int, int]] = []

    def look() -> None:  # another connection: it sees only what has committed
        try:
            seen.append(
                (
                    Report.objects.filter(pk=report.pk).count(),
                    ReportItem.objects.filter(report_id=report.pk).count(),
                    AuditEvent.objects.filter(target_id=str(report.pk)).count(),
                )
            )
        finally:
            connections.close_all()

    other = threading.Thread(target=look)
    other.start()
    other.join(10)
    assert seen == [(1, 1, 1)]


@pytest.mark.django_db(transaction=True)
def test_a_report_that_fails_part_way_leaves_nothing_and_is_tried_again(
    tn: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The report's INSERT comes first and its reference is taken: the items and the event
    # in the same query must not stay behind.
    taken = file(tn, ONE).reference
    draws = iter([taken, "TN-NEW0-0001"])
    monkeypatch.setattr(actions, "new_reference", lambda prefix: next(draws))
    assert file(tn, TWO).reference == "TN-NEW0-0001"
    assert Report.objects.count() == 2
    assert ReportItem.objects.count() == 2
    assert AuditEvent.objects.filter(action="intake.report_filed").count() == 2


def test_a_report_filed_inside_a_failing_transaction_is_rolled_back_with_it(
    tn: Portal,
) -> None:
    # A caller's transaction (a partner's report with an Idempotency-Key) takes the report
    # with it when it fails.
    @transaction.atomic
    def fail_after_filing() -> None:
        file(tn, ONE)
        raise RuntimeError("the caller fails after filing")

    with pytest.raises(RuntimeError):
        fail_after_filing()
    assert not Report.objects.exists() and not ReportItem.objects.exists()
    assert not AuditEvent.objects.filter(action="intake.report_filed").exists()
