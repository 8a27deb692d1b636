"""The bulk writes of core.bulk write exactly what `save()` would, on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import DataError, connection, transaction

from hotline.cases.actions import open_or_attach_case
from hotline.cases.models import Case, CasePortal, CaseStatus
from hotline.core.bulk import queue_read, update_rows
from hotline.portals.models import Portal

pytestmark = pytest.mark.django_db


def cases(tn: Portal, count: int) -> list[Case]:
    return [
        open_or_attach_case(canonical_url=f"http://bulk-{n}.example/", portal=tn, actor="system")[0]
        for n in range(count)
    ]


def test_update_rows_writes_each_field_of_each_row_and_nothing_else(tn: Portal) -> None:
    first, second, untouched = cases(tn, 3)
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    first.report_count, first.status, first.resolved_at = 7, CaseStatus.CONFIRMED, when
    first.duplicate_of = second
    second.report_count, second.status, second.resolved_at = 0, CaseStatus.NEW, None
    second.category = 'it\'s "q"; --'
    update_rows(
        [first, second], ["report_count", "status", "resolved_at", "duplicate_of", "category"]
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.report_count, first.status, first.resolved_at) == (7, "confirmed", when)
    assert first.duplicate_of_id == second.pk
    assert (second.report_count, second.status, second.resolved_at) == (0, "new", None)
    assert second.category == 'it\'s "q"; --'
    assert second.duplicate_of_id is None
    before = Case.objects.get(pk=untouched.pk)
    assert (before.report_count, before.status) == (1, CaseStatus.NEW)


@pytest.mark.skipif("connection.vendor != 'postgresql'")  # SQLite keeps any length
def test_a_value_too_long_for_its_column_is_refused_not_cut(tn: Portal) -> None:
    (case,) = cases(tn, 1)
    case.category = "x" * 100
    with pytest.raises(DataError), transaction.atomic():
        update_rows([case], ["category"])
    assert Case.objects.get(pk=case.pk).category == ""


def test_update_rows_by_a_foreign_key_writes_every_row_it_names(tn: Portal) -> None:
    (case,) = cases(tn, 1)
    when = datetime(2026, 1, 2, tzinfo=UTC)
    update_rows(
        [CasePortal(case=case, status="in_assessment", queue_at=when)],
        ["status", "queue_at"],
        by="case",
    )
    link = CasePortal.objects.get(case=case)
    assert (link.status, link.queue_at) == ("in_assessment", when)


def test_the_last_of_two_objects_naming_one_row_is_written(tn: Portal) -> None:
    (case,) = cases(tn, 1)
    twice = [Case(pk=case.pk, report_count=5), Case(pk=case.pk, report_count=9)]
    update_rows(twice, ["report_count"])
    assert Case.objects.get(pk=case.pk).report_count == 9


def test_a_batch_larger_than_one_statement_takes_is_written_whole(tn: Portal) -> None:
    # 30,001 rows of two parameters each: more than one PostgreSQL statement takes.
    Case.objects.bulk_create(
        Case(canonical_url=f"http://n{n}.example/", url_sha256=f"{n:064x}", portal=tn)
        for n in range(30_001)
    )
    made = list(Case.objects.values_list("pk", flat=True))
    update_rows([Case(pk=pk, priority=pk % 1000) for pk in made], ["priority"])
    priorities = dict(Case.objects.values_list("pk", "priority"))
    assert len(priorities) == 30_001
    assert all(priority == pk % 1000 for pk, priority in priorities.items())


def test_nothing_to_write_sends_nothing(tn: Portal) -> None:
    update_rows([], ["priority"])


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_queue_read_walks_the_index_so_rows_taken_off_the_queue_are_skipped_next_time(
    tn: Portal,
) -> None:
    # A bitmap scan visits the index entry of every sealed event's old version on every read
    # until VACUUM; a plain index scan marks them dead and skips them from then on.
    sql = "EXPLAIN SELECT * FROM audit_auditevent WHERE seq IS NULL ORDER BY id LIMIT 1000"
    with transaction.atomic():
        with queue_read(), connection.cursor() as cursor:
            cursor.execute(sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_bitmapscan")
            after = cursor.fetchone()
    assert "Bitmap" not in plan and "Index" in plan and "audit_unsealed" in plan
    assert after == ("on",)  # only the queue's read is planned so
