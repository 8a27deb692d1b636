"""Opening cases, attaching reports to them, and moving them along their states.

Each action audits in the caller's transaction. A case's status changes only in `move_case`,
along the table in cases/states.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from django.db.models import Count, F
from django.utils import timezone

from hotline.audit.actions import NewEvent, audited_action, record_events
from hotline.cases import priority
from hotline.cases.models import Case, CasePortal
from hotline.cases.signals import ResultChange, Standing, case_results_changed, cases_opened
from hotline.cases.states import QUEUE_STATUSES, RESOLVED_STATUSES, CaseStatus, can_move
from hotline.core.bulk import insert_rows, update_rows
from hotline.core.classification import OutcomeKind
from hotline.core.hashing import url_digest
from hotline.portals.models import Portal
from hotline.urllist.lookup import listed_digests

# Kept for callers that cap by it: the most points further reports can give a case.
MAX_REPORT_PRIORITY = priority.MAX_REPORT_POINTS


class IllegalTransition(Exception):
    """The states table does not allow this move; the message names both statuses."""


class CaseMovedMeanwhile(IllegalTransition):
    """Another transaction moved the case after this one read it (only one move of a status
    can win; the caller may try another case)."""


def host_of(canonical_url: str) -> str:
    """The host of a canonical URL (already lower case and punycode)."""
    return urlsplit(canonical_url).hostname or ""


def _requeue(case: Case) -> None:
    """Work out a case's points and queue time again from its counts (cases/priority.py)."""
    case.priority = priority.priority_points(
        report_count=case.open_reports, host_confirmed=case.host_confirmed
    )
    case.queue_at = priority.queue_at(
        opened_at=case.opened_at,
        report_count=case.open_reports,
        host_confirmed=case.host_confirmed,
    )


# Where a case keeps a result that stands (an appealed case stays confirmed until decided).
STANDING_STATUSES = RESOLVED_STATUSES | {CaseStatus.APPEALED}


def standing(case: Case) -> Standing | None:
    """The result that stands on `case` (as its fields are in memory), or None."""
    if case.status not in STANDING_STATUSES or not case.outcome or case.resolved_at is None:
        return None
    return Standing(
        case_id=case.pk,
        portal_id=case.portal_id,
        outcome=case.outcome,
        category=case.category,
        source=case.result_source,
        opened_at=case.opened_at,
        # A case resolved before assessed_at was kept: its last result's time stands in.
        assessed_at=case.assessed_at or case.resolved_at,
        resolved_at=case.resolved_at,
    )


class FurtherReport(StrEnum):
    """What one more report of its URL does to a case that exists (see `further_report`)."""

    # It counts towards the case's priority (worked out again while the case waits).
    COUNTS = "counts"
    # Known content: resolved without an analyst, counted in `known_reports`.
    KNOWN = "known"
    # Back to the queue as a new case would be.
    REOPENS = "reopens"


def further_report(status: CaseStatus, *, listed: bool) -> FurtherReport:
    """What one more report does to a case in `status`; `listed`: its URL is on the URL list
    now. The one place a case's status decides it (open_or_attach_case says why)."""
    if status == CaseStatus.CONFIRMED:
        return FurtherReport.KNOWN if listed else FurtherReport.REOPENS
    if status in (CaseStatus.NOT_CONFIRMED, CaseStatus.CLOSED):
        return FurtherReport.REOPENS
    return FurtherReport.COUNTS


@audited_action
def open_or_attach_case(
    *, canonical_url: str, portal: Portal, actor: str, verified: bool = False
) -> tuple[Case, bool]:
    """The case for `canonical_url`, opened if new; a known URL attaches to its case.

    A `verified` report (a proof of work, or a partner's key) marks the case
    `has_verified_report`, which puts it ahead of cases with unverified reports only.

    What a further report does depends on where the case is (`further_report`):
    - waiting, in assessment, in QA or appealed: it counts towards the case's priority;
    - confirmed and on the URL list right now: known content, resolved without an analyst
      (counted in `known_reports`; nobody looks at it again);
    - confirmed but off the list, not confirmed, or closed: the page may show something else
      now, so the case goes back to the queue as a new case would (at the back, with only this
      report's points, verified only if this report is).
    The case is seen on every portal it is reported on: each gets its `CasePortal` row, and
    every row's queue copy follows the case's queue fields whenever a report changes them.
    Audits `cases.case_opened`, or `cases.report_attached` (with whether the content was
    already known) and, on a reopen, `cases.status_changed`.
    """
    (attached,) = _open_or_attach([(canonical_url, portal, verified)], actor=actor)
    return attached.case, attached.opened


@audited_action
def open_or_attach_cases(
    *, urls: Sequence[tuple[str, Portal, bool]], actor: str
) -> list[tuple[Case, bool]]:
    """`open_or_attach_case` for each (canonical URL, portal, verified), in the order given,
    in one transaction and a few statements for the whole batch (the worker attaches many
    reports at once). A URL named twice counts twice, in one case; each (case, opened) is the
    case as the whole batch left it. Audits as `open_or_attach_case` does, for each URL.
    """
    return [(item.case, item.opened) for item in _open_or_attach(urls, actor=actor)]


@dataclass(frozen=True)
class Attached:
    """What attaching one reported URL did: its case (as the batch left it), whether the
    report opened it, and whether it was known content (resolved without an analyst)."""

    case: Case
    opened: bool
    known: bool


@audited_action
def attach_reported_urls(*, urls: Sequence[tuple[str, Portal, bool]], actor: str) -> list[Attached]:
    """`open_or_attach_cases`, telling also for each URL whether it was known content (on the
    URL list right now, so counted in `known_reports`): intake keeps that on the report's item,
    where the figures count it. Audits as `open_or_attach_case` does, for each URL."""
    return _open_or_attach(urls, actor=actor)


# What attaching may change on a case: its counts, its place in the queue and, on a reopen,
# what `_move` changes.
ATTACH_FIELDS = [
    "report_count",
    "open_reports",
    "known_reports",
    "has_verified_report",
    "host_confirmed",
    "opened_at",
    "priority",
    "queue_at",
]
MOVE_FIELDS = [
    "status",
    "outcome",
    "category",
    "duplicate_of",
    "resolved_at",
    "assessed_at",
    "result_source",
]
# The case's fields that its CasePortal rows copy, to keep each portal's queue in order.
QUEUE_COPY_FIELDS = ["status", "has_verified_report", "queue_at", "opened_at"]


def _open_or_attach(urls: Sequence[tuple[str, Portal, bool]], *, actor: str) -> list[Attached]:
    """Each URL's report applied in turn to its case in memory, as one at a time would; then
    every case written with one pipelined statement each, their portals' queue copies
    likewise, the portals new to a case with one insert, and every event with one insert."""
    now = timezone.now()
    digests = [url_digest(url) for url, _, _ in urls]
    cases, to_open = _cases_locked(urls, digests, now=now)
    opened = set(to_open)
    # Confirmed cases on each host, as each report in turn finds them: a confirmed case this
    # batch sends back to the queue no longer counts for the reports after it.
    confirmed_on = _confirmed_on_hosts({case.host for case in cases.values()})
    confirmed = [digest for digest, case in cases.items() if case.status == CaseStatus.CONFIRMED]
    listed = listed_digests(confirmed) if confirmed else set()
    portals = {portal.pk: portal for _, portal, _ in urls}
    results: list[Attached] = []
    events: list[NewEvent] = []
    # Standing results that reopening takes away (the figures subtract them).
    withdrawn: list[ResultChange] = []
    # Cases whose queue fields a report of this batch changed (all but known content's):
    # their portals' copies are written again, as one at a time writes them after each.
    requeued: set[str] = set()
    reopened: list[int] = []
    # (case, portal) for every report on a portal other than its case's: that portal's
    # analysts see the case from now on (a row that exists already is left as it is).
    reported_on: dict[tuple[int, int], Case] = {}
    for (_, portal, verified), digest in zip(urls, digests, strict=True):
        case = cases[digest]
        if portal.pk != case.portal_id:
            reported_on.setdefault((case.pk, portal.pk), case)
        if digest in to_open:
            to_open.discard(digest)
            case.report_count = case.open_reports = 1
            case.has_verified_report = verified
            case.host_confirmed = confirmed_on[case.host]
            _requeue(case)
            events.append(
                NewEvent(actor=actor, action="cases.case_opened", target=case, portal=portal.code)
            )
            results.append(Attached(case, opened=True, known=False))
            continue
        status = CaseStatus(case.status)
        further = further_report(status, listed=digest in listed)
        case.report_count += 1
        if further == FurtherReport.KNOWN:
            case.known_reports += 1
        else:
            requeued.add(digest)
        if further == FurtherReport.COUNTS:
            case.open_reports += 1
            case.has_verified_report = case.has_verified_report or verified
            if status in QUEUE_STATUSES:
                _requeue(case)
        events.append(
            NewEvent(
                actor=actor,
                action="cases.report_attached",
                target=case,
                portal=portal.code,
                data={"known": further == FurtherReport.KNOWN, "status": status.value},
            )
        )
        if further == FurtherReport.REOPENS:
            # Back in the queue as a new case would be: at the back, with only this report's
            # points, so reports of a page already found harmless cannot push it ahead of
            # cases not yet seen. (It is not held back for a cool-down: a page can change the
            # hour after it was seen.) Verified only if this report is: earlier ones were
            # about what the page showed then.
            # The result it loses, as it stood (before opened_at moves on).
            before = standing(case)
            if status == CaseStatus.CONFIRMED:
                confirmed_on[case.host] -= 1
            case.open_reports = 1
            case.has_verified_report = verified
            case.host_confirmed = confirmed_on[case.host]
            case.opened_at = now
            _requeue(case)
            if case.portal_id in portals:  # the event names it: no query for it
                case.portal = portals[case.portal_id]
            events.append(_move(case, to=CaseStatus.NEW, actor=actor, reason="reported again"))
            if before is not None:
                withdrawn.append(ResultChange(before=before, after=None))
            reopened.append(case.pk)
        results.append(Attached(case, opened=False, known=further == FurtherReport.KNOWN))
    update_rows(list(cases.values()), ATTACH_FIELDS + MOVE_FIELDS)
    update_rows(
        [_portal_copy(cases[digest]) for digest in sorted(requeued - opened)],
        QUEUE_COPY_FIELDS,
        by="case",
    )
    # A case opened here has no portal rows yet: it gets its opening portal's.
    new_links = [_portal_copy(cases[digest]) for digest in sorted(opened)]
    new_links += [
        _portal_copy(case, portal_id=portal_id) for (_, portal_id), case in reported_on.items()
    ]
    insert_rows(new_links, ignore_conflicts=True)
    record_events(events)
    if withdrawn:
        case_results_changed.send(sender=Case, changes=withdrawn)
    waiting = sorted(cases[digest].pk for digest in opened) + reopened
    if waiting:
        cases_opened.send(sender=Case, case_ids=waiting)
    return results


def _portal_copy(case: Case, *, portal_id: int | None = None) -> CasePortal:
    """The case's row for `portal_id` (default: its own portal's), with its queue copy."""
    return CasePortal(
        case_id=case.pk,
        portal_id=portal_id if portal_id is not None else case.portal_id,
        status=case.status,
        has_verified_report=case.has_verified_report,
        queue_at=case.queue_at,
        opened_at=case.opened_at,
    )


def _cases_locked(
    urls: Sequence[tuple[str, Portal, bool]], digests: list[str], *, now: datetime
) -> tuple[dict[str, Case], set[str]]:
    """({digest: case} for every URL, locked; the digests of the cases inserted here).

    A new URL's case is inserted with its first report's URL and portal, at report_count 0,
    for the caller to open. The reports API attaches in its request while the worker
    attaches batches, so two transactions may insert the same new URL: the unique index
    settles it (INSERT ... ON CONFLICT DO NOTHING waits for the other to commit, then skips
    the row, which the locking read below finds). No lock is taken before the insert; new
    rows are inserted in the order given, so callers that may run at once pass their URLs in
    one order (`intake.actions.attach_reports_to_cases`: by digest), as they did when each URL
    was its own get_or_create. The cases are then locked in primary key order, the order
    every other action that locks several cases takes them in (`_raise_priority_on_host`),
    so neither two batches nor a batch and a confirmation deadlock on them.
    """
    wanted = sorted(set(digests))
    existing = set(Case.objects.filter(url_sha256__in=wanted).values_list("url_sha256", flat=True))
    first_report: dict[str, tuple[str, Portal]] = {}
    for (url, portal, _), digest in zip(urls, digests, strict=True):
        first_report.setdefault(digest, (url, portal))
    # Inserted in the order given, so that cases opened by one batch queue in the order of
    # their first reports (ties in queue time go to the lower id), as one at a time.
    missing = [digest for digest in first_report if digest not in existing]
    if missing:
        Case.objects.bulk_create(
            [
                Case(
                    url_sha256=digest,
                    canonical_url=first_report[digest][0],
                    host=host_of(first_report[digest][0]),
                    portal=first_report[digest][1],
                    report_count=0,
                    opened_at=now,
                )
                for digest in missing
            ],
            ignore_conflicts=True,
        )
    locked = Case.objects.select_for_update().filter(url_sha256__in=wanted).order_by("pk")
    cases = {case.url_sha256: case for case in locked}
    # Of the rows that were missing, those still at 0 are the ones inserted here: a row that
    # another transaction inserted first committed with its first report counted.
    inserted = {digest for digest in missing if cases[digest].report_count == 0}
    return cases, inserted


def _confirmed_on_hosts(hosts: set[str]) -> Counter[str]:
    """How many confirmed cases each of `hosts` has (0 for a host with none)."""
    counts = (
        Case.objects.filter(host__in=hosts, status=CaseStatus.CONFIRMED)
        .values_list("host")
        .annotate(confirmed=Count("pk"))
    )
    return Counter(dict(counts.values_list("host", "confirmed")))


@audited_action
def move_case(
    *,
    case: Case,
    to: CaseStatus,
    actor: str,
    reason: str,
    outcome: OutcomeKind | None = None,
    category: str = "",
    duplicate_of: Case | None = None,
    read_under_lock: bool = False,
    source: str = "",
) -> Case:
    """Move a case to status `to`, if cases/states.py's table allows it from where it is.

    Moving into (or staying in) a resolved status (confirmed, not confirmed, closed) records
    the result that stands: its `outcome` kind, the scheme's `category` code (for criminal
    content) and, for a duplicate, the case that carries the assessment. Moving out of one
    clears them. Confirming a case raises the priority of the cases still waiting on the same
    host. Raises `IllegalTransition` for a move the table does not allow. Audits
    `cases.status_changed` with both statuses, the reason and the result.

    `read_under_lock`: the caller read `case` (with its portal) FOR UPDATE in this same
    transaction, so it is current and need not be read again ("next case" saves a query).
    `source`: where a result comes from (outcomes.decide.Source's value), kept with it.
    A move that changes the result that stands is announced (`signals.case_results_changed`).
    """
    if read_under_lock:
        locked = case
    else:
        locked = Case.objects.select_for_update().select_related("portal").get(pk=case.pk)
    was = CaseStatus(locked.status)
    before = standing(locked)
    event = _move(
        locked,
        to=to,
        actor=actor,
        reason=reason,
        outcome=outcome,
        category=category,
        duplicate_of=duplicate_of,
        source=source,
    )
    # Conditional on the status read above, so of two moves from one status only one can
    # win even where the read took no lock (SQLite); the other is told and moves nothing.
    moved = Case.objects.filter(pk=locked.pk, status=was).update(
        **{field: getattr(locked, field) for field in MOVE_FIELDS}
    )
    if moved != 1:
        raise CaseMovedMeanwhile(f"Case {locked.pk} was moved from {was.label} meanwhile.")
    CasePortal.objects.filter(case_id=locked.pk).update(status=to)
    # An appeal refused leaves the case confirmed as it was: the host has no more cases.
    if to == CaseStatus.CONFIRMED and was not in (CaseStatus.CONFIRMED, CaseStatus.APPEALED):
        _raise_priority_on_host(locked.host)
    record_events([event])
    after = standing(locked)
    if before != after:
        case_results_changed.send(sender=Case, changes=[ResultChange(before=before, after=after)])
    return locked


def _move(
    case: Case,
    *,
    to: CaseStatus,
    actor: str,
    reason: str,
    outcome: OutcomeKind | None = None,
    category: str = "",
    duplicate_of: Case | None = None,
    source: str = "",
) -> NewEvent:
    """`move_case`'s change, made to `case` (locked) in memory: the event that audits it.

    The caller writes MOVE_FIELDS, its portals' status, and the event: `move_case` for one
    case, attaching for a whole batch at once.
    """
    was = CaseStatus(case.status)
    # Staying in a resolved status records a new result there (a category corrected).
    if not (can_move(was, to) or (to == was and to in RESOLVED_STATUSES)):
        raise IllegalTransition(f"A case cannot move from {was.label} to {to.label}.")
    if duplicate_of is not None and duplicate_of.pk == case.pk:
        raise IllegalTransition("A case cannot be a duplicate of itself.")
    now = timezone.now()
    case.status = to
    if to in RESOLVED_STATUSES:
        case.outcome = outcome.value if outcome else ""
        case.category = category if outcome == OutcomeKind.CRIMINAL else ""
        case.duplicate_of = duplicate_of if outcome == OutcomeKind.DUPLICATE else None
        case.resolved_at = now
        case.result_source = source
        # Its first result since it was opened; a correction or an appeal keeps the time.
        if was not in STANDING_STATUSES or case.assessed_at is None:
            case.assessed_at = now
    elif was in RESOLVED_STATUSES and to not in (CaseStatus.APPEALED,):
        case.outcome = ""
        case.category = ""
        case.duplicate_of = None
        case.resolved_at = None
        case.assessed_at = None
        case.result_source = ""
    return NewEvent(
        actor=actor,
        action="cases.status_changed",
        target=case,
        portal=case.portal.code,
        data={
            "from": was.value,
            "to": to.value,
            "reason": reason,
            "outcome": case.outcome,
            "category": case.category,
            "duplicate_of": case.duplicate_of_id,
        },
    )


def _raise_priority_on_host(host: str) -> None:
    # One more confirmed case on the host: its waiting cases move up by HOST_POINTS hours, up
    # to the cap (cases/priority.py). The cases are locked first, in primary key order (as
    # attaching locks its batch), and only then their portals' copies and the cases written:
    # updating them straight away would lock them in whatever order the scan meets them, and
    # the copies before their cases, so that two transactions each holding a case the other
    # is about to write could wait for each other for ever.
    waiting = list(
        Case.objects.select_for_update()
        .filter(
            host=host,
            status__in=QUEUE_STATUSES,
            host_confirmed__lt=priority.MAX_HOST_POINTS // priority.HOST_POINTS,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not waiting:
        return
    earlier = F("queue_at") - priority.HOST_POINTS * priority.POINT
    CasePortal.objects.filter(case_id__in=waiting).update(queue_at=earlier)
    Case.objects.filter(pk__in=waiting).update(
        host_confirmed=F("host_confirmed") + 1,
        priority=F("priority") + priority.HOST_POINTS,
        queue_at=earlier,
    )
