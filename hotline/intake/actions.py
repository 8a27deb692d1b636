"""Filing a report: one transaction creates the report, its items and their cases, all audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from hotline.audit.actions import PUBLIC, audited_action, record_event
from hotline.cases.actions import open_or_attach_case
from hotline.intake.models import IdempotentRequest, Report, ReportItem
from hotline.intake.receipts import hash_receipt, new_receipt
from hotline.intake.references import new_reference
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


@audited_action
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
    actor: str = PUBLIC,
    verified: bool = False,
) -> FiledReport:
    """File an anonymous report of `urls` ([(as reported, canonical)]) on `portal`.

    Each URL becomes a ReportItem on the case for its canonical form (opened if new, attached
    if known). With `with_receipt`, a receipt code is made for the reporter to check the status
    later; only its Argon2 hash is kept. All or nothing: a failure part-way leaves no report
    behind. Audits `intake.report_filed` (with the number of URLs, never the URLs or who sent
    them), plus the cases' own events. No IP address or other reporter detail is recorded.

    A `verified` report (a valid proof of work, or a partner's key) is marked so, and so are
    its cases, which go ahead of unverified ones in the queue; the audit event says which.
    """
    if not urls:
        raise EmptyReport("a report needs at least one URL")
    reference = new_reference(portal.reference_prefix)
    while Report.objects.filter(reference=reference).exists():
        reference = new_reference(portal.reference_prefix)
    receipt = new_receipt() if with_receipt else None
    report = Report.objects.create(
        reference=reference,
        portal=portal,
        language=language,
        description=description.strip(),
        content_seen=sorted(set(content_seen)),
        found_on=found_on,
        receipt_hash=hash_receipt(receipt) if receipt else "",
        member_id=member_id,
        external_reference=external_reference,
        verified=verified,
    )
    record_event(
        actor=actor,
        action="intake.report_filed",
        target=report,
        portal=portal.code,
        data={"items": len(urls), "language": language, "verified": verified},
    )
    for position, (reported, canonical) in enumerate(urls, start=1):
        case, _ = open_or_attach_case(
            canonical_url=canonical, portal=portal, actor=actor, verified=verified
        )
        ReportItem.objects.create(
            report=report,
            position=position,
            reported_url=reported,
            canonical_url=canonical,
            is_onion=is_onion(canonical),
            case=case,
        )
    return FiledReport(report=report, receipt=receipt)


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
