"""Background work of the figures: the monthly reports e-mailed to partner contacts."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.tasks import task

from hotline.core.mail import mail_configured
from hotline.portals.models import Portal
from hotline.stats.actions import ReportNotSent, send_monthly_report
from hotline.stats.models import MonthlyReportSent
from hotline.stats.reports import ReportKind, ReportPeriod, has_report, today

logger = logging.getLogger(__name__)


def send_due_monthly_reports(*, on: date | None = None) -> dict[str, int]:
    """Send each launched portal's report of the month before `on` (today) that is not sent
    yet; a portal whose send fails is tried again on the next run (the next day)."""
    on = on or today()
    month = ReportPeriod.holding(ReportKind.MONTH, on).previous()
    outcome = {"sent": 0, "failed": 0}
    if not mail_configured():
        return outcome
    done = set(
        MonthlyReportSent.objects.filter(month=month.start, sent_at__isnull=False).values_list(
            "portal_id", flat=True
        )
    )
    for portal in Portal.objects.filter(launched_at__isnull=False).order_by("code"):
        if portal.pk in done or not has_report(portal, month, on=on):
            continue
        try:
            sent = send_monthly_report(portal=portal, month=month, on=on)
        except ReportNotSent as error:
            logger.warning(
                "Monthly report of %s for %s not sent (%s); tried again tomorrow.",
                portal.code,
                month.slug,
                error,
            )
            outcome["failed"] += 1
            continue
        outcome["sent"] += sent is not None
    return outcome


@task()
def send_monthly_reports() -> dict[str, Any]:
    """The daily job: last month's report to each portal's partner contacts, once."""
    return send_due_monthly_reports()
