"""The one table of periodic jobs (DESIGN.md: periodic jobs live in one table).

`hotline worker` reads this table and enqueues each job when it is due; the database records
when each was last enqueued, so several workers never enqueue the same run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings


@dataclass(frozen=True)
class PeriodicJob:
    """A task enqueued every `every`, or at each of the times of day `at` (UTC) instead."""

    name: str
    task: str  # dotted path to a django.tasks Task
    every: timedelta | None
    why: str
    at: tuple[time, ...] = ()

    def __post_init__(self) -> None:
        if (self.every is None) == (not self.at):
            raise ValueError(f"periodic job {self.name}: give either `every` or `at`")

    def is_due(self, last_enqueued_at: datetime, now: datetime) -> bool:
        """Whether a run is due at `now` when the last was enqueued at `last_enqueued_at`."""
        if self.every is not None:
            return last_enqueued_at + self.every <= now
        return last_enqueued_at < self.latest_time_at_or_before(now)

    def latest_time_at_or_before(self, now: datetime) -> datetime:
        """The latest of the times of day `at` (UTC) that is not after `now`."""
        now = now.astimezone(UTC)
        for day in (now.date(), now.date() - timedelta(days=1)):
            for at in sorted(self.at, reverse=True):
                moment = datetime.combine(day, at, tzinfo=UTC)
                if moment <= now:
                    return moment
        raise AssertionError("unreachable: some time of yesterday is before now")


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
        name="stats-monthly-reports",
        task="hotline.stats.tasks.send_monthly_reports",
        every=None,
        at=(time(6, 0),),
        why="Each launched portal's partner contacts get last month's report (summary and PDF) "
        "by e-mail once, early in the month; a send that fails is tried again the next day.",
    ),
    PeriodicJob(
        name="takedown-rechecks",
        task="hotline.takedown.tasks.run_due_rechecks",
        every=timedelta(minutes=1),
        why="Confirmed content is checked again on its schedule (HOTLINE_TAKEDOWN_RECHECKS); "
        "the moment it is gone its URL leaves the list, and if it comes back it is re-listed.",
    ),
    PeriodicJob(
        name="takedown-send-notices",
        task="hotline.takedown.tasks.send_due_notices",
        every=timedelta(minutes=1),
        why="A notice whose delivery failed is tried again (doubling waits) until it is sent "
        "or marked failed for a person to route.",
    ),
    PeriodicJob(
        name="takedown-escalate",
        task="hotline.takedown.tasks.escalate_overdue_notices",
        every=timedelta(minutes=10),
        why="Content still online past HOTLINE_TAKEDOWN_ESCALATE_AFTER is escalated to the "
        "next party (a hotline's case to the national authority, a provider's upstream).",
    ),
    PeriodicJob(
        name="urllist-publish",
        task="hotline.urllist.tasks.publish_url_list_task",
        every=None,
        at=settings.HOTLINE_URLLIST_PUBLISH_TIMES,
        why="Members' full URL list feeds are renewed at fixed times (HOTLINE_URLLIST_PUBLISH_"
        "TIMES, UTC; twice a day by default); changes reach them at once through ?since=.",
    ),
    PeriodicJob(
        name="hashlist-publish",
        task="hotline.hashlist.tasks.publish_hash_list_task",
        every=None,
        at=settings.HOTLINE_HASHLIST_PUBLISH_TIMES,
        why="Members' full hash list feeds are renewed at fixed times (HOTLINE_HASHLIST_PUBLISH_"
        "TIMES, UTC; twice a day by default); changes reach them at once through ?since=.",
    ),
    PeriodicJob(
        name="hashlist-index",
        task="hotline.hashlist.tasks.refresh_pdq_index_file",
        every=timedelta(minutes=10),
        why="The PDQ index's file is written again once the hash list has moved far (or long) "
        "from it, so processes start from it quickly and carry only a small delta.",
    ),
    PeriodicJob(
        name="takedown-evidence-expiry",
        task="hotline.takedown.tasks.expire_evidence_task",
        every=timedelta(hours=1),
        why="Captured images kept in the evidence store (HOTLINE_EVIDENCE_KEY) are deleted "
        "within an hour of HOTLINE_EVIDENCE_DAYS after their capture; their hashes stay.",
    ),
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
        name="expired-claims",
        task="hotline.assessment.tasks.return_expired_leases",
        every=timedelta(minutes=1),
        why="A case whose analyst closed the page or walked away goes back to the queue within "
        'a minute of its lease running out ("next case" takes one over at once).',
    ),
    PeriodicJob(
        name="forget-sign-in-throttles",
        task="hotline.accounts.tasks.forget_sign_in_throttles",
        every=timedelta(hours=1),
        why="A connection's sign-in failures are forgotten after an hour; its row (a keyed "
        "hash of its address) should not stay longer.",
    ),
    PeriodicJob(
        name="status-emails",
        task="hotline.intake.tasks.send_status_emails",
        every=timedelta(minutes=1),
        why="A reporter who asked for one status message gets it soon after the assessment, "
        "and their address is deleted then (or unsent after HOTLINE_STATUS_EMAIL_DAYS).",
    ),
)
