"""A case's portals (CasePortal): every portal it was reported on, each with a copy of the
case's place in the queue that follows the case through every change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hotline.audit.actions import SYSTEM
from hotline.cases.actions import IllegalTransition, move_case, open_or_attach_case
from hotline.cases.models import Case, CasePortal, CaseStatus
from hotline.portals.models import Portal
from tests.conftest import resolve

COPIED = ("status", "has_verified_report", "queue_at", "opened_at")


def assert_copies_follow_their_cases() -> None:
    links = CasePortal.objects.select_related("case")
    assert links.exists()
    for link in links:
        assert [getattr(link, f) for f in COPIED] == [getattr(link.case, f) for f in COPIED]


def portals_of(case: Case) -> set[str]:
    return set(CasePortal.objects.filter(case=case).values_list("portal__code", flat=True))


def test_a_case_is_linked_once_to_each_portal_it_was_reported_on(tn: Portal, ma: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url="http://one.example/", portal=tn, actor=SYSTEM)
    assert portals_of(case) == {"tn"}
    open_or_attach_case(canonical_url="http://one.example/", portal=ma, actor=SYSTEM)
    open_or_attach_case(canonical_url="http://one.example/", portal=tn, actor=SYSTEM)
    open_or_attach_case(canonical_url="http://one.example/", portal=ma, actor=SYSTEM)
    assert portals_of(case) == {"tn", "ma"}
    assert CasePortal.objects.count() == 2
    assert_copies_follow_their_cases()


def test_the_copies_follow_the_case_through_its_life(tn: Portal, ma: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url="http://host.example/a", portal=tn, actor=SYSTEM)
    waiting, _ = open_or_attach_case(canonical_url="http://host.example/b", portal=ma, actor=SYSTEM)
    # More reports, one verified: a new queue time, verified first.
    open_or_attach_case(canonical_url="http://host.example/a", portal=ma, actor=SYSTEM)
    open_or_attach_case(
        canonical_url="http://host.example/a", portal=tn, actor=SYSTEM, verified=True
    )
    assert_copies_follow_their_cases()
    move_case(case=case, to=CaseStatus.IN_ASSESSMENT, actor=SYSTEM, reason="claimed")
    assert_copies_follow_their_cases()
    move_case(case=case, to=CaseStatus.NEW, actor=SYSTEM, reason="released")
    # Confirmed: the other case waiting on the host moves up the queue.
    before = Case.objects.get(pk=waiting.pk).queue_at
    resolve(case, "A")
    after = Case.objects.get(pk=waiting.pk).queue_at
    assert before is not None and after is not None and after < before
    assert_copies_follow_their_cases()
    # Found harmless on appeal... and reported again: back in the queue, opened anew.
    resolve(waiting, None)
    open_or_attach_case(canonical_url="http://host.example/b", portal=tn, actor=SYSTEM)
    assert Case.objects.get(pk=waiting.pk).status == CaseStatus.NEW
    assert portals_of(waiting) == {"ma", "tn"}
    assert_copies_follow_their_cases()


def test_a_move_from_a_status_the_case_has_left_is_refused(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url="http://one.example/", portal=tn, actor=SYSTEM)
    stale = Case.objects.get(pk=case.pk)
    move_case(case=case, to=CaseStatus.IN_ASSESSMENT, actor=SYSTEM, reason="claimed")
    # `stale` still says "new"; the move reads the case again and refuses from where it is.
    with pytest.raises(IllegalTransition, match="cannot move from In assessment to In assessment"):
        move_case(case=stale, to=CaseStatus.IN_ASSESSMENT, actor=SYSTEM, reason="claimed")


BEFORE = [("cases", "0003_case_states_and_priority"), ("intake", "0006_report_verified")]


@pytest.mark.django_db(transaction=True)
def test_the_migrations_link_existing_cases_to_every_portal_they_were_reported_on() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    portal_model = apps.get_model("portals", "Portal")
    tn = portal_model.objects.create(code="tn", country="TN", languages=["fr"])
    ma = portal_model.objects.create(code="ma", country="MA", languages=["ar"])
    opened = datetime(2026, 11, 1, 12, tzinfo=UTC)
    case_model = apps.get_model("cases", "Case")
    both = case_model.objects.create(
        canonical_url="http://both.example/",
        url_sha256="1" * 64,
        portal=tn,
        opened_at=opened,
        queue_at=opened,
        has_verified_report=True,
    )
    alone = case_model.objects.create(
        canonical_url="http://alone.example/",
        url_sha256="2" * 64,
        portal=ma,
        status="confirmed",
        opened_at=opened,
        queue_at=opened,
    )
    report_model = apps.get_model("intake", "Report")
    item_model = apps.get_model("intake", "ReportItem")
    for reference, portal, case in [("TN-1", tn, both), ("MA-1", ma, both), ("MA-2", ma, alone)]:
        filed = report_model.objects.create(reference=reference, portal=portal, language="fr")
        item_model.objects.create(
            report=filed, position=0, reported_url="x", canonical_url="x", case=case
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    links = set(CasePortal.objects.values_list("case_id", "portal__code", "status"))
    assert links == {(both.pk, "tn", "new"), (both.pk, "ma", "new"), (alone.pk, "ma", "confirmed")}
    assert_copies_follow_their_cases()
