"""Filing a report: one transaction creates the report, its items and their cases, all audited."""

from __future__ import annotations

from collections.abc import Sequence

from hotline.audit.actions import PUBLIC, audited_action, record_event
from hotline.cases.actions import open_or_attach_case
from hotline.intake.models import Report, ReportItem
from hotline.intake.references import new_reference
from hotline.portals.models import Portal


class EmptyReport(ValueError):
    """A report must name at least one URL."""


@audited_action
def file_report(
    *, portal: Portal, language: str, urls: Sequence[tuple[str, str]], description: str = ""
) -> Report:
    """File an anonymous report of `urls` ([(as reported, canonical)]) on `portal`.

    Each URL becomes a ReportItem on the case for its canonical form (opened if new, attached
    if known). All or nothing: a failure part-way leaves no report behind. Audits
    `intake.report_filed` (with the number of URLs, never the URLs or who sent them), plus the
    cases' own events. No IP address or other reporter detail is recorded.
    """
    if not urls:
        raise EmptyReport("a report needs at least one URL")
    reference = new_reference(portal.reference_prefix)
    while Report.objects.filter(reference=reference).exists():
        reference = new_reference(portal.reference_prefix)
    report = Report.objects.create(
        reference=reference, portal=portal, language=language, description=description.strip()
    )
    record_event(
        actor=PUBLIC,
        action="intake.report_filed",
        target=report,
        portal=portal.code,
        data={"items": len(urls), "language": language},
    )
    for position, (reported, canonical) in enumerate(urls, start=1):
        case, _ = open_or_attach_case(canonical_url=canonical, portal=portal, actor=PUBLIC)
        ReportItem.objects.create(
            report=report,
            position=position,
            reported_url=reported,
            canonical_url=canonical,
            case=case,
        )
    return report
