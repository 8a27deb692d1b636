"""Filing a report: one short transaction makes it durable; its items find their cases after."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from hotline.audit.actions import (
    PUBLIC,
    SYSTEM,
    NewEvent,
    audited_action,
    event_row,
    record_event,
)
from hotline.cases.actions import attach_reported_urls
from hotline.core.bulk import (
    insert_together,
    inserts_in_one_round_trip,
    queue_read,
    reserve_id,
    update_rows,
)
from hotline.core.hashing import url_digest
from hotline.intake.models import IdempotentRequest, Report, ReportItem, StatusEmail
from hotline.intake.receipts import hash_receipt, new_receipt
from hotline.intake.references import new_reference
from hotline.intake.signals import AttachedItem, reports_attached
from hotline.intake.status import ASSESSED, ReportStatus
from hotline.portals.models import Portal


def is_onion(canonical_url: str) -> bool:
    return (urlsplit(canonical_url).hostname or "").endswith(".onion")


class EmptyReport(ValueError):
    """A report must name at least one URL."""


@dataclass(frozen=True)
class FiledReport:
    report: Report
    # The receipt code, when the reporter asked for one: shown to them once, stored only hashed.
    receipt: str | None


def file_report(
    *,
    portal: Portal,
    language: str,
    urls: Sequence[tuple[str, str]],
    description: str = "",
    content_seen: Sequence[str] = (),
    found_on: str = "",
    with_receipt: bool = False,
    member_id: int | None = None,
    external_reference: str = "",
    status_email: str = "",
    actor: str = PUBLIC,
    verified: bool = False,
) -> FiledReport:
    """File an anonymous report of `urls` ([(as reported, canonical)]) on `portal`.

    Does the least that makes the report durable: the report and one ReportItem per URL, in
    one short transaction with its audit event. The items wait, committed, for
    `attach_report_to_cases`, which the worker runs within about a second (the waiting items
    are its work list, so a process that dies after answering loses nothing). With `with_receipt`, a
    receipt code is made for the reporter to check the status later; only its Argon2 hash is
    kept, computed before the transaction begins. All or nothing: a failure part-way leaves no
    report behind. Audits `intake.report_filed` (with the number of URLs, never the URLs or
    who sent them). No IP address or other reporter detail is recorded.

    A `verified` report (a valid proof of work, or a partner's key) is marked so, and so are
    its cases when the items attach, which puts them ahead of unverified ones in the queue;
    the audit event says which.
    """
    if not urls:
        raise EmptyReport("a report needs at least one URL")
    receipt = new_receipt() if with_receipt else None
    # Argon2 is slow on purpose: it runs before the transaction, holding nothing.
    receipt_hash = hash_receipt(receipt) if receipt else ""
    for attempt in range(3):
        reference = new_reference(portal.reference_prefix)
        try:
            report = _store_report(
                reference=reference,
                portal=portal,
                language=language,
                urls=urls,
                description=description,
                content_seen=content_seen,
                found_on=found_on,
                receipt_hash=receipt_hash,
                member_id=member_id,
                external_reference=external_reference,
                status_email=status_email,
                actor=actor,
                verified=verified,
            )
        except IntegrityError:
            # 40 random bits: a reference drawn twice is rare enough that letting the unique
            # index catch it beats asking the database first on every report.
            if attempt == 2 or not Report.objects.filter(reference=reference).exists():
                raise
            continue
        return FiledReport(report=report, receipt=receipt)
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _store_report(
    *,
    reference: str,
    portal: Portal,
    language: str,
    urls: Sequence[tuple[str, str]],
    description: str,
    content_seen: Sequence[str],
    found_on: str,
    receipt_hash: str,
    member_id: int | None,
    external_reference: str,
    status_email: str,
    actor: str,
    verified: bool,
) -> Report:
    """The transaction of `file_report`: the report, its items and its audit event.

    Every report under a flood comes this way, so on PostgreSQL the three go to the database
    as one query of three INSERTs, which the server runs as one transaction (the report's id
    drawn before, for the items and the event to name: by the same thread's previous report's
    query, which draws the next one, or by a query of its own for a thread's first): one
    round trip instead of six, and none of the ORM's work of building each statement. A
    report with a status e-mail (rare: only where mail is configured, and asked for), and any
    report elsewhere, is written by `_store_report_in_transaction`, row by row: the same rows
    and event.
    """
    report = Report(
        reference=reference,
        portal=portal,
        language=language,
        description=description.strip(),
        content_seen=sorted(set(content_seen)),
        found_on=found_on,
        receipt_hash=receipt_hash,
        member_id=member_id,
        external_reference=external_reference,
        verified=verified,
    )
    filed = NewEvent(
        actor=actor,
        action="intake.report_filed",
        target=report,
        portal=portal.code,
        data={"items": len(urls), "language": language, "verified": verified},
    )
    if status_email or not inserts_in_one_round_trip():
        return _store_report_in_transaction(
            report=report, urls=urls, status_email=status_email, filed=filed
        )
    report.pk = reserve_id(Report)
    insert_together([report, *_items(report, urls), event_row(filed)], draw_ahead=Report)
    return report


@audited_action
def _store_report_in_transaction(
    *, report: Report, urls: Sequence[tuple[str, str]], status_email: str, filed: NewEvent
) -> Report:
    """`_store_report` row by row in one transaction, with the status e-mail if given."""
    report.save(force_insert=True)
    ReportItem.objects.bulk_create(_items(report, urls))
    if status_email:  # given with explicit consent, for one status message: kept apart
        keep_status_email(report=report, address=status_email, actor=filed.actor)
    record_event(
        actor=filed.actor,
        action=filed.action,
        target=report,
        portal=filed.portal,
        data=filed.data,
    )
    return report


def _items(report: Report, urls: Sequence[tuple[str, str]]) -> list[ReportItem]:
    return [
        ReportItem(
            report=report,
            position=position,
            reported_url=reported,
            canonical_url=canonical,
            is_onion=is_onion(canonical),
        )
        for position, (reported, canonical) in enumerate(urls, start=1)
    ]


def attach_report_to_cases(*, report_id: int) -> dict[int, int]:
    """Attach the report's waiting items to their cases: {position: case id} for all items.

    As `attach_reports_to_cases`, for one report.
    """
    attach_reports_to_cases(report_ids=[report_id])
    return dict(ReportItem.objects.filter(report_id=report_id).values_list("position", "case_id"))


@audited_action
def attach_reports_to_cases(*, report_ids: Sequence[int]) -> int:
    """Attach each waiting item of these reports to the case of its URL; returns how many.

    The case is opened if the URL is new, or the item joins its case (see
    `open_or_attach_case` for what a known URL does), all in one `open_or_attach_cases` (a
    few statements for the whole batch, its cases locked in one order, so two runs naming the
    same URLs never deadlock), the items taken in the order of their URLs' digests. Safe to
    run twice: an attached item is left alone. One transaction: the worker attaches many
    reports at once under load. The cases audit their own events, as the system (the
    reporter's part ended when the report committed). An item whose URL was known content is
    marked so (`known_content`). The attached items are announced (`signals.reports_attached`,
    counts only) in the same transaction.
    """
    # Only what attaching needs: the items locked, their reports' few fields read after,
    # and each portal once (not a Report and a Portal built per item). Two queries, not a
    # join: a join planned on stale statistics (a table that grew by a flood since it was
    # last analysed) read every report to find a batch's hundred.
    items = ReportItem.objects.select_for_update().filter(
        report_id__in=report_ids, case__isnull=True
    )
    found = list(items.values_list("pk", "canonical_url", "report_id", "position"))
    reports = {
        pk: (portal_id, verified, received_at)
        for pk, portal_id, verified, received_at in Report.objects.filter(
            pk__in={report_id for _, _, report_id, _ in found}
        ).values_list("pk", "portal_id", "verified", "received_at")
    }
    waiting = sorted(
        (
            (pk, url, portal_id, verified, position, received_at)
            for pk, url, report_id, position in found
            for portal_id, verified, received_at in [reports[report_id]]
        ),
        key=lambda item: (url_digest(item[1]), item[0]),
    )
    portals = Portal.objects.in_bulk({item[2] for item in waiting})
    attached = attach_reported_urls(
        urls=[(url, portals[portal_id], verified) for _, url, portal_id, verified, _, _ in waiting],
        actor=SYSTEM,
    )
    update_rows(
        [
            ReportItem(pk=item[0], case=result.case, known_content=result.known)
            for item, result in zip(waiting, attached, strict=True)
        ],
        ["case", "known_content"],
    )
    if waiting:
        reports_attached.send(
            sender=ReportItem,
            items=[
                AttachedItem(
                    portal_id=portal_id,
                    received_at=received_at,
                    first=position == 1,
                    known=result.known,
                )
                for (_, _, portal_id, _, position, received_at), result in zip(
                    waiting, attached, strict=True
                )
            ],
        )
    return len(waiting)


def reports_waiting_for_cases(*, after: int = 0, limit: int) -> list[int]:
    """The oldest reports (ids above `after`) with an item not yet attached to its case."""
    with transaction.atomic(), queue_read():
        return list(
            ReportItem.objects.filter(case__isnull=True, report_id__gt=after)
            .values_list("report_id", flat=True)
            .distinct()
            .order_by("report_id")[:limit]
        )


@audited_action
def keep_status_email(*, report: Report, address: str, actor: str = PUBLIC) -> StatusEmail:
    """Keep `address` for one status message about `report`, as its reporter consented to.

    Audits `intake.status_email_kept` naming only the report: the address is never audited.
    """
    kept = StatusEmail.objects.create(report=report, address=address)
    record_event(
        actor=actor, action="intake.status_email_kept", target=report, portal=report.portal.code
    )
    return kept


@audited_action
def delete_sent_status_email(*, status_email: StatusEmail, status: ReportStatus) -> None:
    """The one status message has gone out: delete its address, now it has served.

    Audits `intake.status_email_sent` with the status the reporter was told, never the address.
    """
    if status not in ASSESSED:
        raise ValueError(f"a status message tells an assessed status, not {status!r}")
    report = status_email.report
    StatusEmail.objects.filter(pk=status_email.pk).delete()
    record_event(
        actor=SYSTEM,
        action="intake.status_email_sent",
        target=report,
        portal=report.portal.code,
        data={"status": status.value},
    )


@audited_action
def delete_expired_status_emails(*, kept_before: datetime) -> int:
    """Delete, unsent, every address kept since before `kept_before`; returns how many.

    Their reports were not assessed in time, and an address must not linger waiting. Audits
    `intake.status_emails_expired` once per portal with the count only (nothing when none).
    """
    expired = StatusEmail.objects.filter(created_at__lt=kept_before)
    rows = list(expired.values_list("pk", "report__portal__code"))
    StatusEmail.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    for portal, count in sorted(Counter(code for _, code in rows).items()):
        record_event(
            actor=SYSTEM,
            action="intake.status_emails_expired",
            portal=portal,
            data={"deleted": count},
        )
    return len(rows)


class IdempotencyConflict(ValueError):
    """The Idempotency-Key was used before with a different request."""


@audited_action
def file_report_once(
    *, member_id: int, idempotency_key: str, request_sha256: str, **report: object
) -> tuple[FiledReport, bool]:
    """File a partner's report unless this key has filed one: (report, filed now).

    A retry with the same key and body gets the first report back, and nothing new is filed
    or audited; the same key with another body raises IdempotencyConflict. Otherwise as
    `file_report`, plus the key recorded in the same transaction.
    """
    earlier = (
        IdempotentRequest.objects.select_for_update()
        .select_related("report")
        .filter(member_id=member_id, key=idempotency_key)
        .first()
    )
    if earlier is not None:
        if earlier.request_sha256 != request_sha256:
            raise IdempotencyConflict(idempotency_key)
        return FiledReport(report=earlier.report, receipt=None), False
    filed = file_report(member_id=member_id, **report)  # type: ignore[arg-type]
    IdempotentRequest.objects.create(
        member_id=member_id,
        key=idempotency_key,
        request_sha256=request_sha256,
        report=filed.report,
    )
    return filed, True
