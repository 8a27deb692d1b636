"""Background work of the audit app."""

from __future__ import annotations

import logging
from typing import Any

from django.tasks import task

from hotline.audit.chain import verify_chain
from hotline.audit.sequencer import seal_pending_events

logger = logging.getLogger(__name__)


@task()
def verify_audit_chain() -> dict[str, Any]:
    """Periodic check of the chain; a broken chain is logged as an error for the operators."""
    seal_pending_events()
    report = verify_chain()
    if report.problem is not None:
        logger.error("Audit chain broken: %s", report.problem.message)
        return {
            "intact": False,
            "checked": report.events_checked,
            "problem": report.problem.message,
        }
    # Logged so the chain's end is also recorded outside the database.
    logger.info(
        "Audit chain intact: %d events, last hash %s", report.events_checked, report.last_hash
    )
    return {
        "intact": True,
        "checked": report.events_checked,
        "problem": "",
        "last_hash": report.last_hash,
    }
