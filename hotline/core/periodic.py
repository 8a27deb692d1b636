"""The one table of periodic jobs (DESIGN.md: periodic jobs live in one table).

`hotline worker` reads this table and enqueues each job when it is due; the database records
when each was last enqueued, so several workers never enqueue the same run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str  # dotted path to a django.tasks Task
    every: timedelta
    why: str


@dataclass(frozen=True)
class ContinuousJob:
    """Work `hotline worker` repeats on its own thread, too often for the task queue."""

    name: str
    run_once: str  # dotted path to a function doing one round; returns how much it did
    every: timedelta
    why: str


CONTINUOUS_JOBS: tuple[ContinuousJob, ...] = (
    ContinuousJob(
        name="attach-reports",
        run_once="hotline.intake.tasks.attach_waiting_reports",
        every=timedelta(seconds=1),
        why="New reports reach the analysts' queue within about a second of being filed.",
    ),
    ContinuousJob(
        name="audit-seal",
        run_once="hotline.audit.sequencer.seal_pending_events",
        every=timedelta(seconds=1),
        why="Give each new audit event its place in the hash chain within about a second.",
    ),
)


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        name="audit-verify",
        task="hotline.audit.tasks.verify_audit_chain",
        every=timedelta(hours=6),
        why="Detect tampering with the audit log soon after it happens, not at the next audit.",
    ),
    PeriodicJob(
        name="clear-sessions",
        task="hotline.core.tasks.clear_expired_sessions",
        every=timedelta(hours=1),
        why="A reporter's session holds their receipt; it should not outlive its expiry.",
    ),
    PeriodicJob(
        name="status-emails",
        task="hotline.intake.tasks.send_status_emails",
        every=timedelta(minutes=1),
        why="A reporter who asked for one status message gets it soon after the assessment, "
        "and their address is deleted then (or unsent after HOTLINE_STATUS_EMAIL_DAYS).",
    ),
)
