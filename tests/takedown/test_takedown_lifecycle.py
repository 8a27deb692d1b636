"""A confirmed case's takedown, action by action: it starts with the confirmation, notices move
only along the policy's table, delivery failures are retried and then handed to a person,
re-checks take the URL off the list when the content is gone and put it back when it returns,
and a withdrawn confirmation stops everything."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hotline.audit.actions import SYSTEM
from hotline.audit.models import AuditEvent
from hotline.cases.actions import open_or_attach_case
from hotline.cases.models import Case
from hotline.core.classification import OutcomeKind
from hotline.outcomes.actions import settle_case
from hotline.outcomes.decide import Result, Source
from hotline.portals.models import Portal
from hotline.takedown import actions, policy
from hotline.takedown.models import (
    Notice,
    NoticeState,
    RecipientKind,
    Takedown,
    TakedownStatus,
)
from hotline.takedown.routing import Route
from hotline.takedown.tasks import (
    capture_and_record,
    escalate_overdue_notices,
    recheck_due,
    run_due_rechecks,
)
from hotline.urllist.models import UrlListEntry
from tests.conftest import resolve
from tests.world.web import WorldWeb, shapes

URL = "http://gallery.test/album/7"
HOST = Route(
    kind=RecipientKind.HOSTING_PROVIDER,
    name="Test Hosting",
    email="abuse@hosting.test",
    language="en",
    because="the hosting provider's abuse contact",
)


def tasks_named(name: str) -> list[list[object]]:
    return [
        row.args_kwargs["args"]
        for row in DBTaskResult.objects.filter(task_path__endswith=name).order_by("enqueued_at")
    ]


@pytest.fixture
def confirmed(tn: Portal) -> Case:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor=SYSTEM)
    return resolve(case, "B")


def listed() -> bool:
    return UrlListEntry.objects.filter(url=URL, removed_at__isnull=True).exists()


@pytest.mark.django_db
def test_confirmation_starts_a_takedown_with_its_clock_and_first_recheck(confirmed: Case) -> None:
    takedown = Takedown.objects.get(case=confirmed)
    assert takedown.status == TakedownStatus.OPEN
    first = policy.next_check_at(since=takedown.confirmed_at, checks_done=0)
    assert takedown.next_check_at == first == takedown.confirmed_at + timedelta(hours=1)
    # The host is traced and notified by a task, enqueued with the confirmation.
    assert tasks_named("prepare_takedown") == [[takedown.pk]]
    assert AuditEvent.objects.filter(action="takedown.started").count() == 1


def test_the_recheck_schedule_is_1h_6h_24h_then_daily() -> None:
    start = timezone.now()
    offsets = [policy.next_check_at(since=start, checks_done=n) - start for n in range(6)]
    hours = [offset / timedelta(hours=1) for offset in offsets]
    assert hours == [1, 6, 24, 48, 72, 96]


def test_every_notice_state_is_in_the_table_and_final_states_lead_nowhere() -> None:
    assert set(policy.NOTICE_TRANSITIONS) == set(NoticeState)
    assert policy.NOTICE_TRANSITIONS[NoticeState.REMOVED] == frozenset()
    assert policy.NOTICE_TRANSITIONS[NoticeState.WITHDRAWN] == frozenset()
    assert not policy.may_move(NoticeState.SENT, NoticeState.TO_SEND)
    # Every recipient escalates somewhere or ends at the national authority.
    assert set(policy.ESCALATES_TO) == set(RecipientKind)
    assert policy.ESCALATES_TO[RecipientKind.NATIONAL_AUTHORITY] is None


@pytest.mark.django_db
def test_a_notice_with_an_address_is_sent_by_a_task(confirmed: Case) -> None:
    takedown = confirmed.takedown
    notice = actions.create_notice(takedown=takedown, route=HOST, actor=SYSTEM)
    assert notice.state == NoticeState.TO_SEND and notice.routed_because
    assert tasks_named("send_notice") == [[notice.pk]]
    sent = actions.record_notice_sent(notice=notice, message_id="<1@hotline.invalid>", actor=SYSTEM)
    assert sent.state == NoticeState.SENT and sent.sent_at is not None


@pytest.mark.django_db
def test_a_notice_without_an_address_waits_for_a_person(confirmed: Case) -> None:
    manual = Route(
        kind=RecipientKind.MANUAL, name="", email="", language="en", because="nobody found"
    )
    notice = actions.create_notice(takedown=confirmed.takedown, route=manual, actor=SYSTEM)
    assert tasks_named("send_notice") == []
    routed = actions.route_notice_by_hand(
        notice=notice, name="Host", email="abuse@host.test", language="fr", actor="staff:1"
    )
    assert routed.email == "abuse@host.test" and routed.language == "fr"
    assert tasks_named("send_notice") == [[notice.pk]]


@pytest.mark.django_db
def test_failed_deliveries_are_retried_with_growing_waits_then_marked_failed(
    confirmed: Case, settings: object
) -> None:
    notice = actions.create_notice(takedown=confirmed.takedown, route=HOST, actor=SYSTEM)
    waits = []
    for _ in range(4):
        before = timezone.now()
        notice = actions.record_delivery_failure(notice=notice, error="451 try later", actor=SYSTEM)
        assert notice.state == NoticeState.TO_SEND
        assert notice.next_attempt_at is not None
        waits.append(round((notice.next_attempt_at - before) / timedelta(minutes=1)))
    assert waits == [1, 2, 4, 8]
    notice = actions.record_delivery_failure(notice=notice, error="451 try later", actor=SYSTEM)
    assert notice.state == NoticeState.FAILED and notice.attempts == 5
    assert notice.last_error == "451 try later"
    # A person gives it another address: it goes out again.
    notice = actions.route_notice_by_hand(
        notice=notice, name="Host", email="other@host.test", language="en", actor="staff:1"
    )
    assert notice.state == NoticeState.TO_SEND and notice.attempts == 0


@pytest.mark.django_db
def test_a_notice_moves_only_along_the_table(confirmed: Case) -> None:
    notice = actions.create_notice(takedown=confirmed.takedown, route=HOST, actor=SYSTEM)
    with pytest.raises(actions.IllegalNoticeMove):
        actions.acknowledge_notice(notice=notice, actor="staff:1")  # not sent yet
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.TO_SEND


@pytest.mark.django_db
def test_gone_content_leaves_the_url_list_and_its_time_to_removal_is_kept(
    confirmed: Case,
) -> None:
    takedown = confirmed.takedown
    notice = actions.create_notice(takedown=takedown, route=HOST, actor=SYSTEM)
    actions.record_notice_sent(notice=notice, message_id="<1@x>", actor=SYSTEM)
    assert listed()
    takedown = actions.record_recheck(
        takedown=takedown, verdict="gone", reason="status_404", actor=SYSTEM
    )
    assert takedown.status == TakedownStatus.REMOVED
    assert takedown.removed_at is not None
    assert takedown.time_to_removal == takedown.removed_at - takedown.confirmed_at
    assert not listed()
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.REMOVED
    # Still watched, in case it comes back.
    assert takedown.next_check_at is not None and takedown.watch_until is not None
    assert AuditEvent.objects.filter(action="takedown.removed").count() == 1


@pytest.mark.django_db
def test_content_that_comes_back_is_listed_again_and_notified_again(confirmed: Case) -> None:
    takedown = confirmed.takedown
    actions.record_recheck(takedown=takedown, verdict="gone", reason="status_410", actor=SYSTEM)
    DBTaskResult.objects.all().delete()
    takedown = actions.record_recheck(
        takedown=takedown, verdict="present", reason="image_matches", actor=SYSTEM
    )
    assert takedown.status == TakedownStatus.OPEN and takedown.returns == 1
    assert takedown.time_to_removal is None
    assert listed()
    assert tasks_named("prepare_takedown") == [[takedown.pk]]


@pytest.mark.django_db
def test_an_unknown_recheck_only_schedules_the_next(confirmed: Case) -> None:
    takedown = confirmed.takedown
    takedown = actions.record_recheck(
        takedown=takedown, verdict="unknown", reason="fetch_failed:timeout", actor=SYSTEM
    )
    assert takedown.status == TakedownStatus.OPEN and takedown.checks == 1
    assert takedown.next_check_at == takedown.confirmed_at + timedelta(hours=6)
    assert listed()


@pytest.mark.django_db
def test_an_upheld_appeal_withdraws_the_takedown_and_its_notices(confirmed: Case) -> None:
    notice = actions.create_notice(takedown=confirmed.takedown, route=HOST, actor=SYSTEM)
    actions.record_notice_sent(notice=notice, message_id="<1@x>", actor=SYSTEM)
    settle_case(
        case=confirmed,
        result=Result(kind=OutcomeKind.NOT_CRIMINAL),
        source=Source.CORRECTION,
        actor="staff:1",
    )
    takedown = Takedown.objects.get(case=confirmed)
    assert takedown.status == TakedownStatus.WITHDRAWN and takedown.next_check_at is None
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.WITHDRAWN


@pytest.mark.django_db
def test_escalation_closes_the_notice_and_asks_the_next_party(confirmed: Case) -> None:
    notice = actions.create_notice(takedown=confirmed.takedown, route=HOST, actor=SYSTEM)
    actions.record_notice_sent(notice=notice, message_id="<1@x>", actor=SYSTEM)
    upstream = Route(
        kind=RecipientKind.UPSTREAM,
        name="Transit",
        email="abuse@transit.test",
        language="en",
        because="escalated",
    )
    following = actions.escalate_notice(notice=notice, route=upstream, actor=SYSTEM)
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.ESCALATED
    assert following.level == 1 and following.recipient_kind == RecipientKind.UPSTREAM
    # The escalated notice still counts the removal.
    actions.record_recheck(
        takedown=confirmed.takedown, verdict="gone", reason="no_such_host", actor=SYSTEM
    )
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.REMOVED
    assert Notice.objects.get(pk=following.pk).state == NoticeState.REMOVED


@pytest.mark.django_db
def test_the_escalation_job_escalates_only_what_is_overdue_level_by_level(
    confirmed: Case,
) -> None:
    portal = confirmed.portal
    portal.authority = {"name": "Brigade des mineurs", "email": "ntd@authority-tn.example"}
    portal.save()
    hotline = Route(
        kind=RecipientKind.HOTLINE,
        name="Partner hotline",
        email="reports@hotline.example",
        language="fr",
        because="hosted in FR",
    )
    notice = actions.create_notice(takedown=confirmed.takedown, route=hotline, actor=SYSTEM)
    actions.record_notice_sent(notice=notice, message_id="<1@x>", actor=SYSTEM)
    assert escalate_overdue_notices.call() == {"escalated": 0}  # not yet 48 hours
    Takedown.objects.filter(case=confirmed).update(
        confirmed_at=timezone.now() - timedelta(hours=49)
    )
    assert escalate_overdue_notices.call() == {"escalated": 1}
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.ESCALATED
    following = Notice.objects.get(takedown__case=confirmed, level=1)
    assert following.recipient_kind == RecipientKind.NATIONAL_AUTHORITY
    assert following.email == "ntd@authority-tn.example"
    # Level 1 waits for its own deadline (7 days); the authority is the end of the line.
    actions.record_notice_sent(notice=following, message_id="<2@x>", actor=SYSTEM)
    assert escalate_overdue_notices.call() == {"escalated": 0}
    Takedown.objects.filter(case=confirmed).update(confirmed_at=timezone.now() - timedelta(days=8))
    assert escalate_overdue_notices.call() == {"escalated": 0}
    assert Notice.objects.get(pk=following.pk).state == NoticeState.SENT


def test_the_periodic_round_rechecks_every_due_takedown_and_acts_on_each(
    tn: Portal, world_web: WorldWeb
) -> None:
    cases = []
    for n in range(3):
        world_web.page(f"/album/{n}", f"<img src='/photo-{n}.png'>", host="gallery.test")
        world_web.image(f"/photo-{n}.png", shapes(500 + n), host="gallery.test")
        url = world_web.url(f"/album/{n}", host="gallery.test")
        case, _ = open_or_attach_case(canonical_url=url, portal=tn, actor=SYSTEM)
        cases.append(resolve(case, "B"))
    capture_and_record(cases)
    world_web.remove("/photo-1.png", host="gallery.test")  # the host took one image down

    results = recheck_due(now=timezone.now() + timedelta(hours=2))

    assert len(results) == 3
    takedowns = [Takedown.objects.get(case=case) for case in cases]
    assert [t.status for t in takedowns] == [
        TakedownStatus.OPEN,
        TakedownStatus.REMOVED,
        TakedownStatus.OPEN,
    ]
    assert [t.checks for t in takedowns] == [1, 1, 1]
    assert AuditEvent.objects.filter(action="takedown.rechecked").count() == 3
    assert not UrlListEntry.objects.filter(
        url=cases[1].canonical_url, removed_at__isnull=True
    ).exists()


@pytest.mark.django_db
def test_recording_a_round_at_once_does_what_one_at_a_time_does(tn: Portal) -> None:
    """record_rechecks (the round's batch) against record_recheck for each, on two sets of
    takedowns in the same states with the same verdicts: the same takedowns, list and events."""
    cases = []
    for n in range(12):
        case, _ = open_or_attach_case(canonical_url=f"http://s{n}.test/", portal=tn, actor=SYSTEM)
        cases.append(resolve(case, "B"))
    # Half of each set removed already, so every (status, verdict) pair occurs.
    for case in cases[3:6] + cases[9:12]:
        actions.record_recheck(
            takedown=case.takedown, verdict="gone", reason="status_404", actor=SYSTEM
        )
    verdicts = ["present", "gone", "unknown"] * 2
    one_by_one, batched = cases[:6], cases[6:]
    for case, verdict in zip(one_by_one, verdicts, strict=True):
        actions.record_recheck(takedown=case.takedown, verdict=verdict, reason="r", actor=SYSTEM)
    left = actions.record_rechecks(
        results=[(c.takedown.pk, v, "r") for c, v in zip(batched, verdicts, strict=True)],
        actor=SYSTEM,
    )
    for pk in left:
        actions.record_recheck(
            takedown=Takedown(pk=pk),
            verdict=dict(zip([c.takedown.pk for c in batched], verdicts, strict=True))[pk],
            reason="r",
            actor=SYSTEM,
        )

    def state(group: list[Case]) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = []
        for case in group:
            t = Takedown.objects.get(case=case)
            listed = UrlListEntry.objects.filter(case_id=case.pk, removed_at__isnull=True)
            scheduled = t.next_check_at is not None
            rows.append((t.status, t.checks, t.last_verdict, t.last_reason, t.returns))
            rows.append((scheduled, listed.exists()))
        return rows

    assert state(batched) == state(one_by_one)
    events = AuditEvent.objects.filter(action="takedown.rechecked")
    assert events.count() == 6 + 6 + 6  # the removals first, then a round on each set


@pytest.mark.django_db
def test_a_round_in_shards_rechecks_each_due_takedown_exactly_once(
    tn: Portal, world_web: WorldWeb, settings: Any
) -> None:
    world_web.image("/i.png", shapes(1))
    for n in range(7):
        world_web.page(f"/p{n}", "<img src='/i.png'>", host=f"s{n}.test")
        url = world_web.url(f"/p{n}", host=f"s{n}.test")
        case, _ = open_or_attach_case(canonical_url=url, portal=tn, actor=SYSTEM)
        resolve(case, "A")
    Takedown.objects.update(next_check_at=timezone.now())
    due = set(Takedown.objects.values_list("pk", flat=True))
    first = recheck_due(shard=0, shards=3)
    assert first and all(pk % 3 == 0 for pk in first)
    rest = recheck_due(shard=1, shards=3) | recheck_due(shard=2, shards=3)
    assert set(first) | set(rest) == due and not set(first) & set(rest)
    assert recheck_due(shard=0, shards=1) == {}  # all done: the next checks are later
    with pytest.raises(ValueError, match="does not exist"):
        recheck_due(shard=3, shards=3)
    # The periodic round hands the shards to the workers.
    settings.HOTLINE_TAKEDOWN_RECHECK_SHARDS = 3
    assert run_due_rechecks.call() == {"shards": 3}
    assert sorted(args for args in tasks_named("recheck_shard")) == [[0, 3], [1, 3], [2, 3]]
