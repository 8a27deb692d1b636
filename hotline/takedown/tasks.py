"""Background work of notice and takedown: capture, trace and notify, deliver, re-check and
escalate. The periodic ones are declared in core/periodic.py; all change state only through
hotline/takedown/actions.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Mod
from django.tasks import task
from django.utils import timezone

from hotline.audit.actions import SYSTEM
from hotline.cases.models import Case
from hotline.core.effects import enqueue_after_commit
from hotline.takedown import actions, policy
from hotline.takedown.capture import PageCapture, capture_page
from hotline.takedown.evidence import evidence_enabled
from hotline.takedown.fetch import SafeFetcher, run_sync
from hotline.takedown.models import (
    OPEN_NOTICE_STATES,
    Capture,
    CapturedImage,
    Notice,
    NoticeState,
    Takedown,
    TakedownStatus,
)
from hotline.takedown.notices import NotSent, send_notice_email
from hotline.takedown.recheck import KnownContent, RecheckResult, recheck_many
from hotline.takedown.routing import escalation_route, first_route
from hotline.takedown.trace import trace_host

logger = logging.getLogger(__name__)

# Pages captured at once by one task; re-checks at once (the bound on connections).
CAPTURE_CONCURRENCY = 20
RECHECK_CONCURRENCY = 200
# Takedowns re-checked per round of the periodic job: a minute's work at 10,000 a minute.
RECHECK_BATCH = 10_000
# Re-check results recorded in one transaction (those that change no takedown's state).
RECORD_BATCH = 500


async def _capture_pages(urls: Sequence[str]) -> list[PageCapture]:
    gate = asyncio.Semaphore(CAPTURE_CONCURRENCY)
    # The images themselves are read into the evidence store only when it is on.
    keep_bytes = evidence_enabled()
    async with SafeFetcher() as fetcher:

        async def one(url: str) -> PageCapture:
            async with gate:
                return await capture_page(url, fetcher=fetcher, keep_bytes=keep_bytes)

        return list(await asyncio.gather(*(one(url) for url in urls)))


def capture_and_record(cases: Sequence[Case]) -> list[Capture]:
    """Capture each case's URL (concurrently) and keep what was found."""
    pages = run_sync(_capture_pages([case.canonical_url for case in cases]))
    return actions.record_captures(captures=list(zip(cases, pages, strict=True)), actor=SYSTEM)


@task()
def capture_cases(case_ids: list[int]) -> dict[str, Any]:
    """Capture the URLs of newly opened cases, before an analyst opens them."""
    cases = list(Case.objects.filter(pk__in=case_ids).select_related("portal").order_by("pk"))
    captures = capture_and_record(cases)
    return {"captured": len(captures), "failed": sum(1 for c in captures if c.error_kind)}


@task()
def prepare_takedown(takedown_id: int) -> dict[str, Any]:
    """Trace a confirmed case's host and address its first notice (routing.first_route).

    The case's URL is captured first if it never was (its hashes are what re-checks look
    for). A takedown that already has an open notice gets no second one.
    """
    takedown = Takedown.objects.select_related("case__portal").get(pk=takedown_id)
    if takedown.status != TakedownStatus.OPEN:
        return {"skipped": takedown.status}
    case = takedown.case
    if not Capture.objects.filter(case=case, error_kind="").exists():
        capture_and_record([case])
    trace = actions.record_trace(case=case, trace=trace_host(case.host), actor=SYSTEM)
    if takedown.notices.filter(state__in=OPEN_NOTICE_STATES).exists():
        return {"traced": trace.pk, "notice": None}
    route = first_route(portal=case.portal, trace=trace)
    notice = actions.create_notice(takedown=takedown, route=route, actor=SYSTEM)
    return {"traced": trace.pk, "notice": notice.pk, "recipient": route.kind.value}


@task()
def send_notice(notice_id: int) -> dict[str, Any]:
    """Hand one notice to the mail server; a failure is recorded and tried again later."""
    notice = Notice.objects.select_related("takedown__case__portal").get(pk=notice_id)
    if notice.state != NoticeState.TO_SEND or not notice.email:
        return {"skipped": notice.state}
    try:
        message_id = send_notice_email(notice)
    except NotSent as error:
        notice = actions.record_delivery_failure(notice=notice, error=str(error), actor=SYSTEM)
        return {"failed": str(error), "state": notice.state}
    actions.record_notice_sent(notice=notice, message_id=message_id, actor=SYSTEM)
    return {"sent": message_id}


@task()
def send_due_notices() -> dict[str, Any]:
    """Send every notice due (new, or due for another try after a failed delivery)."""
    due = Notice.objects.filter(
        state=NoticeState.TO_SEND, next_attempt_at__lte=timezone.now()
    ).exclude(email="")
    sent = 0
    for notice_id in due.order_by("next_attempt_at").values_list("pk", flat=True)[:500]:
        result = send_notice.call(notice_id)
        sent += "sent" in result
    return {"sent": sent}


def known_content(case_ids: Sequence[int]) -> dict[int, KnownContent]:
    """What a re-check looks for on each case's page: the images of its latest capture that
    found any (MD5 and PDQ)."""
    latest: dict[int, int] = {}
    for capture_id, case_id in (
        Capture.objects.filter(case_id__in=case_ids, image_count__gt=0)
        .order_by("case_id", "captured_at")
        .values_list("pk", "case_id")
    ):
        latest[case_id] = capture_id
    md5s: dict[int, set[str]] = {case_id: set() for case_id in case_ids}
    pdqs: dict[int, list[str]] = {case_id: [] for case_id in case_ids}
    by_capture = {capture_id: case_id for case_id, capture_id in latest.items()}
    for capture_id, md5, pdq in CapturedImage.objects.filter(
        capture_id__in=list(by_capture)
    ).values_list("capture_id", "md5", "pdq"):
        md5s[by_capture[capture_id]].add(md5)
        pdqs[by_capture[capture_id]].append(pdq)
    return {
        case_id: KnownContent(md5s=frozenset(md5s[case_id]), pdqs=tuple(pdqs[case_id]))
        for case_id in case_ids
    }


def recheck_due(
    *, now: Any = None, limit: int = RECHECK_BATCH, shard: int = 0, shards: int = 1
) -> dict[int, RecheckResult]:
    """Re-check every takedown whose re-check is due (at most `limit`), concurrently, and act
    on each verdict; returns the results by takedown id.

    With `shards` > 1, only the takedowns whose id is `shard` modulo `shards`, with that share
    of the connections: several worker processes each take a shard of one round, so a round
    uses every core and never more than RECHECK_CONCURRENCY connections in all."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} of {shards} does not exist")
    now = now or timezone.now()
    due_now = Takedown.objects.filter(next_check_at__lte=now)
    if shards > 1:
        due_now = due_now.annotate(shard=Mod("pk", shards)).filter(shard=shard)
    due = list(
        due_now.order_by("next_check_at").values_list("pk", "case_id", "case__canonical_url")[
            :limit
        ]
    )
    if not due:
        return {}
    known = known_content([case_id for _, case_id, _ in due])
    results = run_sync(
        recheck_many(
            [(pk, url, known[case_id]) for pk, case_id, url in due],
            concurrency=max(1, RECHECK_CONCURRENCY // shards),
        )
    )
    # Most results only schedule the next check: written a batch at a time. Those that remove
    # content from the list or put it back go one by one, each its own audited transaction.
    ordered = [(pk, r.verdict.value, r.reason) for pk, r in results.items()]
    for start in range(0, len(ordered), RECORD_BATCH):
        batch = ordered[start : start + RECORD_BATCH]
        for pk in actions.record_rechecks(results=batch, actor=SYSTEM):
            result = results[pk]
            actions.record_recheck(
                takedown=Takedown(pk=pk),
                verdict=result.verdict.value,
                reason=result.reason,
                actor=SYSTEM,
            )
    return results


@task()
def run_due_rechecks() -> dict[str, Any]:
    """The periodic re-check round (core/periodic.py): done here, or, with
    HOTLINE_TAKEDOWN_RECHECK_SHARDS > 1, handed out as that many shards for the worker
    processes to run side by side."""
    shards = settings.HOTLINE_TAKEDOWN_RECHECK_SHARDS
    if shards > 1:
        for shard in range(shards):
            enqueue_after_commit(recheck_shard, shard, shards)
        return {"shards": shards}
    return recheck_shard.call(0, 1)


@task()
def recheck_shard(shard: int, shards: int) -> dict[str, Any]:
    """One shard of a re-check round (recheck_due)."""
    results = recheck_due(shard=shard, shards=shards)
    verdicts: dict[str, int] = {}
    for result in results.values():
        verdicts[result.verdict.value] = verdicts.get(result.verdict.value, 0) + 1
    return {"checked": len(results), **verdicts}


@task()
def escalate_overdue_notices() -> dict[str, Any]:
    """Escalate each notice whose content is still online past its level's deadline
    (HOTLINE_TAKEDOWN_ESCALATE_AFTER) to the next party (routing.escalation_route)."""
    now = timezone.now()
    delays = settings.HOTLINE_TAKEDOWN_ESCALATE_AFTER
    overdue = Q()
    for level, delay in enumerate(delays):
        overdue |= Q(level=level, takedown__confirmed_at__lte=now - delay)
    escalated = 0
    candidates = (
        Notice.objects.filter(
            overdue,
            state__in=[NoticeState.SENT, NoticeState.ACKNOWLEDGED],
            takedown__status=TakedownStatus.OPEN,
        )
        .select_related("takedown__case__portal")
        .order_by("created_at")
    )
    for notice in candidates[:500]:
        due = policy.escalation_due_at(
            confirmed_at=notice.takedown.confirmed_at, level=notice.level
        )
        if due is None or due > now:
            continue
        route = escalation_route(notice=notice, portal=notice.takedown.case.portal)
        if route is None:
            continue
        actions.escalate_notice(notice=notice, route=route, actor=SYSTEM)
        escalated += 1
    return {"escalated": escalated}


@task()
def expire_evidence_task() -> dict[str, Any]:
    """Delete stored images past their time in the evidence store (core/periodic.py)."""
    return {"expired": actions.expire_evidence(actor=SYSTEM)}
