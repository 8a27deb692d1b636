"""Attaching many reports at once does for each URL what attaching them one by one does."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from hotline.audit.models import AuditEvent
from hotline.cases.actions import (
    MAX_REPORT_PRIORITY,
    FurtherReport,
    further_report,
    move_case,
    open_or_attach_case,
    open_or_attach_cases,
)
from hotline.cases.models import Case, CasePortal, CaseStatus
from hotline.core.classification import OutcomeKind
from hotline.portals.models import Portal
from hotline.urllist.actions import remove_from_url_list
from tests.cases.per_item_reference import attach_one_at_a_time
from tests.conftest import resolve

NEW = "http://new.example/"
WAITING = "http://waiting.example/"
IN_ASSESSMENT = "http://claimed.example/"
LISTED = "http://listed.example/"
UNLISTED = "http://unlisted.example/"
NOT_CONFIRMED = "http://not-confirmed.example/"
URLS = (NEW, WAITING, IN_ASSESSMENT, LISTED, UNLISTED, NOT_CONFIRMED)
S = CaseStatus


def at(url: str, world: str) -> str:
    """`url` on a host of its own in `world` ("" for the URL itself), so that two sets of
    cases compared with each other share no host."""
    return url.replace("://", f"://{world}")


def existing_cases(tn: Portal, world: str = "") -> None:
    """A case waiting (reported twice), one claimed by an analyst, one confirmed with its URL
    on the list, one confirmed whose URL left the list, one not confirmed (verified)."""
    for _ in range(2):
        open_or_attach_case(canonical_url=at(WAITING, world), portal=tn, actor="system")
    claimed, _ = open_or_attach_case(canonical_url=at(IN_ASSESSMENT, world), portal=tn, actor="s")
    move_case(case=claimed, to=S.IN_ASSESSMENT, actor="staff:1", reason="claimed")
    for url, category in ((LISTED, "A"), (UNLISTED, "B"), (NOT_CONFIRMED, None)):
        case, _ = open_or_attach_case(
            canonical_url=at(url, world), portal=tn, actor="system", verified=True
        )
        resolve(case, category)
    remove_from_url_list(url=at(UNLISTED, world), reason="content removed", actor="system")


def events(after: int, world: str = "") -> list[tuple[str, str, str, dict[str, Any]]]:
    """(action, URL of the case as outside `world`, portal, data) of the case events written
    after event `after`, in order."""
    urls = dict(Case.objects.values_list("pk", "canonical_url"))
    written = AuditEvent.objects.filter(action__startswith="cases.", pk__gt=after).order_by("id")
    return [
        (
            event.action,
            urls[int(event.target_id)].replace(f"://{world}", "://"),
            event.portal,
            event.data,
        )
        for event in written
    ]


def last_event() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def state(url: str, world: str = "") -> dict[str, Any]:
    """What attaching may change on the case, with its times as they relate to each other."""
    case = Case.objects.get(canonical_url=at(url, world))
    assert case.queue_at is not None
    return {
        "portal": case.portal.code,
        "host": case.host.removeprefix(world),
        "status": case.status,
        "counts": (case.report_count, case.open_reports, case.known_reports),
        "priority": case.priority,
        "host_confirmed": case.host_confirmed,
        "verified": case.has_verified_report,
        "outcome": (case.outcome, case.category, case.resolved_at is not None),
        "queued_hours_early": (case.opened_at - case.queue_at).total_seconds() / 3600,
    }


@pytest.mark.parametrize("listed", [True, False])
@pytest.mark.parametrize("status", list(CaseStatus))
def test_what_a_further_report_does_by_status(status: CaseStatus, listed: bool) -> None:
    expected = {
        S.CONFIRMED: FurtherReport.KNOWN if listed else FurtherReport.REOPENS,
        S.NOT_CONFIRMED: FurtherReport.REOPENS,
        S.CLOSED: FurtherReport.REOPENS,
    }.get(status, FurtherReport.COUNTS)
    assert further_report(status, listed=listed) == expected


def test_a_url_named_twice_in_one_batch_opens_one_case_and_counts_twice(tn: Portal) -> None:
    (first, opened), (second, again) = open_or_attach_cases(
        urls=[(NEW, tn, False), (NEW, tn, False)], actor="system"
    )
    assert (opened, again) == (True, False)
    assert first.pk == second.pk
    assert state(NEW)["counts"] == (2, 2, 0) and state(NEW)["priority"] == 1
    assert events(after=0) == [
        ("cases.case_opened", NEW, "tn", {}),
        ("cases.report_attached", NEW, "tn", {"known": False, "status": "new"}),
    ]


def test_a_mixed_batch_does_what_the_same_reports_one_at_a_time_do(tn: Portal, ma: Portal) -> None:
    batch = [
        (NEW, ma, False),
        (WAITING, tn, True),
        (IN_ASSESSMENT, tn, True),
        (LISTED, tn, False),
        (UNLISTED, ma, False),
        (NOT_CONFIRMED, ma, False),
        (NEW, tn, True),
        (UNLISTED, tn, True),
        (NOT_CONFIRMED, tn, False),
        (LISTED, ma, True),
    ]
    # The same reports, of URLs of their own, one at a time, for comparison.
    existing_cases(tn, world="one.")
    before = last_event()
    for url, portal, verified in batch:
        open_or_attach_case(
            canonical_url=at(url, "one."), portal=portal, actor="system", verified=verified
        )
    one_by_one = events(after=before, world="one.")
    one_by_one_states = [state(url, world="one.") for url in URLS]

    existing_cases(tn)
    before = last_event()
    results = open_or_attach_cases(urls=batch, actor="system")

    assert [opened for _, opened in results] == [True] + [False] * 9
    assert [state(url) for url in URLS] == one_by_one_states
    assert events(after=before) == one_by_one
    # What one at a time does, spelt out for a few: the new URL's case belongs to its first
    # report's portal; a listed URL is known content; a confirmed URL off the list and a not
    # confirmed one go back to the queue once, with the points of one report, then count.
    new, waiting, claimed, listed, unlisted, not_confirmed = one_by_one_states
    assert (new["portal"], new["counts"], new["verified"]) == ("ma", (2, 2, 0), True)
    assert (waiting["counts"], waiting["priority"], waiting["verified"]) == ((3, 3, 0), 2, True)
    assert (claimed["status"], claimed["counts"], claimed["verified"]) == (
        "in_assessment",
        (2, 2, 0),
        True,
    )
    assert (listed["status"], listed["counts"]) == ("confirmed", (3, 1, 2))
    assert (unlisted["status"], unlisted["counts"], unlisted["verified"]) == (
        "new",
        (3, 2, 0),
        True,
    )
    assert unlisted["outcome"] == ("", "", False)
    assert (not_confirmed["status"], not_confirmed["counts"], not_confirmed["priority"]) == (
        "new",
        (3, 2, 0),
        1,
    )
    moves = [(url, data["from"]) for action, url, _, data in one_by_one if "status" in action]
    assert moves == [(UNLISTED, "confirmed"), (NOT_CONFIRMED, "not_confirmed")]


def test_a_confirmed_case_a_batch_sends_back_no_longer_counts_for_its_host(tn: Portal) -> None:
    unlisted, _ = open_or_attach_case(canonical_url=UNLISTED, portal=tn, actor="system")
    resolve(unlisted, "A")
    remove_from_url_list(url=UNLISTED, reason="content removed", actor="system")
    same_host = UNLISTED + "other"
    before = open_or_attach_cases(urls=[(same_host + "-before", tn, False)], actor="system")
    assert before[0][0].host_confirmed == 1
    open_or_attach_cases(urls=[(UNLISTED, tn, False), (same_host, tn, False)], actor="system")
    assert Case.objects.get(canonical_url=UNLISTED).host_confirmed == 0
    assert Case.objects.get(canonical_url=same_host).host_confirmed == 0


@pytest.mark.parametrize(
    ("flags", "verified"),
    [((False, True), True), ((True, False), True), ((False, False), False)],
)
def test_one_verified_report_in_a_batch_marks_a_new_case(
    tn: Portal, flags: tuple[bool, bool], verified: bool
) -> None:
    open_or_attach_cases(urls=[(NEW, tn, flag) for flag in flags], actor="system")
    assert Case.objects.get().has_verified_report is verified


@pytest.mark.parametrize(
    ("flags", "verified"),
    [
        # The first report reopens the case, verified only if it is; a later verified one
        # in the same batch marks it again, an unverified one never unmarks it.
        ((False,), False),
        ((False, True), True),
        ((True, False), True),
    ],
)
def test_a_case_reopened_by_a_batch_is_verified_only_by_reports_of_that_batch(
    tn: Portal, flags: tuple[bool, ...], verified: bool
) -> None:
    case, _ = open_or_attach_case(canonical_url=NOT_CONFIRMED, portal=tn, actor="s", verified=True)
    resolve(case, None)
    open_or_attach_cases(urls=[(NOT_CONFIRMED, tn, flag) for flag in flags], actor="system")
    case.refresh_from_db()
    assert case.status == S.NEW
    assert case.has_verified_report is verified
    assert (
        AuditEvent.objects.filter(
            action="cases.status_changed", data__reason="reported again"
        ).count()
        == 1
    )


def test_priority_from_a_flood_in_one_batch_is_capped(tn: Portal) -> None:
    open_or_attach_cases(urls=[(NEW, tn, False)] * (MAX_REPORT_PRIORITY + 5), actor="system")
    case = Case.objects.get()
    assert case.report_count == MAX_REPORT_PRIORITY + 5
    assert case.priority == MAX_REPORT_PRIORITY


@pytest.mark.django_db(transaction=True)
def test_a_url_opened_by_another_transaction_meanwhile_is_attached_to_its_case(
    tn: Portal,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises whole write transactions; row locks matter on PostgreSQL")
    # The reports API attaches in its request while the worker attaches a batch: both find
    # the URL new, both insert its case. The second waits on the unique index for the first
    # to commit, then attaches to the case it opened.
    inserted, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with transaction.atomic():
                open_or_attach_cases(urls=[(NEW, tn, False), (WAITING, tn, False)], actor="w")
                inserted.set()
                release.wait(10)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inserted.wait(10)
        threading.Timer(0.5, release.set).start()
        results = open_or_attach_cases(urls=[(WAITING, tn, True), (LISTED, tn, False)], actor="api")
    finally:
        release.set()
        thread.join(10)
    assert not errors, errors
    assert [opened for _, opened in results] == [False, True]
    waiting = state(WAITING)
    assert waiting["counts"] == (2, 2, 0) and waiting["verified"] is True
    assert [(action, url) for action, url, _, _ in events(after=0)] == [
        ("cases.case_opened", NEW),
        ("cases.case_opened", WAITING),
        ("cases.report_attached", WAITING),
        ("cases.case_opened", LISTED),
    ]


Attach = Callable[..., list[tuple[Case, bool]]]
# Besides URLS: a case closed as unavailable, a case that waited on a host before a case on it
# was confirmed, and new URLs on the hosts of a listed and of an unlisted confirmed case.
CLOSED = "http://closed.example/"
EARLY = "http://listed.example/early"
POOL = (*URLS, CLOSED, EARLY, "http://listed.example/new", "http://unlisted.example/new")


class _Undo(Exception):
    """Raised to roll back what one way of attaching wrote, once it has been read."""


def rows(before: int) -> dict[str, Any]:
    """Every case, every CasePortal row and the case events after event `before`, by URL and
    portal code (primary keys differ between two runs)."""
    urls = dict(Case.objects.values_list("pk", "canonical_url"))
    codes = dict(Portal.objects.values_list("pk", "code"))
    cases = {}
    for values in Case.objects.values():
        case: dict[str, Any] = dict(values)
        url = case.pop("canonical_url")
        del case["id"]
        case["portal_id"] = codes[case["portal_id"]]
        case["duplicate_of_id"] = urls.get(case["duplicate_of_id"])
        cases[url] = case
    links = sorted(
        (urls[case_id], codes[portal_id], *copy)
        for case_id, portal_id, *copy in CasePortal.objects.values_list(
            "case_id", "portal_id", "status", "has_verified_report", "queue_at", "opened_at"
        )
    )
    # The queue breaks ties in queue time by id: the cases' ids must fall in the same order.
    in_id_order = list(Case.objects.order_by("pk").values_list("canonical_url", flat=True))
    return {
        "cases": cases,
        "in_id_order": in_id_order,
        "case_portals": links,
        "events": events(after=before),
    }


def attached_by(
    attach: Attach, batch: Sequence[tuple[str, Portal, bool]]
) -> tuple[list[tuple[str, bool]], dict[str, Any]]:
    """What `attach` returns for `batch` and the rows it leaves, all of it then rolled back."""
    before = last_event()
    try:
        with transaction.atomic():
            results = attach(urls=batch, actor="system")
            written = rows(before)
            raise _Undo
    except _Undo:
        pass
    return [(case.canonical_url, opened) for case, opened in results], written


@pytest.mark.parametrize("seed", range(6))
def test_a_batch_writes_the_rows_one_report_at_a_time_writes(
    tn: Portal, ma: Portal, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_or_attach_case(canonical_url=EARLY, portal=tn, actor="system")
    existing_cases(tn)
    # Seen on both portals already, and one closed without an assessment.
    open_or_attach_case(canonical_url=WAITING, portal=ma, actor="system")
    closed, _ = open_or_attach_case(canonical_url=CLOSED, portal=ma, actor="system")
    move_case(case=closed, to=S.IN_ASSESSMENT, actor="staff:1", reason="claimed")
    move_case(
        case=closed, to=S.CLOSED, actor="staff:1", reason="gone", outcome=OutcomeKind.UNAVAILABLE
    )
    draw = random.Random(seed)
    batch = [(draw.choice(POOL), draw.choice((tn, ma)), draw.random() < 0.3) for _ in range(30)]

    # Both ways read one clock, so that the times they write compare exactly.
    frozen = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    one_by_one = attached_by(attach_one_at_a_time, batch)
    together = attached_by(open_or_attach_cases, batch)

    assert together == one_by_one
    # Not vacuous: the batch opened cases, gave cases further portals, and sent some back.
    results, written = together
    assert any(opened for _, opened in results)
    assert len(written["case_portals"]) > len(written["cases"])
    assert written["cases"][EARLY]["host_confirmed"] == 1


def test_a_batch_gives_each_portal_its_copy_of_the_case(tn: Portal, ma: Portal) -> None:
    existing_cases(tn)
    open_or_attach_cases(
        urls=[(NEW, ma, False), (NEW, tn, True), (UNLISTED, ma, False), (LISTED, ma, False)],
        actor="system",
    )
    for url, portals in ((NEW, {"ma", "tn"}), (UNLISTED, {"ma", "tn"}), (LISTED, {"ma", "tn"})):
        case = Case.objects.get(canonical_url=url)
        links = CasePortal.objects.filter(case=case)
        assert {link.portal.code for link in links} == portals
        for link in links:
            assert (link.status, link.has_verified_report, link.queue_at, link.opened_at) == (
                case.status,
                case.has_verified_report,
                case.queue_at,
                case.opened_at,
            )
    new = Case.objects.get(canonical_url=NEW)
    assert (new.portal.code, new.status, new.has_verified_report) == ("ma", "new", True)
