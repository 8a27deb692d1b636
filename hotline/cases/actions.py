"""Opening, attaching to and resolving cases. Each action audits in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from hotline.audit.actions import audited_action, record_event
from hotline.cases.models import Case, CaseStatus
from hotline.core.classification import Category
from hotline.core.hashing import url_digest
from hotline.portals.models import Portal

# Each further report raises a case's priority by one, up to this cap: many reports of one URL
# should move it up the queue, but a flood of them must not bury every other case below it.
MAX_REPORT_PRIORITY = 20


@audited_action
def open_or_attach_case(
    *, canonical_url: str, portal: Portal, actor: str, verified: bool = False
) -> tuple[Case, bool]:
    """The case for `canonical_url`, opened if new; a known URL attaches to its case.

    A `verified` report (a proof of work, or a partner's key) marks the case
    `has_verified_report`, which puts it ahead of cases with unverified reports only.

    A URL already confirmed stays confirmed and does not go back to the queue: it is resolved
    without an analyst looking at it again. A URL assessed as not confirmed goes back to the
    queue, because what a page shows can change: at the back, at the priority of a new case.
    Audits `cases.case_opened`, or `cases.report_attached` (with whether the content was
    already known) and, on a reopen, `cases.case_reopened`.
    """
    return _open_or_attach(
        canonical_url=canonical_url, portal=portal, actor=actor, verified=verified
    )


@audited_action
def open_or_attach_cases(
    *, urls: Sequence[tuple[str, Portal, bool]], actor: str
) -> list[tuple[Case, bool]]:
    """`open_or_attach_case` for each (canonical URL, portal, verified), in the order given,
    in one transaction (the worker attaches many reports at once; one action instead of one
    per URL saves a savepoint each). Audits as `open_or_attach_case` does, for each URL.
    """
    return [
        _open_or_attach(canonical_url=url, portal=portal, actor=actor, verified=verified)
        for url, portal, verified in urls
    ]


def _open_or_attach(
    *, canonical_url: str, portal: Portal, actor: str, verified: bool
) -> tuple[Case, bool]:
    case, created = Case.objects.get_or_create(
        url_sha256=url_digest(canonical_url),
        defaults={
            "canonical_url": canonical_url,
            "portal": portal,
            "report_count": 1,
            "has_verified_report": verified,
        },
    )
    code = portal.code
    if created:
        record_event(actor=actor, action="cases.case_opened", target=case, portal=code)
        return case, True
    case = Case.objects.select_for_update().get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(
        report_count=F("report_count") + 1,
        priority=Least(F("priority") + 1, Value(MAX_REPORT_PRIORITY)),
        **({"has_verified_report": True} if verified else {}),
    )
    case.refresh_from_db()
    record_event(
        actor=actor,
        action="cases.report_attached",
        target=case,
        portal=code,
        data={"known": case.status == CaseStatus.CONFIRMED, "status": case.status},
    )
    if case.status == CaseStatus.NOT_CONFIRMED:
        # Back in the queue as a new case would be: at the back, at no raised priority, so
        # reports of a page already found harmless cannot push it ahead of cases not yet seen.
        # (It is not held back for a cool-down: a page can change the hour after it was seen.)
        # Verified only if this report is: earlier ones were about what the page showed then.
        previous_resolution = case.resolved_at
        case.status = CaseStatus.AWAITING_ASSESSMENT
        case.resolved_at = None
        case.priority = 0
        case.has_verified_report = verified
        case.opened_at = timezone.now()
        case.save(
            update_fields=["status", "resolved_at", "priority", "has_verified_report", "opened_at"]
        )
        record_event(
            actor=actor,
            action="cases.case_reopened",
            target=case,
            portal=code,
            data={
                "was": CaseStatus.NOT_CONFIRMED,
                "resolved_at": previous_resolution.isoformat() if previous_resolution else "",
            },
        )
    return case, False


@audited_action
def resolve_case(*, case: Case, confirmed: bool, category: Category | None, actor: str) -> Case:
    """Record the outcome of an assessment on the case; it leaves the queue.

    Audits `cases.case_resolved` with the outcome and category.
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    case.status = CaseStatus.CONFIRMED if confirmed else CaseStatus.NOT_CONFIRMED
    case.category = category.value if (confirmed and category) else ""
    case.resolved_at = timezone.now()
    case.save(update_fields=["status", "category", "resolved_at"])
    record_event(
        actor=actor,
        action="cases.case_resolved",
        target=case,
        portal=case.portal.code,
        data={"status": case.status, "category": case.category},
    )
    return case
