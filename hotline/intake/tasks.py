"""Background work of intake: what follows a report once it has committed."""

from __future__ import annotations

import logging

from hotline.intake.actions import attach_reports_to_cases, reports_waiting_for_cases

logger = logging.getLogger(__name__)

# Reports attached in one transaction: under a flood, one commit for many reports.
BATCH = 100


def attach_waiting_reports() -> int:
    """Attach the items of every report waiting for its cases; returns how many reports.

    A continuous job of `hotline worker` (core/periodic.py), run about once a second. The
    waiting items are themselves the queue: they committed with their report, so nothing is
    lost if a process dies, and a failed attachment is tried again on the next round. A batch
    that fails is retried one report at a time, so one report that cannot be attached does
    not hold up the rest.
    """
    attached = 0
    after = 0
    while reports := reports_waiting_for_cases(after=after, limit=BATCH):
        try:
            attach_reports_to_cases(report_ids=reports)
            attached += len(reports)
        except Exception:
            for report_id in reports:
                try:
                    attach_reports_to_cases(report_ids=[report_id])
                except Exception:
                    logger.exception("report %d could not be attached; will retry", report_id)
                else:
                    attached += 1
        after = reports[-1]
    return attached
