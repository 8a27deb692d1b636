"""Every change of notice and takedown: captures, traces, notices and their states, re-checks.

Each action is one transaction with its audit events (audit.actions.audited_action); tasks,
views and commands call these and never save takedown rows themselves. The removal of the
content takes the URL off the list here (the flow's "back to urllist: removed").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from hotline.audit.actions import NewEvent, audited_action, record_event, record_events
from hotline.cases.models import Case
from hotline.core.bulk import update_rows
from hotline.core.effects import enqueue_after_commit
from hotline.takedown import policy
from hotline.takedown.evidence import evidence_enabled, seal
from hotline.takedown.models import (
    OPEN_NOTICE_STATES,
    Capture,
    CapturedImage,
    HostingTrace,
    Notice,
    NoticeState,
    RecipientKind,
    Takedown,
    TakedownStatus,
)
from hotline.takedown.recheck import Verdict
from hotline.takedown.signals import Removal, case_captured, removal_changed
from hotline.urllist.actions import add_to_url_list, remove_from_url_list

if TYPE_CHECKING:
    from hotline.takedown.capture import PageCapture
    from hotline.takedown.routing import Route
    from hotline.takedown.trace import HostingTrace as TraceResult


def removal_of(takedown: Takedown, portal_id: int) -> Removal | None:
    """What the figures count of `takedown`: its removal, if it is removed."""
    if (
        takedown.status != TakedownStatus.REMOVED
        or takedown.removed_at is None
        or takedown.time_to_removal is None
    ):
        return None
    return Removal(
        portal_id=portal_id,
        removed_at=takedown.removed_at,
        time_to_removal=takedown.time_to_removal,
    )


def _announce_removal(before: Removal | None, after: Removal | None) -> None:
    if before != after:
        removal_changed.send(sender=Takedown, before=before, after=after)


class IllegalNoticeMove(Exception):
    """A notice state change that policy.NOTICE_TRANSITIONS does not allow."""


def record_capture(*, case: Case, page: PageCapture, actor: str) -> Capture:
    """Keep what the safe fetcher found at `case`'s URL: `record_captures` of one."""
    return record_captures(captures=[(case, page)], actor=actor)[0]


@audited_action
def record_captures(*, captures: Sequence[tuple[Case, PageCapture]], actor: str) -> list[Capture]:
    """Keep what the safe fetcher found at each case's URL: the page's metadata and the hashes
    of its images (never the images). Announces each capture with images
    (`signals.case_captured`) for outcomes to act on. Audits `takedown.captured` for each.

    One transaction and a few statements for the whole batch: every case a flood of reports
    opens is captured, and one transaction per case cost the worker a commit each.
    """
    keep = evidence_enabled()
    rows = Capture.objects.bulk_create(
        Capture(
            case=case,
            requested_url=page.requested_url,
            final_url=page.final_url,
            status_code=page.status or None,
            redirects=list(page.redirects),
            server_ip=page.server_ip or None,
            headers=dict(page.headers),
            title=page.title[:2000],
            image_count=len(page.images),
            skipped=[[url, reason] for url, reason in page.skipped],
            error_kind=str(page.error_kind or ""),
            error=page.error,
        )
        for case, page in captures
    )
    # The images themselves only with the evidence store on, sealed, until they expire.
    images = []
    for capture, (_, page) in zip(rows, captures, strict=True):
        expires = capture.captured_at + timedelta(days=settings.HOTLINE_EVIDENCE_DAYS)
        images += [
            CapturedImage(
                capture=capture,
                evidence=seal(image.data) if keep and image.data else None,
                evidence_expires_at=expires if keep and image.data else None,
                url=image.url,
                md5=image.md5,
                sha1=image.sha1,
                sha256=image.sha256,
                pdq=image.pdq,
                pdq_quality=image.pdq_quality,
                width=image.width,
                height=image.height,
            )
            for image in page.images
        ]
    CapturedImage.objects.bulk_create(images)
    record_events(
        [
            NewEvent(
                actor=actor,
                action="takedown.captured",
                target=case,
                portal=case.portal.code,
                data={
                    "capture": capture.pk,
                    "status": page.status,
                    "images": len(page.images),
                    "error_kind": capture.error_kind,
                },
            )
            for capture, (case, page) in zip(rows, captures, strict=True)
        ]
    )
    for capture, (case, page) in zip(rows, captures, strict=True):
        if page.images:
            case_captured.send(sender=Capture, case_id=case.pk, capture_id=capture.pk)
    return rows


@audited_action
def record_trace(*, case: Case, trace: TraceResult, actor: str) -> HostingTrace:
    """Keep where `case`'s URL is hosted (DNS, network, country, abuse contact). The hosting
    country goes on the case's takedown, if it has one. Audits `takedown.traced`."""
    row = HostingTrace.objects.create(
        case=case,
        host=trace.host,
        cname_chain=list(trace.cname_chain),
        addresses=list(trace.addresses),
        ip=trace.ip or None,
        country=trace.country,
        asn=trace.asn,
        as_name=trace.as_name[:255],
        cdn=trace.cdn,
        cdn_abuse=trace.cdn_abuse[:255],
        abuse_email=trace.abuse_email[:254],
        abuse_source=trace.abuse_source,
        network_name=trace.network_name[:255],
        error=trace.error[:100],
    )
    Takedown.objects.filter(case=case).update(hosting_country=trace.country)
    record_event(
        actor=actor,
        action="takedown.traced",
        target=case,
        portal=case.portal.code,
        data={
            "trace": row.pk,
            "country": row.country,
            "asn": row.asn,
            "cdn": row.cdn,
            "abuse_contact": bool(row.abuse_email),
            "error": row.error,
        },
    )
    return row


@audited_action
def start_takedown(*, case: Case, actor: str) -> Takedown:
    """Begin removing `case`'s content, now that it is confirmed: the clock of the time to
    removal starts, re-checks are scheduled (policy.next_check_at), and a task traces the
    host and sends the first notice. A case confirmed again (after a correction, or content
    that came back) starts its takedown afresh. Audits `takedown.started`."""
    now = timezone.now()
    takedown, created = Takedown.objects.select_for_update().get_or_create(
        case=case, defaults={"confirmed_at": now}
    )
    if not created and takedown.status == TakedownStatus.OPEN:
        return takedown  # already under way: a recategorisation changes nothing here
    removed_before = removal_of(takedown, case.portal_id)
    takedown.status = TakedownStatus.OPEN
    takedown.confirmed_at = now
    takedown.removed_at = None
    takedown.time_to_removal = None
    takedown.checks = 0
    takedown.watch_until = None
    takedown.next_check_at = policy.next_check_at(since=now, checks_done=0)
    takedown.save()
    _announce_removal(removed_before, None)
    record_event(
        actor=actor,
        action="takedown.started",
        target=case,
        portal=case.portal.code,
        data={"takedown": takedown.pk, "again": not created},
    )
    from hotline.takedown.tasks import prepare_takedown

    enqueue_after_commit(prepare_takedown, takedown.pk)
    return takedown


@audited_action
def withdraw_takedown(*, case: Case, reason: str, actor: str) -> Takedown | None:
    """Stop removing `case`'s content: its confirmation was withdrawn (an appeal upheld, a
    correction). Open notices are withdrawn and re-checks stop. Audits `takedown.withdrawn`."""
    takedown = Takedown.objects.select_for_update().filter(case=case).first()
    if takedown is None or takedown.status == TakedownStatus.WITHDRAWN:
        return takedown
    removed_before = removal_of(takedown, case.portal_id)
    takedown.status = TakedownStatus.WITHDRAWN
    takedown.next_check_at = None
    takedown.save(update_fields=["status", "next_check_at"])
    _announce_removal(removed_before, None)
    for notice in takedown.notices.filter(state__in=[*OPEN_NOTICE_STATES, NoticeState.FAILED]):
        _move_notice(notice, NoticeState.WITHDRAWN, now=timezone.now())
    record_event(
        actor=actor,
        action="takedown.withdrawn",
        target=case,
        portal=case.portal.code,
        data={"takedown": takedown.pk, "reason": reason},
    )
    return takedown


def _move_notice(notice: Notice, to: NoticeState, *, now: datetime) -> None:
    if not policy.may_move(notice.state, to):
        raise IllegalNoticeMove(f"A notice that is {notice.state} cannot become {to}.")
    notice.state = to
    if to in (NoticeState.REMOVED, NoticeState.WITHDRAWN, NoticeState.ESCALATED):
        notice.closed_at = now
    if to != NoticeState.TO_SEND:
        notice.next_attempt_at = None
    notice.save()


@audited_action
def create_notice(*, takedown: Takedown, route: Route, actor: str, level: int = 0) -> Notice:
    """Address a notice to the party `route` names (routing.py chose it). A notice with an
    address is sent by a task at once; one without waits on the takedown board for a person
    to route it. Audits `takedown.notice_created` with the rule that chose the party."""
    notice = Notice.objects.create(
        takedown=takedown,
        recipient_kind=route.kind,
        recipient_name=route.name,
        email=route.email,
        language=route.language,
        routed_because=route.because[:255],
        level=level,
        next_attempt_at=timezone.now() if route.email else None,
    )
    _notice_event(notice, actor, "takedown.notice_created", because=route.because)
    if route.email:
        from hotline.takedown.tasks import send_notice

        enqueue_after_commit(send_notice, notice.pk)
    return notice


def _notice_event(notice: Notice, actor: str, action: str, **data: object) -> None:
    case = notice.takedown.case
    record_event(
        actor=actor,
        action=action,
        target=case,
        portal=case.portal.code,
        data={
            "notice": notice.pk,
            "recipient_kind": notice.recipient_kind,
            "state": notice.state,
            "level": notice.level,
            **data,
        },
    )


@audited_action
def route_notice_by_hand(
    *, notice: Notice, name: str, email: str, language: str, actor: str
) -> Notice:
    """Give a notice that had nobody to go to (or whose delivery failed) a recipient chosen by
    a person; it is sent at once. Audits `takedown.notice_routed`."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.state == NoticeState.FAILED:
        _move_notice(notice, NoticeState.TO_SEND, now=timezone.now())
    elif notice.state != NoticeState.TO_SEND:
        raise IllegalNoticeMove("Only a notice not yet sent, or whose delivery failed, is routed.")
    notice.recipient_name = name
    notice.email = email
    notice.language = language
    notice.attempts = 0
    notice.last_error = ""
    notice.next_attempt_at = timezone.now()
    notice.save()
    _notice_event(notice, actor, "takedown.notice_routed")
    from hotline.takedown.tasks import send_notice

    enqueue_after_commit(send_notice, notice.pk)
    return notice


@audited_action
def record_notice_sent(*, notice: Notice, message_id: str, actor: str) -> Notice:
    """The mail server accepted the notice. Audits `takedown.notice_sent`."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.state != NoticeState.TO_SEND:
        return notice  # sent meanwhile by another worker, or no longer wanted
    now = timezone.now()
    notice.attempts += 1
    notice.sent_at = now
    notice.message_id = message_id[:255]
    _move_notice(notice, NoticeState.SENT, now=now)
    _notice_event(notice, actor, "takedown.notice_sent")
    return notice


@audited_action
def record_delivery_failure(*, notice: Notice, error: str, actor: str) -> Notice:
    """Delivery failed: tried again later (policy.retry_delay), and marked failed after
    HOTLINE_TAKEDOWN_SEND_ATTEMPTS tries, for a person to act on. Audits
    `takedown.notice_delivery_failed`."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.state != NoticeState.TO_SEND:
        return notice
    now = timezone.now()
    notice.attempts += 1
    notice.last_error = error[:2000]
    if notice.attempts >= settings.HOTLINE_TAKEDOWN_SEND_ATTEMPTS:
        _move_notice(notice, NoticeState.FAILED, now=now)
    else:
        notice.next_attempt_at = now + policy.retry_delay(notice.attempts)
        notice.save()
    _notice_event(
        notice, actor, "takedown.notice_delivery_failed", attempts=notice.attempts, error=error
    )
    return notice


@audited_action
def acknowledge_notice(*, notice: Notice, actor: str) -> Notice:
    """The recipient answered that they act on it (recorded by an analyst). Audits
    `takedown.notice_acknowledged`."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    now = timezone.now()
    notice.acknowledged_at = now
    _move_notice(notice, NoticeState.ACKNOWLEDGED, now=now)
    _notice_event(notice, actor, "takedown.notice_acknowledged")
    return notice


@audited_action
def escalate_notice(*, notice: Notice, route: Route, actor: str) -> Notice:
    """The content is still online past the notice's deadline (policy.escalation_due_at): the
    notice is closed as escalated and the next party (routing.escalation_route) is asked.
    Returns the new notice. Audits `takedown.notice_escalated`."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _move_notice(notice, NoticeState.ESCALATED, now=timezone.now())
    _notice_event(notice, actor, "takedown.notice_escalated", to=route.kind.value)
    return create_notice(takedown=notice.takedown, route=route, actor=actor, level=notice.level + 1)


@audited_action
def record_recheck(*, takedown: Takedown, verdict: str, reason: str, actor: str) -> Takedown:
    """Act on a re-check of `takedown`'s content (recheck.Verdict: gone, present, unknown).

    - Gone while open: the content was removed. The URL leaves the URL list (a new list
      version), open notices close as removed, and the time from confirmation to removal is
      kept. Re-checks go on, at the same pace, for HOTLINE_TAKEDOWN_WATCH_DAYS.
    - Present after removal: the content is back. It is listed again, and the takedown starts
      afresh (the clock restarts; the host is traced and notified again).
    - Otherwise only the next re-check is scheduled.
    Audits `takedown.rechecked`, and `takedown.removed` or `takedown.returned`.
    """
    takedown = (
        Takedown.objects.select_for_update().select_related("case__portal").get(pk=takedown.pk)
    )
    case = takedown.case
    now = timezone.now()
    takedown.checks += 1
    takedown.last_check_at = now
    takedown.last_verdict = verdict
    takedown.last_reason = reason[:64]
    portal = case.portal.code
    event = ""
    removed_before = removal_of(takedown, case.portal_id)
    if takedown.status == TakedownStatus.OPEN and verdict == Verdict.GONE:
        takedown.status = TakedownStatus.REMOVED
        takedown.removed_at = now
        takedown.time_to_removal = now - takedown.confirmed_at
        takedown.watch_until = now + timedelta(days=settings.HOTLINE_TAKEDOWN_WATCH_DAYS)
        for notice in takedown.notices.filter(
            state__in=[*OPEN_NOTICE_STATES, NoticeState.ESCALATED, NoticeState.FAILED]
        ):
            _move_notice(notice, NoticeState.REMOVED, now=now)
        remove_from_url_list(
            url=case.canonical_url, reason="content removed", actor=actor, portal=portal
        )
        event = "takedown.removed"
    elif takedown.status == TakedownStatus.REMOVED and verdict == Verdict.PRESENT:
        takedown.status = TakedownStatus.OPEN
        takedown.returns += 1
        takedown.confirmed_at = now
        takedown.removed_at = None
        takedown.time_to_removal = None
        takedown.watch_until = None
        takedown.checks = 0
        add_to_url_list(
            url=case.canonical_url,
            category=case.category,
            case_id=case.pk,
            actor=actor,
            portal=portal,
        )
        event = "takedown.returned"
    takedown.next_check_at = _next_check(takedown, now=now)
    takedown.save()
    _announce_removal(removed_before, removal_of(takedown, case.portal_id))
    record_event(
        actor=actor,
        action="takedown.rechecked",
        target=case,
        portal=portal,
        data={"takedown": takedown.pk, "verdict": verdict, "reason": reason},
    )
    if event:
        record_event(
            actor=actor,
            action=event,
            target=case,
            portal=portal,
            data={
                "takedown": takedown.pk,
                "time_to_removal_seconds": (
                    int(takedown.time_to_removal.total_seconds())
                    if takedown.time_to_removal
                    else None
                ),
            },
        )
    if event == "takedown.returned":
        from hotline.takedown.tasks import prepare_takedown

        enqueue_after_commit(prepare_takedown, takedown.pk)
    return takedown


def changes_state(status: str, verdict: str) -> bool:
    """Whether a re-check with `verdict` changes a takedown that is `status` (removed, or back
    again), rather than only scheduling its next check."""
    return (status, verdict) in {
        (TakedownStatus.OPEN, Verdict.GONE),
        (TakedownStatus.REMOVED, Verdict.PRESENT),
    }


RECHECK_FIELDS = ["checks", "last_check_at", "last_verdict", "last_reason", "next_check_at"]


@audited_action
def record_rechecks(*, results: Sequence[tuple[int, str, str]], actor: str) -> list[int]:
    """`record_recheck` for many takedowns at once: each (takedown id, verdict, reason).

    Those whose verdict changes them (gone while open, present after removal) are left to
    `record_recheck` and returned, for the caller to pass one by one; for the rest, which only
    take their next check (most of a round: content still online, or still gone), the
    schedules are written with one pipelined statement and the `takedown.rechecked` events
    with one insert, in one transaction, the rows locked as `record_recheck` locks them.
    """
    now = timezone.now()
    verdicts = {pk: (verdict, reason) for pk, verdict, reason in results}
    takedowns = list(
        Takedown.objects.select_for_update()
        .filter(pk__in=list(verdicts))
        .select_related("case__portal")
        .order_by("pk")
    )
    left: list[int] = []
    changed: list[Takedown] = []
    events: list[NewEvent] = []
    for takedown in takedowns:
        verdict, reason = verdicts[takedown.pk]
        if changes_state(takedown.status, verdict):
            left.append(takedown.pk)
            continue
        takedown.checks += 1
        takedown.last_check_at = now
        takedown.last_verdict = verdict
        takedown.last_reason = reason[:64]
        takedown.next_check_at = _next_check(takedown, now=now)
        changed.append(takedown)
        events.append(
            NewEvent(
                actor=actor,
                action="takedown.rechecked",
                target=takedown.case,
                portal=takedown.case.portal.code,
                data={"takedown": takedown.pk, "verdict": verdict, "reason": reason},
            )
        )
    update_rows(changed, RECHECK_FIELDS)
    record_events(events)
    return left


def _next_check(takedown: Takedown, *, now: datetime) -> datetime | None:
    if takedown.status == TakedownStatus.WITHDRAWN:
        return None
    if takedown.status == TakedownStatus.REMOVED:
        if takedown.watch_until is None or now >= takedown.watch_until:
            return None
        return now + settings.HOTLINE_TAKEDOWN_RECHECK_EVERY
    return max(
        policy.next_check_at(since=takedown.confirmed_at, checks_done=takedown.checks),
        now + timedelta(minutes=1),
    )


@audited_action
def expire_evidence(*, actor: str, now: datetime | None = None) -> int:
    """Delete the stored images whose time in the evidence store is over
    (HOTLINE_EVIDENCE_DAYS); their hashes stay. Returns how many. Audits
    `takedown.evidence_expired` with the count, when there were any."""
    expired = CapturedImage.objects.filter(evidence_expires_at__lte=now or timezone.now())
    count = expired.update(evidence=None, evidence_expires_at=None)
    if count:
        record_event(actor=actor, action="takedown.evidence_expired", data={"images": count})
    return count


def open_notices() -> QuerySet[Notice]:
    """Notices still waiting on someone: to send (or to route), sent, acknowledged, failed."""
    return Notice.objects.filter(state__in=[*OPEN_NOTICE_STATES, NoticeState.FAILED])


__all__ = [
    "IllegalNoticeMove",
    "RecipientKind",
    "acknowledge_notice",
    "create_notice",
    "escalate_notice",
    "expire_evidence",
    "open_notices",
    "record_capture",
    "record_captures",
    "record_delivery_failure",
    "record_notice_sent",
    "record_recheck",
    "record_rechecks",
    "record_trace",
    "route_notice_by_hand",
    "start_takedown",
    "withdraw_takedown",
]
